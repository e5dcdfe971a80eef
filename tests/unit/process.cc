// Spawning build processes: the environment is exactly the one given, the working directory,
// exit statuses, timeouts that kill the whole process group, the silence timeout, stragglers,
// and (where the kernel allows) the private network and store view.
#include "ferrix/process.hh"

#include "store-test-util.hh"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ferrix;
using Clock = std::chrono::steady_clock;

namespace {

struct Run {
    ProcessResult result;
    std::string output;
    pid_t pid = 0;
    double seconds = 0;
};

Run run(SpawnOptions o) {
    Run r;
    if (o.cwd.empty()) o.cwd = "/";
    o.onOutput = [&](std::string_view s) { r.output += s; };
    o.onStart = [&](pid_t p) { r.pid = p; };
    auto start = Clock::now();
    r.result = runProcess(o);
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

SpawnOptions sh(const std::string& script) {
    SpawnOptions o;
    o.program = "/bin/sh";
    o.args = {"-c", script};
    o.env = {{"PATH", "/usr/bin:/bin"}};
    return o;
}

// Processes of group `pgid` that are still running (zombies waiting for an init that may not
// reap them promptly do not count), after giving the kernel a moment.
int liveInGroup(pid_t pgid) {
    int live = 0;
    for (int attempt = 0; attempt < 20; attempt++) {
        live = 0;
        for (auto& name : test::listNames("/proc")) {
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            std::string stat;
            try {
                stat = readFile("/proc/" + name + "/stat");
            } catch (...) {
                continue;
            }
            // pid (comm) state ppid pgrp ...
            auto close = stat.rfind(')');
            if (close == std::string::npos) continue;
            char state = 0;
            int ppid = 0, pgrp = 0;
            if (std::sscanf(stat.c_str() + close + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
                continue;
            if (pgrp == pgid && state != 'Z' && state != 'X') live++;
        }
        if (live == 0) break;
        ::usleep(100000);
    }
    return live;
}

} // namespace

TEST(Process, EnvironmentIsExactlyTheGivenOne) {
    SpawnOptions o;
    o.program = "/usr/bin/env";
    o.env = {{"A", "1"}, {"B", "two words"}};
    auto r = run(o);
    EXPECT_TRUE(r.result.success());
    EXPECT_EQ(r.output, "A=1\nB=two words\n");
}

TEST(Process, WorkingDirectoryAndExitStatus) {
    auto o = sh("pwd; echo to-stderr >&2; exit 3");
    o.cwd = "/tmp";
    auto r = run(o);
    EXPECT_FALSE(r.result.success());
    EXPECT_TRUE(WIFEXITED(r.result.status));
    EXPECT_EQ(WEXITSTATUS(r.result.status), 3);
    EXPECT_EQ(r.output, "/tmp\nto-stderr\n");
    EXPECT_EQ(r.result.describe(o), "exited with status 3");
}

TEST(Process, StdinIsEmpty) {
    auto r = run(sh("cat; echo end"));
    EXPECT_EQ(r.output, "end\n");
}

TEST(Process, ProgramThatCannotRun) {
    SpawnOptions o;
    o.program = "/nonexistent/program";
    auto r = run(o);
    EXPECT_EQ(WEXITSTATUS(r.result.status), 127);
    EXPECT_NE(r.output.find("/nonexistent/program"), std::string::npos) << r.output;
}

TEST(Process, KilledBySignal) {
    auto o = sh("kill -9 $$");
    auto r = run(o);
    EXPECT_TRUE(WIFSIGNALED(r.result.status));
    EXPECT_NE(r.result.describe(o).find("killed by signal 9"), std::string::npos);
}

TEST(Process, TimeoutKillsTheWholeGroup) {
    auto o = sh("sleep 30 & echo started; sleep 30");
    o.timeout = 1;
    auto r = run(o);
    EXPECT_TRUE(r.result.timedOut);
    EXPECT_FALSE(r.result.success());
    EXPECT_LT(r.seconds, 10);
    EXPECT_EQ(r.output, "started\n");
    EXPECT_EQ(r.result.describe(o), "timed out after 1 seconds");
    // Nothing of the group is left.
    EXPECT_EQ(liveInGroup(r.pid), 0);
}

TEST(Process, MaxSilentTime) {
    auto o = sh("echo a; sleep 30");
    o.maxSilentTime = 1;
    auto r = run(o);
    EXPECT_TRUE(r.result.silentTooLong);
    EXPECT_LT(r.seconds, 10);
    EXPECT_EQ(r.output, "a\n");
}

TEST(Process, OutputResetsTheSilenceTimer) {
    auto o = sh("for i in 1 2 3 4 5; do echo $i; sleep 0.4; done");
    o.maxSilentTime = 1;
    auto r = run(o);
    EXPECT_TRUE(r.result.success()) << r.result.describe(o);
    EXPECT_EQ(r.output, "1\n2\n3\n4\n5\n");
}

TEST(Process, DaemonisedStragglerDoesNotHoldUsUp) {
    // The background sleep keeps the output pipe open; the builder itself is done.
    auto r = run(sh("sleep 30 & echo done"));
    EXPECT_TRUE(r.result.success());
    EXPECT_LT(r.seconds, 10);
    EXPECT_EQ(r.output, "done\n");
    EXPECT_EQ(liveInGroup(r.pid), 0);
}

// spawnCommand, the build side's way of starting rustc, build scripts and tests.
namespace {

int waitFor(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

} // namespace

TEST(SpawnCommand, OutputErrorAndOnlyTheirDescriptors) {
    test::ScratchDir dir;
    std::string outFile = dir.path + "/out", errFile = dir.path + "/err";
    AutoCloseFD out(::open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    AutoCloseFD err(::open(errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    // A descriptor the caller leaks (not close-on-exec) must not reach the child.
    AutoCloseFD leaked(::open("/dev/null", O_RDONLY));
    ASSERT_TRUE(out && err && leaked);
    CommandSpawn c;
    c.argv = {"sh", "-c",
              "echo out; echo err >&2; for fd in 3 4 5 6 7 8 9 " + std::to_string(leaked.get()) +
                  "; do [ -e /proc/$$/fd/$fd ] && echo fd $fd >&2; done; exit 0"};
    c.stdoutFd = out.get();
    c.stderrFd = err.get();
    int status = waitFor(spawnCommand(c));
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(readFile(outFile), "out\n");
    EXPECT_EQ(readFile(errFile), "err\n");
}

TEST(SpawnCommand, JobserverAsThreeAndFourThroughItsOwnDescription) {
    test::ScratchDir dir;
    std::string fifo = dir.path + "/fifo", outFile = dir.path + "/out";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // The caller's description is non-blocking; the child's must not be (a client changing
    // its own flags changes nothing for others, and the reverse).
    AutoCloseFD jobs(::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    AutoCloseFD out(::open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    ASSERT_TRUE(jobs && out);
    CommandSpawn c;
    c.argv = {"sh", "-c",
              "printf x >&4; for fd in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$fd ] && "
              "printf '%s ' $fd; done; echo; sed -n 's/^flags:\\t//p' /proc/$$/fdinfo/3"};
    c.stdoutFd = out.get();
    c.jobserverFd = jobs.get();
    int status = waitFor(spawnCommand(c));
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    std::string got = readFile(outFile);
    auto newline = got.find('\n');
    ASSERT_NE(newline, std::string::npos) << got;
    EXPECT_EQ(got.substr(0, newline), "3 4 ");
    unsigned long flags = std::stoul(got.substr(newline + 1), nullptr, 8);
    EXPECT_EQ(flags & O_NONBLOCK, 0u) << got;
    char byte = 0;
    EXPECT_EQ(::read(jobs.get(), &byte, 1), 1);
    EXPECT_EQ(byte, 'x');
}

TEST(SpawnCommand, SearchesPathAndReportsWhatCannotStart) {
    CommandSpawn c;
    c.argv = {"true"};
    int status = waitFor(spawnCommand(c));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    c.argv = {"sh", "-c", "exit 3"};
    status = waitFor(spawnCommand(c));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    c.argv = {"/nonexistent/ferrix-no-such-program"};
    EXPECT_THROW(spawnCommand(c), SysError);
    c.argv = {};
    EXPECT_THROW(spawnCommand(c), SysError);
}

TEST(SpawnCommand, OutputAndErrorCrossed) {
    // The parent's 1 and 2 are two pipes; the child's output goes to the parent's 2 and its
    // errors to the parent's 1: the first dup2 must not overwrite the second's source.
    int toTwo[2], toOne[2];
    ASSERT_EQ(::pipe2(toTwo, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(toOne, O_CLOEXEC), 0);
    std::fflush(stdout);
    std::fflush(stderr);
    int savedOut = ::fcntl(1, F_DUPFD_CLOEXEC, 10), savedErr = ::fcntl(2, F_DUPFD_CLOEXEC, 10);
    ASSERT_GE(savedOut, 0);
    ASSERT_GE(savedErr, 0);
    ::dup2(toTwo[1], 2);
    ::dup2(toOne[1], 1);
    CommandSpawn c;
    c.argv = {"sh", "-c", "echo out; echo err >&2"};
    c.stdoutFd = 2;
    c.stderrFd = 1;
    std::string error;
    pid_t pid = -1;
    try {
        pid = spawnCommand(c);
    } catch (const std::exception& e) {
        error = e.what();
    }
    ::dup2(savedOut, 1);
    ::dup2(savedErr, 2);
    ::close(savedOut);
    ::close(savedErr);
    ::close(toTwo[1]);
    ::close(toOne[1]);
    AutoCloseFD two(toTwo[0]), one(toOne[0]);
    ASSERT_EQ(error, "");
    int status = waitFor(pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    auto readAll = [](int fd) {
        std::string s;
        char buf[256];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0)
            s.append(buf, size_t(n));
        return s;
    };
    EXPECT_EQ(readAll(two.get()), "out\n");
    EXPECT_EQ(readAll(one.get()), "err\n");
}

TEST(SpawnCommand, FileWithoutInterpreterLineRunByTheShell) {
    // As execvp does: a file the kernel cannot run (ENOEXEC) is run by /bin/sh.
    test::ScratchDir dir;
    std::string script = dir.path + "/script", outFile = dir.path + "/out";
    writeFile(script, "echo ran \"$1\" \"$2\" > '" + outFile + "'\n", 0755);
    CommandSpawn c;
    c.argv = {script, "one", "two words"};
    int status = waitFor(spawnCommand(c));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(readFile(outFile), "ran one two words\n");
    // Found on PATH too.
    std::string path = ::getenv("PATH") ? ::getenv("PATH") : "";
    ::setenv("PATH", (dir.path + ":" + path).c_str(), 1);
    c.argv = {"script", "path"};
    std::string error;
    try {
        status = waitFor(spawnCommand(c));
    } catch (const std::exception& e) {
        error = e.what();
    }
    ::setenv("PATH", path.c_str(), 1);
    EXPECT_EQ(error, "");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(readFile(outFile), "ran path \n");
}
