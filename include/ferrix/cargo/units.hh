// The unit graph of a Cargo package, as cargo makes it (`cargo build --unit-graph`): the packages
// resolved from the lock file or from the crates at hand, their features resolved as cargo's
// resolver "1" or "2" does, and one unit per compilation (a library, a binary, a test, a build
// script's compilation or its run) with its dependencies. Per-crate builds (doc/per-crate.md) turn
// each unit into one derivation.
#pragma once

#include "ferrix/cargo/manifest.hh"
#include "ferrix/cargo/platform.hh"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferrix::cargo {

// A graph that cannot be made: a dependency no crate at hand satisfies, a lock file that does not
// match the crates, a feature that does not exist... The message names the package and the file.
class UnitGraphError : public Error {
    using Error::Error;
};

// A crate at hand: an unpacked crate directory (Cargo.toml at its top) and where it comes from.
struct CrateSource {
    std::string dir;
    // cargo's source id: "registry+https://github.com/rust-lang/crates.io-index" (the default
    // when ""), or "git+URL?rev=REV#COMMIT".
    std::string source;
    std::string checksum; // sha256 (hex) of the .crate, "" when unknown
};

struct UnitGraphOptions {
    std::string hostTriple, targetTriple; // equal when not cross-compiling
    CfgSet hostCfg, targetCfg;            // `rustc --print cfg` for each, plus rustflags' --cfg
    // `--target` given: host units (build scripts, proc-macros and what they depend on) are kept
    // apart from target units even when the triples are equal, as cargo does then.
    bool crossCompile = false;
    std::vector<std::string> features; // `--features`: "f" or "member/f"
    bool allFeatures = false, noDefaultFeatures = false;
    std::vector<std::string> packages; // `-p`: members to build; empty: the default members
    bool tests = false;                // also what `cargo test` builds (tests, doctests, dev-deps)
    // With tests, `cargo test`'s target selection, doc/cargo.md's #:test-target items ("lib",
    // "bins", "tests", "doc", "bin:NAME", an integration test's name...); empty: cargo's default.
    std::vector<std::string> testTargets;
    std::string profile = "release";
    // Cargo's behaviour changes with its version (the default `strip` of release since 1.77,
    // `--check-cfg` since 1.80...): the toolchain's "MAJOR.MINOR.PATCH".
    std::string cargoVersion;
    bool useLockfile = true; // read ROOT/Cargo.lock when it exists
    // Path packages moved to items of their own (doc/per-crate.md): a package's directory under
    // ROOT -> a directory holding only that package. Their units read it, and their metadata
    // names it, so that an edit to one member leaves the others' units as they were.
    std::map<std::string, std::string> packageDirs;
};

enum class CompileMode { Build, Test, RunCustomBuild, Doctest };
const char* compileModeName(CompileMode mode); // "build", "test", "run-custom-build", "doctest"

// A unit's profile, after the root manifest's [profile.*] tables, per-package overrides and
// build-override have been applied, as in cargo's unit graph.
struct Profile {
    std::string name = "release";
    std::string root = "release"; // "debug" when it inherits dev: build scripts' PROFILE
    std::string optLevel = "3";
    int debuginfo = 0; // a debug level (manifest.hh)
    bool debugAssertions = false, overflowChecks = false, rpath = false, incremental = false;
    std::string lto = "false"; // "false", "off", "thin", "fat"
    std::string panic = "unwind";
    std::optional<int> codegenUnits;
    std::string strip = "none"; // "none", "debuginfo", "symbols"
};

// A resolved package (cargo's PackageId plus what building it needs).
struct Package {
    std::string name, version;
    std::string source; // source id: registry or git as in CrateSource; "path+file://DIR"
    std::string dir;    // where its files are (its CrateSource dir, or a directory of the root)
    std::string checksum;
    Manifest manifest; // workspace inheritance applied
    std::vector<Target> targets;
    bool local = false; // a path package (a workspace member or path dependency): lints not capped
    // A path package moved by UnitGraphOptions::packageDirs: its directory relative to the
    // workspace root ("." for the root), the name cargo gives its files; "" when not moved.
    std::string workspacePath;
    std::string id() const; // "SOURCE#NAME@VERSION", as in cargo's unit graph
};

struct UnitDep {
    std::size_t unit;
    std::string externName; // the name the dependent uses (renames applied, '-' -> '_')
    bool noprelude = false;
    bool isPublic = false;
};

struct Unit {
    std::size_t package; // index in UnitGraph::packages
    Target target;
    CompileMode mode = CompileMode::Build;
    // Compiled for the host: build scripts, proc-macros and their dependencies. Without
    // crossCompile this only changes the profile (build-override), as in cargo. cargo's
    // CompileKind::Host: a build script's run has its library's kind (false for a target's).
    bool host = false;
    std::vector<std::string> features; // sorted
    Profile profile;
    std::vector<UnitDep> deps; // in cargo's order
    // `-C metadata` and `-C extra-filename` (without the '-'): 16 hex digits hashing what
    // identifies the unit (package id, target, mode, features, profile, host/target, the toolchain
    // version) and its dependencies' metadata, so that equal units in two graphs are equal.
    std::string metadata;
    bool root = false; // asked for by the options (cargo's roots)
};

struct UnitGraph {
    std::vector<Package> packages;
    std::vector<Unit> units; // dependencies before dependents
    std::vector<std::size_t> roots;
    std::string resolver;     // "1" or "2"
    std::string cargoVersion; // the options', for toJson's form of package ids
    // The `--target` triple when cross-compiling (units not for the host are built for it), ""
    // otherwise.
    std::string crossTarget;

    // Cargo's `--unit-graph` JSON (version 1): units with pkg_id, target, profile, platform,
    // mode, features and dependencies, then roots; for comparing with cargo's own.
    std::string toJson() const;
};

// Resolves the package at `root` (a crate or a workspace, with its path dependencies), against
// `crates` (and ROOT/Cargo.lock when there is one and `options.useLockfile`) and returns its unit
// graph. Without a lock file each requirement takes the highest version at hand that satisfies
// it, as cargo would from a registry holding only those crates. Only what the selected units
// need must be at hand: a missing crate is an error only if a unit needs it.
UnitGraph unitGraph(const std::string& root, const std::vector<CrateSource>& crates,
                    const UnitGraphOptions& options);

} // namespace ferrix::cargo
