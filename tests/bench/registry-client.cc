// The registry client's prefetch (many index files over concurrent transfers, what `ferrix
// refresh` does before its report) against fetching them one after the other, as a plain
// client does. 200 index files served by tests/lib/httpd.py with 10 ms of latency per answer
// (a nearby registry). Goal: prefetch >= 4x faster. Both sides read the same files and the
// bench checks that they found the same entries.
#include "../lib/httpd.hh"
#include "bench.hh"

#include "ferrix/cargo/index.hh"
#include "ferrix/cargo/registry.hh"

using namespace ferrix;
using namespace ferrix::bench;

namespace {

constexpr int nCrates = 200;
constexpr double goalRatio = 4.0;

void run() {
    const char* bn = "registry-prefetch";
    header(bn, strf("%d index files, 10 ms latency: prefetch vs one at a time", nCrates));
    auto& work = keptTempDir("ferrix-bench-registry-");
    std::string root = work / "www", state = work / "state";
    createDirs(root + "/index");
    createDirs(state);
    writeFile(root + "/index/config.json", R"({"dl":"http://127.0.0.1/dl"})", 0644);
    std::vector<std::string> names;
    for (int i = 0; i < nCrates; i++) {
        std::string name = strf("crate%03d", i);
        names.push_back(name);
        cargo::IndexEntry e;
        e.name = name;
        e.cksum = std::string(64, 'a');
        std::string text;
        for (int v = 0; v < 20; v++) {
            e.vers = strf("1.%d.0", v);
            text += cargo::writeIndexLine(e) + "\n";
        }
        std::string path = root + "/index/" + cargo::indexPath(name);
        createDirs(path.substr(0, path.rfind('/')));
        writeFile(path, text, 0644);
    }
    test::TestServer server(root, state, {"--latency", "10"});
    int runs = envInt("FERRIX_BENCH_RUNS", 3);
    std::vector<double> tSeq, tPar;
    size_t seqEntries = 0, parEntries = 0;
    for (int r = 0; r < runs; r++) {
        // Fresh registries (not Registry::open's shared ones): nothing cached.
        cargo::Registry seq("sparse+" + server.url + "/index/");
        seq.config();
        tSeq.push_back(timeIt([&] {
            seqEntries = 0;
            for (auto& n : names)
                seqEntries += seq.index(n)->size();
        }));
        cargo::Registry par("sparse+" + server.url + "/index/");
        par.config();
        tPar.push_back(timeIt([&] {
            par.prefetch(names);
            parEntries = 0;
            for (auto& n : names)
                parEntries += par.index(n)->size();
        }));
    }
    if (seqEntries != parEntries || seqEntries != size_t(nCrates) * 20)
        warning(bn, strf("entries: one at a time %zu, prefetch %zu, expected %d", seqEntries,
                         parEntries, nCrates * 20));
    double s = median(tSeq), p = median(tPar);
    std::printf("one at a time: median of %d runs %.0f ms\n", runs, s * 1e3);
    std::printf("prefetch:      median of %d runs %.0f ms\n", runs, p * 1e3);
    goal(bn, s / p >= goalRatio,
         strf("prefetch %.1fx faster than one at a time (goal >= %.0fx)", s / p, goalRatio));
}

} // namespace

int main() {
    try {
        run();
        keptDirs.clear();
    } catch (std::exception& e) {
        std::fprintf(stderr, "bench registry-client: %s\n", e.what());
        return 1;
    }
    return 0;
}
