// A no-op `ferrix build` (issue 4, item 8): building what is already built must be cheap.
//
//  (a) noop-sh: `ferrix build -f FILE` where FILE evaluates to a /bin/sh derivation with one
//      input derivation, both built already. Goal <= 50 ms. Printed next to it: the same file
//      with -d (lowering alone), so that the scheduler's own share shows.
//      Also printed: `ferrix build /…drv` (the scheduler's no-op without any lowering).
//      Micro-benchmark: the same no-op inside one process (open store + buildDerivations), the
//      scheduler's own share.
//  (b) noop-hello: `ferrix build -f examples/hello.scm` once hello is built (needs the cargo
//      phases and a Rust toolchain; skipped when the first build fails). Goal <= 50 ms.
//
//  (c) noop-wordfreq: the same for examples/wordfreq.scm (the main job: 15 packages, 14 crate
//      sources from Debian's registry checked against their pins on every evaluation).
//      FERRIX_BENCH_NOOP_WORDFREQ=0 leaves it out (its first build takes a minute or more).
//
// Every figure is the wall time of a process, from spawn to exit; the median of the runs. The
// CPU time (user + system) of the no-op runs is printed too: on this shared two-core machine the
// wall time under load is mostly waiting for a core, and the CPU time is what an idle machine's
// wall time would approach (a no-op is one thread, bar a short hashing thread).
#include "bench.hh"
#include "ferrix/build.hh"
#include "ferrix/derivation.hh"
#include "ferrix/store.hh"

#include <cstdlib>
#include <sys/resource.h>

using namespace ferrix;
using namespace ferrix::bench;

namespace {

constexpr double noopGoal = 0.050; // s

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

std::map<std::string, std::string> ferrixEnv(const std::string& cache) {
    return {{"XDG_CACHE_HOME", cache}, {"GUILE_AUTO_COMPILE", "0"}};
}

const char* shFile = R"((use-modules (ferrix store) (ferrix derivations))
(with-store store
  (let ((dep (derivation store "noop-dep" "/bin/sh" '("-c" "mkdir $out; echo dep > $out/data"))))
    (derivation store "noop-top" "/bin/sh"
                (list "-c" (string-append "mkdir $out; cat " (derivation->output-path dep)
                                          "/data > $out/copy"))
                #:inputs (list (list dep)))))
)";

// CPU time (user + system) of the reaped children so far.
double childCpu() {
    struct rusage ru;
    ::getrusage(RUSAGE_CHILDREN, &ru);
    auto tv = [](const struct timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// The 1-minute load average: the figures of a shared machine mean little without it.
double loadAverage() {
    double load[1];
    return ::getloadavg(load, 1) == 1 ? load[0] : -1;
}

// Times `ferrix build [-d] -f file` after a first, untimed build; returns false if it failed.
bool measure(const char* bn, const std::string& what, const std::string& file,
             const std::string& cache) {
    header(bn, what);
    int runs = envInt("FERRIX_BENCH_RUNS", 5) * 3;
    auto& root = keptTempDir("ferrix-bench-noop-");
    auto run = [&](bool lowerOnly) {
        std::vector<std::string> argv = {ferrixBinary(), "--store", root.path(), "build"};
        if (lowerOnly) argv.push_back("-d");
        argv.push_back("-f");
        argv.push_back(file);
        return runTimed(argv, ferrixEnv(cache), root.path());
    };
    Proc first = run(false);
    if (first.status != 0) {
        skip(bn, "the first build failed (" + lines(first.err).back() + ")");
        return false;
    }
    std::vector<std::string> drvs = lines(run(true).out);
    std::vector<std::string> byDrv = {ferrixBinary(), "--store", root.path(), "build"};
    byDrv.insert(byDrv.end(), drvs.begin(), drvs.end());
    std::vector<double> tBuild, tLower, tDrv, cpuBuild, cpuDrv;
    double loadBefore = loadAverage();
    for (int i = 0; i < runs; i++) {
        double c0 = childCpu();
        Proc p = run(false);
        cpuBuild.push_back(childCpu() - c0);
        if (p.status != 0 || p.out != first.out) warning(bn, "a no-op run differed: " + p.err);
        if (p.err.find("building") != std::string::npos) warning(bn, "a no-op run built: " + p.err);
        tBuild.push_back(p.seconds);
        tLower.push_back(run(true).seconds);
        double c1 = childCpu();
        Proc d = runTimed(byDrv, ferrixEnv(cache), root.path());
        cpuDrv.push_back(childCpu() - c1);
        if (d.status != 0 || d.out != first.out) warning(bn, "build DRV differed: " + d.err);
        tDrv.push_back(d.seconds);
    }
    std::printf("first build %.1f ms; no-op: median of %d runs %.1f ms (best %.1f); "
                "build -d of the same file %.1f ms; build of the .drv itself (no lowering) "
                "%.1f ms (best %.1f)\n",
                first.seconds * 1e3, runs, median(tBuild) * 1e3, best(tBuild) * 1e3,
                median(tLower) * 1e3, median(tDrv) * 1e3, best(tDrv) * 1e3);
    std::printf("CPU time (user + system): no-op build median %.1f ms (best %.1f); build of the "
                ".drv itself median %.1f ms\n",
                median(cpuBuild) * 1e3, best(cpuBuild) * 1e3, median(cpuDrv) * 1e3);
    std::printf("load average (1 min): %.2f before the runs, %.2f after\n", loadBefore,
                loadAverage());
    goal(bn, median(tBuild) <= noopGoal,
         strf("no-op ferrix build %.1f ms (goal <= %.0f ms; lowering alone %.1f ms, "
              "`ferrix build DRV` %.1f ms; CPU time %.1f ms)",
              median(tBuild) * 1e3, noopGoal * 1e3, median(tLower) * 1e3, median(tDrv) * 1e3,
              median(cpuBuild) * 1e3));
    return true;
}

// The scheduler's own share of a no-op: open the store, find the outputs valid, return.
std::string microRoot, microDrv;

void prepareMicro() {
    microRoot = keptTempDir("ferrix-bench-noop-micro-").path();
    StoreConfig c;
    c.root = microRoot;
    LocalStore store(c);
    Derivation d;
    d.name = "micro";
    d.platform = "x86_64-linux";
    d.builder = "/bin/sh";
    d.args = {"-c", "echo > $out"};
    d.env = {{"name", "micro"}, {"builder", "/bin/sh"}, {"system", "x86_64-linux"}};
    d.outputs["out"] = {};
    DrvHashes hashes(memoryResolver(std::map<std::string, Derivation>{}));
    fillInputAddressedOutputs(d, store.storeDir(), hashes);
    microDrv = store.printStorePath(store.addText("micro.drv", unparse(store.storeDir(), d, false),
                                                  derivationReferences(store.storeDir(), d)));
    BuildOptions o;
    o.progressFd = -1;
    buildDerivations(store, {{microDrv, {}}}, o);
}

void BM_NoopBuildInProcess(benchmark::State& state) {
    BuildOptions o;
    o.progressFd = -1;
    for (auto _ : state) {
        StoreConfig c;
        c.root = microRoot;
        LocalStore store(c);
        benchmark::DoNotOptimize(buildDerivations(store, {{microDrv, {}}}, o));
    }
}
BENCHMARK(BM_NoopBuildInProcess)->Unit(benchmark::kMicrosecond)->UseRealTime();

} // namespace

int main(int argc, char** argv) {
    try {
        std::printf("ferrix: %s\n", ferrixBinary().c_str());
        auto& cache = keptTempDir("ferrix-bench-noop-cache-");
        auto& work = keptTempDir("ferrix-bench-noop-work-");
        std::string file = work / "noop.scm";
        writeFile(file, shFile, 0644);
        measure("noop-sh", "no-op `ferrix build -f FILE` of two built /bin/sh derivations", file,
                cache.path());
        std::string hello = sourceDir() + "/examples/hello.scm";
        if (sourceDir().empty() || !pathExists(hello))
            skip("noop-hello", "examples/hello.scm not found (set FERRIX_SOURCE_DIR)");
        else
            measure("noop-hello", "no-op `ferrix build -f examples/hello.scm`", hello,
                    cache.path());
        std::string wordfreq = sourceDir() + "/examples/wordfreq.scm";
        if (envOr("FERRIX_BENCH_NOOP_WORDFREQ", "1") == "0")
            skip("noop-wordfreq", "FERRIX_BENCH_NOOP_WORDFREQ=0");
        else if (sourceDir().empty() || !pathExists(wordfreq))
            skip("noop-wordfreq", "examples/wordfreq.scm not found (set FERRIX_SOURCE_DIR)");
        else
            measure("noop-wordfreq", "no-op `ferrix build -f examples/wordfreq.scm`", wordfreq,
                    cache.path());
        prepareMicro();
        runMicroBenchmarks(argc, argv);
        keptDirs.clear();
    } catch (std::exception& e) {
        std::fprintf(stderr, "bench-build-noop: %s\n", e.what());
        return 1;
    }
    return 0;
}
