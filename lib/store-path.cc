#include "ferrix/store-path.hh"

#include <cstring>

namespace ferrix {

static bool nameCharOk(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("+-._?=", c) != nullptr;
}

static std::string describeChar(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
        char b[8];
        std::snprintf(b, sizeof b, "\\x%02x", u);
        return b;
    }
    return std::string(1, c);
}

void checkStorePathName(std::string_view name) {
    if (name.empty()) throw BadStorePath("store path name is empty");
    if (name.size() > maxStorePathNameLen)
        throw BadStorePath("store path name '" + std::string(name) + "' is longer than " +
                           std::to_string(maxStorePathNameLen) + " characters");
    if (name[0] == '.')
        throw BadStorePath("store path name '" + std::string(name) + "' starts with a period");
    for (char c : name)
        if (c == 0 || !nameCharOk(c))
            throw BadStorePath("invalid character '" + describeChar(c) + "' in store path name '" +
                               std::string(name) + "'");
}

StorePath::StorePath(std::string_view baseName) : base(baseName) {
    if (baseName.size() < storePathHashLen + 2 || baseName[storePathHashLen] != '-')
        throw BadStorePath("'" + std::string(baseName) + "' is not a store path base name");
    for (char c : baseName.substr(0, storePathHashLen))
        if (c == 0 || !std::strchr("0123456789abcdfghijklmnpqrsvwxyz", c))
            throw BadStorePath("invalid character '" + describeChar(c) +
                               "' in the hash part of store path '" + std::string(baseName) + "'");
    checkStorePathName(baseName.substr(storePathHashLen + 1));
}

StoreDir::StoreDir(std::string dir) : dir_(std::move(dir)) {
    if (dir_.empty() || dir_[0] != '/' || (dir_.size() > 1 && dir_.back() == '/'))
        throw Error("store directory '" + dir_ + "' must be absolute with no trailing slash");
}

StorePath StoreDir::parse(std::string_view full) const {
    if (full.size() <= dir_.size() + 1 || !full.starts_with(dir_) || full[dir_.size()] != '/')
        throw BadStorePath("path '" + std::string(full) + "' is not in the store " + dir_);
    std::string_view base = full.substr(dir_.size() + 1);
    if (base.find('/') != std::string_view::npos)
        throw BadStorePath("path '" + std::string(full) + "' is inside a store item, not one");
    return StorePath(base);
}

bool StoreDir::isStorePath(std::string_view full) const {
    try {
        parse(full);
        return true;
    } catch (BadStorePath&) {
        return false;
    }
}

StorePath StoreDir::toStorePath(std::string_view p) const {
    if (p.size() <= dir_.size() + 1 || !p.starts_with(dir_) || p[dir_.size()] != '/')
        throw BadStorePath("path '" + std::string(p) + "' is not in the store " + dir_);
    std::string_view rest = p.substr(dir_.size() + 1);
    return StorePath(rest.substr(0, rest.find('/')));
}

std::string StoreDir::makeType(std::string type, const StorePathSet& refs, bool self) const {
    for (auto& r : refs)
        type += ":" + print(r);
    if (self) type += ":self";
    return type;
}

StorePath StoreDir::makeStorePath(std::string_view type, const Hash& inner,
                                  std::string_view name) const {
    checkStorePathName(name);
    std::string fp = std::string(type) + ":" + std::string(algoName(inner.algo)) + ":" +
                     inner.toBase16() + ":" + dir_ + ":" + std::string(name);
    Hash h = compressHash(hashString(HashAlgo::SHA256, fp), 20);
    return StorePath(nix32Encode(h.view()) + "-" + std::string(name));
}

StorePath StoreDir::makeTextPath(std::string_view name, const Hash& h,
                                 const StorePathSet& refs) const {
    if (h.algo != HashAlgo::SHA256) throw Error("text store paths need a sha256 hash");
    return makeStorePath(makeType("text", refs, false), h, name);
}

StorePath StoreDir::makeSourcePath(std::string_view name, const Hash& h, const StorePathSet& refs,
                                   bool self) const {
    if (h.algo != HashAlgo::SHA256) throw Error("source store paths need a sha256 NAR hash");
    return makeStorePath(makeType("source", refs, self), h, name);
}

StorePath StoreDir::makeFixedOutputPath(std::string_view name, FileIngestion method, const Hash& h,
                                        const StorePathSet& refs) const {
    if (method == FileIngestion::Recursive && h.algo == HashAlgo::SHA256)
        return makeSourcePath(name, h, refs);
    if (!refs.empty())
        throw Error("fixed-output path '" + std::string(name) + "' cannot have references");
    std::string inner = std::string("fixed:out:") +
                        (method == FileIngestion::Recursive ? "r:" : "") +
                        h.to(HashFormat::Base16, true) + ":";
    return makeStorePath("output:out", hashString(HashAlgo::SHA256, inner), name);
}

StorePath StoreDir::makeOutputPath(std::string_view outputName, const Hash& hashModulo,
                                   std::string_view drvName) const {
    return makeStorePath("output:" + std::string(outputName), hashModulo,
                         outputPathName(drvName, outputName));
}

std::string outputPathName(std::string_view drvName, std::string_view outputName) {
    std::string n(drvName);
    if (outputName != "out") n += "-" + std::string(outputName);
    return n;
}

std::string hashPlaceholder(std::string_view outputName) {
    return "/" + hashString(HashAlgo::SHA256, "nix-output:" + std::string(outputName)).toNix32();
}

} // namespace ferrix
