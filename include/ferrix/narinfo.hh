// The .narinfo file of a binary cache: what a client learns about a store item before fetching
// its NAR (doc/formats.md, section 5). Parsed as strictly as Nix's client parses it and rendered
// byte for byte as Nix writes it, so that caches written by one are read by the other.
#pragma once

#include "ferrix/error.hh"
#include "ferrix/hash.hh"
#include "ferrix/store-path.hh"
#include "ferrix/store.hh"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace ferrix {

class BadNarInfo : public FormatError {
    using FormatError::FormatError;
};

struct NarInfo {
    StorePath path;
    // Where the (compressed) NAR is, relative to the cache: "nar/FILEHASH.nar.xz".
    std::string url;
    // "none", "xz", "bzip2", "zstd"...; a file without the line means bzip2.
    std::string compression = "bzip2";
    // Hash and size of the file at url, the compressed NAR.
    std::optional<Hash> fileHash;
    uint64_t fileSize = 0;
    Hash narHash;
    uint64_t narSize = 0;
    StorePathSet references;
    std::optional<StorePath> deriver;
    std::string system;
    // "KEY-NAME:BASE64" each, sorted as Nix keeps them.
    std::set<std::string> sigs;
    // Content address as in ValidPathInfo::ca, empty for input-addressed items.
    std::string ca;

    // What a cache writer publishes for INFO once its NAR is stored at URL.
    NarInfo(const ValidPathInfo& info, std::string url, std::string compression,
            const Hash& fileHash, uint64_t fileSize);

    // Throws BadNarInfo "WHENCE:LINE: reason" for a malformed line, "WHENCE: reason" for a
    // missing StorePath, NarHash or URL or a zero NarSize. Unknown keys are skipped, as Nix
    // skips them, so that newer caches stay readable.
    static NarInfo parse(const StoreDir& storeDir, std::string_view text, std::string_view whence);

    // The file, every line "Key: value\n" in Nix's order; FileHash and FileSize only when known
    // (a writer always knows them, as Nix requires).
    std::string toString(const StoreDir& storeDir) const;

    // What a Sig signs: "1;PATH;NARHASH;NARSIZE;REF,REF" with full paths. Throws BadNarInfo
    // when the NAR size is unknown (zero), as Nix refuses to sign then.
    std::string fingerprint(const StoreDir& storeDir) const;

private:
    explicit NarInfo(StorePath p) : path(std::move(p)) {}
};

} // namespace ferrix
