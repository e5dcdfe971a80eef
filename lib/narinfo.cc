#include "ferrix/narinfo.hh"

#include <algorithm>
#include <charconv>

namespace ferrix {

NarInfo::NarInfo(const ValidPathInfo& info, std::string url, std::string compression,
                 const Hash& fileHash, uint64_t fileSize)
    : path(info.path), url(std::move(url)), compression(std::move(compression)), fileHash(fileHash),
      fileSize(fileSize), narHash(info.narHash), narSize(info.narSize), references(info.references),
      deriver(info.deriver), ca(info.ca) {}

namespace {

// One line of a file being parsed, for errors that name it.
struct Line {
    std::string_view whence;
    size_t number;

    [[noreturn]] void fail(const std::string& why) const {
        throw BadNarInfo(std::string(whence) + ":" + std::to_string(number) + ": " + why);
    }
};

uint64_t parseSize(const Line& line, std::string_view key, std::string_view value) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size())
        line.fail(std::string(key) + " '" + std::string(value) + "' is not a number of bytes");
    return n;
}

// Nix requires the algorithm prefix ("sha256:..." or SRI), since it cannot be guessed here.
Hash parseHash(const Line& line, std::string_view key, std::string_view value) {
    try {
        return Hash::parse(value);
    } catch (BadHash& e) {
        line.fail(std::string(key) + " '" + std::string(value) + "' is not a hash: " + e.what());
    }
}

// References and the deriver are base names, in the store of the StorePath line.
StorePath parseBaseName(const Line& line, std::string_view key, std::string_view value) {
    if (value.find('/') != std::string_view::npos)
        line.fail(std::string(key) + " '" + std::string(value) +
                  "' is a path, not the base name of a store item");
    try {
        return StorePath(value);
    } catch (BadStorePath& e) {
        line.fail(std::string(key) + ": " + e.what());
    }
}

// "text:sha256:HASH", "fixed:ALGO:HASH" or "fixed:r:ALGO:HASH".
void checkContentAddress(const Line& line, std::string_view value) {
    std::string_view rest;
    if (value.starts_with("text:")) {
        rest = value.substr(5);
        if (!rest.starts_with("sha256:"))
            line.fail("CA '" + std::string(value) + "' is a text address not made with sha256");
    } else if (value.starts_with("fixed:")) {
        rest = value.substr(6);
        if (rest.starts_with("r:")) rest = rest.substr(2);
    } else {
        line.fail("CA '" + std::string(value) + "' is neither a text: nor a fixed: address");
    }
    try {
        Hash::parse(rest);
    } catch (BadHash& e) {
        line.fail("CA '" + std::string(value) + "' has a bad hash: " + e.what());
    }
}

} // namespace

NarInfo NarInfo::parse(const StoreDir& storeDir, std::string_view text, std::string_view whence) {
    // NarInfo has no empty StorePath: the fields are gathered first.
    std::optional<StorePath> path;
    std::optional<Hash> narHash;
    std::optional<std::string> compression;
    std::string url, system, ca;
    std::optional<Hash> fileHash;
    uint64_t fileSize = 0, narSize = 0;
    StorePathSet references;
    std::optional<StorePath> deriver;
    std::set<std::string> sigs;
    std::set<std::string, std::less<>> seen;

    Line line{whence, 0};
    for (size_t pos = 0; pos < text.size();) {
        line.number++;
        size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) line.fail("the last line has no newline");
        std::string_view l = text.substr(pos, eol - pos);
        pos = eol + 1;

        size_t colon = l.find(": ");
        if (colon == std::string_view::npos)
            line.fail("'" + std::string(l) + "' is not a 'Key: value' line");
        std::string_view key = l.substr(0, colon), value = l.substr(colon + 2);
        if (key != "Sig" && !seen.insert(std::string(key)).second)
            line.fail(std::string(key) + " appears twice");

        if (key == "StorePath") {
            try {
                path = storeDir.parse(value);
            } catch (BadStorePath& e) {
                line.fail(std::string("StorePath: ") + e.what());
            }
        } else if (key == "URL") {
            url = value;
        } else if (key == "Compression") {
            compression = value;
        } else if (key == "FileHash") {
            fileHash = parseHash(line, key, value);
        } else if (key == "FileSize") {
            fileSize = parseSize(line, key, value);
        } else if (key == "NarHash") {
            narHash = parseHash(line, key, value);
        } else if (key == "NarSize") {
            narSize = parseSize(line, key, value);
        } else if (key == "References") {
            for (size_t i = 0; i < value.size();) {
                size_t end = std::min(value.find(' ', i), value.size());
                if (end > i)
                    references.insert(parseBaseName(line, "reference", value.substr(i, end - i)));
                i = end + 1;
            }
        } else if (key == "Deriver") {
            // Old Nix wrote this for an unknown deriver rather than leaving the line out.
            if (value != "unknown-deriver") deriver = parseBaseName(line, key, value);
        } else if (key == "System") {
            system = value;
        } else if (key == "Sig") {
            sigs.emplace(value);
        } else if (key == "CA") {
            checkContentAddress(line, value);
            ca = value;
        }
    }

    auto missing = [&](const std::string& why) {
        throw BadNarInfo(std::string(whence) + ": " + why);
    };
    if (!path) missing("it has no StorePath");
    if (!narHash) missing("it has no NarHash");
    if (url.empty()) missing("it has no URL");
    if (narSize == 0) missing("it has no NarSize, or a zero one");
    NarInfo r(*path);
    r.url = std::move(url);
    if (compression && !compression->empty()) r.compression = std::move(*compression);
    r.fileHash = fileHash;
    r.fileSize = fileSize;
    r.narHash = *narHash;
    r.narSize = narSize;
    r.references = std::move(references);
    r.deriver = std::move(deriver);
    r.system = std::move(system);
    r.sigs = std::move(sigs);
    r.ca = std::move(ca);
    return r;
}

std::string NarInfo::toString(const StoreDir& storeDir) const {
    std::string s = "StorePath: " + storeDir.print(path) + "\n";
    s += "URL: " + url + "\n";
    s += "Compression: " + compression + "\n";
    if (fileHash) s += "FileHash: " + fileHash->to(HashFormat::Nix32, true) + "\n";
    if (fileHash || fileSize) s += "FileSize: " + std::to_string(fileSize) + "\n";
    s += "NarHash: " + narHash.to(HashFormat::Nix32, true) + "\n";
    s += "NarSize: " + std::to_string(narSize) + "\n";
    // "References: " even when there are none, as Nix writes it.
    s += "References: ";
    for (auto& r : references)
        s += (&r == &*references.begin() ? "" : " ") + r.to_string();
    s += "\n";
    if (deriver) s += "Deriver: " + deriver->to_string() + "\n";
    if (!system.empty()) s += "System: " + system + "\n";
    for (auto& sig : sigs)
        s += "Sig: " + sig + "\n";
    if (!ca.empty()) s += "CA: " + ca + "\n";
    return s;
}

std::string NarInfo::fingerprint(const StoreDir& storeDir) const {
    if (narSize == 0)
        throw BadNarInfo("cannot compute the fingerprint of '" + storeDir.print(path) +
                         "': its NAR size is unknown");
    std::string s = "1;" + storeDir.print(path) + ";" + narHash.to(HashFormat::Nix32, true) + ";" +
                    std::to_string(narSize) + ";";
    bool first = true;
    for (auto& r : references) {
        if (!first) s += ",";
        s += storeDir.print(r);
        first = false;
    }
    return s;
}

} // namespace ferrix
