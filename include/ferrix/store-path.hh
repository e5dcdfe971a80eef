// Store paths: "<storeDir>/<32 nix32 chars>-<name>", computed from a fingerprint the way Nix and
// Guix compute them, for any store directory (/gnu/store, /nix/store, a per-user store).
#pragma once

#include "ferrix/hash.hh"

#include <compare>
#include <set>
#include <string>
#include <string_view>

namespace ferrix {

constexpr size_t storePathHashLen = 32;
constexpr size_t maxStorePathNameLen = 211;

// Throws BadStorePath naming the offending character or rule: characters [A-Za-z0-9+-._?=],
// length 1..211, no leading "." (Guix's rule; Nix 2.8 is laxer).
void checkStorePathName(std::string_view name);

// A store path without its directory: "<hash>-<name>". Valid by construction.
class StorePath {
public:
    // Throws BadStorePath.
    explicit StorePath(std::string_view baseName);
    std::string_view hashPart() const { return std::string_view(base).substr(0, storePathHashLen); }
    std::string_view name() const { return std::string_view(base).substr(storePathHashLen + 1); }
    const std::string& to_string() const { return base; }
    bool isDerivation() const { return name().ends_with(".drv"); }
    auto operator<=>(const StorePath&) const = default;

private:
    std::string base;
};

using StorePathSet = std::set<StorePath>;

enum class FileIngestion { Flat, Recursive };

// One store directory: parses and prints full paths and computes new ones.
class StoreDir {
public:
    // `dir` must be absolute with no trailing slash.
    explicit StoreDir(std::string dir);
    const std::string& dir() const { return dir_; }

    std::string print(const StorePath& p) const { return dir_ + "/" + p.to_string(); }
    // Parses a full path directly in this directory; throws BadStorePath.
    StorePath parse(std::string_view fullPath) const;
    bool isStorePath(std::string_view fullPath) const;
    // For a path inside a store item ("<dir>/<hash>-name/bin/x"), the item; throws BadStorePath.
    StorePath toStorePath(std::string_view pathInStore) const;

    // storeDir/nix32(compressHash(sha256(type:sha256:hex(inner):storeDir:name), 20))-name
    StorePath makeStorePath(std::string_view type, const Hash& inner, std::string_view name) const;
    // Files added as text (including .drv files): inner = sha256 of the contents.
    StorePath makeTextPath(std::string_view name, const Hash& contentsSha256,
                           const StorePathSet& references) const;
    // Recursive sha256 additions: inner = sha256 of the NAR.
    StorePath makeSourcePath(std::string_view name, const Hash& narSha256,
                             const StorePathSet& references, bool selfReference = false) const;
    // Fixed-output paths; recursive sha256 is a source path, everything else "output:out".
    StorePath makeFixedOutputPath(std::string_view name, FileIngestion method, const Hash& hash,
                                  const StorePathSet& references = {}) const;
    // Input-addressed derivation output: inner = hashDerivationModulo.
    StorePath makeOutputPath(std::string_view outputName, const Hash& hashModulo,
                             std::string_view drvName) const;

private:
    std::string dir_;
    std::string makeType(std::string type, const StorePathSet& refs, bool self) const;
};

// Output "out" keeps the derivation's name; others get "-<output>" appended.
std::string outputPathName(std::string_view drvName, std::string_view outputName);
// "/" + nix32(sha256("nix-output:" + output)): stands for an output path not yet known.
std::string hashPlaceholder(std::string_view outputName);

} // namespace ferrix
