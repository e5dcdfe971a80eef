// Realising derivations: the scheduler walks the derivation graph, runs builds up to -M at once
// (downloads beside them, without a slot), takes the outputs' locks, goes on after a failure
// with -k, and reports what happens to an observer. See doc/build.md.
#pragma once

#include "ferrix/build-display.hh"
#include "ferrix/build-events.hh"
#include "ferrix/fetch.hh"
#include "ferrix/store.hh"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ferrix {

struct BuildOptions {
    unsigned maxJobs = 1;       // derivations built at once (-M)
    unsigned cores = 0;         // NIX_BUILD_CORES / FERRIX_BUILD_CORES (-c); 0 = all
    bool keepFailed = false;    // -K: keep the build directory of a failed build
    bool keepGoing = false;     // -k: after a failure, build what does not depend on it
    bool check = false;         // rebuild the requested derivations and compare
    unsigned timeout = 0;       // seconds, 0 = none
    unsigned maxSilentTime = 0; // seconds, 0 = none
    // Who hears about progress and failures. Null: the display `ferrix build` uses (build-
    // display.hh) on progressFd, live when it is a terminal.
    BuildObserver* observer = nullptr;
    int progressFd = 2;
    // Report a Fresh event for every derivation of the graph already valid, reading the .drv
    // files a plain run leaves unread (for --timings).
    bool reportValid = false;
    // The display also shows each derivation's own lines and the Fresh ones (build-display.hh).
    bool verbose = false;
    // How much the display shows (without an observer): verbosity, backtraces of failures.
    DisplayOptions display{};
    // Lines of a failed build's log given with its Failed event.
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
// Throws BuildError when a build fails (nothing of it is registered); its details (the log's
// last lines) went to the observer.
std::vector<std::map<std::string, std::string>>
buildDerivations(LocalStore& store, const std::vector<DerivationRequest>& requests,
                 const BuildOptions& options = {});

// What buildDerivations would do for the requests (--dry-run): the derivations it would build
// and the builtin:download ones it would download, dependencies first. Nothing is built.
struct BuildPlan {
    std::vector<std::string> builds, downloads;
};
BuildPlan planDerivations(LocalStore& store, const std::vector<DerivationRequest>& requests);

} // namespace ferrix
