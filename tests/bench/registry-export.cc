// `ferrix registry export` of Debian's unpacked crate registry: a full export into a fresh
// directory against the anchor `tar -cf - | gzip -9 -n` of the same tree (one stream: the bytes
// and the compression level every .crate is made with, without per-crate archives, checksums or
// JSON), and an incremental re-export (nothing changed) against the full export.
#include "ferrix/cargo/registry-export.hh"
#include "bench.hh"

#include <thread>

using namespace ferrix;
using namespace ferrix::bench;

namespace {

const char* const benchName = "registry-export";
constexpr double goalVsTarGzip = 1.25, goalIncremental = 0.15;

std::string treeDir() {
    return envOr("FERRIX_BENCH_REGISTRY_DIR", "/usr/share/cargo/registry");
}

cargo::ExportOptions options(const std::string& dir) {
    cargo::ExportOptions o;
    o.sources = {treeDir()};
    o.dir = dir;
    o.baseUrl = "http://127.0.0.1:1/bench";
    return o;
}

void headline() {
    std::string src = treeDir();
    header(benchName, "export of " + src + " into a static registry");
    if (!pathExists(src))
        return skip(benchName, src + " does not exist (install some librust-*-dev packages)");
    std::string tar = findProgram("tar"), gzip = findProgram("gzip");
    if (tar.empty() || gzip.empty()) return skip(benchName, "tar or gzip is not on PATH");
    int runs = envInt("FERRIX_BENCH_RUNS", 3);
    TempDir scratch("ferrix-bench-export-");
    std::vector<std::string> anchor = {"/bin/sh",
                                       "-c",
                                       "\"$0\" -cf - -C \"$2\" . | \"$1\" -9 -n > \"$3\"",
                                       tar,
                                       gzip,
                                       src,
                                       scratch / "all.tar.gz"};

    // Warm the page cache (and check the export works) once, untimed.
    runChecked(anchor, {}, scratch.path());
    cargo::ExportSummary first = cargo::exportRegistry(options(scratch / "warm"));

    std::vector<double> tFull, tAnchor, tAgain;
    cargo::ExportSummary again;
    for (int i = 0; i < runs; i++) {
        std::string dir = scratch / ("run" + std::to_string(i));
        tFull.push_back(timeIt([&] { cargo::exportRegistry(options(dir)); }));
        tAnchor.push_back(runChecked(anchor, {}, scratch.path()).seconds);
        tAgain.push_back(timeIt([&] { again = cargo::exportRegistry(options(dir)); }));
        deletePath(dir);
    }
    if (again.packed != 0 || again.unchanged != first.exported)
        warning(benchName, strf("the re-export packed %zu versions (expected none)", again.packed));

    double full = median(tFull), tg = median(tAnchor), inc = median(tAgain);
    std::printf("%zu crates, %zu versions, %.1f MB of .crate files; %u processors; load %s\n",
                first.crates, first.versions, double(first.bytes) / 1e6,
                std::thread::hardware_concurrency(), loadAverage().c_str());
    std::printf("median of %d runs (best): full export %.2f s (%.2f), tar | gzip -9 %.2f s "
                "(%.2f), re-export of unchanged crates %.3f s (%.3f)\n",
                runs, full, best(tFull), tg, best(tAnchor), inc, best(tAgain));
    goal(benchName, full / tg <= goalVsTarGzip,
         strf("full export/tar|gzip -9 %.2fx (goal <= %.2fx)", full / tg, goalVsTarGzip));
    goal(benchName, inc / full <= goalIncremental,
         strf("re-export/full export %.3f (goal <= %.2f)", inc / full, goalIncremental));
}

// The cost an unchanged crate still has: its fingerprint (reading and hashing every file).
void BM_FingerprintAll(benchmark::State& state) {
    std::vector<std::string> warnings;
    auto crates = cargo::findSourceCrates(treeDir(), warnings);
    for (auto _ : state)
        for (auto& c : crates)
            benchmark::DoNotOptimize(cargo::sourceFingerprint(c.dir));
}

// Reading and checking every Cargo.toml.
void BM_ReadManifests(benchmark::State& state) {
    for (auto _ : state) {
        std::vector<std::string> warnings;
        benchmark::DoNotOptimize(cargo::findSourceCrates(treeDir(), warnings));
    }
}

BENCHMARK(BM_FingerprintAll)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadManifests)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

int main(int argc, char** argv) {
    try {
        if (headlineWanted()) headline();
        if (pathExists(treeDir())) runMicroBenchmarks(argc, argv);
    } catch (std::exception& e) {
        std::fprintf(stderr, "bench %s: %s\n", benchName, e.what());
        return 1;
    }
    return 0;
}
