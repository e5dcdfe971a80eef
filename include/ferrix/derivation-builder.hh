// Running one derivation's builder contained: its working directory, its environment, its
// user, its view of the store (the input closure, read-only) and of the host, no network, and
// its timeouts. See doc/build.md, "Containment".
#pragma once

#include "ferrix/build-log.hh"
#include "ferrix/build-outputs.hh"
#include "ferrix/build-users.hh"
#include "ferrix/derivation.hh"
#include "ferrix/file.hh"
#include "ferrix/lock.hh"
#include "ferrix/process.hh"
#include "ferrix/store.hh"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferrix {

// The system this machine is ("x86_64-linux"), from the kernel's machine name.
std::string hostSystem();
// The systems whose builders this machine runs: its own only. Another system, even one whose
// programs the kernel runs (i686 on x86_64), would have its derivations built by toolchains
// that build for the host.
const std::vector<std::string>& runnableSystems();

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
    // The run's jobserver, open for this build (jobserver.hh): the builder gets it as
    // descriptors 3 and 4, announced by CARGO_MAKEFLAGS; -1: none.
    int jobserverFd = -1;
};

// Where each output of `drv` is built under the work directory `top`: at its logical path in the
// scratch store top/store with namespaces, in place in the store without them (BuildUser mode).
// Throws BuildError when the build cannot be contained as it needs (`check`: a --check rebuild).
OutputPlaces builderOutputPlaces(const LocalStore& store, const Derivation& drv,
                                 const std::string& drvPath, const std::string& top, bool check);

// The builder's whole environment: fixed variables, then the derivation's own, then the build
// directory's.
std::map<std::string, std::string> builderEnvironment(const Derivation& drv, const StoreDir& dir,
                                                      unsigned cores, const std::string& buildDir);

// Nix's passAsFile: each variable the derivation's `passAsFile` names (separated by white space)
// is written to .attr-HASH in `hostBuildDir`, HASH the nix32 sha256 of its name, and leaves the
// environment; NAMEPath names the file as the builder sees it, in `buildDir`. A value larger than
// the kernel takes for one string of the environment (128 KiB) reaches the builder this way.
void passVariablesAsFiles(const Derivation& drv, std::map<std::string, std::string>& env,
                          const std::string& hostBuildDir, const std::string& buildDir);

// The scratch store of a build in `top`: each item of `closure` gets its mount point in
// top/store (a symbolic link is copied as it is).
void makeScratchStore(const LocalStore& store, const StorePathSet& closure, const std::string& top);

// What a build holds until its outputs are registered: its build user (so that no other build
// runs as that id while the outputs are still its), and in BuildUser mode, where outputs are
// written in place, the shared gc lock.
struct BuilderHold {
    std::optional<BuildUser> user;
    std::optional<FileLock> gcShared;
};

// Runs the builder of `drv` in top/build, its output going to `log`; the outputs are expected at
// `outputs`' places. When it returns, no process of the build is left. Throws BuildError if it
// fails or cannot be contained.
void runBuilder(LocalStore& store, const Derivation& drv, const std::string& drvPath,
                const std::string& top, const StorePathSet& closure, const OutputPlaces& outputs,
                const BuilderLimits& limits, BuildLogWriter& log, BuilderHold& hold);

} // namespace ferrix
