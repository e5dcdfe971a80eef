// Writing 1,000 derivations of a generated graph into a fresh store: ferrix builds each
// Derivation, computes its outputs (fillInputAddressedOutputs with memoised DrvHashes) and writes
// the .drv with LocalStore::addText, against `nix-instantiate --store T expr.nix` on a Nix
// expression with the same structure. The expression is written so that Nix produces the very
// same .drv files (same store paths), which the bench checks. A second ferrix mode writes the
// whole graph with one LocalStore::addTexts call, as (ferrix derivations) is to.
#include "bench.hh"
#include "ferrix/derivation.hh"
#include "ferrix/store.hh"

#include <random>
#include <set>

using namespace ferrix;
using namespace ferrix::bench;

namespace {

const char* const benchName = "drv-write";
constexpr int nDrvs = 1000;
constexpr double goalVsNix = 2.0; // ferrix in at most half of nix-instantiate's time
const char* const system_ = "x86_64-linux";

struct Input {
    int node;
    bool dev; // its "dev" output rather than "out"
};
struct Node {
    bool dev; // outputs out and dev, else out alone
    std::vector<Input> inputs;
};

// A DAG: each node has 0-4 distinct inputs among the earlier ones; a third have a dev output.
// Fixed seed, so every run and both sides see the same graph.
std::vector<Node> makeGraph() {
    std::mt19937_64 rng(1000);
    std::vector<Node> g;
    for (int i = 0; i < nDrvs; i++) {
        Node n;
        n.dev = rng() % 3 == 0;
        size_t k = std::min<size_t>(size_t(i), rng() % 5);
        std::set<int> chosen;
        while (chosen.size() < k)
            chosen.insert(int(rng() % uint64_t(i)));
        for (int j : chosen)
            n.inputs.push_back({j, g[size_t(j)].dev && rng() % 2 == 0});
        g.push_back(std::move(n));
    }
    return g;
}

std::string nodeName(int i) {
    return "pkg-" + std::to_string(i);
}
std::string nodeVersion(int i) {
    return "1." + std::to_string(i % 10) + "." + std::to_string(i);
}
std::string nodeFlags(int i) {
    return "-O2 --jobs=" + std::to_string(i % 4 + 1);
}
std::string nodeScript(int i) {
    return "echo " + nodeName(i) + " > $out";
}

// The anchor: a let of `derivation { ... }`, each input interpolated into `deps` (which is how
// Nix records input derivations), and a list forcing them all.
std::string nixExpression(const std::vector<Node>& g) {
    std::string e = "let\n";
    for (int i = 0; i < nDrvs; i++) {
        auto& n = g[size_t(i)];
        std::string deps;
        for (auto& in : n.inputs)
            deps += (deps.empty() ? "" : " ") + std::string("${d") + std::to_string(in.node) +
                    (in.dev ? ".dev}" : "}");
        e += "  d" + std::to_string(i) + " = derivation { name = \"" + nodeName(i) +
             "\"; system = \"" + system_ + "\"; builder = \"/bin/sh\"; args = [ \"-c\" \"" +
             nodeScript(i) + "\" ]; outputs = [ " + (n.dev ? "\"out\" \"dev\"" : "\"out\"") +
             " ]; version = \"" + nodeVersion(i) + "\"; flags = \"" + nodeFlags(i) +
             "\"; deps = \"" + deps + "\"; };\n";
    }
    e += "in [";
    for (int i = 0; i < nDrvs; i++)
        e += " d" + std::to_string(i);
    return e + " ]\n";
}

// What ferrix's side produces, kept for the checks and the micro-benchmarks.
struct Written {
    std::vector<std::string> drvPaths;
    std::vector<Derivation> drvs;
};

// Everything the anchor does after parsing: build each derivation, compute its outputs and write
// it with addText. Without a store only the .drv paths are computed, which is what
// `nix-instantiate --readonly-mode` does. With `batch`, the paths are computed as they go and
// the whole graph is written at the end with one addTexts.
Written buildGraph(const StoreDir& sd, LocalStore* store, const std::vector<Node>& g,
                   bool batch = false) {
    DrvHashes hashes([](const std::string& p) -> Derivation {
        throw InvalidPath("derivation '" + p + "' was not written by this run");
    });
    Written w;
    w.drvPaths.reserve(g.size());
    w.drvs.reserve(g.size());
    std::vector<TextItem> items;
    for (int i = 0; i < int(g.size()); i++) {
        auto& n = g[size_t(i)];
        Derivation d;
        d.name = nodeName(i);
        d.platform = system_;
        d.builder = "/bin/sh";
        d.args = {"-c", nodeScript(i)};
        d.outputs["out"];
        if (n.dev) d.outputs["dev"];
        std::string deps;
        for (auto& in : n.inputs) {
            auto& dep = w.drvs[size_t(in.node)];
            const char* o = in.dev ? "dev" : "out";
            d.inputDrvs[sd.parse(w.drvPaths[size_t(in.node)])].insert(o);
            deps += (deps.empty() ? "" : " ") + sd.print(*dep.outputs.at(o).path);
        }
        d.env = {{"name", d.name},
                 {"system", system_},
                 {"builder", d.builder},
                 {"outputs", n.dev ? "out dev" : "out"},
                 {"version", nodeVersion(i)},
                 {"flags", nodeFlags(i)},
                 {"deps", deps}};
        fillInputAddressedOutputs(d, sd, hashes);
        if (store && batch) {
            TextItem t{d.name + ".drv", unparse(sd, d, false), derivationReferences(sd, d)};
            w.drvPaths.push_back(sd.print(
                sd.makeTextPath(t.name, hashString(HashAlgo::SHA256, t.contents), t.references)));
            items.push_back(std::move(t));
        } else if (store) {
            w.drvPaths.push_back(store->printStorePath(store->addText(
                d.name + ".drv", unparse(sd, d, false), derivationReferences(sd, d))));
        } else {
            w.drvPaths.push_back(drvPathOf(sd, d));
        }
        hashes.add(w.drvPaths.back(), d);
        w.drvs.push_back(std::move(d));
    }
    if (store && batch) {
        auto paths = store->addTexts(items);
        for (size_t i = 0; i < paths.size(); i++)
            if (store->printStorePath(paths[i]) != w.drvPaths[i])
                throw Error("addTexts wrote " + store->printStorePath(paths[i]) + ", expected " +
                            w.drvPaths[i]);
    }
    return w;
}

StoreConfig nixLikeStore(const std::string& root) {
    StoreConfig c;
    c.root = root;
    c.storeDir = "/nix/store";
    return c;
}

Written ferrixRun(const std::vector<Node>& g, double& seconds, bool batch = false) {
    auto& root = keptTempDir("ferrix-bench-drv-");
    Written w;
    seconds = timeIt([&] {
        LocalStore store(nixLikeStore(root.path()));
        w = buildGraph(store.storeDir(), &store, g, batch);
    });
    return w;
}

std::vector<Node> graph;
Written written;

// One comparison, with every store in `scratchBase` (labelled `fs`).
void headline(const std::string& fs) {
    std::string name = std::string(benchName) + " [" + fs + "]";
    const char* bn = name.c_str();
    graph = makeGraph();
    size_t edges = 0, devs = 0;
    for (auto& n : graph) {
        edges += n.inputs.size();
        devs += n.dev;
    }
    header(bn, strf("%d derivations, %zu input edges, %zu with two outputs", nDrvs, edges, devs));
    std::string nixInstantiate = findProgram("nix-instantiate");
    if (nixInstantiate.empty()) return skip(bn, "nix-instantiate is not on PATH");
    int runs = envInt("FERRIX_BENCH_RUNS", 5);

    auto& work = keptTempDir("ferrix-bench-expr-");
    std::string expr = work / "graph.nix";
    writeFile(expr, nixExpression(graph), 0644);

    auto nixRun = [&](std::vector<std::string>& paths) {
        auto& root = keptTempDir("ferrix-bench-nix-");
        Proc p = runChecked({nixInstantiate, "--store", root.path(), expr}, nixEnv(root.path()),
                            root.path());
        paths = lines(p.out);
        return p.seconds;
    };

    // Untimed first round: warms up, and checks that both sides wrote the same .drv files.
    double t;
    written = ferrixRun(graph, t);
    if (ferrixRun(graph, t, true).drvPaths != written.drvPaths)
        warning(bn, "addTexts and addText wrote different .drv paths");
    std::vector<std::string> theirs;
    nixRun(theirs);
    if (theirs != written.drvPaths) {
        size_t same = 0;
        for (size_t i = 0; i < std::min(theirs.size(), written.drvPaths.size()); i++)
            same += theirs[i] == written.drvPaths[i];
        warning(bn, strf("the .drv paths differ: %zu of %zu agree (first: ferrix %s, nix %s)", same,
                         theirs.size(), written.drvPaths.front().c_str(),
                         theirs.empty() ? "none" : theirs.front().c_str()));
    }

    // Where the time goes: the same work without writing anything (ferrix without a store,
    // nix-instantiate --readonly-mode), measured alongside.
    StoreDir nixStoreDir("/nix/store");
    auto nixReadOnly = [&] {
        auto& root = keptTempDir("ferrix-bench-nix-");
        return runChecked({nixInstantiate, "--readonly-mode", "--store", root.path(), expr},
                          nixEnv(root.path()), root.path())
            .seconds;
    };

    std::vector<double> tFerrix, tNix, tFerrixRo, tNixRo, tBatch;
    for (int i = 0; i < runs; i++) {
        std::vector<std::string> ignored;
        ferrixRun(graph, t);
        tFerrix.push_back(t);
        ferrixRun(graph, t, true);
        tBatch.push_back(t);
        tNix.push_back(nixRun(ignored));
        tFerrixRo.push_back(timeIt([&] { buildGraph(nixStoreDir, nullptr, graph); }));
        tNixRo.push_back(nixReadOnly());
    }
    double f = median(tFerrix), n = median(tNix);
    std::printf("median of %d runs (best): ferrix %.1f ms (%.1f), nix-instantiate %.1f ms "
                "(%.1f)\n",
                runs, f * 1e3, best(tFerrix) * 1e3, n * 1e3, best(tNix) * 1e3);
    std::printf("without writing the store (median): ferrix %.1f ms, nix-instantiate "
                "--readonly-mode %.1f ms; so writing 1000 .drv files costs ferrix about %.0f ms, "
                "nix about %.0f ms\n",
                median(tFerrixRo) * 1e3, median(tNixRo) * 1e3, (f - median(tFerrixRo)) * 1e3,
                (n - median(tNixRo)) * 1e3);
    std::printf("%s: ferrix %.0f us/drv, nix-instantiate %.0f us/drv -> ferrix takes %.2f of "
                "nix-instantiate's time, %.1fx faster (goal >= %.0fx, i.e. <= half)\n",
                bn, f * 1e6 / nDrvs, n * 1e6 / nDrvs, f / n, n / f, goalVsNix);
    goal(bn, n / f >= goalVsNix,
         strf("nix-instantiate/ferrix %.1fx, ferrix at %.2f of nix's time (goal <= 0.50)", n / f,
              f / n));
    // The goal is judged on addText, one transaction per .drv like Nix; the batch is reported.
    double b = median(tBatch);
    std::printf("the whole graph with one addTexts: median %.1f ms (best %.1f), %.0f us/drv\n",
                b * 1e3, best(tBatch) * 1e3, b * 1e6 / nDrvs);
    ratio(bn, strf("batched (addTexts) ferrix at %.2f of nix-instantiate's time, %.1fx faster",
                   b / n, n / b));
}

// --- Break-down of one derivation (the last, with its inputs' hashes already known): computing
// its outputs, printing its ATerm, and writing it to a store that holds its inputs.

const Derivation& last() {
    return written.drvs.back();
}

DrvHashes hashesOfInputs() {
    DrvHashes h(memoryResolver(std::map<std::string, Derivation>()));
    for (size_t i = 0; i + 1 < written.drvs.size(); i++)
        h.add(written.drvPaths[i], written.drvs[i]);
    return h;
}

void BM_FillOutputs(benchmark::State& state) {
    DrvHashes h = hashesOfInputs();
    StoreDir sd("/nix/store");
    for (auto _ : state) {
        Derivation d = last();
        fillInputAddressedOutputs(d, sd, h);
        benchmark::DoNotOptimize(d);
    }
}

void BM_Unparse(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(unparse(StoreDir("/nix/store"), last(), false));
}

void BM_AddTextDrv(benchmark::State& state) {
    TempDir root("ferrix-bench-micro-");
    LocalStore store(nixLikeStore(root.path()));
    buildGraph(store.storeDir(), &store, graph);
    std::string text = unparse(store.storeDir(), last(), false);
    StorePathSet refs = derivationReferences(store.storeDir(), last());
    uint64_t counter = 0;
    for (auto _ : state) // a distinct text each time, so every add writes
        benchmark::DoNotOptimize(
            store.addText("micro.drv", text + std::to_string(counter++), refs));
}

// The whole graph into a fresh store with one addTexts (items/s: derivations per second).
void BM_AddTextsGraph(benchmark::State& state) {
    std::vector<TextItem> items;
    StoreDir sd("/nix/store");
    for (auto& d : written.drvs)
        items.push_back({d.name + ".drv", unparse(sd, d, false), derivationReferences(sd, d)});
    for (auto _ : state) {
        state.PauseTiming();
        auto root = std::make_unique<TempDir>("ferrix-bench-micro-");
        auto store = std::make_unique<LocalStore>(nixLikeStore(root->path()));
        state.ResumeTiming();
        benchmark::DoNotOptimize(store->addTexts(items));
        state.PauseTiming();
        store.reset();
        root.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(int64_t(state.iterations() * items.size()));
}

BENCHMARK(BM_FillOutputs)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Unparse)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AddTextDrv)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_AddTextsGraph)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

int main(int argc, char** argv) {
    try {
        if (headlineWanted())
            for (auto& [dir, fs] : scratchFilesystems()) {
                scratchBase = dir;
                headline(fs);
            }
        scratchBase = defaultScratchBase();
        if (graph.empty()) graph = makeGraph();
        if (written.drvs.empty()) written = buildGraph(StoreDir("/nix/store"), nullptr, graph);
        runMicroBenchmarks(argc, argv);
        keptDirs.clear();
    } catch (std::exception& e) {
        std::fprintf(stderr, "bench %s: %s\n", benchName, e.what());
        return 1;
    }
    return 0;
}
