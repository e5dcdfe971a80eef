// A no-op per-crate build against cargo's own no-op (issue 13, item 3): once everything is built,
// `ferrix build --per-crate -f FILE` must take at most half of `cargo build --release` of the same
// project with everything fresh, measured in the same run, alternating sides.
//
//  (a) noop-per-crate-wordfreq: examples/wordfreq.scm against `cargo build --release --offline`
//      of a copy of examples/wordfreq, with a fresh CARGO_HOME whose config.toml makes crates-io
//      Debian's registry (/usr/share/cargo/registry).
//  (b) noop-per-crate-cargo: cargo 0.66's graph (examples/cargo-bootstrap.scm's cargo, per-crate,
//      188 units) against `cargo build --release --offline` of a copy of Debian's cargo 0.66
//      crate. Both sides build it once, untimed, before the no-ops: SEVERAL MINUTES EACH on
//      this machine (8 min for ferrix's side at a load of 5 to 9). FERRIX_BENCH_NOOP_CARGO=0
//      leaves it out.
//
// Goal: ferrix's median <= 0.5 x cargo's median. Also printed: `ferrix build -d --per-crate` (the
// lowering alone), the CPU time (user + system) of both sides, the load average. ferrix builds into
// the user's default store (the per-crate mode does not support --store with a separate root
// yet, doc/per-crate.md), with a fresh XDG_CACHE_HOME whose lowering cache the first, untimed
// build fills. FERRIX_BENCH_RUNS (default 5) sets the number of timed runs x 3.
#include "bench.hh"

#include <cstdlib>
#include <sys/resource.h>

using namespace ferrix;
using namespace ferrix::bench;

namespace {

constexpr double goalRatio = 0.5;

std::string ferrixBinary() {
    return envOr("FERRIX", FERRIX_BINARY);
}

std::string sourceDir() {
    return envOr("FERRIX_SOURCE_DIR", FERRIX_SOURCE_DIR);
}

const char* registry = "/usr/share/cargo/registry";

double childCpu() {
    struct rusage ru;
    ::getrusage(RUSAGE_CHILDREN, &ru);
    auto tv = [](const struct timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// A copy of the project in `dir`, for cargo, without its target/.
void prepareCargoProject(const std::string& from, const std::string& dir) {
    runChecked({"cp", "-R", from, dir}, {}, "/tmp");
    runChecked({"rm", "-rf", dir + "/target", dir + "/.cargo-checksum.json"}, {}, "/tmp");
}

// A fresh CARGO_HOME whose crates-io is Debian's registry: cargo reads $CARGO_HOME/config.toml
// wherever it runs (a project's .cargo/ is found from the working directory only).
void prepareCargoHome(const std::string& home) {
    writeFile(home + "/config.toml",
              strf("[source.crates-io]\nreplace-with = \"debian\"\n\n"
                   "[source.debian]\ndirectory = \"%s\"\n",
                   registry),
              0644);
}

struct Side {
    std::vector<double> wall, cpu;
};

// Builds both sides once, then times their no-ops alternately; false if a first build failed.
bool measure(const char* bn, const std::string& what, const std::string& file,
             const std::string& project) {
    header(bn, what);
    int runs = envInt("FERRIX_BENCH_RUNS", 5) * 3;
    auto& cache = keptTempDir("ferrix-bench-pcnoop-cache-");
    auto& cargoHome = keptTempDir("ferrix-bench-pcnoop-cargo-home-");
    auto& scratch = keptTempDir("ferrix-bench-pcnoop-");
    std::map<std::string, std::string> ferrixEnv = {{"XDG_CACHE_HOME", cache.path()},
                                                    {"GUILE_AUTO_COMPILE", "0"}};
    std::map<std::string, std::string> cargoEnv = {{"CARGO_HOME", cargoHome.path()}};
    prepareCargoHome(cargoHome.path());
    auto ferrix = [&](bool lowerOnly) {
        std::vector<std::string> argv = {ferrixBinary(), "build", "-M", "2", "--per-crate"};
        if (lowerOnly) argv.push_back("-d");
        argv.insert(argv.end(), {"-f", file});
        return runTimed(argv, ferrixEnv, scratch.path());
    };
    auto cargo = [&] {
        return runTimed({"cargo", "build", "--release", "--offline", "-q", "--manifest-path",
                         project + "/Cargo.toml"},
                        cargoEnv, scratch.path());
    };

    Proc first = ferrix(false);
    if (first.status != 0) {
        auto l = lines(first.err);
        skip(bn, "ferrix's first build failed (" + (l.empty() ? "" : l.back()) + ")");
        return false;
    }
    Proc cargoFirst = cargo();
    if (cargoFirst.status != 0) {
        auto l = lines(cargoFirst.err);
        skip(bn, "cargo's first build failed (" + (l.empty() ? "" : l.back()) + ")");
        return false;
    }
    std::printf("first builds (untimed for the goal): ferrix %.1f s, cargo %.1f s\n", first.seconds,
                cargoFirst.seconds);

    Side f, c;
    std::vector<double> lower;
    std::string loadBefore = loadAverage();
    for (int i = 0; i < runs; i++) {
        double c0 = childCpu();
        Proc p = ferrix(false);
        f.cpu.push_back(childCpu() - c0);
        f.wall.push_back(p.seconds);
        if (p.status != 0 || p.out != first.out) warning(bn, "a ferrix no-op differed: " + p.err);
        if (p.err.find("building") != std::string::npos)
            warning(bn, "a ferrix no-op built: " + p.err.substr(0, 500));
        double c1 = childCpu();
        Proc q = cargo();
        c.cpu.push_back(childCpu() - c1);
        c.wall.push_back(q.seconds);
        if (q.status != 0) warning(bn, "a cargo no-op failed: " + q.err);
        if (q.err.find("Compiling") != std::string::npos)
            warning(bn, "a cargo no-op compiled: " + q.err.substr(0, 500));
        lower.push_back(ferrix(true).seconds);
    }
    double fm = median(f.wall), cm = median(c.wall);
    std::printf("no-op, median of %d runs: ferrix --per-crate %.1f ms (best %.1f; lowering alone "
                "%.1f ms), cargo %.1f ms (best %.1f)\n",
                runs, fm * 1e3, best(f.wall) * 1e3, median(lower) * 1e3, cm * 1e3,
                best(c.wall) * 1e3);
    std::printf("CPU time (user + system), median: ferrix %.1f ms, cargo %.1f ms\n",
                median(f.cpu) * 1e3, median(c.cpu) * 1e3);
    std::printf("load average before the runs %s, after %s\n", loadBefore.c_str(),
                loadAverage().c_str());
    goal(bn, fm <= goalRatio * cm,
         strf("no-op ferrix build --per-crate / cargo build --release = %.2f (goal <= %.2f; "
              "%.1f ms / %.1f ms; CPU %.2f)",
              fm / cm, goalRatio, fm * 1e3, cm * 1e3, median(f.cpu) / median(c.cpu)));
    return true;
}

} // namespace

int main() {
    try {
        std::printf("ferrix: %s\n", ferrixBinary().c_str());
        if (findProgram("cargo").empty()) {
            skip("noop-per-crate", "no cargo on PATH");
            return 0;
        }
        auto& work = keptTempDir("ferrix-bench-pcnoop-work-");
        std::string wordfreq = sourceDir() + "/examples/wordfreq.scm";
        if (!pathExists(wordfreq)) {
            skip("noop-per-crate-wordfreq", "examples/wordfreq.scm not found");
        } else {
            std::string project = work / "wordfreq";
            prepareCargoProject(sourceDir() + "/examples/wordfreq", project);
            measure("noop-per-crate-wordfreq", "no-op per-crate build of examples/wordfreq.scm",
                    wordfreq, project);
        }
        std::string crate = std::string(registry) + "/cargo-0.66.0";
        if (envOr("FERRIX_BENCH_NOOP_CARGO", "1") == "0") {
            skip("noop-per-crate-cargo", "FERRIX_BENCH_NOOP_CARGO=0");
        } else if (!pathExists(crate)) {
            skip("noop-per-crate-cargo", crate + " not found");
        } else {
            std::string project = work / "cargo-0.66.0";
            prepareCargoProject(crate, project);
            // Its dev-dependencies (snapbox...) are not in Debian's registry, and cargo resolves
            // them even to build; ferrix's side builds no test either (#:tests? #f).
            runChecked({"sh", "-c",
                        "cd \"$1\" && awk '/^\\[/ { skip = /dev-dependencies/ } !skip' "
                        "Cargo.toml >Cargo.toml.new && mv Cargo.toml.new Cargo.toml",
                        "sh", project},
                       {}, work.path());
            std::string file = work / "cargo.scm";
            writeFile(file,
                      strf("(use-modules (ferrix package-files))\n"
                           "(car (load-package-file \"%s/examples/cargo-bootstrap.scm\"))\n",
                           sourceDir().c_str()),
                      0644);
            measure("noop-per-crate-cargo",
                    "no-op per-crate build of cargo 0.66 (examples/cargo-bootstrap.scm's cargo)",
                    file, project);
        }
        keptDirs.clear();
    } catch (std::exception& e) {
        std::fprintf(stderr, "bench-per-crate-noop: %s\n", e.what());
        return 1;
    }
    return 0;
}
