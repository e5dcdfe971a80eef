#include "ferrix/references.hh"

#include <array>
#include <cstring>

namespace ferrix {

namespace {

constexpr std::array<bool, 256> makeNix32Table() {
    std::array<bool, 256> t{};
    for (const char* p = "0123456789abcdfghijklmnpqrsvwxyz"; *p; p++)
        t[static_cast<unsigned char>(*p)] = true;
    return t;
}
constexpr std::array<bool, 256> isNix32 = makeNix32Table();

constexpr size_t filterBits = 1 << 16;

size_t filterIndex(const char* p) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    return size_t((x * 0x9e3779b97f4a7c15ULL) >> 48);
}

} // namespace

RefScanSink::RefScanSink(const std::set<std::string>& hashParts) : filter(filterBits / 64, 0) {
    for (const auto& h : hashParts) {
        if (h.size() != storePathHashLen)
            throw Error("reference scan candidate '" + h + "' is not a " +
                        std::to_string(storePathHashLen) + "-character hash part");
        candidates.insert(h);
        size_t i = filterIndex(h.data());
        filter[i / 64] |= uint64_t(1) << (i % 64);
    }
}

void RefScanSink::scan(std::string_view s) {
    const size_t n = s.size(), len = storePathHashLen;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t i = 0;
    while (i + len <= n) {
        // Right to left: the rightmost non-nix32 byte rules out every window that contains it.
        size_t j = len;
        while (j > 0 && isNix32[p[i + j - 1]])
            j--;
        if (j > 0) {
            i += j;
            continue;
        }
        // A run of nix32 bytes: slide one byte at a time, checking only the byte that enters.
        do {
            size_t f = filterIndex(s.data() + i);
            if (filter[f / 64] >> (f % 64) & 1) {
                auto it = candidates.find(s.substr(i, len));
                if (it != candidates.end()) found_.insert(*it);
            }
            i++;
        } while (i + len <= n && isNix32[p[i + len - 1]]);
        i += len; // the byte at i + len - 1 is not nix32 (or the input is exhausted)
    }
}

void RefScanSink::operator()(std::string_view data) {
    if (data.empty() || candidates.empty()) return;
    // Hashes that start in earlier chunks and end in this one: at most 31 bytes on each side.
    const size_t keep = storePathHashLen - 1;
    if (!tail.empty()) {
        size_t old = tail.size();
        tail.append(data.substr(0, std::min(keep, data.size())));
        scan(tail);
        tail.resize(old);
    }
    scan(data);
    if (data.size() >= keep) {
        tail.assign(data.substr(data.size() - keep));
    } else {
        tail.append(data);
        if (tail.size() > keep) tail.erase(0, tail.size() - keep);
    }
}

namespace {

std::set<std::string> hashParts(const StorePathSet& paths) {
    std::set<std::string> out;
    for (const auto& p : paths)
        out.emplace(p.hashPart());
    return out;
}

StorePathSet matching(const StorePathSet& candidates, const std::set<std::string>& found) {
    StorePathSet out;
    for (const auto& p : candidates)
        if (found.count(std::string(p.hashPart()))) out.insert(p);
    return out;
}

} // namespace

StorePathSet scanForReferences(const std::string& path, const StoreDir&,
                               const StorePathSet& candidates) {
    RefScanSink scanner(hashParts(candidates));
    dumpPath(path, scanner);
    return matching(candidates, scanner.found());
}

static NarScan scan(const std::string& path, const std::string* copyTo,
                    const StorePathSet& candidates) {
    HashSink hasher(HashAlgo::SHA256);
    RefScanSink scanner(hashParts(candidates));
    TeeSink tee(hasher, scanner);
    if (copyTo)
        dumpPathCopy(path, *copyTo, tee);
    else
        dumpPath(path, tee);
    NarScan r;
    r.nar.size = hasher.bytesHashed();
    r.nar.hash = hasher.finish();
    r.references = matching(candidates, scanner.found());
    return r;
}

NarScan hashAndScan(const std::string& path, const StorePathSet& candidates) {
    return scan(path, nullptr, candidates);
}

NarScan copyAndScan(const std::string& path, const std::string& copyTo,
                    const StorePathSet& candidates) {
    return scan(path, &copyTo, candidates);
}

} // namespace ferrix
