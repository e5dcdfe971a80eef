// Cargo.toml and Cargo.lock, read with toml++: what the cargo phases need to know about a crate
// (name, version, binary targets, dependencies of each kind and platform, workspace members), the
// metadata a registry publishes (description, license, links, features, dependency features...)
// and a lock file (the locked packages). Errors name FILE:LINE:COLUMN.
#pragma once

#include "ferrix/error.hh"

#include <map>
#include <optional>
#include <string>
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
    bool defaultFeatures = true; // `default-features` (or `default_features`)
    std::string registry;        // `registry = "NAME"`, "" if none
    std::string registryIndex;   // `registry-index = "URL"` (as `cargo package` writes it)
    DepKind kind = DepKind::Normal;
    std::string target; // "" or the [target.X] key: a triple or "cfg(...)"
    int line = 0;
    SourcePos pos; // of the dependency's value
};

struct BinTarget {
    std::string name;
    std::string path; // "" when not given
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
};

Manifest parseManifest(const std::string& text, const std::string& file);
Manifest readManifest(const std::string& file);

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
};

struct Lockfile {
    std::string file;
    int version = 1;
    std::vector<LockedPackage> packages;
};

Lockfile parseLockfile(const std::string& text, const std::string& file);
Lockfile readLockfile(const std::string& file);

} // namespace ferrix::cargo
