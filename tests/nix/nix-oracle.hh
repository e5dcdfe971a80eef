// Helpers for tests that use a real Nix (Debian's nix-bin) as the oracle: running a program and
// capturing its output, scratch directories, chroot stores, test seeds and seeded random file
// trees. Header-only so that every tests/nix/*.cc can include it.
#pragma once

#include "ferrix/error.hh"
#include "ferrix/file.hh"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <random>
#include <set>
#include <signal.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace ferrix::test {

struct RunResult {
    int status = -1; // exit status, or 128 + signal number
    std::string out, err;
    bool ok() const { return status == 0; }
};

// Runs argv[0] (a full path, or looked up in PATH) with the current environment plus `env`
// (overriding), feeding `input` on stdin; returns the exit status and everything written to
// stdout and stderr.
inline RunResult run(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env = {},
                     std::string_view input = {}) {
    std::vector<std::string> envStrings;
    for (char** e = environ; *e; e++) {
        std::string s = *e;
        if (!env.count(s.substr(0, s.find('=')))) envStrings.push_back(s);
    }
    for (auto& [k, v] : env)
        envStrings.push_back(k + "=" + v);
    std::vector<char*> cargv, cenv;
    for (auto& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (auto& e : envStrings)
        cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);

    int inP[2], outP[2], errP[2];
    if (::pipe2(inP, O_CLOEXEC) || ::pipe2(outP, O_CLOEXEC) || ::pipe2(errP, O_CLOEXEC))
        throw SysError("creating pipes");
    pid_t pid = ::fork();
    if (pid < 0) throw SysError("fork");
    if (pid == 0) {
        ::dup2(inP[0], 0);
        ::dup2(outP[1], 1);
        ::dup2(errP[1], 2);
        ::execvpe(cargv[0], cargv.data(), cenv.data());
        std::string msg = "cannot execute " + argv[0] + ": " + std::strerror(errno) + "\n";
        (void)!::write(2, msg.data(), msg.size());
        ::_exit(127);
    }
    ::close(inP[0]);
    ::close(outP[1]);
    ::close(errP[1]);
    ::signal(SIGPIPE, SIG_IGN);

    RunResult r;
    size_t inPos = 0;
    int inFd = inP[1];
    if (input.empty()) {
        ::close(inFd);
        inFd = -1;
    }
    int outFd = outP[0], errFd = errP[0];
    char buf[65536];
    while (outFd >= 0 || errFd >= 0) {
        struct pollfd fds[3];
        int n = 0;
        if (inFd >= 0) fds[n++] = {inFd, POLLOUT, 0};
        if (outFd >= 0) fds[n++] = {outFd, POLLIN, 0};
        if (errFd >= 0) fds[n++] = {errFd, POLLIN, 0};
        if (::poll(fds, nfds_t(n), -1) < 0) {
            if (errno == EINTR) continue;
            throw SysError("poll");
        }
        for (int i = 0; i < n; i++) {
            if (!fds[i].revents) continue;
            int fd = fds[i].fd;
            if (fd == inFd) {
                ssize_t w = ::write(fd, input.data() + inPos, input.size() - inPos);
                if (w > 0) inPos += size_t(w);
                if (w < 0 || inPos == input.size()) {
                    ::close(inFd);
                    inFd = -1;
                }
                continue;
            }
            ssize_t got = ::read(fd, buf, sizeof buf);
            if (got > 0) {
                (fd == outFd ? r.out : r.err).append(buf, size_t(got));
            } else if (got == 0 || errno != EINTR) {
                ::close(fd);
                (fd == outFd ? outFd : errFd) = -1;
            }
        }
    }
    if (inFd >= 0) ::close(inFd);
    int st;
    while (::waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) throw SysError("waitpid");
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

// The environment every Nix invocation gets: no build users, no sandbox (we are not root in a
// real Nix installation, and nothing is built).
inline std::map<std::string, std::string> nixEnv() {
    return {{"NIX_CONFIG", "build-users-group =\nsandbox = false"}};
}

// Runs a Nix program with nixEnv(); throws Error with its stderr if it fails.
inline std::string runNix(const std::vector<std::string>& argv, std::string_view input = {}) {
    RunResult r = run(argv, nixEnv(), input);
    if (!r.ok()) {
        std::string cmd;
        for (auto& a : argv)
            cmd += (cmd.empty() ? "" : " ") + a;
        throw Error("'" + cmd + "' failed with status " + std::to_string(r.status) + ": " + r.err);
    }
    return r.out;
}

// Strips one trailing newline, as in $(...).
inline std::string chomp(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.pop_back();
    return s;
}

// A scratch directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "ferrix-test-") {
        const char* t = std::getenv("TMPDIR");
        path_ = makeTempDir(t && *t ? t : "/tmp", prefix);
    }
    ~TempDir() {
        if (kept) return;
        try {
            deletePath(path_);
        } catch (...) {
        }
    }
    // Leaves the directory on disk, for inspection after a failure.
    void keep() { kept = true; }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
    bool kept = false;
};

// A chroot store in a fresh scratch directory, for `--store <root>`: logical /nix/store,
// physical <root>/nix/store. Never the machine's own /nix/store.
class NixChrootStore {
public:
    NixChrootStore() : dir("ferrix-nix-store-") {}
    const std::string& root() const { return dir.path(); }
    // The physical directory holding logical /nix/store/<name>.
    std::string realStoreDir() const { return root() + "/nix/store"; }
    // Where a logical path ("/nix/store/...") really is.
    std::string physical(const std::string& logical) const { return root() + logical; }
    // Leaves the store on disk after the test, for inspection.
    void keep() { dir.keep(); }
    std::vector<std::string> storeArgs() const { return {"--store", root()}; }
    // nixEnv() plus a private cache and config home, so no user state leaks in or out.
    std::map<std::string, std::string> env() const {
        auto e = nixEnv();
        e["XDG_CACHE_HOME"] = root() + "/cache";
        e["XDG_CONFIG_HOME"] = root() + "/config";
        return e;
    }
    // Runs `program` (e.g. NIX_STORE_PROGRAM) with `--store <root>` and then `args`.
    RunResult nix(const std::string& program, std::vector<std::string> args,
                  std::string_view input = {}) const {
        std::vector<std::string> argv = {program};
        for (auto& a : storeArgs())
            argv.push_back(a);
        for (auto& a : args)
            argv.push_back(std::move(a));
        return run(argv, env(), input);
    }

private:
    TempDir dir;
};

// The seed for randomised tests: $FERRIX_TEST_SEED if set (to replay a failure), else a fixed
// `fallback`, so that runs are reproducible.
inline uint64_t testSeed(uint64_t fallback = 20240601) {
    const char* s = std::getenv("FERRIX_TEST_SEED");
    return s && *s ? std::strtoull(s, nullptr, 0) : fallback;
}

struct TreeOptions {
    int maxDepth = 4;
    int maxEntries = 6;
    size_t maxSmallFile = 300;
    // Probability (percent) that a tree gets one large file of 1..8 MiB.
    int bigFilePercent = 15;
};

// Seeded random file trees: regular files (empty, small, occasionally large), executables,
// symlinks (relative, absolute, dangling), nested and empty directories, and names with odd
// bytes (spaces, UTF-8, raw 0x80-0xff, leading dashes, '=', '?', newlines...). Print seed()
// in failure messages: the same seed gives the same tree.
class RandomTree {
public:
    explicit RandomTree(uint64_t seed) : seed_(seed), rng(seed) {}
    uint64_t seed() const { return seed_; }

    // Every regular file created, full paths.
    std::vector<std::string> files;

    // Creates a directory tree at `root` (which must not exist).
    void generateDirectory(const std::string& root, const TreeOptions& o = {}) {
        bool big = int(below(100)) < o.bigFilePercent;
        makeDir(root, 0, o);
        if (big) {
            std::string p = root + "/big file" + std::to_string(below(1000));
            if (!pathExists(p)) makeFile(p, (1 + below(8)) * 1024 * 1024 + below(4096), false);
        }
    }

    // A single regular file at `path` of random size (up to maxSize) and executability.
    void generateFile(const std::string& path, size_t maxSize = 4096) {
        makeFile(path, below(maxSize + 1), below(4) == 0);
    }

    // A random name of 1..maxLen bytes: never "", ".", "..", or containing '/' or NUL.
    std::string randomName(size_t maxLen = 24) {
        static const char* const pieces[] = {"a",
                                             "b",
                                             "Z",
                                             "0",
                                             "9",
                                             "_",
                                             "-",
                                             ".",
                                             "=",
                                             "?",
                                             "+",
                                             "#",
                                             " ",
                                             "  ",
                                             "~",
                                             "%",
                                             "@",
                                             ",",
                                             ";",
                                             "'",
                                             "\"",
                                             "\\",
                                             "\t",
                                             "\n",
                                             "\xc3\xa9",
                                             "\xe6\x97\xa5",
                                             "\xf0\x9f\x98\x80",
                                             "\x80",
                                             "\xff",
                                             "\xfe",
                                             "lib",
                                             "README",
                                             ".hidden",
                                             "--force",
                                             "x.y.z"};
        constexpr size_t nPieces = sizeof pieces / sizeof pieces[0];
        while (true) {
            std::string n;
            size_t parts = 1 + below(4);
            for (size_t i = 0; i < parts; i++)
                n += pieces[below(nPieces)];
            if (below(20) == 0) n = "-" + n; // leading dash
            if (below(40) == 0) n += std::string(100 + below(100), 'L');
            if (n.size() > maxLen && below(10) != 0) n.resize(maxLen);
            if (n.empty() || n == "." || n == "..") continue;
            return n;
        }
    }

    std::string randomBytes(size_t n) {
        std::string s(n, '\0');
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t x = rng();
            std::memcpy(&s[i], &x, 8);
        }
        for (; i < n; i++)
            s[i] = char(rng());
        return s;
    }

    uint64_t below(uint64_t n) { return n ? rng() % n : 0; }

private:
    uint64_t seed_;
    std::mt19937_64 rng;

    void makeFile(const std::string& p, size_t size, bool executable) {
        std::string data;
        switch (below(4)) {
        case 0:
            data = randomBytes(size);
            break;
        case 1: // text-like, sizes around multiples of 8 to exercise padding
            data.assign(size, 'x');
            for (auto& c : data)
                c = char('a' + below(26));
            break;
        default:
            data = randomBytes(size);
        }
        // Modes where only owner-execute matters for the NAR.
        static const mode_t plain[] = {0644, 0600, 0444, 0611, 0655};
        static const mode_t exec[] = {0755, 0700, 0500, 0744};
        mode_t mode = executable ? exec[below(4)] : plain[below(5)];
        writeFile(p, data, 0600);
        if (::chmod(p.c_str(), mode) != 0) throw SysError("chmod '" + p + "'");
        files.push_back(p);
    }

    void makeSymlink(const std::string& p, const std::set<std::string>& siblings) {
        std::string target;
        switch (below(6)) {
        case 0:
            target = siblings.empty() ? "nothing"
                                      : *std::next(siblings.begin(), long(below(siblings.size())));
            break;
        case 1:
            target = "../" + randomName();
            break;
        case 2:
            target = "/nix/store/dc04vv14dak1c1r48qa0m23vr9jy8sm0-" + randomName();
            break;
        case 3:
            target = "/etc/passwd";
            break;
        case 4:
            target = "dangling/" + randomName() + "/x";
            break;
        default:
            target = randomName(200);
        }
        if (::symlink(target.c_str(), p.c_str()) != 0) throw SysError("symlink '" + p + "'");
    }

    void makeDir(const std::string& dir, int depth, const TreeOptions& o) {
        if (::mkdir(dir.c_str(), 0755) != 0) throw SysError("mkdir '" + dir + "'");
        size_t n = below(size_t(o.maxEntries) + 1);
        std::set<std::string> names;
        for (size_t i = 0; i < n; i++) {
            std::string name = randomName();
            if (!names.insert(name).second) continue;
            std::string p = dir + "/" + name;
            uint64_t k = below(100);
            if (k < 20 && depth < o.maxDepth)
                makeDir(p, depth + 1, o);
            else if (k < 35)
                makeSymlink(p, names);
            else
                makeFile(p, below(8) == 0 ? 0 : below(o.maxSmallFile + 1), below(4) == 0);
        }
    }
};

} // namespace ferrix::test
