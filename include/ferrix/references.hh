// Reference scanning: which store paths does a store item mention? A reference is the 32-char
// nix32 hash part of a candidate path appearing anywhere in the item's NAR stream (contents,
// entry names, symlink targets), exactly as Nix and Guix detect run-time dependencies.
#pragma once

#include "ferrix/nar.hh"
#include "ferrix/store-path.hh"
#include "ferrix/stream.hh"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ferrix {

// A sink that looks for any of a set of hash parts in the bytes it is fed, however they are
// chunked: a hash split across two (or 32) calls is still found.
class RefScanSink : public Sink {
public:
    // Each candidate must be storePathHashLen (32) characters long; throws Error otherwise.
    explicit RefScanSink(const std::set<std::string>& hashParts);
    void operator()(std::string_view data) override;
    // The candidates seen so far.
    const std::set<std::string>& found() const { return found_; }

private:
    std::set<std::string, std::less<>> candidates;
    std::set<std::string> found_;
    // A quick filter on a window's first 8 bytes, so that long runs of nix32 characters (hex
    // dumps, base32 text) rarely reach the set look-up.
    std::vector<uint64_t> filter;
    std::string tail; // the last up to 31 bytes seen, to catch hashes spanning two chunks
    void scan(std::string_view s);
};

// The candidates whose hash part occurs in the NAR serialisation of `path`.
StorePathSet scanForReferences(const std::string& path, const StoreDir& storeDir,
                               const StorePathSet& candidates);

// NAR hash (sha256) and size of `path` and the candidates it refers to, in a single pass.
struct NarScan {
    NarHash nar;
    StorePathSet references;
};
NarScan hashAndScan(const std::string& path, const StorePathSet& candidates);

// hashAndScan while copying `path` to `copyTo` in canonical form (see dumpPathCopy): the result
// describes the copy.
NarScan copyAndScan(const std::string& path, const std::string& copyTo,
                    const StorePathSet& candidates);

} // namespace ferrix
