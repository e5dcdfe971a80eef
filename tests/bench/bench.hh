// Shared by the benchmarks: wall-clock timing, subprocesses, scratch directories, the lines that
// run-all.sh summarises, and the Google Benchmark start-up. Header-only: every tests/bench/*.cc is
// its own executable.
//
// Output protocol (read by run-all.sh):
//   GOAL met|missed <bench>: <what>     a goal from doc/performance.md and whether this run met it
//   RATIO <bench>: <what>               a ratio with no goal attached
//   WARNING <bench>: <what>             the two sides did not compute the same thing
//   SKIP <bench>: <why>                 an anchor program is missing; nothing was measured
#pragma once

#include "ferrix/error.hh"
#include "ferrix/file.hh"

#include <algorithm>
#include <benchmark/benchmark.h>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <memory>
#include <spawn.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace ferrix::bench {

using Clock = std::chrono::steady_clock;

template <typename F> double timeIt(F&& f) {
    auto t0 = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The median, not the mean: the machine is shared, and one run slowed by someone else's
// compiler should not move the figure.
inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline double best(const std::vector<double>& v) {
    return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}

inline std::string strf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string strf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return std::string(buf, size_t(std::clamp(n, 0, int(sizeof buf) - 1)));
}

// Positive integer from the environment, so a quick run can ask for fewer repetitions.
inline int envInt(const char* name, int dflt) {
    const char* v = std::getenv(name);
    if (!v || !*v) return dflt;
    int n = std::atoi(v);
    return n > 0 ? n : dflt;
}

inline std::string envOr(const char* name, std::string dflt) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : dflt;
}

// The load average when a bench starts: other engineers' builds share these two cores, and a
// figure taken at load 3 needs saying so.
inline std::string loadAverage() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

// Full path of `name` in $PATH, or "" if there is none.
inline std::string findProgram(const std::string& name) {
    std::string path = envOr("PATH", "/usr/bin:/bin");
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string cand = path.substr(start, end - start) + "/" + name;
        if (end > start && ::access(cand.c_str(), X_OK) == 0) return cand;
        start = end + 1;
    }
    return "";
}

// Where scratch directories (and so the fresh stores) go: $TMPDIR, or another file system the
// bench is currently measuring on.
inline std::string defaultScratchBase() {
    return envOr("TMPDIR", "/tmp");
}
inline std::string scratchBase = defaultScratchBase();

inline std::string fsTypeName(const std::string& dir) {
    struct statfs sf;
    if (::statfs(dir.c_str(), &sf) != 0) return "unknown";
    switch (uint64_t(sf.f_type)) {
    case 0xEF53:
        return "ext4";
    case 0x01021994:
        return "tmpfs";
    case 0x58465342:
        return "xfs";
    case 0x9123683E:
        return "btrfs";
    case 0x794c7630:
        return "overlayfs";
    default:
        return strf("fs type 0x%llx", (unsigned long long)sf.f_type);
    }
}

// The file systems a store benchmark runs on, as (directory, label): $TMPDIR's (the disk, as a
// real store would be), then /dev/shm if it is a tmpfs, where the same work is bound by CPU and
// system calls rather than by the disk (FERRIX_BENCH_TMPFS=0 leaves it out).
inline std::vector<std::pair<std::string, std::string>> scratchFilesystems() {
    std::vector<std::pair<std::string, std::string>> out;
    std::string base = defaultScratchBase(), type = fsTypeName(base);
    out.emplace_back(base, base + " " + type);
    const char* t = std::getenv("FERRIX_BENCH_TMPFS");
    bool tmpfsWanted = !(t && std::string_view(t) == "0");
    if (tmpfsWanted && type != "tmpfs" && fsTypeName("/dev/shm") == "tmpfs")
        out.emplace_back("/dev/shm", "/dev/shm tmpfs");
    return out;
}

// A scratch directory removed (read-only store items included) on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& prefix) : path_(makeTempDir(scratchBase, prefix)) {}
    ~TempDir() {
        try {
            deletePath(path_);
        } catch (...) {
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

// Fresh stores are kept until the bench exits: deleting one between runs would slow the next
// run's file creation (ext4 searches past recently freed inodes), on whichever side came next.
inline std::vector<std::unique_ptr<TempDir>> keptDirs;
inline const TempDir& keptTempDir(const std::string& prefix) {
    keptDirs.push_back(std::make_unique<TempDir>(prefix));
    return *keptDirs.back();
}

struct Proc {
    int status = -1; // exit status, or 128 + signal
    std::string out, err;
    double seconds = 0; // spawn to reaped
};

// Runs argv with the environment plus `env`. Output goes to files in `scratch` rather than
// pipes, so the parent sleeps in waitpid and its own work never shows in the child's time.
inline Proc runTimed(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env, const std::string& scratch) {
    std::vector<std::string> envs;
    for (char** e = environ; *e; e++) {
        std::string_view s = *e;
        if (!env.count(std::string(s.substr(0, s.find('='))))) envs.emplace_back(s);
    }
    for (auto& [k, v] : env)
        envs.push_back(k + "=" + v);
    std::vector<char*> cargv, cenv;
    for (auto& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (auto& e : envs)
        cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);

    std::string outFile = scratch + "/.stdout", errFile = scratch + "/.stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);

    Proc r;
    pid_t pid;
    auto t0 = Clock::now();
    int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw SysError(rc, "starting " + argv[0]);
    int st;
    while (::waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) throw SysError("waiting for " + argv[0]);
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = readFile(outFile);
    r.err = readFile(errFile);
    ::unlink(outFile.c_str());
    ::unlink(errFile.c_str());
    return r;
}

// Like runTimed, but a failure is an Error carrying the program's complaint.
inline Proc runChecked(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env, const std::string& scratch) {
    Proc r = runTimed(argv, env, scratch);
    if (r.status != 0)
        throw Error(argv[0] + " exited with status " + std::to_string(r.status) + ": " +
                    r.err.substr(0, 2000));
    return r;
}

// Nix (Debian's nix-bin) running as root without a daemon or build users, with its caches and
// configuration kept inside `scratch`, like the tests' chroot stores.
inline std::map<std::string, std::string> nixEnv(const std::string& scratch) {
    return {{"NIX_CONFIG", "build-users-group =\nsandbox = false"},
            {"TMPDIR", scratch},
            {"XDG_CACHE_HOME", scratch + "/cache"},
            {"XDG_CONFIG_HOME", scratch + "/config"}};
}

inline std::vector<std::string> lines(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        size_t nl = s.find('\n');
        std::string_view l = s.substr(0, nl);
        if (!l.empty()) out.emplace_back(l);
        if (nl == std::string_view::npos) break;
        s.remove_prefix(nl + 1);
    }
    return out;
}

inline void header(const char* bench, const std::string& what) {
    std::printf("== %s: %s (load average %s)\n", bench, what.c_str(), loadAverage().c_str());
    std::fflush(stdout);
}

inline void goal(const char* bench, bool met, const std::string& what) {
    std::printf("GOAL %s %s: %s\n", met ? "met" : "missed", bench, what.c_str());
    std::fflush(stdout);
}

inline void ratio(const char* bench, const std::string& what) {
    std::printf("RATIO %s: %s\n", bench, what.c_str());
    std::fflush(stdout);
}

inline void warning(const char* bench, const std::string& what) {
    std::printf("WARNING %s: %s\n", bench, what.c_str());
    std::fflush(stdout);
}

inline void skip(const char* bench, const std::string& why) {
    std::printf("SKIP %s: %s\n", bench, why.c_str());
    std::fflush(stdout);
}

// FERRIX_BENCH_HEADLINE=0 skips the comparison with the anchor, leaving the micro-benchmarks
// (handy when profiling one of them).
inline bool headlineWanted() {
    const char* h = std::getenv("FERRIX_BENCH_HEADLINE");
    return !(h && std::string_view(h) == "0");
}

// Runs the Google Benchmark micro-benchmarks registered in this executable (the cost break-down
// behind the headline), briefly unless the command line says otherwise. FERRIX_BENCH_MICRO=0
// skips them.
inline void runMicroBenchmarks(int argc, char** argv) {
    const char* micro = std::getenv("FERRIX_BENCH_MICRO");
    if (micro && std::string_view(micro) == "0") return;
    std::vector<std::string> args = {argv[0]};
    bool minTimeGiven = false;
    for (int i = 1; i < argc; i++) {
        args.emplace_back(argv[i]);
        minTimeGiven |= std::string_view(argv[i]).starts_with("--benchmark_min_time");
    }
    if (!minTimeGiven) args.emplace_back("--benchmark_min_time=0.2");
    std::vector<char*> cargs;
    for (auto& a : args)
        cargs.push_back(a.data());
    int n = int(cargs.size());
    cargs.push_back(nullptr);
    std::printf("-- micro-benchmarks (Google Benchmark): the ferrix side broken down\n");
    std::fflush(stdout);
    benchmark::Initialize(&n, cargs.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    std::fflush(stdout);
}

// The rustc flags ferrix passes after its --remap-path-prefix (see %default-rustflags in
// modules/ferrix/build-system/cargo.scm): FERRIX_RUSTFLAGS split at white space, or the default.
inline std::vector<std::string> ferrixRustflags() {
    const char* env = std::getenv("FERRIX_RUSTFLAGS");
    if (!env) return {"-C", "link-arg=-Wl,-z,relro"};
    std::vector<std::string> out;
    std::string word;
    for (char c : std::string(env) + " ") {
        if (c == ' ' || c == '\t' || c == '\n') {
            if (!word.empty()) out.push_back(word);
            word.clear();
        } else
            word += c;
    }
    return out;
}

inline std::string joinWith(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (auto& s : v)
        out += (out.empty() ? "" : sep) + s;
    return out;
}

} // namespace ferrix::bench
