// Rust target platforms: evaluating the `cfg(...)` expressions of [target.'cfg(...)'] tables
// against a target, as cargo does, to tell which target-specific dependencies apply.
#pragma once

#include "ferrix/cargo/manifest.hh"
#include "ferrix/error.hh"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ferrix::cargo {

// What `rustc --print cfg [--target T]` prints for a platform (plus the `--cfg` flags of the
// effective rustflags): names ("unix", "debug_assertions") and name="value" pairs
// ("target_os", "linux"). A cfg that is not in the set is false, as in rustc.
struct CfgSet {
    std::set<std::string> names;
    std::set<std::pair<std::string, std::string>> values;

    // Parses rustc's output, one cfg per line (`name` or `name="value"`); throws FormatError
    // naming the line otherwise.
    static CfgSet parse(const std::string& printCfgOutput);
    // Adds `--cfg SPEC` flags found in `rustflags` (both "--cfg X" and "--cfg=X").
    void addRustflags(const std::vector<std::string>& rustflags);
    // Adds one `name` or `name="value"`; false (and nothing added) when it is neither.
    bool add(const std::string& spec);
    bool has(const std::string& name) const;
    bool has(const std::string& name, const std::string& value) const;
    // Lines as rustc prints them, sorted: the inverse of parse.
    std::string str() const;
};

// Whether the [target.KEY] table of a manifest applies when building for `triple`
// ("x86_64-unknown-linux-gnu"): KEY is a triple (compared as is) or "cfg(EXPR)". Returns nullopt
// when it cannot be decided (features, target_feature, unknown keys): such dependencies are kept.
// Throws FormatError for a malformed expression.
std::optional<bool> targetApplies(const std::string& key, const std::string& triple);

// Whether the [target.KEY] table applies to the platform `triple` whose cfg set is `cfg`: exact,
// as cargo decides it (a name or pair absent from `cfg` is false). Throws FormatError for a
// malformed expression.
bool targetApplies(const std::string& key, const std::string& triple, const CfgSet& cfg);

// The platforms a build resolves dependencies for, as cargo sees them: the target's triple and
// cfg set (`rustc --print cfg --target T` with the effective rustflags), and the host's, for
// build dependencies (the target's when not cross-compiling).
struct BuildPlatforms {
    std::string target, host;
    CfgSet targetCfg, hostCfg;

    // Whether the [target.KEY] table applies to a dependency of `kind` (dependencies: either
    // platform, since a crate may be built for both; build-dependencies: the host;
    // dev-dependencies: the target).
    bool applies(const std::string& key, DepKind kind) const;
};

} // namespace ferrix::cargo
