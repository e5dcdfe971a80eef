// NAR hashing of a large tree (Debian's unpacked crate registry): ferrix's in-process hashPath
// against `nix-hash --type sha256 DIR` in a subprocess, and against plain OpenSSL sha256 over the
// same NAR bytes already in memory, which is the ceiling for any NAR hasher on this machine.
#include "bench.hh"
#include "ferrix/hash.hh"
#include "ferrix/nar.hh"

#include <openssl/evp.h>

using namespace ferrix;
using namespace ferrix::bench;

namespace {

const char* const benchName = "nar-hash";
constexpr double goalVsNix = 5.0, goalVsRaw = 0.60;

std::string treeDir() {
    return envOr("FERRIX_BENCH_NAR_DIR", "/usr/share/cargo/registry");
}

// The NAR of the tree, kept for the raw anchor and the micro-benchmarks.
std::string narBytes;

std::string rawSha256(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr))
        throw Error("EVP_Digest failed");
    return base16Encode(std::string_view(reinterpret_cast<char*>(md), len));
}

struct CountFiles : NarVisitor {
    size_t files = 0, dirs = 0, links = 0;
    void createDirectory(const std::string&) override { dirs++; }
    void createRegularFile(const std::string&, bool, uint64_t) override { files++; }
    void receiveContents(std::string_view) override {}
    void closeRegularFile() override {}
    void createSymlink(const std::string&, const std::string&) override { links++; }
};

void headline() {
    std::string dir = treeDir();
    header(benchName, "sha256 of the NAR of " + dir);
    if (!pathExists(dir))
        return skip(benchName, dir + " does not exist (install some librust-*-dev packages)");
    std::string nixHash = findProgram("nix-hash");
    if (nixHash.empty()) return skip(benchName, "nix-hash is not on PATH");
    int runs = envInt("FERRIX_BENCH_RUNS", 7);
    TempDir scratch("ferrix-bench-nar-");
    auto env = nixEnv(scratch.path());
    std::vector<std::string> nixArgv = {nixHash, "--type", "sha256", dir};

    // One untimed run of each warms the page cache (and checks that all three agree).
    StringSink nar;
    dumpPath(dir, nar);
    narBytes = std::move(nar.s);
    NarHash ours = hashPath(HashAlgo::SHA256, dir);
    std::string theirs = runChecked(nixArgv, env, scratch.path()).out;
    while (!theirs.empty() && theirs.back() == '\n')
        theirs.pop_back();
    std::string raw = rawSha256(narBytes);
    if (ours.hash.toBase16() != theirs || raw != theirs || ours.size != narBytes.size())
        warning(benchName, "hashes differ: ferrix " + ours.hash.toBase16() + " (" +
                               std::to_string(ours.size) + " bytes), nix-hash " + theirs +
                               ", raw sha256 of the dumped NAR " + raw + " (" +
                               std::to_string(narBytes.size()) + " bytes)");
    CountFiles count;
    StringSource src(narBytes);
    parseNar(src, count);

    // Interleaved, so that a burst of load from elsewhere hits all three alike.
    std::vector<double> tFerrix, tNix, tRaw;
    for (int i = 0; i < runs; i++) {
        tFerrix.push_back(
            timeIt([&] { benchmark::DoNotOptimize(hashPath(HashAlgo::SHA256, dir)); }));
        tNix.push_back(runChecked(nixArgv, env, scratch.path()).seconds);
        tRaw.push_back(timeIt([&] { benchmark::DoNotOptimize(rawSha256(narBytes)); }));
    }

    double mb = double(ours.size) / 1e6;
    double f = mb / median(tFerrix), n = mb / median(tNix), r = mb / median(tRaw);
    std::printf("tree: %s, %zu files, %zu directories, %zu symlinks; NAR %llu bytes\n", dir.c_str(),
                count.files, count.dirs, count.links, (unsigned long long)ours.size);
    std::printf("median of %d runs (best): ferrix hashPath %.1f ms (%.1f), nix-hash %.1f ms "
                "(%.1f), raw EVP sha256 %.1f ms (%.1f)\n",
                runs, median(tFerrix) * 1e3, best(tFerrix) * 1e3, median(tNix) * 1e3,
                best(tNix) * 1e3, median(tRaw) * 1e3, best(tRaw) * 1e3);
    std::printf("%s: ferrix %.0f MB/s, nix-hash %.0f MB/s, raw sha256 %.0f MB/s over %.0f MB -> "
                "%.1fx nix-hash (goal >= %.0fx), %.2f of raw (goal >= %.2f)\n",
                benchName, f, n, r, mb, f / n, goalVsNix, f / r, goalVsRaw);
    // No NAR hasher can beat hashing the NAR from memory: this bounds the first ratio.
    std::printf("ceiling: raw sha256 is %.1fx nix-hash here\n", r / n);
    goal(benchName, f / n >= goalVsNix,
         strf("ferrix/nix-hash %.1fx (goal >= %.0fx)", f / n, goalVsNix));
    goal(benchName, f / r >= goalVsRaw,
         strf("ferrix/raw sha256 %.2f (goal >= %.2f)", f / r, goalVsRaw));
}

// --- Break-down: walking and reading alone, hashing alone, and both together.

void BM_DumpToNullSink(benchmark::State& state) {
    std::string dir = treeDir();
    for (auto _ : state) {
        NullSink sink;
        dumpPath(dir, sink);
        benchmark::DoNotOptimize(sink.written);
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(narBytes.size()));
}

void BM_HashSinkInMemory(benchmark::State& state) {
    // The chunk size dumpPath hands its sink.
    const size_t chunk = 256 * 1024;
    for (auto _ : state) {
        HashSink h(HashAlgo::SHA256);
        for (size_t off = 0; off < narBytes.size(); off += chunk)
            h(std::string_view(narBytes).substr(off, chunk));
        benchmark::DoNotOptimize(h.finish());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(narBytes.size()));
}

void BM_HashPath(benchmark::State& state) {
    std::string dir = treeDir();
    for (auto _ : state)
        benchmark::DoNotOptimize(hashPath(HashAlgo::SHA256, dir));
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(narBytes.size()));
}

BENCHMARK(BM_DumpToNullSink)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HashSinkInMemory)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HashPath)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

int main(int argc, char** argv) {
    try {
        if (headlineWanted()) headline();
        if (narBytes.empty() && pathExists(treeDir())) {
            StringSink nar;
            dumpPath(treeDir(), nar);
            narBytes = std::move(nar.s);
        }
        if (!narBytes.empty()) runMicroBenchmarks(argc, argv);
    } catch (std::exception& e) {
        std::fprintf(stderr, "bench %s: %s\n", benchName, e.what());
        return 1;
    }
    return 0;
}
