// Cargo's registry index format (cargo's "Registry Index" documentation): one file per crate,
// placed by indexPath(), holding one JSON object per published version, one per line. Read by the
// registry client (registry.hh), written by `ferrix registry export`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ferrix::cargo {

struct IndexDependency {
    std::string name; // as written in the manifest (a rename's new name)
    std::string req;  // version requirement, e.g. "^1.2"
    std::vector<std::string> features;
    bool optional = false;
    bool defaultFeatures = true;
    std::string target;   // "" or a triple or cfg(...)
    std::string kind;     // "normal", "dev", "build"
    std::string package;  // the real crate name when renamed, else ""
    std::string registry; // index URL of another registry, "" = same registry
};

struct IndexEntry {
    std::string name, vers;
    std::vector<IndexDependency> deps;
    std::string cksum; // sha256 of the .crate, lowercase hex
    // "features" and "features2" merged: features2 holds those using "dep:" or "?/" syntax,
    // which cargo older than 1.60 cannot read.
    std::map<std::string, std::vector<std::string>> features;
    bool yanked = false;
    std::string links;
    std::string rustVersion;
};

// The path of a crate's file in the index: "1/a", "2/ab", "3/a/abc", "ab/cd/abcd", lowercased.
// Throws FormatError for a name that is empty or holds characters a crate name cannot.
std::string indexPath(std::string_view crateName);

// One JSON line (no newline); features needing the new syntax go to "features2", with "v": 2.
std::string writeIndexLine(const IndexEntry& entry);

// Throws FormatError "WHERE: REASON" for a malformed line or one of a format version newer
// than 2.
IndexEntry parseIndexLine(std::string_view line, const std::string& where);

// Every entry of an index file; blank lines skipped, as are lines of a format version newer
// than 2 (as cargo does). Errors are "WHERE:LINE: REASON".
std::vector<IndexEntry> parseIndexFile(std::string_view text, const std::string& where);

} // namespace ferrix::cargo
