// Spawning build processes. See process.hh.
#include "ferrix/process.hh"

#include "ferrix/error.hh"
#include "ferrix/file.hh"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ferrix {

namespace {

// The child's own error report: async-signal-safe, then exit 127.
// strerrordesc_np reads a static table (strerror may take locale locks, which a child of a
// multi-threaded parent must not).
[[noreturn]] void childFail(const char* what, int err) {
    const char* msg = ::strerrordesc_np(err);
    if (!msg) msg = "unknown error";
    const char* prefix = "ferrix: cannot start the builder: ";
    (void)!::write(2, prefix, std::strlen(prefix));
    (void)!::write(2, what, std::strlen(what));
    (void)!::write(2, ": ", 2);
    (void)!::write(2, msg, std::strlen(msg));
    (void)!::write(2, "\n", 1);
    ::_exit(127);
}

// No descriptor but 0, 1 and 2 (and `shared` as 3 and 4) may reach the builder (locks, the
// database, other builds' pipes, Guile's ports): close_range, or one by one on kernels without
// it.
void closeInherited(int shared) {
    unsigned first = 3;
    if (shared >= 0) {
        // Out of the way of 3 and 4 first, in case it is one of them.
        int high = ::fcntl(shared, F_DUPFD, 5);
        if (high < 0 || ::dup2(high, 3) < 0 || ::dup2(high, 4) < 0) childFail("dup2", errno);
        first = 5;
    }
    if (::syscall(SYS_close_range, first, ~0U, 0U) == 0) return;
    struct rlimit rl;
    long max = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                   ? long(rl.rlim_cur)
                   : 65536;
    for (long fd = first; fd < max; fd++)
        ::close(int(fd));
}

// Kills and reaps the child on every way out of runProcess, exceptions included, so that no
// builder outlives the call (its outputs and directory are removed next, by root).
struct ChildGuard {
    pid_t pid;
    bool reaped = false;
    ~ChildGuard() {
        if (reaped) return;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
};

} // namespace

bool ProcessResult::success() const {
    return !timedOut && !silentTooLong && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string ProcessResult::describe(const SpawnOptions& options) const {
    if (timedOut) return "timed out after " + std::to_string(options.timeout) + " seconds";
    if (silentTooLong)
        return "killed after " + std::to_string(options.maxSilentTime) + " seconds without output";
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    return "ended with wait status " + std::to_string(status);
}

ProcessResult runProcess(const SpawnOptions& o) {
    // Everything the child needs, prepared before fork().
    std::vector<std::string> argStrings;
    argStrings.push_back(o.program);
    for (auto& a : o.args)
        argStrings.push_back(a);
    std::vector<char*> argv;
    for (auto& a : argStrings)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> envStrings;
    for (auto& [k, v] : o.env)
        envStrings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : envStrings)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    const SandboxPlan* sandbox = o.sandbox;
    int cloneFlags = sandbox ? sandbox->cloneFlags() : 0;

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("creating a pipe");
    AutoCloseFD readEnd(fds[0]), writeEnd(fds[1]);
    // The child waits for one byte: its id maps are written (a user namespace), and the
    // thread it belongs to is still alive (after PR_SET_PDEATHSIG: EOF means it is not).
    int sync[2];
    if (::pipe2(sync, O_CLOEXEC) != 0) throw SysError("creating a pipe");
    AutoCloseFD syncRead(sync[0]), syncWrite(sync[1]);

    // clone() without a new stack behaves as fork(), with the namespaces made at once: the
    // child is the first process of its PID namespace.
    pid_t pid =
        pid_t(::syscall(SYS_clone, long(cloneFlags | SIGCHLD), nullptr, nullptr, nullptr, nullptr));
    if (pid < 0) throw SysError("starting the builder (clone)");
    if (pid == 0) {
        // The child: system calls only.
        ::close(sync[1]);
        if (::setsid() < 0) childFail("setsid", errno);
        // The builder dies with the thread that waits for it (ferrix interrupted or killed).
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) childFail("prctl", errno);
        char go;
        ssize_t n;
        while ((n = ::read(sync[0], &go, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1) ::_exit(127);
        int nullFd = ::open("/dev/null", O_RDONLY);
        if (nullFd < 0) childFail("/dev/null", errno);
        if (::dup2(nullFd, 0) < 0 || ::dup2(fds[1], 1) < 0 || ::dup2(fds[1], 2) < 0)
            childFail("dup2", errno);
        int alive = sync[0];
        if (cloneFlags & CLONE_NEWNET) {
            // The new namespace's loopback starts down; bring it up, as Nix does, so that test
            // suites can talk to themselves on 127.0.0.1 (there is still no other interface).
            int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (s < 0) childFail("socket", errno);
            struct ifreq ifr;
            std::memset(&ifr, 0, sizeof ifr);
            std::memcpy(ifr.ifr_name, "lo", 3);
            ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
            if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) childFail("bringing up lo", errno);
            ::close(s);
        }
        if (sandbox)
            if (const char* failed = enterSandbox(*sandbox)) childFail(failed, errno);
        // Changing ids cleared the parent-death signal: set it again, then make sure the
        // thread that waits for us is still there (it holds the sync pipe open until the end).
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) childFail("prctl", errno);
        struct pollfd hup = {alive, POLLIN, 0};
        if (::poll(&hup, 1, 0) != 0) ::_exit(127);
        closeInherited(o.sharedFd);
        if (::chdir(o.cwd.c_str()) != 0) childFail(o.cwd.c_str(), errno);
        ::signal(SIGPIPE, SIG_DFL);
        ::execve(argv[0], argv.data(), envp.data());
        childFail(argv[0], errno);
    }
    ChildGuard guard{pid};
    syncRead.close();
    if (cloneFlags & CLONE_NEWUSER) writeIdMaps(pid, *sandbox);
    if (::write(syncWrite.get(), "g", 1) != 1) throw SysError("starting the builder");
    writeEnd.close();
    if (o.onStart) o.onStart(pid);

    int pidfd = int(::syscall(SYS_pidfd_open, pid, 0));
    AutoCloseFD pidFd(pidfd >= 0 ? pidfd : -1);
    ::fcntl(readEnd.get(), F_SETFL, O_NONBLOCK);

    using Clock = std::chrono::steady_clock;
    auto start = Clock::now(), lastOutput = start;
    ProcessResult result;
    bool pipeOpen = true, exited = false;
    char buf[65536];
    auto drain = [&] {
        while (pipeOpen) {
            ssize_t n = ::read(readEnd.get(), buf, sizeof buf);
            if (n > 0) {
                lastOutput = Clock::now();
                if (o.onOutput) o.onOutput(std::string_view(buf, size_t(n)));
                continue;
            }
            if (n == 0)
                pipeOpen = false;
            else if (errno != EINTR && errno != EAGAIN)
                pipeOpen = false;
            if (n < 0 && errno == EINTR) continue;
            break;
        }
    };
    auto killGroup = [&] { ::kill(-pid, SIGKILL); };
    while (!exited) {
        auto now = Clock::now();
        long waitMs = pidFd ? 60000 : 100;
        auto limit = [&](Clock::time_point deadline) {
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
            waitMs = std::max(0L, std::min(waitMs, long(ms) + 1));
        };
        if (o.timeout) limit(start + std::chrono::seconds(o.timeout));
        if (o.maxSilentTime) limit(lastOutput + std::chrono::seconds(o.maxSilentTime));
        struct pollfd pfds[2];
        int n = 0;
        if (pipeOpen) pfds[n++] = {readEnd.get(), POLLIN, 0};
        if (pidFd) pfds[n++] = {pidFd.get(), POLLIN, 0};
        int r = ::poll(pfds, nfds_t(n), int(waitMs));
        if (r < 0 && errno != EINTR) {
            killGroup();
            throw SysError("poll");
        }
        drain();
        // Has the child ended? (Not reaped yet: its pid, and so its group's, cannot be reused
        // before the group is killed below.)
        siginfo_t info;
        info.si_pid = 0;
        if (::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid) {
            exited = true;
            break;
        }
        now = Clock::now();
        if (o.timeout && now >= start + std::chrono::seconds(o.timeout)) {
            result.timedOut = true;
            killGroup();
        } else if (o.maxSilentTime && now >= lastOutput + std::chrono::seconds(o.maxSilentTime)) {
            result.silentTooLong = true;
            killGroup();
        }
        if (result.timedOut || result.silentTooLong) {
            while (::waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
            }
            exited = true;
        }
    }
    // The builder is gone; so must be anything it left running in its group (in a PID
    // namespace, the kernel killed them all already). Then reap it, and collect what is left in
    // the pipe (a straggler that escaped the group may keep it open: do not wait).
    killGroup();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    guard.reaped = true;
    result.status = status;
    drain();
    return result;
}

namespace {

// posix_spawn's helpers return their error rather than setting errno.
void spawnCheck(int rc, const char* what) {
    if (rc != 0) throw SysError(rc, std::string("spawning a command: ") + what);
}

// A copy of `fd` at 5 or above when it is below: the file actions' dup2 to 1, 2, 3 and 4 then
// never overwrite a descriptor a later one copies from (stdout to 2 and stderr to 1 cross).
// The copy is close-on-exec, and closed in the parent when the spawn is done.
int outOfTheWay(int fd, AutoCloseFD& copy) {
    if (fd < 0 || fd >= 5) return fd;
    copy = AutoCloseFD(::fcntl(fd, F_DUPFD_CLOEXEC, 5));
    if (!copy) throw SysError("copying descriptor " + std::to_string(fd));
    return copy.get();
}

// Where execvp would find `file`: itself if it holds a slash, else the first executable
// regular file of that name on PATH ("" if none).
std::string searchPath(const std::string& file) {
    if (file.find('/') != std::string::npos) return file;
    const char* path = ::getenv("PATH");
    std::string dirs = path ? path : "/bin:/usr/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = end + 1;
    }
    return "";
}

} // namespace

pid_t spawnCommand(const CommandSpawn& c) {
    if (c.argv.empty()) throw SysError(EINVAL, "spawning a command without a program");
    std::vector<char*> argv;
    for (auto& a : c.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    AutoCloseFD jobserver;
    if (c.jobserverFd >= 0) {
        std::string self = "/proc/self/fd/" + std::to_string(c.jobserverFd);
        jobserver = AutoCloseFD(::open(self.c_str(), O_RDWR | O_CLOEXEC));
        if (!jobserver) throw SysError("opening the jobserver '" + self + "'");
    }
    AutoCloseFD stdoutCopy, stderrCopy, jobserverCopy;
    int stdoutFd = c.stdoutFd == 1 ? 1 : outOfTheWay(c.stdoutFd, stdoutCopy);
    int stderrFd = c.stderrFd == 2 ? 2 : outOfTheWay(c.stderrFd, stderrCopy);
    int jobserverFd = jobserver ? outOfTheWay(jobserver.get(), jobserverCopy) : -1;
    // Destroyed on every path, but only what was initialised.
    struct Actions {
        posix_spawn_file_actions_t a;
        Actions() { spawnCheck(::posix_spawn_file_actions_init(&a), "file actions"); }
        ~Actions() { ::posix_spawn_file_actions_destroy(&a); }
    } actions;
    struct Attributes {
        posix_spawnattr_t a;
        Attributes() { spawnCheck(::posix_spawnattr_init(&a), "attributes"); }
        ~Attributes() { ::posix_spawnattr_destroy(&a); }
    } attributes;
    auto& fa = actions.a;
    if (stdoutFd != 1)
        spawnCheck(::posix_spawn_file_actions_adddup2(&fa, stdoutFd, 1), "standard output");
    if (stderrFd != 2)
        spawnCheck(::posix_spawn_file_actions_adddup2(&fa, stderrFd, 2), "standard error");
    int first = 3;
    if (jobserverFd >= 0) {
        spawnCheck(::posix_spawn_file_actions_adddup2(&fa, jobserverFd, 3), "jobserver as 3");
        spawnCheck(::posix_spawn_file_actions_adddup2(&fa, jobserverFd, 4), "jobserver as 4");
        first = 5;
    }
    spawnCheck(::posix_spawn_file_actions_addclosefrom_np(&fa, first),
               "closing the other descriptors");
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) sigaddset(&defaults, sig);
    spawnCheck(::posix_spawnattr_setsigmask(&attributes.a, &none), "signal mask");
    spawnCheck(::posix_spawnattr_setsigdefault(&attributes.a, &defaults), "default signals");
    spawnCheck(
        ::posix_spawnattr_setflags(&attributes.a, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
        "attribute flags");
    pid_t pid;
    int err = ::posix_spawnp(&pid, argv[0], &fa, &attributes.a, argv.data(), environ);
    if (err == ENOEXEC) {
        // A file without #! nor a known binary format: run by the shell, as execvp does.
        std::string file = searchPath(c.argv[0]);
        if (!file.empty()) {
            std::vector<char*> shArgv{const_cast<char*>("/bin/sh"), file.data()};
            shArgv.insert(shArgv.end(), argv.begin() + 1, argv.end());
            err = ::posix_spawn(&pid, "/bin/sh", &fa, &attributes.a, shArgv.data(), environ);
        }
    }
    if (err != 0) throw SysError(err, "running '" + c.argv[0] + "'");
    return pid;
}

} // namespace ferrix
