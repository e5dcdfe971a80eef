// Realising derivations: the scheduler, the isolated build of one derivation, and build logs.
// See doc/build.md for the isolation design and the guarantees.
#pragma once

#include "ferrix/error.hh"
#include "ferrix/fetch.hh"
#include "ferrix/store.hh"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ferrix {

// A build (or a --check) failed. what() is the summary; the log tails were printed already.
class BuildError : public Error {
    using Error::Error;
};

struct BuildOptions {
    unsigned maxJobs = 1;       // derivations built at once (-M)
    unsigned cores = 0;         // NIX_BUILD_CORES / FERRIX_BUILD_CORES (-c); 0 = all
    bool keepFailed = false;    // -K: keep the build directory of a failed build
    bool keepGoing = false;     // -k: after a failure, build what does not depend on it
    bool check = false;         // rebuild the requested derivations and compare
    unsigned timeout = 0;       // seconds, 0 = none
    unsigned maxSilentTime = 0; // seconds, 0 = none
    // Where progress and failures are reported (the live display when it is a terminal).
    int progressFd = 2;
    // Lines of a failed build's log printed with the error.
    unsigned logTailLines = 20;
    // The downloader's settings for builtin:download derivations (which take no -M slot: they
    // all go to one download engine, fetch->maxDownloads at once). Default: userFetchOptions()
    // (config.hh), read when the first download starts.
    std::optional<FetchOptions> fetch;
};

struct DerivationRequest {
    std::string drvPath;           // full logical path of a valid .drv
    std::set<std::string> outputs; // empty: all
};

// Realises the requests: every derivation of their graph whose outputs are not all valid is
// built, inputs first, up to maxJobs at once; two processes never build the same output at once
// (the second waits and finds it valid). Returns, per request, output name -> store path.
// Throws BuildError when a build fails (nothing of it is registered).
std::vector<std::map<std::string, std::string>>
buildDerivations(LocalStore& store, const std::vector<DerivationRequest>& requests,
                 const BuildOptions& options = {});

// A file fetched by downloadToStore.
struct DownloadedFile {
    StorePath path;
    Hash sha256;     // flat, of the file
    std::string url; // the URL it came from (maybe a mirror)
};

// Downloads `url` (mirrors and retries of `options`) and adds it to the store as a flat,
// fixed-output sha256 item named `name` (0555 when `executable`): exactly the output of the
// url-fetch derivation with that name and hash, so that building such an origin afterwards is a
// no-op. Progress lines go to `progressFd`. Throws FetchError; nothing half-written remains.
DownloadedFile downloadToStore(LocalStore& store, const std::string& url, const std::string& name,
                               bool executable, const FetchOptions& options, int progressFd = 2);

// Where the log of the derivation `drv` is kept: ROOT/var/log/ferrix/drvs/XX/REST.log, XX being
// the first two characters of the .drv's base name.
std::string buildLogPath(const LocalStore& store, const StorePath& drv);
// The log for a .drv path or for an output (through its deriver), if there is one.
std::optional<std::string> findBuildLog(LocalStore& store, const std::string& path);

} // namespace ferrix
