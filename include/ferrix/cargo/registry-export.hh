// `ferrix registry export`: a static, crates.io-shaped registry made from unpacked crates
// (Debian's /usr/share/cargo/registry, a `cargo vendor` directory), which any static HTTP server
// can serve and both cargo (through the sparse index) and ferrix (through the API JSON) can use.
//
// The layout under DIR (see doc/registry.md):
//   index/config.json                        {"dl": BASE/api/v1/crates, "api": BASE}
//   index/re/ge/regex                        cargo's sparse index: one JSON line per version
//   api/v1/crates/NAME/index.html            GET /api/v1/crates/NAME ({"crate", "versions"...})
//   api/v1/crates/NAME/versions/index.html   GET /api/v1/crates/NAME/versions
//   api/v1/crates/NAME/VERSION/index.html    GET /api/v1/crates/NAME/VERSION ({"version"})
//   api/v1/crates/NAME/VERSION/download      the .crate (reproducible: sorted, mtime 0, root)
//   api/v1/crates/NAME/VERSION/dependencies  {"dependencies": [...]}
//   api/v1/crates/NAME/VERSION/readme        the crate's README, when it has one
//   api/v1/crates/NAME/VERSION/.ferrix-export.json   what the export knows about the version
// A path cannot be both a file and a directory, so the JSON of NAME and of NAME/VERSION is the
// index.html of their directories, which static servers answer with (after redirecting NAME to
// NAME/).
//
// Exports are incremental and all-or-nothing: an unchanged crate (same files, same packing) is
// not repacked; versions already in DIR stay unless pruned; every file is built in a temporary
// directory next to DIR and renamed into place only once every crate has been read and packed, so
// an error leaves DIR as it was.
#pragma once

#include "ferrix/cargo/manifest.hh"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ferrix::cargo {

struct ExportOptions {
    // Directories of unpacked crates (NAME-VERSION/ or NAME/ with a Cargo.toml each) or of
    // .crate files (exported as they are, keeping their checksums: ~/.cargo/registry/cache/*,
    // `cargo package` output), or one crate directory or .crate file. The first source giving a
    // NAME@VERSION wins.
    std::vector<std::string> sources;
    std::string dir;     // the registry, created or updated
    std::string baseUrl; // where DIR is served: an absolute http, https or file URL
    // NAME@VERSION to mark yanked, or no longer yanked; the version must be in the sources or
    // already in DIR. Yanked stays yanked in later exports until unyanked.
    std::vector<std::string> yank, unyank;
    bool keepGoing = false; // skip a bad crate (a warning) instead of failing the export
    // Remove from DIR the versions that no source holds (and crates left without any), so that
    // DIR mirrors the sources; not done when keepGoing skipped a crate.
    bool prune = false;
    unsigned jobs = 0; // packing threads; 0: one per processor
};

struct ExportSummary {
    size_t crates = 0, versions = 0; // in the registry after the export
    size_t exported = 0;             // versions read from the sources
    size_t packed = 0;               // of which .crate files were made
    size_t unchanged = 0;            // of which were exported before from the same files
    size_t skipped = 0;              // bad crates left out (keepGoing)
    size_t removed = 0;              // versions pruned
    uint64_t bytes = 0;              // size of the registry's .crate files
    double seconds = 0;
    std::vector<std::string> warnings;
};

// Exports the crates of `opts.sources` into `opts.dir`. A bad crate (malformed Cargo.toml, a
// workspace-inheriting or path-only manifest, an invalid name or version) throws ManifestError
// naming FILE:LINE:COLUMN, and DIR is left unchanged; UsageError for bad options.
ExportSummary exportRegistry(const ExportOptions& opts);

// A crate found in a source, its manifest read and checked for publishing.
struct SourceCrate {
    std::string dir; // the crate's directory, or its .crate file
    Manifest manifest;
    // A .crate file, exported as it is (its checksum kept): its files (relative to its top
    // NAME-VERSION/ directory) and the text of its Cargo.toml and README files.
    bool archive = false;
    std::set<std::string> files;
    std::map<std::string, std::string> texts;
};

// The crates of one source (see ExportOptions::sources), sorted by name: crate directories and
// .crate files (NAME-VERSION.crate, whose entries must all be under NAME-VERSION/, as cargo
// requires); directories without a Cargo.toml are reported in `warnings` and left out. Throws
// for a bad manifest or archive.
std::vector<SourceCrate> findSourceCrates(const std::string& source,
                                          std::vector<std::string>& warnings);

// Checks that `m` can be published as is: a [package] with a valid crate name and semver
// version of its own (nothing inherited from a workspace), dependencies with a version
// requirement (path- or git-only ones are refused, except dev-dependencies, which are dropped
// as `cargo package` does). Throws ManifestError at the offending key.
void checkPublishable(Manifest& m);

// The SHA-256 (hex) of what packing `dir` as a .crate depends on: every packed entry's name,
// type, mode and contents (symlink target). Equal fingerprints give identical .crate files.
std::string sourceFingerprint(const std::string& dir);

// The files of a crate directory that its .crate holds: all but the checksum files that
// vendoring and unpacking add (.cargo-checksum.json, .cargo-ok) at its top.
bool packedInCrate(const std::string& rel, bool isDir);

} // namespace ferrix::cargo
