// The scheduler and the build of one derivation. See build.hh and doc/build.md.
//
// One build, in order:
//   1. take the PathLock of every output (sorted, so two processes cannot deadlock); if another
//      process holds one, say so and wait; then look again: if the outputs became valid meanwhile
//      there is nothing to do;
//   2. a fresh directory ROOT/var/ferrix/builds/NAME-XXXXXX holding build/ (the builder's
//      working and temporary directory) and, with a mount namespace, store/ (the scratch store
//      directory: the input closure bind-mounted read-only, the outputs written there);
//   3. run the builder (process.hh) with the log going to ROOT/var/log/ferrix/drvs/XX/REST.log;
//   4. on success every output must exist (and a fixed output must have its hash), then all the
//      outputs are registered in one transaction (LocalStore::registerOutputs) and the
//      derivation's output mapping recorded; on failure the outputs are deleted, the log is kept
//      and the build directory removed (kept with -K).
#include "ferrix/build.hh"

#include "ferrix/config.hh"
#include "ferrix/derivation.hh"
#include "ferrix/fetch.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"
#include "ferrix/lock.hh"
#include "ferrix/nar.hh"
#include "ferrix/process.hh"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace ferrix {

namespace {

using Clock = std::chrono::steady_clock;

// A fresh directory under ROOT/var/ferrix/builds, where builds and downloads work, flock'ed
// through a close-on-exec descriptor for as long as this object lives: `ferrix store gc` removes
// the unlocked ones, i.e. those of processes that died (store-gc.cc), unless marked as kept (-K).
struct WorkDirectory {
    std::string path;
    AutoCloseFD lock;

    WorkDirectory() = default;
    WorkDirectory(LocalStore& store, const std::string& prefix) {
        std::string builds = store.root() + "/var/ferrix/builds";
        createDirs(builds);
        path = makeTempDir(builds, prefix);
        lock = AutoCloseFD(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!lock || !lockFd(lock.get(), LockMode::Exclusive, false))
            throw SysError("locking '" + path + "'");
    }
};

void writeAll(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; // progress output is best effort
        s.remove_prefix(size_t(n));
    }
}

std::string humanSize(uint64_t n) {
    char buf[32];
    if (n < 1024)
        std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)n);
    else if (n < 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", double(n) / 1024);
    else if (n < 1024ull * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f MiB", double(n) / (1024 * 1024));
    else
        std::snprintf(buf, sizeof buf, "%.2f GiB", double(n) / (1024.0 * 1024 * 1024));
    return buf;
}

// A delay for people: "0.05 s", "1.2 s".
std::string secondsText(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, s < 1 ? "%.2f s" : "%.1f s", s);
    return buf;
}

// The user's view of the builds: plain lines, or on a terminal the same lines with a live block
// kept below them: one line per running build (name, phase, elapsed seconds), a bar per file
// being downloaded and a total of the downloads (files done out of all, bytes).
class Progress {
public:
    explicit Progress(int fd) : fd(fd) {
        const char* term = std::getenv("TERM");
        tty = ::isatty(fd) && !(term && std::strcmp(term, "dumb") == 0);
        if (tty) ticker = std::thread([this] { tick(); });
    }
    ~Progress() {
        {
            std::lock_guard lk(m);
            stopping = true;
            clearBlock();
        }
        cv.notify_all();
        if (ticker.joinable()) ticker.join();
    }
    void message(const std::string& line) {
        std::lock_guard lk(m);
        clearBlock();
        writeAll(fd, line + "\n");
        drawBlock();
    }
    void started(const std::string& key, const std::string& name, const std::string& line,
                 bool download = false) {
        std::lock_guard lk(m);
        clearBlock();
        if (!line.empty()) writeAll(fd, line + "\n");
        running[key] = Running{name, "", Clock::now(), download};
        drawBlock();
    }
    // How many downloads this run has in all (for the total line).
    void expectDownloads(size_t n) {
        std::lock_guard lk(m);
        downloadsTotal = n;
    }
    void downloadProgress(const std::string& key, uint64_t got, uint64_t total) {
        std::lock_guard lk(m);
        auto it = running.find(key);
        if (it == running.end()) return;
        it->second.got = got;
        it->second.total = total;
        // Bars move a few times a second, not only at the ticker's second.
        auto now = Clock::now();
        if (tty && now - lastDraw >= std::chrono::milliseconds(250)) {
            clearBlock();
            drawBlock();
        }
    }
    void downloadFinished(uint64_t size) {
        std::lock_guard lk(m);
        downloadsDone++;
        bytesDone += size;
    }
    void phase(const std::string& key, const std::string& phase) {
        std::lock_guard lk(m);
        auto it = running.find(key);
        if (it == running.end()) return;
        it->second.phase = phase;
        if (tty) {
            clearBlock();
            drawBlock();
        }
    }
    void finished(const std::string& key, const std::string& line) {
        std::lock_guard lk(m);
        clearBlock();
        running.erase(key);
        if (!line.empty()) writeAll(fd, line + "\n");
        drawBlock();
    }

private:
    struct Running {
        std::string name, phase;
        Clock::time_point start;
        bool download = false;
        uint64_t got = 0, total = 0;
    };
    void clearBlock() {
        if (!tty) return;
        std::string s;
        for (size_t i = 0; i < shown; i++)
            s += "\033[1A\033[2K";
        writeAll(fd, s);
        shown = 0;
    }
    void drawBlock() {
        if (!tty || stopping) return;
        std::string s;
        auto now = Clock::now();
        size_t lines = 0, downloading = 0;
        uint64_t bytes = bytesDone;
        for (auto& [key, r] : running) {
            if (r.download) {
                downloading++;
                bytes += r.got;
                if (downloading > maxBars) continue;
                s += "  " + progressBar(r.got, r.total) + " " + r.name + "\n";
                lines++;
                continue;
            }
            auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - r.start).count();
            s += "  [" + std::to_string(secs) + "s] " + r.name;
            if (!r.phase.empty()) s += " (" + r.phase + ")";
            s += "\n";
            lines++;
        }
        if (downloading > maxBars) {
            s += "  ... and " + std::to_string(downloading - maxBars) + " more downloading\n";
            lines++;
        }
        if (downloadsTotal > 0 && (downloading > 0 || downloadsDone < downloadsTotal)) {
            s += "  downloads: " + std::to_string(downloadsDone) + "/" +
                 std::to_string(downloadsTotal) + " files, " + humanSize(bytes) + "\n";
            lines++;
        }
        writeAll(fd, s);
        shown = lines;
        lastDraw = now;
    }
    void tick() {
        std::unique_lock lk(m);
        while (!stopping) {
            cv.wait_for(lk, std::chrono::seconds(1));
            if (stopping) break;
            if (!running.empty()) {
                clearBlock();
                drawBlock();
            }
        }
    }

    static constexpr size_t maxBars = 10;
    static std::string progressBar(uint64_t got, uint64_t total) {
        constexpr int width = 20;
        std::string bar = "[";
        int filled = total ? int(double(got) / double(total) * width) : 0;
        for (int i = 0; i < width; i++)
            bar += i < filled ? '#' : (total ? '.' : ' ');
        bar += "] ";
        if (total) {
            char pct[8];
            std::snprintf(pct, sizeof pct, "%3d%%", int(double(got) * 100 / double(total)));
            bar += std::string(pct) + " " + humanSize(got) + "/" + humanSize(total);
        } else {
            bar += humanSize(got);
        }
        return bar;
    }

    int fd;
    bool tty = false;
    size_t downloadsTotal = 0, downloadsDone = 0;
    uint64_t bytesDone = 0;
    Clock::time_point lastDraw;
    std::mutex m;
    std::condition_variable cv;
    bool stopping = false;
    std::map<std::string, Running> running;
    size_t shown = 0;
    std::thread ticker;
};

struct Node {
    StorePath drvPath;
    std::string drvPathStr;
    Derivation drv;
    bool check = false;
    bool download = false; // builtin:download: no build slot, the download engine
    std::string doneLine;  // what to print when it succeeded, if not "built ..."
    std::vector<Node*> dependents;
    size_t pendingDeps = 0;
    explicit Node(StorePath p) : drvPath(std::move(p)) {}
};

std::string lastLines(const std::string& path, unsigned n) {
    AutoCloseFD fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return "";
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return "";
    off_t from = std::max<off_t>(0, st.st_size - 65536);
    std::string data(size_t(st.st_size - from), '\0');
    ssize_t got = ::pread(fd.get(), data.data(), data.size(), from);
    if (got < 0) return "";
    data.resize(size_t(got));
    if (!data.empty() && data.back() == '\n') data.pop_back();
    // The start of the n-th line from the end.
    size_t start = data.size();
    for (unsigned i = 0; i < n && start > 0; i++) {
        size_t nl = data.rfind('\n', start - 1);
        start = nl == std::string::npos ? 0 : nl;
        if (nl == std::string::npos) break;
    }
    if (start < data.size() && data[start] == '\n') start++;
    return data.substr(start);
}

std::vector<std::string> listNames(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return names;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

// Files that differ between two trees, relative to their tops ("" is the top itself).
void diffTrees(const std::string& a, const std::string& b, const std::string& rel,
               std::vector<std::string>& out) {
    struct stat sa, sb;
    bool ha = ::lstat(a.c_str(), &sa) == 0, hb = ::lstat(b.c_str(), &sb) == 0;
    std::string name = rel.empty() ? "." : rel;
    if (!ha || !hb) {
        out.push_back(name + (ha ? " (only in the original)" : " (only in the rebuild)"));
        return;
    }
    if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
        out.push_back(name + " (file type)");
        return;
    }
    if (S_ISREG(sa.st_mode)) {
        if (((sa.st_mode ^ sb.st_mode) & S_IXUSR) != 0)
            out.push_back(name + " (executable bit)");
        else if (sa.st_size != sb.st_size || readFile(a) != readFile(b))
            out.push_back(name);
    } else if (S_ISLNK(sa.st_mode)) {
        if (readLink(a) != readLink(b)) out.push_back(name + " (symbolic link target)");
    } else if (S_ISDIR(sa.st_mode)) {
        auto na = listNames(a), nb = listNames(b);
        std::vector<std::string> all;
        std::set_union(na.begin(), na.end(), nb.begin(), nb.end(), std::back_inserter(all));
        for (auto& n : all)
            diffTrees(a + "/" + n, b + "/" + n, rel.empty() ? n : rel + "/" + n, out);
    }
}

std::vector<std::string> splitSpaces(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

class Scheduler : public DownloadObserver {
public:
    Scheduler(LocalStore& store, const BuildOptions& options)
        : store(store), opts(options), progress(options.progressFd) {}
    ~Scheduler() override {
        engine.reset();
        if (!dlDir.path.empty()) {
            try {
                deletePath(dlDir.path);
            } catch (...) {
            }
        }
    }

    std::vector<std::map<std::string, std::string>>
    run(const std::vector<DerivationRequest>& requests);

private:
    Node* load(const std::string& drvPath, bool top);
    void buildOne(Node& n);
    void runBuilder(Node& n, const std::string& top, const StorePathSet& closure,
                    const std::map<std::string, std::string>& built, const std::string& logPath,
                    std::optional<FileLock>& gcShared);
    void download(Node& n, const std::string& top, std::map<std::string, std::string>& built,
                  const std::string& logPath);
    Downloader& downloader();
    // The run's directory for downloads in progress, made on first use, removed by ~Scheduler.
    std::string downloadsDir();
    // DownloadObserver: progress and the download's log.
    void attempt(const std::string& tag, const FetchUrl& url, unsigned number) override;
    void transferred(const std::string& tag, uint64_t got, uint64_t total) override;
    void failed(const std::string& tag, const FetchAttempt& a, double delay) override;
    void logLine(const std::string& tag, const std::string& line);

    LocalStore& store;
    BuildOptions opts;
    Progress progress;
    std::map<std::string, std::unique_ptr<Node>> nodes;
    std::vector<Node*> toBuild;
    std::mutex engineMutex;
    std::optional<FetchOptions> fetchOpts;
    std::map<std::string, int> downloadLogs; // tag (.drv path) -> its log's descriptor
    WorkDirectory dlDir;
    std::unique_ptr<Downloader> engine; // the last member: destroyed first
};

Node* Scheduler::load(const std::string& drvPath, bool top) {
    if (auto it = nodes.find(drvPath); it != nodes.end()) {
        if (top && opts.check) it->second->check = true;
        return it->second.get();
    }
    StorePath sp = store.parseStorePath(drvPath);
    if (!sp.isDerivation()) throw UsageError("'" + drvPath + "' is not a derivation");
    auto node = std::make_unique<Node>(sp);
    Node* n = node.get();
    nodes.emplace(drvPath, std::move(node));
    n->drvPathStr = drvPath;
    std::string name(sp.name().substr(0, sp.name().size() - 4));
    n->drv = parseDerivation(store.readText(sp), name, &store.storeDir());
    n->download = n->drv.builder == "builtin:download";
    store.addTempRoot(sp); // gc must not take the .drv while we build from it
    n->check = top && opts.check;
    bool valid = true;
    for (auto& [o, out] : n->drv.outputs) {
        StorePath p = store.parseStorePath(out.path);
        if (!store.isValid(p))
            valid = false;
        else
            store.addTempRoot(p);
    }
    if (valid && !n->check) return n;
    toBuild.push_back(n);
    for (auto& [input, outs] : n->drv.inputDrvs) {
        Node* dep = load(input, false);
        if (std::find(toBuild.begin(), toBuild.end(), dep) != toBuild.end() && dep != n) {
            dep->dependents.push_back(n);
            n->pendingDeps++;
        }
    }
    return n;
}

std::vector<std::map<std::string, std::string>>
Scheduler::run(const std::vector<DerivationRequest>& requests) {
    for (auto& r : requests) {
        Node* n = load(r.drvPath, true);
        for (auto& o : r.outputs)
            if (!n->drv.outputs.contains(o))
                throw UsageError("derivation '" + r.drvPath + "' has no output '" + o + "'");
    }
    if (opts.maxJobs == 0) opts.maxJobs = 1;

    std::mutex m;
    std::condition_variable cv;
    std::deque<Node*> ready;
    for (auto* n : toBuild)
        if (n->pendingDeps == 0) ready.push_back(n);
    size_t downloads = std::count_if(toBuild.begin(), toBuild.end(),
                                     [](Node* n) { return n->download && !n->check; });
    progress.expectDownloads(downloads);
    // Downloads take no build slot: each waits on the download engine in a thread of its own
    // (which also verifies and registers it). 64 at most: enough to keep the engine's transfers
    // (16 by default) fed, few enough for the open files of their logs and locks.
    unsigned maxDownloadThreads = 64;
    unsigned active = 0, activeDownloads = 0;
    size_t built = 0;
    std::vector<std::string> failures;
    std::vector<std::thread> threads;
    {
        std::unique_lock lk(m);
        while (true) {
            // After a failure, start nothing more unless -k; what depends on a failed build
            // never becomes ready.
            for (auto it = ready.begin();
                 (failures.empty() || opts.keepGoing) && it != ready.end();) {
                Node* n = *it;
                bool dl = n->download;
                if (dl ? activeDownloads >= maxDownloadThreads : active >= opts.maxJobs) {
                    ++it;
                    continue;
                }
                it = ready.erase(it);
                (dl ? activeDownloads : active)++;
                threads.emplace_back([&, n, dl] {
                    std::string error;
                    try {
                        buildOne(*n);
                    } catch (const std::exception& e) {
                        error = e.what();
                    }
                    std::lock_guard lk2(m);
                    (dl ? activeDownloads : active)--;
                    if (error.empty()) {
                        built++;
                        for (auto* d : n->dependents)
                            if (--d->pendingDeps == 0) ready.push_back(d);
                    } else {
                        failures.push_back(error);
                    }
                    cv.notify_all();
                });
            }
            if (active + activeDownloads == 0) break;
            cv.wait(lk);
        }
    }
    for (auto& t : threads)
        t.join();
    if (!failures.empty()) {
        std::string msg = failures.front();
        for (size_t i = 1; i < failures.size(); i++)
            msg += "; " + failures[i];
        size_t notBuilt = toBuild.size() - built - failures.size();
        if (notBuilt)
            msg += "; " + std::to_string(notBuilt) + " other derivation" +
                   (notBuilt == 1 ? " was" : "s were") + " not built";
        throw BuildError(msg);
    }

    std::vector<std::map<std::string, std::string>> result;
    for (auto& r : requests) {
        auto& drv = nodes.at(r.drvPath)->drv;
        std::map<std::string, std::string> outs;
        for (auto& [o, out] : drv.outputs)
            if (r.outputs.empty() || r.outputs.contains(o)) outs[o] = out.path;
        result.push_back(std::move(outs));
    }
    return result;
}

void Scheduler::buildOne(Node& n) {
    auto& drv = n.drv;
    // 1. The output locks, in path order.
    std::vector<StorePath> outPaths;
    for (auto& [o, out] : drv.outputs)
        outPaths.push_back(store.parseStorePath(out.path));
    std::vector<StorePath> sorted = outPaths;
    std::sort(sorted.begin(), sorted.end());
    std::vector<PathLock> locks;
    locks.reserve(sorted.size());
    for (auto& p : sorted) {
        std::string lockFile = store.root() + "/var/ferrix/locks/" + p.to_string() + ".lock";
        auto l = PathLock::tryAcquire(lockFile);
        if (!l) {
            progress.message("waiting for another process to finish building '" +
                             store.printStorePath(p) + "'");
            l.emplace(PathLock(lockFile));
        }
        locks.push_back(std::move(*l));
    }
    std::map<std::string, StorePath> outMap;
    bool allValid = true;
    for (auto& [o, out] : drv.outputs) {
        StorePath p = store.parseStorePath(out.path);
        if (!store.isValid(p)) allValid = false;
        outMap.emplace(o, p);
    }
    if (allValid && !n.check) {
        // Built by another process while we waited.
        store.registerDerivationOutputs(n.drvPath, outMap);
        for (auto& p : outPaths)
            store.addTempRoot(p);
        return;
    }
    bool check = n.check && allValid;

    // 2. The input closure, kept alive while we build.
    StorePathSet inputs;
    for (auto& s : drv.inputSrcs)
        inputs.insert(store.parseStorePath(s));
    for (auto& [input, names] : drv.inputDrvs) {
        auto& dep = nodes.at(input)->drv;
        for (auto& o : names) {
            auto it = dep.outputs.find(o);
            if (it == dep.outputs.end())
                throw BuildError("derivation '" + input + "' has no output '" + o + "'");
            inputs.insert(store.parseStorePath(it->second.path));
        }
    }
    for (auto& p : inputs)
        store.addTempRoot(p);
    StorePathSet closure = store.computeClosure(inputs);

    bool isDownload = drv.builder == "builtin:download";
    // A download is one file: it goes into the run's shared downloads directory rather than a
    // directory of its own (a mkdir and an rmdir per file cost milliseconds on a busy ext4).
    WorkDirectory work; // a download's is the run's shared one
    if (!isDownload) work = WorkDirectory(store, std::string(drv.name) + "-");
    std::string top = isDownload ? downloadsDir() : work.path;
    std::string logPath = buildLogPath(store, n.drvPath);
    createDirs(dirOf(logPath));

    const auto& ns = namespaceSupport();
    if (!isDownload && drv.builder.starts_with("builtin:"))
        throw BuildError("derivation '" + n.drvPathStr + "': unsupported builder '" + drv.builder +
                         "'");
    // Where each output is built.
    std::map<std::string, std::string> built;
    bool inStore = !isDownload && !ns.mount; // the fallback: outputs written in place
    if (inStore && check)
        throw BuildError("cannot check '" + n.drvPathStr +
                         "': --check needs a private mount namespace (" + ns.why + ")");
    if (inStore && store.realStoreDir() != store.storeDir().dir())
        throw BuildError("cannot build '" + n.drvPathStr +
                         "' without a private mount "
                         "namespace: the store directory '" +
                         store.storeDir().dir() + "' is not where its items are ('" +
                         store.realStoreDir() + "')");
    for (auto& [o, p] : outMap)
        built[o] = isDownload ? top + "/" + std::string(p.hashPart()) + "-" + o
                   : inStore  ? store.realPath(p)
                              : top + "/store/" + p.to_string();

    auto cleanOutputs = [&] {
        for (auto& [o, path] : built) {
            try {
                if (pathExists(path)) deletePath(path);
            } catch (...) {
            }
        }
    };
    auto removeTop = [&](bool failed) {
        if (isDownload) return; // shared; its file is gone (registered or deleted)
        if (failed && opts.keepFailed) {
            try {
                writeFile(top + "/.ferrix-kept", "kept by ferrix build -K; gc leaves it\n", 0644);
            } catch (...) {
            }
            progress.message("note: keeping build directory '" + top + "'");
            return;
        }
        try {
            deletePath(top);
        } catch (...) {
        }
    };

    std::optional<FileLock> gcShared; // the fallback's, held until registration
    std::string what = check ? "checking" : "building";
    // A download says "downloading URL..." when its first attempt starts.
    progress.started(n.drvPathStr, std::string(drv.name),
                     isDownload ? "" : what + " '" + n.drvPathStr + "'...", isDownload);
    auto start = Clock::now();
    try {
        if (isDownload)
            download(n, top, built, logPath);
        else
            runBuilder(n, top, closure, built, logPath, gcShared);
        for (auto& [o, path] : built) {
            struct stat st;
            if (::lstat(path.c_str(), &st) != 0)
                throw BuildError("builder for '" + n.drvPathStr + "' failed to produce output '" +
                                 o + "' (" + store.printStorePath(outMap.at(o)) + ")");
        }
        // A fixed output must have the hash it promised.
        std::string ca;
        if (drv.isFixedOutput()) {
            auto& out = drv.outputs.at("out");
            bool recursive = out.hashAlgo.starts_with("r:");
            HashAlgo algo = parseHashAlgo(recursive ? out.hashAlgo.substr(2) : out.hashAlgo);
            Hash expected = Hash::parse(out.hash, algo);
            const std::string& path = built.at("out");
            Hash actual = recursive ? hashPath(algo, path).hash : hashFile(algo, path);
            if (actual != expected) {
                std::string from;
                if (isDownload) from = " (downloaded from " + drv.env["url"] + ")";
                throw BuildError(
                    "hash mismatch in fixed-output derivation '" + n.drvPathStr + "'" + from +
                    ":\n  expected: " + expected.to(HashFormat::Nix32, true) +
                    "\n  actual:   " + actual.to(HashFormat::Nix32, true) +
                    "\nIf the new content is right, update the hash in the definition, e.g. "
                    "(sha256 (base32 \"" +
                    actual.to(HashFormat::Nix32) + "\"))");
            }
            ca = std::string("fixed:") + (recursive ? "r:" : "") +
                 actual.to(HashFormat::Nix32, true);
        }
        if (check) {
            std::string report;
            for (auto& [o, p] : outMap) {
                auto info = store.queryPathInfo(p);
                Hash got = hashPath(HashAlgo::SHA256, built.at(o)).hash;
                if (got == info.narHash) continue;
                std::vector<std::string> diffs;
                diffTrees(store.realPath(p), built.at(o), "", diffs);
                report += "\n  output '" + o + "' (" + store.printStorePath(p) +
                          "): expected NAR hash " + info.narHash.to(HashFormat::Nix32, true) +
                          ", got " + got.to(HashFormat::Nix32, true);
                if (!diffs.empty()) {
                    report += "; files that differ:";
                    for (auto& d : diffs)
                        report += "\n    " + d;
                }
            }
            if (!report.empty())
                throw BuildError("derivation '" + n.drvPathStr +
                                 "' may not be deterministic: a rebuild differs" + report);
            cleanOutputs();
            removeTop(false);
        } else {
            std::vector<LocalStore::BuiltOutput> outs;
            for (auto& [o, p] : outMap)
                outs.push_back({built.at(o), p, ca});
            store.registerOutputs(outs, closure, n.drvPath);
            store.registerDerivationOutputs(n.drvPath, outMap);
            removeTop(false);
        }
    } catch (const std::exception& e) {
        cleanOutputs();
        removeTop(true);
        std::string tail = lastLines(logPath, opts.logTailLines);
        std::string msg = std::string(e.what());
        if (!dynamic_cast<const BuildError*>(&e))
            msg = "build of '" + n.drvPathStr + "' failed: " + msg;
        std::string shown = "error: " + msg;
        if (!tail.empty()) {
            shown += "\nlast lines of the log:\n";
            std::istringstream in(tail);
            std::string line;
            while (std::getline(in, line))
                shown += "  " + line + "\n";
            shown.pop_back();
        }
        shown += "\nlog: " + logPath;
        progress.finished(n.drvPathStr, shown);
        // The details were printed just above: the error itself is one line.
        throw BuildError(msg.substr(0, msg.find('\n')) + " (log: " + logPath + ")");
    }
    auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", double(secs.count()) / 1000);
    if (!n.doneLine.empty())
        progress.finished(n.drvPathStr, n.doneLine);
    else
        progress.finished(n.drvPathStr,
                          (check ? "checked '" : "built '") + n.drvPathStr + "' in " + took + " s");
}

void Scheduler::runBuilder(Node& n, const std::string& top, const StorePathSet& closure,
                           const std::map<std::string, std::string>& built,
                           const std::string& logPath, std::optional<FileLock>& gcShared) {
    auto& drv = n.drv;
    const auto& ns = namespaceSupport();
    std::string buildDir = top + "/build";
    if (::mkdir(buildDir.c_str(), 0700) != 0) throw SysError("creating '" + buildDir + "'");

    SpawnOptions so;
    so.program = drv.builder;
    so.args = drv.args;
    so.cwd = buildDir;
    so.timeout = opts.timeout;
    so.maxSilentTime = opts.maxSilentTime;
    unsigned cores = opts.cores ? opts.cores : std::max(1u, std::thread::hardware_concurrency());
    const std::string& sd = store.storeDir().dir();
    auto& env = so.env;
    env["PATH"] = "/usr/bin:/bin";
    env["HOME"] = "/homeless-shelter";
    env["NIX_STORE"] = sd;
    env["FERRIX_STORE_DIR"] = sd;
    env["NIX_BUILD_CORES"] = env["FERRIX_BUILD_CORES"] = std::to_string(cores);
    env["SOURCE_DATE_EPOCH"] = "1";
    for (auto& [k, v] : drv.env)
        env[k] = v;
    env["NIX_BUILD_TOP"] = env["TMPDIR"] = env["TEMPDIR"] = env["TMP"] = env["TEMP"] = buildDir;
    env["PWD"] = buildDir;
    env["NIX_LOG_FD"] = "2";
    // A fixed-output derivation may reach the network (its result is checked by hash).
    so.privateNetwork = ns.network && !drv.isFixedOutput();

    if (ns.mount) {
        StoreView view;
        view.storeDir = sd;
        view.scratch = top + "/store";
        if (::mkdir(view.scratch.c_str(), 0755) != 0)
            throw SysError("creating '" + view.scratch + "'");
        createDirs(sd);
        for (auto& p : closure) {
            std::string real = store.realPath(p);
            std::string point = view.scratch + "/" + p.to_string();
            struct stat st = lstatPath(real);
            if (S_ISLNK(st.st_mode)) {
                if (::symlink(readLink(real).c_str(), point.c_str()) != 0)
                    throw SysError("creating '" + point + "'");
                continue;
            }
            if (S_ISDIR(st.st_mode)) {
                if (::mkdir(point.c_str(), 0555) != 0) throw SysError("creating '" + point + "'");
            } else {
                AutoCloseFD f(::open(point.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
                if (!f) throw SysError("creating '" + point + "'");
            }
            view.readOnly.emplace_back(real, p.to_string());
        }
        so.storeView = std::move(view);
    } else {
        // Outputs are written in place: a concurrent gc must not take them for leftovers, until
        // they are registered (the caller keeps the lock that long).
        gcShared.emplace(store.root() + "/var/ferrix/gc.lock", LockMode::Shared);
        for (auto& [o, path] : built)
            if (pathExists(path)) deletePath(path);
    }

    AutoCloseFD log(::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!log) throw SysError("creating the log '" + logPath + "'");
    std::string partial;
    so.onOutput = [&](std::string_view chunk) {
        writeAll(log.get(), chunk);
        partial.append(chunk);
        size_t nl;
        while ((nl = partial.find('\n')) != std::string::npos) {
            std::string_view line(partial.data(), nl);
            constexpr std::string_view marker = "starting phase `";
            if (line.starts_with(marker)) {
                auto rest = line.substr(marker.size());
                auto end = rest.find('\'');
                progress.phase(n.drvPathStr, std::string(rest.substr(0, end)));
            }
            partial.erase(0, nl + 1);
        }
        if (partial.size() > 65536) partial.clear();
    };
    ProcessResult r = runProcess(so);
    if (!r.success()) throw BuildError("builder for '" + n.drvPathStr + "' " + r.describe(so));
}

std::string Scheduler::downloadsDir() {
    std::lock_guard lk(engineMutex);
    if (dlDir.path.empty()) dlDir = WorkDirectory(store, "downloads-");
    return dlDir.path;
}

Downloader& Scheduler::downloader() {
    std::lock_guard lk(engineMutex);
    if (!engine) {
        fetchOpts = opts.fetch ? *opts.fetch : userFetchOptions();
        engine = std::make_unique<Downloader>(*fetchOpts, this);
    }
    return *engine;
}

void Scheduler::logLine(const std::string& tag, const std::string& line) {
    std::lock_guard lk(engineMutex);
    auto it = downloadLogs.find(tag);
    if (it != downloadLogs.end()) writeAll(it->second, line + "\n");
}

void Scheduler::attempt(const std::string& tag, const FetchUrl& url, unsigned number) {
    logLine(tag, "trying '" + url.url + "'" + (url.via.empty() ? "" : " (" + url.via + ")") +
                     (number > 1 ? ", attempt " + std::to_string(number) : ""));
    if (number == 1) progress.message("downloading '" + url.url + "'...");
}

void Scheduler::transferred(const std::string& tag, uint64_t got, uint64_t total) {
    progress.downloadProgress(tag, got, total);
}

void Scheduler::failed(const std::string& tag, const FetchAttempt& a, double delay) {
    std::string line = "'" + a.url + "': " + a.error;
    if (a.willRetry) line += "; retrying in " + secondsText(delay);
    logLine(tag, line);
    if (a.willRetry)
        progress.message("retrying '" + a.url + "' in " + secondsText(delay) + " (" + a.error +
                         ")");
}

void Scheduler::download(Node& n, const std::string&, std::map<std::string, std::string>& built,
                         const std::string& logPath) {
    auto& drv = n.drv;
    if (!drv.isFixedOutput())
        throw BuildError("derivation '" + n.drvPathStr +
                         "': builtin:download needs a fixed-output derivation");
    auto it = drv.env.find("url");
    std::vector<std::string> urls =
        it == drv.env.end() ? std::vector<std::string>{} : splitSpaces(it->second);
    AutoCloseFD log(::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!log) throw SysError("creating the log '" + logPath + "'");
    Downloader& engine = downloader();
    // A flat hash is checked as the body streams in (and names content-addressed mirrors).
    auto& out = drv.outputs.at("out");
    std::optional<Hash> expected;
    if (!out.hashAlgo.starts_with("r:"))
        expected = Hash::parse(out.hash, parseHashAlgo(out.hashAlgo));
    DownloadRequest req;
    req.urls = candidateUrls(urls, *fetchOpts, expected);
    req.dest = built.at("out");
    req.expected = expected;
    req.name = std::string(drv.name);
    req.tag = n.drvPathStr;
    std::string header = "downloading '" + req.name + "'; URLs in the order tried:\n";
    for (auto& u : req.urls)
        header += "  " + u.url + (u.via.empty() ? "" : " (" + u.via + ")") + "\n";
    writeAll(log.get(), header);
    {
        std::lock_guard lk(engineMutex);
        downloadLogs[req.tag] = log.get();
    }
    DownloadResult r = engine.download(req);
    {
        std::lock_guard lk(engineMutex);
        downloadLogs.erase(req.tag);
    }
    if (!r.ok) {
        writeAll(log.get(), r.error + "\n");
        if (r.hashMismatch && r.actual)
            throw BuildError(
                "hash mismatch in fixed-output derivation '" + n.drvPathStr +
                "' (downloaded from " + r.mismatchUrl +
                "):\n  expected: " + expected->to(HashFormat::Nix32, true) +
                "\n  actual:   " + r.actual->to(HashFormat::Nix32, true) +
                "\nIf the new content is right, update the hash in the definition, e.g. "
                "(sha256 (base32 \"" +
                r.actual->to(HashFormat::Nix32) + "\"))\n" + r.error);
        throw BuildError(r.error);
    }
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", r.seconds);
    n.doneLine = "downloaded '" + r.url + "' (" + humanSize(r.size) + " in " + took + " s)";
    writeAll(log.get(), n.doneLine + "\n");
    progress.downloadFinished(r.size);
    drv.env["url"] = r.url; // named in a hash mismatch
    auto ex = drv.env.find("executable");
    if (ex != drv.env.end() && ex->second == "1") ::chmod(req.dest.c_str(), 0755);
}

} // namespace

std::vector<std::map<std::string, std::string>>
buildDerivations(LocalStore& store, const std::vector<DerivationRequest>& requests,
                 const BuildOptions& options) {
    Scheduler s(store, options);
    return s.run(requests);
}

DownloadedFile downloadToStore(LocalStore& store, const std::string& url, const std::string& name,
                               bool executable, const FetchOptions& options, int progressFd) {
    // Validate the name before downloading anything.
    store.storeDir().makeFixedOutputPath(name, FileIngestion::Flat,
                                         hashString(HashAlgo::SHA256, ""));
    WorkDirectory work(store, "download-");
    std::string top = work.path;
    struct Cleanup { // runs while `work` still holds the lock
        std::string dir;
        ~Cleanup() {
            try {
                deletePath(dir);
            } catch (...) {
            }
        }
    } cleanup{top};
    struct Observer : DownloadObserver {
        int fd;
        explicit Observer(int fd) : fd(fd) {}
        void attempt(const std::string&, const FetchUrl& u, unsigned number) override {
            if (number == 1)
                writeAll(fd, "downloading '" + u.url + "'" +
                                 (u.via.empty() ? "" : " (" + u.via + ")") + "...\n");
        }
        void failed(const std::string&, const FetchAttempt& a, double delay) override {
            // Final failures are all in the error.
            if (!a.willRetry) return;
            writeAll(fd,
                     "retrying '" + a.url + "' in " + secondsText(delay) + " (" + a.error + ")\n");
        }
    } observer(progressFd);
    Downloader engine(options, &observer);
    DownloadRequest req;
    req.urls = candidateUrls({url}, options);
    req.dest = top + "/" + name;
    req.name = name;
    DownloadResult r = engine.download(req);
    if (!r.ok) throw FetchError(r.error, r.httpStatus);
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", r.seconds);
    writeAll(progressFd,
             "downloaded '" + r.url + "' (" + humanSize(r.size) + " in " + took + " s)\n");
    if (executable && ::chmod(req.dest.c_str(), 0755) != 0)
        throw SysError("changing mode of '" + req.dest + "'");
    // Registered as the scheduler registers a url-fetch output (same path, same NAR: an
    // executable keeps its mode), under the output's lock.
    Hash h = hashFile(HashAlgo::SHA256, req.dest);
    StorePath p = store.storeDir().makeFixedOutputPath(name, FileIngestion::Flat, h);
    std::string locks = store.root() + "/var/ferrix/locks";
    createDirs(locks);
    PathLock lock(locks + "/" + p.to_string() + ".lock");
    store.registerOutputs({{req.dest, p, "fixed:" + h.to(HashFormat::Nix32, true)}}, {},
                          std::nullopt);
    store.addTempRoot(p);
    return {p, h, r.url};
}

std::string buildLogPath(const LocalStore& store, const StorePath& drv) {
    const std::string& base = drv.to_string();
    return store.root() + "/var/log/ferrix/drvs/" + base.substr(0, 2) + "/" + base.substr(2) +
           ".log";
}

std::optional<std::string> findBuildLog(LocalStore& store, const std::string& path) {
    const std::string& sd = store.storeDir().dir();
    if (!path.starts_with(sd + "/"))
        throw UsageError("'" + path + "' is not in the store directory '" + sd + "'");
    std::string rest = path.substr(sd.size() + 1);
    auto slash = rest.find('/');
    StorePath p(rest.substr(0, slash));
    std::optional<StorePath> drv;
    if (p.isDerivation()) {
        drv = p;
    } else if (auto info = store.queryPathInfoOpt(p)) {
        drv = info->deriver;
    }
    if (!drv) return std::nullopt;
    std::string log = buildLogPath(store, *drv);
    if (!pathExists(log)) return std::nullopt;
    return log;
}

} // namespace ferrix
