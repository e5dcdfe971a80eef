// Vendoring: crate inputs (crate tarballs, unpacked crate directories, and the share/cargo/registry
// of built packages) copied into a vendor directory that cargo reads as a directory source, each
// with the .cargo-checksum.json that `cargo vendor` would write; the cargo configuration that
// replaces crates.io by it; the pruning of dependencies that cannot be resolved offline; and the
// check of a Cargo.lock against the vendored set.
#pragma once

#include "ferrix/cargo/manifest.hh"
#include "ferrix/cargo/platform.hh"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ferrix::cargo {

struct VendoredCrate {
    std::string name, version;
    std::string dir;                    // in the vendor directory
    std::string origin;                 // the input it came from
    std::optional<std::string> package; // sha256 (hex) of the .crate, when known
};

// The sha256 (hex) of every file under `dir` (relative names, '/'-separated, sorted), but
// .cargo-checksum.json, and `package`: {"files":{...},"package":"HEX"|null}. Symlinks are
// hashed as the file they point to, as cargo reads them.
std::string checksumJson(const std::string& dir, const std::optional<std::string>& package);
void writeChecksumFile(const std::string& dir, const std::optional<std::string>& package);

// Vendors every crate found in `inputs` (store file names) into `vendorDir` (created), one
// directory NAME-VERSION per crate (an input whose Cargo.toml has a [workspace], e.g. a git
// checkout, gives its member crates too); the first input giving a NAME-VERSION wins. Inputs that
// hold no crate are skipped. Target-specific dependencies of the vendored crates that do not apply
// to `triple` and have no vendored crate are pruned (see pruneManifest; exactly, against
// `platforms` when given); then the checksum files are written. `log` receives one line per
// decision.
std::vector<VendoredCrate> vendorInputs(const std::vector<std::string>& inputs,
                                        const std::string& vendorDir, const std::string& triple,
                                        std::vector<std::string>& log,
                                        const BuildPlatforms* platforms = nullptr);

// The cargo configuration: crates.io replaced by the directory source `vendorDir`, offline; and so
// is each of `gitSources` (git source ids "git+URL?rev=REV", as gitSourceIds gives them), as
// `cargo vendor` writes it: [source."git+URL?rev=REV"] git = URL, rev = REV.
std::string cargoConfig(const std::string& vendorDir,
                        const std::vector<std::string>& gitSources = {});

// The distinct git sources of `lock`'s packages, without the "#COMMIT" fragment, in order.
std::vector<std::string> gitSourceIds(const Lockfile& lock);

// Rewrites `dir`/Cargo.toml without the dependencies cargo could not resolve offline: (when
// `pruneDev`) dev-dependencies whose crate is not in `available`, and target-specific dependencies
// whose target does not apply to `triple` and whose crate is not in `available`; features that
// name a removed dependency lose those entries. The original is kept as Cargo.toml.orig (or
// Cargo.toml.orig.ferrix when the crate already ships a Cargo.toml.orig). Path dependencies are
// never pruned. Returns the removed entries ("dev-dependencies.foo",
// "target.cfg(windows).dependencies.bar"); the file is untouched when nothing is removed.
std::vector<std::string> pruneManifest(const std::string& dir,
                                       const std::set<std::string>& available,
                                       const std::string& triple, bool pruneDev);
enum class PruneReason { TestsOff, OtherPlatform, Optional };

struct PruneOptions {
    bool dev = false;      // dev-dependencies without an input (tests off), in every table
    bool optional = false; // optional dependencies without an input (the crate being built)
    // The cfg sets [target.'cfg(...)'] tables are decided against, exactly as cargo does; without
    // them, from the triple alone, and a table naming what a triple does not tell (target_feature,
    // a --cfg name...) is kept.
    const BuildPlatforms* platforms = nullptr;
};

struct PruneResult {
    std::vector<std::string> removed; // as pruneManifest returns them
    std::vector<PruneReason> reasons; // one per removed entry
    // Features that lost what they enabled because an optional dependency was pruned (each
    // with that dependency): those whose entries named it, those that enable such a feature,
    // and the implicit feature of each pruned optional dependency. Asking for one of them would
    // build without what it promises.
    std::map<std::string, std::string> weakened;
    // The optional dependencies pruned (and so gone from every table).
    std::set<std::string> optionalPruned;
    // The [target.KEY] tables kept because KEY could not be decided (without `platforms` only).
    std::vector<std::string> undecided;
};

// pruneManifest, with the reason of each removal, and (`options.optional`) also pruning the
// optional dependencies (normal and build, of every table that applies to `triple`) whose crate
// is not in `available`: cargo resolves every optional dependency of the package being built
// when it makes a lock file, enabled or not. Feature entries naming a dependency removed from
// every table are removed ("dep:x", "x/f", "x?/f", and "x" unless a feature is called x), and so
// are entries enabling a weakened feature (see PruneResult), so that "default" does not turn on
// code needing what was pruned; the features themselves stay (maybe empty), so that the
// manifest stays consistent.
PruneResult pruneDependencies(const std::string& dir, const std::set<std::string>& available,
                              const std::string& triple, const PruneOptions& options);

// The dev-dependencies of `dir`/Cargo.toml that cargo would resolve for `platforms`' target (those
// of the tables that apply) and that no crate of `available` provides (path dependencies aside):
// what a build with tests needs but lacks.
std::vector<Dependency> missingDevDependencies(const std::string& dir,
                                               const std::set<std::string>& available,
                                               const BuildPlatforms& platforms);

// The sentence naming missing dev-dependencies, `missing` those of each manifest file, with the two
// ways out (an input, or no tests): both modes' words (configure's, the per-crate unit graph's).
std::string
missingDevDependenciesMessage(const std::vector<std::pair<std::string, Dependency>>& missing);

// The name of the saved original manifest in `dir`, or "" if pruneManifest changed nothing.
std::string savedManifest(const std::string& dir);

// Differences between `lock`'s registry and git packages and `vendored` (git packages: only
// whether one is vendored at that version, they have no checksum): a locked package not vendored at
// that version, or whose locked checksum differs from the vendored crate's (or the crate's is
// unknown). Empty: the lock file matches and the build can be --locked.
std::vector<std::string> lockMismatches(const Lockfile& lock,
                                        const std::vector<VendoredCrate>& vendored);

} // namespace ferrix::cargo
