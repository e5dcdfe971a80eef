// builtin:download, and downloadToStore through the same registration as a build's.
#include "ferrix/builtin-download.hh"

#include "ferrix/build-display.hh"
#include "ferrix/config.hh"
#include "ferrix/derivation-builder.hh"
#include "ferrix/file.hh"

#include <sstream>
#include <sys/stat.h>

namespace ferrix {

namespace {

std::vector<std::string> splitSpaces(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

// Removes a work directory's contents before its lock goes.
struct WorkCleanup {
    std::string dir;
    ~WorkCleanup() {
        try {
            if (!dir.empty()) deletePath(dir);
        } catch (...) {
        }
    }
};

} // namespace

DownloadBuilder::DownloadBuilder(LocalStore& store, std::optional<FetchOptions> options,
                                 Report report)
    : store(store), options(std::move(options)), report(std::move(report)) {}

DownloadBuilder::~DownloadBuilder() {
    downloader.reset(); // no transfer writes into the directory any more
    if (!dir) return;
    try {
        deletePath(dir->path); // while its lock is still held
    } catch (...) {
    }
}

Downloader& DownloadBuilder::engine() {
    std::lock_guard lk(m);
    if (!downloader) {
        if (!options) options = userFetchOptions();
        downloader = std::make_unique<Downloader>(*options, static_cast<DownloadObserver*>(this));
    }
    return *downloader;
}

// A download is one file: it goes into the run's shared directory rather than a directory of its
// own (a mkdir and an rmdir per file cost milliseconds on a busy ext4).
std::string DownloadBuilder::directory() {
    std::lock_guard lk(m);
    if (!dir) dir = std::make_unique<WorkDirectory>(store, "downloads-");
    return dir->path;
}

OutputPlaces DownloadBuilder::outputPlaces(const Derivation& drv) {
    std::string top = directory();
    OutputPlaces places;
    for (auto& [o, out] : drv.outputs) {
        const StorePath& p = *out.path;
        std::string at = top + "/" + std::string(p.hashPart()) + "-" + o;
        places.emplace(o, OutputPlace{p, std::move(at)});
    }
    return places;
}

std::string DownloadBuilder::build(const Derivation& drv, const std::string& drvPath,
                                   const OutputPlaces& outputs, BuildLogWriter& log) {
    if (!drv.isFixedOutput())
        throw BuildError("derivation '" + drvPath +
                         "': builtin:download needs a fixed-output derivation");
    auto it = drv.env.find("url");
    std::vector<std::string> urls =
        it == drv.env.end() ? std::vector<std::string>{} : splitSpaces(it->second);
    Downloader& eng = engine();
    // A flat hash is checked as the body streams in (and names content-addressed mirrors).
    auto& out = drv.outputs.at("out");
    std::optional<Hash> expected;
    if (!out.hashAlgo.starts_with("r:")) expected = FixedHash::of(out).hash;
    DownloadRequest req;
    req.urls = candidateUrls(urls, *options, expected);
    req.dest = outputs.at("out").builtAt;
    req.expected = expected;
    req.name = std::string(drv.name);
    req.tag = drvPath;
    std::string header = "downloading '" + req.name + "'; URLs in the order tried:\n";
    for (auto& u : req.urls)
        header += "  " + u.url + (u.via.empty() ? "" : " (" + u.via + ")") + "\n";
    header.pop_back();
    log.line(header);
    {
        std::lock_guard lk(m);
        logs[req.tag] = &log;
    }
    DownloadResult r = eng.download(req);
    {
        std::lock_guard lk(m);
        logs.erase(req.tag);
    }
    if (!r.ok) {
        log.line(r.error);
        if (r.hashMismatch && r.actual)
            throw BuildError(hashMismatchMessage(drvPath, r.mismatchUrl, *expected, *r.actual) +
                             "\n" + r.error);
        throw BuildError(r.error);
    }
    BuildEvent done{.kind = BuildEvent::Kind::Downloaded,
                    .drv = drvPath,
                    .name = drv.name,
                    .url = r.url,
                    .done = r.size,
                    .seconds = r.seconds};
    log.line(describeEvent(done));
    report(done);
    auto ex = drv.env.find("executable");
    if (ex != drv.env.end() && ex->second == "1") ::chmod(req.dest.c_str(), 0755);
    return r.url;
}

void DownloadBuilder::attempt(const std::string& tag, const FetchUrl& url, unsigned number) {
    {
        std::lock_guard lk(m);
        if (auto it = logs.find(tag); it != logs.end())
            it->second->line("trying '" + url.url + "'" +
                             (url.via.empty() ? "" : " (" + url.via + ")") +
                             (number > 1 ? ", attempt " + std::to_string(number) : ""));
    }
    if (number == 1)
        report({.kind = BuildEvent::Kind::DownloadStarted,
                .drv = tag,
                .url = url.url,
                .via = url.via});
}

void DownloadBuilder::transferred(const std::string& tag, uint64_t got, uint64_t total) {
    report({.kind = BuildEvent::Kind::DownloadProgress, .drv = tag, .done = got, .total = total});
}

void DownloadBuilder::failed(const std::string& tag, const FetchAttempt& a, double delay) {
    {
        std::lock_guard lk(m);
        if (auto it = logs.find(tag); it != logs.end())
            it->second->line("'" + a.url + "': " + a.error +
                             (a.willRetry ? "; retrying in " + secondsText(delay) : ""));
    }
    // Final failures are all in the error.
    if (a.willRetry)
        report({.kind = BuildEvent::Kind::DownloadRetry,
                .drv = tag,
                .url = a.url,
                .text = a.error,
                .seconds = delay});
}

DownloadedFile downloadToStore(LocalStore& store, const std::string& url, const std::string& name,
                               bool executable, const FetchOptions& options,
                               BuildObserver& observer) {
    // Validate the name before downloading anything.
    store.storeDir().makeFixedOutputPath(name, FileIngestion::Flat,
                                         hashString(HashAlgo::SHA256, ""));
    WorkDirectory work(store, "download-");
    WorkCleanup cleanup{work.path}; // runs while `work` still holds the lock
    struct Relay : DownloadObserver {
        BuildObserver& to;
        explicit Relay(BuildObserver& to) : to(to) {}
        void attempt(const std::string&, const FetchUrl& u, unsigned number) override {
            if (number == 1)
                to.event({.kind = BuildEvent::Kind::DownloadStarted, .url = u.url, .via = u.via});
        }
        void failed(const std::string&, const FetchAttempt& a, double delay) override {
            if (a.willRetry)
                to.event({.kind = BuildEvent::Kind::DownloadRetry,
                          .url = a.url,
                          .text = a.error,
                          .seconds = delay});
        }
    } relay(observer);
    Downloader engine(options, &relay);
    DownloadRequest req;
    req.urls = candidateUrls({url}, options);
    req.dest = work.path + "/" + name;
    req.name = name;
    DownloadResult r = engine.download(req);
    if (!r.ok) throw FetchError(r.error, r.httpStatus);
    observer.event(
        {.kind = BuildEvent::Kind::Downloaded, .url = r.url, .done = r.size, .seconds = r.seconds});
    if (executable && ::chmod(req.dest.c_str(), 0755) != 0)
        throw SysError("changing mode of '" + req.dest + "'");
    // The output of the url-fetch derivation of that name and hash (same path, same NAR: an
    // executable keeps its mode), registered the same way, under the output's lock.
    Hash h = hashFile(HashAlgo::SHA256, req.dest);
    FixedHash fixed{h, false};
    OutputPlaces outputs;
    outputs.emplace(
        "out",
        OutputPlace{store.storeDir().makeFixedOutputPath(name, FileIngestion::Flat, h), req.dest});
    StorePath p = outputs.at("out").path;
    OutputLocks locks(store, {p}, [&](const BuildEvent& e) { observer.event(e); });
    registerBuiltOutputs(store, outputs, fixed.contentAddress(), {}, std::nullopt);
    store.addTempRoot(p);
    return {p, h, r.url};
}

DownloadedFile downloadToStore(LocalStore& store, const std::string& url, const std::string& name,
                               bool executable, const FetchOptions& options, int progressFd) {
    PlainDisplay display(progressFd);
    return downloadToStore(store, url, name, executable, options, display);
}

} // namespace ferrix
