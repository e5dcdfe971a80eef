// Fetching (issue 5, item 8): 300 crates fetched in parallel vs one at a time, from the same local
// server (tests/lib/httpd.py on 127.0.0.1), same files, a fresh store for every run.
//
// The 300 distinct .crate-like files come from Debian's unpacked crates under
// /usr/share/cargo/registry: each crate directory packed with tar and gzip -6 (119 files), the
// same trees with gzip -1 (119 more, other bytes, slightly bigger), and the src/ sub-tree of the
// largest crates with gzip -9 until there are 300. Each is a url-fetch origin; one Scheme file
// lists the 300.
//
//   parallel: `ferrix build -f origins.scm` (every download handed to the engine at once,
//             --max-downloads 16 by default)
//   serial:   the same with --max-downloads=1
//
// Both are measured with no added latency and with an emulated 20 ms round trip per request
// (httpd.py --latency 20), alternating sides, median of the runs. The lowering of the 300 origins
// (`ferrix build -d`, the same on both sides) is printed too, and the ratio of the fetch phase
// alone (the wall time minus lowering).
#include "ferrix/fetch.hh"
#include "../lib/httpd.hh"
#include "bench.hh"
#include "ferrix/hash.hh"

#include <condition_variable>
#include <mutex>

#include <dirent.h>

using namespace ferrix;
using namespace ferrix::bench;

namespace {

constexpr double goalRatio = 4.0;
constexpr size_t crates = 300;

std::string ferrixBinary() {
    return envOr("FERRIX", FERRIX_BINARY);
}

// Makes the 300 files in `dir` (kept between runs under the scratch base: packing takes a while).
std::vector<std::string> makeCrates(const std::string& dir) {
    std::string registry = "/usr/share/cargo/registry";
    std::string script = R"(
set -e
reg=$1 out=$2 want=$3
mkdir -p "$out"
cd "$reg"
pack() { # DIR LEVEL NAME
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - "$1" | gzip -n "-$2" >"$out/$3.tmp"
  mv "$out/$3.tmp" "$out/$3"
}
for c in */; do
  c=${c%/}
  [ -e "$out/$c.crate" ] || pack "$c" 6 "$c.crate"
  [ -e "$out/$c.l1.crate" ] || pack "$c" 1 "$c.l1.crate"
done
n=$(ls "$out" | grep -c '\.crate$')
for c in $(du -s */src 2>/dev/null | sort -rn | awk '{print $2}' | sed 's|/src$||'); do
  [ "$n" -ge "$want" ] && break
  [ -e "$out/$c.src.crate" ] || pack "$c/src" 9 "$c.src.crate"
  n=$((n + 1))
done
)";
    std::string scratch = keptTempDir("ferrix-bench-fetch-pack-").path();
    runChecked({"bash", "-c", script, "pack", registry, dir, std::to_string(crates)}, {}, scratch);
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw SysError("opening '" + dir + "'");
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.ends_with(".crate")) names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    if (names.size() > crates) names.resize(crates);
    return names;
}

struct Side {
    std::vector<double> seconds;
};

// The engine alone, in this process: every file into memory through one Downloader with
// `maxDownloads` transfers at once. Returns the wall time; the bytes must all arrive.
double engineRun(const std::string& url, const std::vector<std::string>& names,
                 unsigned maxDownloads, uint64_t expectBytes, const char* bn) {
    FetchOptions o;
    o.maxDownloads = maxDownloads;
    Downloader d(o);
    std::mutex m;
    std::condition_variable cv;
    size_t left = names.size();
    uint64_t bytes = 0;
    double t = timeIt([&] {
        for (auto& n : names) {
            DownloadRequest r;
            r.urls = {{url + "/" + n, ""}};
            d.enqueue(r, [&](DownloadResult res) {
                std::lock_guard lk(m);
                if (res.ok) bytes += res.data.size();
                left--;
                cv.notify_all();
            });
        }
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return left == 0; });
    });
    if (bytes != expectBytes)
        warning(bn, strf("engine: %llu bytes received, expected %llu", (unsigned long long)bytes,
                         (unsigned long long)expectBytes));
    return t;
}

} // namespace

int main(int argc, char** argv) {
    (void)argc;
    (void)argv;
    const char* bn = "fetch";
    try {
        if (!pathExists("/usr/share/cargo/registry")) {
            skip(bn, "no /usr/share/cargo/registry (Debian's librust-*-dev packages)");
            return 0;
        }
        std::string cacheDir = scratchBase + "/ferrix-bench-fetch-crates";
        auto names = makeCrates(cacheDir);
        if (names.size() < crates) {
            skip(bn, strf("only %zu distinct files could be made", names.size()));
            return 0;
        }
        uint64_t total = 0, smallest = UINT64_MAX, largest = 0;
        for (auto& n : names) {
            struct stat st = lstatPath(cacheDir + "/" + n);
            total += uint64_t(st.st_size);
            smallest = std::min<uint64_t>(smallest, uint64_t(st.st_size));
            largest = std::max<uint64_t>(largest, uint64_t(st.st_size));
        }
        std::printf("%zu files, %.1f MiB in all (%.1f KiB to %.1f KiB, mean %.1f KiB)\n",
                    names.size(), double(total) / (1 << 20), double(smallest) / 1024,
                    double(largest) / 1024, double(total) / double(names.size()) / 1024);

        auto& work = keptTempDir("ferrix-bench-fetch-work-");
        auto& cache = keptTempDir("ferrix-bench-fetch-guile-");
        std::map<std::string, std::string> env = {{"XDG_CACHE_HOME", cache.path()},
                                                  {"GUILE_AUTO_COMPILE", "0"},
                                                  {"FERRIX_CONFIG", "/dev/null"},
                                                  {"NO_PROXY", "127.0.0.1"},
                                                  {"no_proxy", "127.0.0.1"}};
        int runs = envInt("FERRIX_BENCH_RUNS", 3);
        struct Result {
            int latency;
            double serial, parallel, lower;
        };
        std::vector<Result> results;
        for (int latency : {0, 20}) {
            std::string state = work / ("httpd-" + std::to_string(latency));
            createDirs(state);
            test::TestServer server(cacheDir, state, {"--latency", std::to_string(latency)});
            std::string file = work / ("origins-" + std::to_string(latency) + ".scm");
            std::string scm = "(use-modules (ferrix store) (ferrix download) (ferrix base32))\n"
                              "(with-store store (list\n";
            for (auto& n : names) {
                Hash h = hashFile(HashAlgo::SHA256, cacheDir + "/" + n);
                scm += "  (url-fetch store \"" + server.url + "/" + n +
                       "\" 'sha256 (nix-base32-string->bytevector \"" + h.toNix32() + "\") \"" + n +
                       "\")\n";
            }
            scm += "))\n";
            writeFile(file, scm, 0644);
            header(bn, strf("%zu url-fetch origins, `ferrix build` with --max-downloads=1 vs "
                            "the default (16), server latency %d ms",
                            names.size(), latency));
            auto build = [&](bool serial, bool lowerOnly) {
                auto& store = keptTempDir("ferrix-bench-fetch-store-");
                std::vector<std::string> a = {ferrixBinary(), "--store", store.path(), "build"};
                if (lowerOnly) a.push_back("-d");
                if (serial) a.push_back("--max-downloads=1");
                a.push_back("-f");
                a.push_back(file);
                Proc p = runChecked(a, env, store.path());
                if (!lowerOnly) {
                    auto outs = lines(p.out);
                    if (outs.size() != names.size())
                        warning(bn, strf("%zu outputs, expected %zu", outs.size(), names.size()));
                    for (auto& o : outs)
                        if (!pathExists(store.path() + "/store/" + baseNameOf(o)))
                            warning(bn, "missing output " + o);
                }
                return p.seconds;
            };
            build(false, true); // compiles nothing, but warms the page cache for both sides
            Side s, par, low;
            for (int i = 0; i < runs; i++) {
                bool serialFirst = i % 2 == 0;
                double a = build(serialFirst, false), b = build(!serialFirst, false);
                s.seconds.push_back(serialFirst ? a : b);
                par.seconds.push_back(serialFirst ? b : a);
                low.seconds.push_back(build(false, true));
            }
            size_t requests = server.count(" 200 ");
            Result r{latency, median(s.seconds), median(par.seconds), median(low.seconds)};
            results.push_back(r);
            std::printf("latency %d ms: one at a time %.2f s, in parallel %.2f s (medians of %d; "
                        "lowering alone %.2f s); %zu requests served\n",
                        latency, r.serial, r.parallel, runs, r.lower, requests);
            double fetchRatio = (r.serial - r.lower) / std::max(r.parallel - r.lower, 1e-3);
            std::string what = strf(
                "%zu crates, latency %d ms: parallel %.2fx faster than one at a time "
                "(%.2f s vs %.2f s; fetch phase alone %.2fx)",
                names.size(), latency, r.serial / r.parallel, r.parallel, r.serial, fetchRatio);
            if (latency == 20)
                goal(bn, r.serial / r.parallel >= goalRatio, what + " goal >= 4x");
            else
                ratio(bn, what);
            // The engine alone (no store, no scheduler, no process start-up).
            std::vector<double> e1, e16;
            for (int i = 0; i < runs; i++) {
                e1.push_back(engineRun(server.url, names, 1, total, bn));
                e16.push_back(engineRun(server.url, names, 16, total, bn));
            }
            ratio(bn, strf("engine alone, latency %d ms: 16 at once %.2fx faster than one at a "
                           "time (%.2f s vs %.2f s, into memory)",
                           latency, median(e1) / median(e16), median(e16), median(e1)));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-fetch: %s\n", e.what());
        return 1;
    }
    return 0;
}
