// builtin:download: fixed-output derivations realised in the ferrix process by the downloader
// (fetch.hh), and downloadToStore, which adds a downloaded file as such a derivation's output.
#pragma once

#include "ferrix/build-events.hh"
#include "ferrix/build-log.hh"
#include "ferrix/build-outputs.hh"
#include "ferrix/derivation.hh"
#include "ferrix/fetch.hh"
#include "ferrix/store.hh"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ferrix {

struct WorkDirectory;

// The builtin:download builder of one run: one download engine for all its downloads, opened
// on first use, and one directory where downloads land before they are registered.
class DownloadBuilder : private DownloadObserver {
public:
    using Report = std::function<void(const BuildEvent&)>;
    // `options`: the downloader's settings; default userFetchOptions() (config.hh), read when the
    // first download starts.
    DownloadBuilder(LocalStore& store, std::optional<FetchOptions> options, Report report);
    ~DownloadBuilder() override;

    // Where the output `out` of a download is written until it is registered.
    OutputPlaces outputPlaces(const Derivation& drv);
    // Downloads the derivation's file into its place: the URLs of env.url (with the mirrors),
    // a flat hash checked as it streams in; attempts go to `log`, a Downloaded event is reported.
    // Returns the URL it came from. Throws BuildError.
    std::string build(const Derivation& drv, const std::string& drvPath,
                      const OutputPlaces& outputs, BuildLogWriter& log);

private:
    Downloader& engine();
    std::string directory();
    void attempt(const std::string& tag, const FetchUrl& url, unsigned number) override;
    void transferred(const std::string& tag, uint64_t got, uint64_t total) override;
    void failed(const std::string& tag, const FetchAttempt& a, double delay) override;

    LocalStore& store;
    std::optional<FetchOptions> options;
    Report report;
    std::mutex m;
    std::map<std::string, BuildLogWriter*> logs; // by tag (.drv path), while downloading
    std::unique_ptr<WorkDirectory> dir;
    std::unique_ptr<Downloader> downloader; // the last member: destroyed first
};

// A file fetched by downloadToStore.
struct DownloadedFile {
    StorePath path;
    Hash sha256;     // flat, of the file
    std::string url; // the URL it came from (maybe a mirror)
};

// Downloads `url` (mirrors and retries of `options`) and adds it to the store as a flat,
// fixed-output sha256 item named `name` (0555 when `executable`): exactly the output of the
// url-fetch derivation with that name and hash, registered as the scheduler registers one, so
// that building such an origin afterwards is a no-op. Progress goes to `observer` (or, in the
// second form, is shown on `progressFd`). Throws FetchError; nothing half-written remains.
DownloadedFile downloadToStore(LocalStore& store, const std::string& url, const std::string& name,
                               bool executable, const FetchOptions& options,
                               BuildObserver& observer);
DownloadedFile downloadToStore(LocalStore& store, const std::string& url, const std::string& name,
                               bool executable, const FetchOptions& options, int progressFd = 2);

} // namespace ferrix
