// A cold build of a real application (issue 4, item 8): ferrix against plain cargo over the same
// sources, with the same toolchain, in one run. Goal <= 1.05x.
//
//  (a) ferrix: `ferrix --store FRESH build -f wordfreq.scm`, examples/wordfreq.scm copied into
//      a scratch directory (with examples/wordfreq next to it) so that a variant can be written:
//        cold-build-tests-off  the same definition with #:tests? #f. Plain `cargo build` runs no
//                              tests, so this is the fair side and the goal is judged on it;
//        cold-build-tests-on   the definition as it is (its check phase runs `cargo test`):
//                              printed as a RATIO.
//      Every run gets a fresh store: the 14 crate sources, the toolchain item and the builder
//      are added while lowering (the crate packages are #:skip-build? #t: no derivation of
//      their own, their sources are vendored into the application's one cargo build), then the
//      application's derivation is built.
//  (b) anchor: `cargo build --release --offline` of a copy of examples/wordfreq, with
//      .cargo/config.toml replacing crates-io by Debian's directory registry
//      /usr/share/cargo/registry, a fresh CARGO_HOME and target directory, and what ferrix's
//      build phase sets: CARGO_BUILD_JOBS (the cores, as ferrix's default -c 0),
//      CARGO_INCREMENTAL=0 and the same rustc flags (--remap-path-prefix of the build directory,
//      then FERRIX_RUSTFLAGS or ferrix's default "-C link-arg=-Wl,-z,relro"). Neither side has a
//      Cargo.lock to start with (wordfreq.scm leaves it out of the source).
//
// The sides alternate, FERRIX_BENCH_RUNS times (default 4; a run is about a minute), the anchor
// first in odd runs and ferrix first in even ones;
// FERRIX_BENCH_COLD_TESTS=0 leaves the tests-on side out. Every figure is the wall time of a
// process, from spawn to exit; the median of the runs. Also printed, from each application
// build log: its cargo build phase, and so the time ferrix spends outside cargo build, which
// varies much less with the load than the two sides' compilations do.
#include "bench.hh"

using namespace ferrix;
using namespace ferrix::bench;

namespace {

constexpr double coldGoal = 1.05; // ferrix / cargo

std::string ferrixBinary() {
    return envOr("FERRIX", FERRIX_BINARY);
}

std::string sourceDir() {
#ifdef FERRIX_SOURCE_DIR
    return envOr("FERRIX_SOURCE_DIR", FERRIX_SOURCE_DIR);
#else
    return envOr("FERRIX_SOURCE_DIR", "");
#endif
}

const std::string registry = "/usr/share/cargo/registry";

// A scratch copy of examples/wordfreq.scm and examples/wordfreq; with `testsOff`, the
// application's arguments also say #:tests? #f.
std::string writeDefinition(const std::string& dir, bool testsOff) {
    std::string ex = sourceDir() + "/examples";
    runChecked({"cp", "-r", ex + "/wordfreq", dir + "/wordfreq"}, {}, dir);
    std::string text = readFile(ex + "/wordfreq.scm");
    if (testsOff) {
        const std::string from = "#:install-source? #f)";
        size_t at = text.find(from);
        if (at == std::string::npos)
            throw Error("examples/wordfreq.scm: no \"" + from + "\" to add #:tests? #f to");
        text.replace(at, from.size(), "#:install-source? #f\n       #:tests? #f)");
    }
    writeFile(dir + "/wordfreq.scm", text, 0644);
    return dir + "/wordfreq.scm";
}

struct Side {
    std::vector<double> times;
    std::vector<double> cargoBuild; // ferrix: the build phase (cargo build) of each run
    std::vector<double> configure;  // ferrix: the configure phase (vendoring, lock file)
    std::string output;             // last run's stdout (ferrix: the store path)
};

// "phase `NAME' succeeded after 16.3 seconds" in a build log: 16.3, or -1.
double phaseSeconds(const std::string& log, const std::string& phase) {
    const std::string key = "phase `" + phase + "' succeeded after ";
    size_t at = log.find(key);
    return at == std::string::npos ? -1 : std::atof(log.c_str() + at + key.size());
}

Proc ferrixCold(const std::string& file, const std::string& cache, int run, Side& side) {
    auto& root = keptTempDir("ferrix-bench-cold-store-");
    Proc p = runTimed({ferrixBinary(), "--store", root.path(), "build", "-f", file},
                      {{"XDG_CACHE_HOME", cache}, {"GUILE_AUTO_COMPILE", "0"}}, root.path());
    if (p.status != 0) {
        auto l = lines(p.err);
        throw Error(strf("ferrix build (run %d) failed: ", run + 1) +
                    (l.empty() ? std::string("no message") : l.back()));
    }
    side.times.push_back(p.seconds);
    side.output = p.out;
    // The application's log: where the time went.
    Proc log = runTimed({ferrixBinary(), "--store", root.path(), "log", lines(p.out).back()},
                        {{"XDG_CACHE_HOME", cache}, {"GUILE_AUTO_COMPILE", "0"}}, root.path());
    side.cargoBuild.push_back(phaseSeconds(log.out, "build"));
    side.configure.push_back(phaseSeconds(log.out, "configure"));
    if (run == 0) {
        std::string name = file.substr(0, file.rfind('/')) + "/build.log";
        writeFile(name, log.out, 0644);
        std::printf("  (first run's application build log: %zu lines, kept in %s until exit)\n",
                    lines(log.out).size(), name.c_str());
        for (auto& l : lines(log.out))
            if (l.find("Compiling ") != std::string::npos ||
                l.find("Finished") != std::string::npos || l.find("phase") != std::string::npos ||
                l.find("Installing") != std::string::npos)
                std::printf("    log: %s\n", l.c_str());
    }
    return p;
}

Proc cargoCold(const std::string& cargo, int run, Side& side) {
    auto& dir = keptTempDir("ferrix-bench-cold-cargo-");
    runChecked({"cp", "-r", sourceDir() + "/examples/wordfreq", dir / "src"}, {}, dir.path());
    deletePath(dir / "src/Cargo.lock");
    deletePath(dir / "src/target");
    createDirs(dir / "src/.cargo");
    writeFile(dir / "src/.cargo/config.toml",
              "[source.crates-io]\nreplace-with = \"debian\"\n\n[source.debian]\ndirectory = \"" +
                  registry + "\"\n",
              0644);
    std::vector<std::string> flags = {"--remap-path-prefix=" + dir.path() + "=/ferrix-build"};
    auto extra = ferrixRustflags();
    flags.insert(flags.end(), extra.begin(), extra.end());
    std::map<std::string, std::string> env = {
        {"CARGO_HOME", dir / "cargo-home"},
        {"CARGO_TARGET_DIR", dir / "target"},
        {"CARGO_BUILD_JOBS", std::to_string(::sysconf(_SC_NPROCESSORS_ONLN))},
        {"CARGO_NET_OFFLINE", "true"},
        {"CARGO_INCREMENTAL", "0"},
        {"CARGO_TERM_COLOR", "never"},
        {"CARGO_ENCODED_RUSTFLAGS", joinWith(flags, "\x1f")},
        {"RUSTFLAGS", ""},
    };
    // cargo reads the manifest of the current directory: run it through sh -c "cd".
    Proc p = runTimed({"/bin/sh", "-c", "cd \"$1\" && exec \"$2\" build --release --offline", "sh",
                       dir / "src", cargo},
                      env, dir.path());
    if (p.status != 0) {
        auto l = lines(p.err);
        throw Error(strf("cargo build (run %d) failed: ", run + 1) +
                    (l.empty() ? std::string("no message") : l.back()));
    }
    side.times.push_back(p.seconds);
    if (run == 0) {
        size_t compiled = 0;
        std::string finished;
        for (auto& l : lines(p.err)) {
            compiled += l.find("Compiling ") != std::string::npos;
            if (l.find("Finished") != std::string::npos) finished = l;
        }
        std::printf("  (cargo: %zu crates compiled; rustflags %s;\n   cargo's own account:%s)\n",
                    compiled, joinWith(flags, " ").c_str(), finished.c_str());
        if (!pathExists(dir / "target/release/wordfreq"))
            warning("cold-build", "cargo build made no target/release/wordfreq");
    }
    return p;
}

} // namespace

int main(int, char**) {
    const char* bn = "cold-build";
    try {
        std::printf("ferrix: %s\n", ferrixBinary().c_str());
        std::string cargo = findProgram("cargo");
        if (cargo.empty()) {
            skip(bn, "no cargo on PATH");
            return 0;
        }
        if (sourceDir().empty() || !pathExists(sourceDir() + "/examples/wordfreq.scm")) {
            skip(bn, "examples/wordfreq.scm not found (set FERRIX_SOURCE_DIR)");
            return 0;
        }
        if (!pathExists(registry + "/clap-4.0.32")) {
            skip(bn, registry + " has no clap-4.0.32 (build-aux/setup installs it)");
            return 0;
        }
        int runs = envInt("FERRIX_BENCH_RUNS", 4); // even: each side goes first as often
        header(bn, strf("cold `ferrix build -f examples/wordfreq.scm` into a fresh store vs "
                        "`cargo build --release --offline`, %d runs each, alternating, %ld cores",
                        runs, ::sysconf(_SC_NPROCESSORS_ONLN)));
        auto& cache = keptTempDir("ferrix-bench-cold-cache-");
        auto& offDir = keptTempDir("ferrix-bench-cold-off-");
        auto& onDir = keptTempDir("ferrix-bench-cold-on-");
        std::string offFile = writeDefinition(offDir.path(), true);
        std::string onFile = writeDefinition(onDir.path(), false);
        bool withTests = envOr("FERRIX_BENCH_COLD_TESTS", "1") != "0";

        Side off, on, anchor;
        for (int i = 0; i < runs; i++) {
            // Alternate which side goes first: on this shared virtual machine the second of two
            // back-to-back builds is often the slower one (file-system and CPU state left by
            // the first), which would otherwise always count against the same side.
            auto anchorRun = [&] {
                Proc a = cargoCold(cargo, i, anchor);
                std::printf("  run %d: cargo build %.1f s\n", i + 1, a.seconds);
                std::fflush(stdout);
            };
            if (i % 2 == 0) anchorRun();
            Proc f = ferrixCold(offFile, cache.path(), i, off);
            std::printf("  run %d: ferrix build, tests off %.1f s (its cargo build phase %.1f s, "
                        "configure %.1f s)\n",
                        i + 1, f.seconds, off.cargoBuild.back(), off.configure.back());
            std::fflush(stdout);
            if (i % 2 == 1) anchorRun();
            if (withTests) {
                Proc t = ferrixCold(onFile, cache.path(), i, on);
                std::printf("  run %d: ferrix build, tests on %.1f s (its cargo build phase "
                            "%.1f s)\n",
                            i + 1, t.seconds, on.cargoBuild.back());
                std::fflush(stdout);
            }
            keptDirs.resize(3); // the stores and target directories of this run: gone
        }
        double c = median(anchor.times), f = median(off.times);
        std::printf("cargo build: median %.1f s (best %.1f); ferrix, tests off: median %.1f s "
                    "(best %.1f)",
                    c, best(anchor.times), f, best(off.times));
        if (withTests)
            std::printf("; ferrix, tests on: median %.1f s (best %.1f)", median(on.times),
                        best(on.times));
        std::printf("\n");
        std::vector<double> outside;
        for (size_t i = 0; i < off.times.size(); i++)
            outside.push_back(off.times[i] - off.cargoBuild[i]);
        std::printf("ferrix, tests off: its cargo build phase median %.1f s; the rest (lowering, "
                    "configure, check, install, registration) median %.1f s, of which configure "
                    "median %.2f s\n",
                    median(off.cargoBuild), median(outside), median(off.configure));
        goal(bn, f <= coldGoal * c,
             strf("cold ferrix build (tests off) %.2fx plain cargo build (%.1f s vs %.1f s, "
                  "goal <= %.2fx)",
                  f / c, f, c, coldGoal));
        if (withTests)
            ratio(bn, strf("cold ferrix build with its check phase (cargo test) %.2fx plain "
                           "cargo build (%.1f s vs %.1f s)",
                           median(on.times) / c, median(on.times), c));
        keptDirs.clear();
    } catch (std::exception& e) {
        std::fprintf(stderr, "bench-cold-build: %s\n", e.what());
        return 1;
    }
    return 0;
}
