// Adding 1,000 small distinct files to a fresh store: LocalStore::addPath in process, and the
// `ferrix store add` command (one process, like the anchor), against
// `nix-store --store T --add f1 ... f1000` into a fresh chroot store. Every run starts from an
// empty store, and creating it is part of the time on every side.
#include "bench.hh"
#include "ferrix/store.hh"

#include <random>

using namespace ferrix;
using namespace ferrix::bench;

namespace {

const char* const benchName = "store-add";
constexpr int nItems = 1000;

// Distinct small text files, 16 to 1,040 bytes, the same every run (fixed seed).
std::vector<std::string> makeFiles(const std::string& dir, uint64_t& totalBytes) {
    std::mt19937_64 rng(20240601);
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 \n";
    std::vector<std::string> names;
    totalBytes = 0;
    for (int i = 1; i <= nItems; i++) {
        std::string text = "item " + std::to_string(i) + "\n";
        size_t len = 16 + rng() % 1024;
        while (text.size() < len)
            text.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
        names.push_back("f" + std::to_string(i));
        writeFile(dir + "/" + names.back(), text, 0644);
        totalBytes += text.size();
    }
    return names;
}

StoreConfig nixLikeStore(const std::string& root) {
    StoreConfig c;
    c.root = root;
    c.storeDir = "/nix/store"; // same paths as the Nix anchor, so the results can be compared
    return c;
}

std::vector<std::string> ferrixInProcess(const std::string& src,
                                         const std::vector<std::string>& names, double& seconds) {
    auto& root = keptTempDir("ferrix-bench-store-");
    std::vector<std::string> paths;
    seconds = timeIt([&] {
        LocalStore store(nixLikeStore(root.path()));
        for (auto& n : names)
            paths.push_back(store.printStorePath(store.addPath(src + "/" + n, n)));
    });
    return paths;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// One comparison, with the sources and every store in `scratchBase` (labelled `fs`).
void headline(const std::string& fs) {
    std::string name = std::string(benchName) + " [" + fs + "]";
    const char* bn = name.c_str();
    header(bn, std::to_string(nItems) + " small files into a fresh store");
    std::string nixStore = findProgram("nix-store");
    if (nixStore.empty()) return skip(bn, "nix-store is not on PATH");
    std::string ferrixCli = envOr("FERRIX", FERRIX_BINARY);
    int runs = envInt("FERRIX_BENCH_RUNS", 5);

    auto& src = keptTempDir("ferrix-bench-src-");
    uint64_t totalBytes;
    auto names = makeFiles(src.path(), totalBytes);
    std::vector<std::string> files;
    for (auto& n : names)
        files.push_back(src / n);

    auto nixRun = [&](std::vector<std::string>& paths) {
        auto& root = keptTempDir("ferrix-bench-nix-");
        std::vector<std::string> argv = {nixStore, "--store", root.path(), "--add"};
        argv.insert(argv.end(), files.begin(), files.end());
        Proc p = runChecked(argv, nixEnv(root.path()), root.path());
        paths = lines(p.out);
        return p.seconds;
    };
    auto cliRun = [&](std::vector<std::string>& paths) {
        auto& root = keptTempDir("ferrix-bench-cli-");
        std::vector<std::string> argv = {ferrixCli, "store", "add", "--store=" + root.path(),
                                         "--store-dir=/nix/store"};
        argv.insert(argv.end(), files.begin(), files.end());
        Proc p = runChecked(argv, {}, root.path());
        paths = lines(p.out);
        return p.seconds;
    };

    // Untimed first round: warms binaries and the source files, and checks all three agree.
    double t;
    std::vector<std::string> ours = ferrixInProcess(src.path(), names, t), cli, theirs;
    cliRun(cli);
    nixRun(theirs);
    if (sorted(ours) != sorted(theirs) || sorted(cli) != sorted(theirs))
        warning(bn, strf("store paths differ: ferrix gave %zu, the CLI %zu, nix-store %zu",
                         ours.size(), cli.size(), theirs.size()));

    std::vector<double> tLib, tCli, tNix;
    for (int i = 0; i < runs; i++) {
        std::vector<std::string> ignored;
        ferrixInProcess(src.path(), names, t);
        tLib.push_back(t);
        tCli.push_back(cliRun(ignored));
        tNix.push_back(nixRun(ignored));
    }
    double lib = median(tLib), cmd = median(tCli), nix = median(tNix);
    std::printf("%d files, %llu bytes in all; median of %d runs (best): LocalStore::addPath "
                "%.1f ms (%.1f), ferrix store add %.1f ms (%.1f), nix-store --add %.1f ms "
                "(%.1f)\n",
                nItems, (unsigned long long)totalBytes, runs, lib * 1e3, best(tLib) * 1e3,
                cmd * 1e3, best(tCli) * 1e3, nix * 1e3, best(tNix) * 1e3);
    std::printf("%s: ferrix %.0f us/item in process, %.0f us/item as a command; nix-store %.0f "
                "us/item -> %.1fx nix-store in process, %.1fx as a command (no goal set)\n",
                bn, lib * 1e6 / nItems, cmd * 1e6 / nItems, nix * 1e6 / nItems, nix / lib,
                nix / cmd);
    ratio(bn, strf("nix-store/ferrix %.1fx in process (%.0f vs %.0f us/item), %.1fx as a "
                   "command",
                   nix / lib, lib * 1e6 / nItems, nix * 1e6 / nItems, nix / cmd));
}

// --- Break-down: one add into a store that already holds many, and opening a fresh store.

struct MicroStore {
    TempDir root{"ferrix-bench-micro-"};
    TempDir src{"ferrix-bench-micro-src-"};
    LocalStore store{nixLikeStore(root.path())};
    uint64_t counter = 0;
    std::string nextText() { return "micro item " + std::to_string(counter++) + "\n"; }
};

void BM_AddPathSmallFile(benchmark::State& state) {
    MicroStore m;
    std::string file = m.src / "item";
    for (auto _ : state) {
        state.PauseTiming();
        ::unlink(file.c_str());
        writeFile(file, m.nextText(), 0644);
        state.ResumeTiming();
        benchmark::DoNotOptimize(m.store.addPath(file, "item"));
    }
}

void BM_AddTextSmall(benchmark::State& state) {
    MicroStore m;
    for (auto _ : state)
        benchmark::DoNotOptimize(m.store.addText("item", m.nextText(), {}));
}

void BM_AddTextAlreadyValid(benchmark::State& state) {
    MicroStore m;
    std::string text = m.nextText();
    m.store.addText("item", text, {});
    for (auto _ : state)
        benchmark::DoNotOptimize(m.store.addText("item", text, {}));
}

void BM_OpenFreshStore(benchmark::State& state) {
    // Removed after the loop (the timer has stopped by then), so deleting them is not timed.
    std::vector<std::unique_ptr<TempDir>> roots;
    for (auto _ : state) {
        state.PauseTiming();
        roots.push_back(std::make_unique<TempDir>("ferrix-bench-open-"));
        state.ResumeTiming();
        LocalStore store(nixLikeStore(roots.back()->path()));
        benchmark::DoNotOptimize(&store);
    }
}

BENCHMARK(BM_AddPathSmallFile)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_AddTextSmall)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_AddTextAlreadyValid)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_OpenFreshStore)->Unit(benchmark::kMicrosecond)->UseRealTime();

} // namespace

int main(int argc, char** argv) {
    try {
        if (headlineWanted())
            for (auto& [dir, fs] : scratchFilesystems()) {
                scratchBase = dir;
                headline(fs);
            }
        scratchBase = defaultScratchBase();
        runMicroBenchmarks(argc, argv);
        keptDirs.clear();
    } catch (std::exception& e) {
        std::fprintf(stderr, "bench %s: %s\n", benchName, e.what());
        return 1;
    }
    return 0;
}
