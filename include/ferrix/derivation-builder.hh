// Running one derivation's builder in isolation: its working directory, its environment, its
// view of the store (the input closure, read-only), no network, and its timeouts. See
// doc/build.md, "Isolation".
#pragma once

#include "ferrix/build-log.hh"
#include "ferrix/build-outputs.hh"
#include "ferrix/derivation.hh"
#include "ferrix/file.hh"
#include "ferrix/lock.hh"
#include "ferrix/process.hh"
#include "ferrix/store.hh"

#include <map>
#include <optional>
#include <string>

namespace ferrix {

// A fresh directory under LocalStore::buildsDir(), where builds and downloads work, flock'ed
// through a close-on-exec descriptor for as long as this object lives: `ferrix store gc` removes
// the unlocked ones, i.e. those of processes that died (store-gc.cc), unless marked as kept (-K).
struct WorkDirectory {
    std::string path;
    AutoCloseFD lock;

    WorkDirectory() = default;
    WorkDirectory(LocalStore& store, const std::string& prefix);
};

struct BuilderLimits {
    unsigned cores = 0;         // 0: all the machine's
    unsigned timeout = 0;       // seconds, 0 = none
    unsigned maxSilentTime = 0; // seconds, 0 = none
};

// Where each output of `drv` is built under the work directory `top`: at its logical path in the
// scratch store top/store with a mount namespace, in place in the store without one. Throws
// BuildError when the build cannot be isolated as it needs (`check`: a --check rebuild).
OutputPlaces builderOutputPlaces(const LocalStore& store, const Derivation& drv,
                                 const std::string& drvPath, const std::string& top, bool check);

// The builder's whole environment: fixed variables, then the derivation's own, then the build
// directory's.
std::map<std::string, std::string> builderEnvironment(const Derivation& drv, const StoreDir& dir,
                                                      unsigned cores, const std::string& buildDir);

// The private store view of a build in `top`: each item of `closure` gets its mount point in
// top/store (a symbolic link is copied as it is).
StoreView makeStoreView(const LocalStore& store, const StorePathSet& closure,
                        const std::string& top);

// Runs the builder of `drv` in top/build, its output going to `log`; the outputs are expected at
// `outputs`' places. Without a mount namespace, outputs are written in place and `gcShared` is
// taken (the caller holds it until they are registered). Throws BuildError if it fails.
void runBuilder(LocalStore& store, const Derivation& drv, const std::string& drvPath,
                const std::string& top, const StorePathSet& closure, const OutputPlaces& outputs,
                const BuilderLimits& limits, BuildLogWriter& log,
                std::optional<FileLock>& gcShared);

} // namespace ferrix
