// The work of the cargo build system's standard phases (configure, build, check, install), called
// by (ferrix build cargo-build-system) on the build side. These functions decide and prepare;
// the commands they return (cargo generate-lockfile, build, test, install) are run by the Scheme
// phase with `invoke`, so that a failure is an &invoke-error naming the command, as in Guix.
#pragma once

#include "ferrix/cargo/vendor.hh"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ferrix::cargo {

// The keyword arguments of a cargo build, as the phases receive them.
struct Settings {
    std::string name;      // "rust-foo-1.2.3"
    std::string crateName; // "foo"
    std::string sourceDir; // the unpacked source (the phases' working directory)
    std::string buildTop;  // where the vendor directory, CARGO_HOME (.cargo) and target/ live
    std::string vendorDir = "ferrix-vendor"; // relative to buildTop unless absolute
    std::vector<std::string> inputs;         // store file names of the crate inputs
    std::vector<std::string>
        nativeInputs;        // every input: pkg-config files, rustdoc are looked up there
    std::string cargoTarget; // Rust triple of the target (or of the system)
    bool cross = false;      // #:target given
    std::vector<std::string> rustflags, buildFlags, testFlags, features, testTargets;
    bool tests = true, skipBuild = false, installSource = true;
    bool parallelBuild = true, parallelTests = true;
    bool locked = false; // configure kept a matching Cargo.lock: build, test, install --locked
    std::string out;     // the "out" output
};

using Environment = std::vector<std::pair<std::string, std::string>>;

struct ConfigureResult {
    Environment env;                           // to set before cargo runs
    std::vector<std::string> log;              // one line per decision
    bool locked = false;                       // a Cargo.lock matching the vendored set was kept
    std::vector<std::string> generateLockfile; // command to run when there was no Cargo.lock
};

// Vendors the inputs, prunes the manifests (dev-dependencies when tests are off, other platforms'
// dependencies) of what has no input, writes CARGO_HOME/config.toml, checks Cargo.lock against the
// vendored set (a lock file that does not match is an error naming each difference), and returns
// the environment: CARGO_HOME, CARGO_TARGET_DIR, CARGO_BUILD_JOBS, CARGO_ENCODED_RUSTFLAGS (the
// build directory remapped to /ferrix-build, then #:rustflags),
// CARGO_BUILD_TARGET (cross), PKG_CONFIG_PATH, RUSTDOC (next to the toolchain input's real rustc)
// and the switches that make common -sys crates use the system's libraries through pkg-config.
ConfigureResult configure(const Settings& s);

// Jobs for cargo: FERRIX_BUILD_CORES, else NIX_BUILD_CORES, else the number of processors (0 in
// either variable means all processors).
unsigned buildCores();

// The environment's -sys crate switches (name, value), in the order they are set.
const Environment& sysCrateSwitches();

std::vector<std::string> buildCommand(const Settings& s);
// Empty when the tests are not to be run (#:tests? #f or #:skip-build? #t).
std::vector<std::string> testCommand(const Settings& s);
// cargo test flags selecting the test targets: "lib", "bins", "tests", "benches", "examples",
// "doc", "all-targets" select kinds of targets, any other name an integration test (--test NAME).
std::vector<std::string> testTargetFlags(const std::vector<std::string>& targets);

struct InstallResult {
    std::vector<std::vector<std::string>> commands; // cargo install, one per crate with binaries
    std::vector<std::string> log;
};

// Installs the source (when installSource) to OUT/share/rust-source/NAME-VERSION (with the
// original Cargo.toml) and a reproducible OUT/share/cargo/registry/NAME-VERSION.crate, and returns
// the `cargo install --offline --no-track --path DIR --root OUT` commands for the crates (the
// package, or the members of a virtual workspace) that have binary targets, unless skipBuild.
InstallResult install(const Settings& s);

} // namespace ferrix::cargo
