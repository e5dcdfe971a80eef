// Cargo.toml and Cargo.lock, read with toml++: what the cargo phases need to know about a crate
// (name, version, binary targets, dependencies of each kind and platform, workspace members), the
// metadata a registry publishes (description, license, links, features, dependency features...)
// and a lock file (the locked packages). Errors name FILE:LINE:COLUMN.
#pragma once

#include "ferrix/error.hh"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ferrix::cargo {

// A manifest or lock file that cannot be read; the message starts with "FILE:LINE:COLUMN: " (or
// "FILE: " when there is no position).
class ManifestError : public FormatError {
    using FormatError::FormatError;
};

// Where a key is in its file (lines and columns from 1, as toml++ counts; 0: unknown).
struct SourcePos {
    int line = 0, column = 0;
};
// "FILE:LINE:COLUMN: " (or "FILE: " when `pos` is unknown), the prefix of located messages.
std::string locate(const std::string& file, SourcePos pos);

enum class DepKind { Normal, Dev, Build };
const char* depKindTable(DepKind kind); // "dependencies", "dev-dependencies", "build-dependencies"

struct Dependency {
    std::string key;     // the name in the table (how the crate is referred to)
    std::string package; // the crate's real name (`package = "..."`, else the key)
    std::string version; // requirement, "" if none
    std::optional<std::string> path;
    std::optional<std::string> git;
    bool optional = false;
    bool workspace = false; // `workspace = true`
    std::vector<std::string> features;
    bool defaultFeatures = true;     // `default-features` (or `default_features`)
    bool defaultFeaturesSet = false; // whether it was written (inheritance needs to know)
    std::string registry;            // `registry = "NAME"`, "" if none
    std::string registryIndex;       // `registry-index = "URL"` (as `cargo package` writes it)
    DepKind kind = DepKind::Normal;
    std::string target; // "" or the [target.X] key: a triple or "cfg(...)"
    int line = 0;
    SourcePos pos; // of the dependency's value
};

struct BinTarget {
    std::string name;
    std::string path; // "" when not given
};

// A target table as written: [lib], [[bin]], [[test]], [[bench]], [[example]]. Unset keys keep
// cargo's defaults, which depend on the kind and are applied by `targets()` below.
struct TargetTable {
    std::string name, path;              // "" when not given
    std::vector<std::string> crateTypes; // `crate-type`; empty when not given
    std::optional<bool> procMacro;       // `proc-macro` (lib only)
    std::optional<bool> test, doctest, bench, doc, harness;
    std::string edition; // "" when not given (the package's)
    std::vector<std::string> requiredFeatures;
    SourcePos pos;
};

enum class TargetKind { Lib, Bin, Test, Bench, Example, CustomBuild };
const char*
targetKindName(TargetKind kind); // "lib", "bin", "test", "bench", "example", "custom-build"

// A target with cargo's defaults applied and auto-discovery done (src/lib.rs, src/main.rs,
// src/bin/*.rs and src/bin/*/main.rs, tests/, benches/, examples/, build.rs), as cargo's
// `TargetKind` and `Target` describe it.
struct Target {
    TargetKind kind = TargetKind::Lib;
    std::string name;                    // as written ("foo-bar"); crate name: '-' -> '_'
    std::string path;                    // relative to the package directory, '/'-separated
    std::vector<std::string> crateTypes; // "lib", "rlib", "proc-macro", "bin", "cdylib", ...
    std::string edition;                 // the target's or the package's, "2015" by default
    bool test = true, doctest = false, bench = true, harness = true;
    std::vector<std::string> requiredFeatures;
    bool procMacro() const;
    std::string crateName() const;
};

// Debug levels are cargo's numbers, 0 ("none"), 1 ("limited") and 2 ("full"), and rustc's named
// levels below 0, so that a level other than 0 still means some debuginfo (DEBUG=true).
constexpr int debugLineTablesOnly = -1, debugLineDirectivesOnly = -2;
std::string debuginfoValue(int level); // rustc's `-C debuginfo=`: "2", "line-tables-only"...

// A [profile.NAME] table (or one of its [profile.NAME.package.SPEC] / build-override tables);
// unset keys inherit, see units.hh for how a unit's profile is made.
struct ProfileTable {
    std::optional<std::string> optLevel; // "0".."3", "s", "z"
    std::optional<int> debug;            // a debug level (see debugLineTablesOnly), true -> 2
    std::optional<SourcePos> debugNamed; // where a name ("full"...) gave it: cargo 1.71+ only
    std::optional<bool> debugAssertions, overflowChecks, incremental, rpath;
    std::optional<std::string> lto;   // "false", "true"/"fat", "thin", "off"
    std::optional<std::string> panic; // "unwind", "abort"
    std::optional<int> codegenUnits;
    std::optional<std::string> strip; // "none", "debuginfo", "symbols"
    std::string inherits;             // custom profiles
    // [profile.X.package.SPEC] ("*" included), in file order; [profile.X.build-override] as
    // its only element when present (vectors: the type is incomplete here).
    std::vector<std::pair<std::string, ProfileTable>> packages;
    std::vector<ProfileTable> buildOverride;

    // Out of line: clang cannot decide the implicit ones while the type is incomplete.
    ProfileTable();
    ~ProfileTable();
    ProfileTable(const ProfileTable&) = default;
    ProfileTable(ProfileTable&&) = default;
    ProfileTable& operator=(const ProfileTable&) = default;
    ProfileTable& operator=(ProfileTable&&) = default;
};

struct Manifest {
    std::string file;
    bool hasPackage = false; // false: a virtual workspace manifest
    std::string name, version;
    bool versionFromWorkspace = false;
    bool autobins = true;
    std::vector<BinTarget> bins; // [[bin]] tables
    bool hasLibTable = false;    // a [lib] table
    std::string libPath;         // its path, "" when not given
    std::vector<Dependency> dependencies;
    bool isWorkspace = false;
    std::vector<std::string> members, exclude; // [workspace]
    std::string workspaceVersion;              // [workspace.package] version

    // [package] metadata, as a registry publishes it; "" or empty when absent. Keys inherited
    // from the workspace (`description.workspace = true`) are left empty and listed in
    // `inherited` ("description", "license"...).
    std::string description, license, licenseFile, homepage, repository, documentation;
    std::string links, rustVersion, edition;
    std::optional<std::string> readme; // nullopt: not given; "": `readme = false`
    std::vector<std::string> authors, keywords, categories;
    std::vector<std::string> inherited;
    std::map<std::string, std::vector<std::string>> features; // [features]
    SourcePos packagePos, namePos, versionPos;

    // For building: what cargo's unit graph needs.
    std::optional<TargetTable> lib; // [lib]
    std::vector<TargetTable> binTables, testTables, benchTables, exampleTables;
    bool autoexamples = true, autotests = true, autobenches = true, autolib = true;
    std::vector<std::string> autoKeys; // the auto* keys written ("autobins"...): edition 2015
    std::optional<std::string> build;  // `build = "path"`; "" when `build = false`; nullopt: auto
    std::string resolver;              // `resolver` of [package] or [workspace], "" if none
    std::map<std::string, ProfileTable> profiles; // [profile.*] (only the root's are used)
    // [workspace.dependencies] and [workspace.package] of a workspace root, for inheritance.
    std::vector<Dependency> workspaceDependencies;
    std::map<std::string, std::string> workspacePackage; // string keys of [workspace.package]
    std::map<std::string, std::vector<std::string>> workspacePackageLists; // its array keys
    std::vector<std::string> defaultMembers; // [workspace] default-members
};

Manifest parseManifest(const std::string& text, const std::string& file);
Manifest readManifest(const std::string& file);

// `m` with every `workspace = true` key (package metadata and dependencies) replaced by the value
// of `root`'s [workspace.package] / [workspace.dependencies], as cargo does when it loads a member
// (dependency features are added to the workspace's, `optional` is the member's). Throws
// ManifestError naming the member's file:line when the workspace does not define the key.
Manifest inheritFromWorkspace(const Manifest& m, const Manifest& root);

// The targets of the package in `dir` whose manifest is `m`, as cargo infers them: explicit
// tables merged with auto-discovered files, defaults applied (crate types, `test`, `doctest`,
// `harness`, edition), the build script last. Sorted as cargo lists them: lib, bins, examples,
// tests, benches, custom-build. Throws ManifestError for conflicts cargo refuses (two targets of a
// kind with one name, a [[bin]] without a name or file).
std::vector<Target> targets(const Manifest& m, const std::string& dir);

// Whether the crate in `dir` (holding the manifest `m`) has binary targets: [[bin]] tables,
// src/main.rs or src/bin/ (the last two unless autobins = false).
bool hasBinaryTargets(const Manifest& m, const std::string& dir);

// The members of the workspace whose root manifest is `m` in `dir`: directories relative to
// `dir`, sorted; "dir/*" globs expanded; excludes removed; the root itself not included.
std::vector<std::string> workspaceMembers(const Manifest& m, const std::string& dir);

struct LockedPackage {
    std::string name, version;
    std::string source;   // "" for path (workspace) packages
    std::string checksum; // "" when none
    // `dependencies` entries as written: "NAME", "NAME VERSION" or "NAME VERSION (SOURCE)"; a
    // version 1 lock file's [metadata] checksums are moved into `checksum`.
    std::vector<std::string> dependencies;
};

struct Lockfile {
    std::string file;
    int version = 1;
    std::vector<LockedPackage> packages;
};

Lockfile parseLockfile(const std::string& text, const std::string& file);
Lockfile readLockfile(const std::string& file);

} // namespace ferrix::cargo
