// The work of the cargo build system's standard phases that needs C++: preparing a source for an
// offline build (configure) and installing it (install). (ferrix build cargo-build-system) calls
// these through guile/cargo.cc with the phases' keyword arguments as values, and builds the cargo
// command lines and their environment itself, in Scheme.
#pragma once

#include "ferrix/cargo/vendor.hh"

#include <string>
#include <vector>

namespace ferrix::cargo {

// A build with tests whose dev-dependencies no input provides, named before cargo runs.
class MissingDevDependencies : public Error {
    using Error::Error;
};

struct OfflineSource {
    std::vector<std::string> log; // one line per decision
    bool lockFile = false; // the source's Cargo.lock was there (and matches the vendored set)
};

// Prepares `sourceDir` for an offline build: vendors `inputs` (store file names of the crate
// inputs) into `vendorDir`; prunes the source's manifests (the root's and its workspace members')
// of the dependencies no input provides that cargo would still resolve (dev-dependencies unless
// `tests`, the dependencies of platforms other than `triple`, optional dependencies); refuses
// `features` that need a pruned optional dependency; writes `cargoHome`/config.toml, which
// replaces crates.io (and the lock file's git sources) by the vendor directory; and checks
// `sourceDir`/Cargo.lock, if any, against the vendored crates: one that does not match is an
// error naming each difference. With `platforms`, target tables are decided exactly against
// their cfg sets, and with `tests`, dev-dependencies that no input provides are a
// MissingDevDependencies error naming each.
OfflineSource prepareOfflineSource(const std::string& sourceDir,
                                   const std::vector<std::string>& inputs,
                                   const std::string& vendorDir, const std::string& cargoHome,
                                   const std::string& triple, bool tests,
                                   const std::vector<std::string>& features,
                                   const BuildPlatforms* platforms = nullptr);

// Installs the source tree `sourceDir` to `out`/share/rust-source/NAME-VERSION with its original
// Cargo.toml, and a reproducible `out`/share/cargo/registry/NAME-VERSION.crate of it. NAME and
// VERSION come from Cargo.toml; a virtual workspace is installed as `name` (the package's), and
// without a .crate. Returns the log lines.
std::vector<std::string> installSource(const std::string& sourceDir, const std::string& out,
                                       const std::string& name);

// The crates of `sourceDir` that have binary targets, as directories relative to it: "." for the
// package, or the members of a virtual workspace.
std::vector<std::string> binaryCrateDirs(const std::string& sourceDir);

} // namespace ferrix::cargo
