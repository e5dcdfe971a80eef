// Cryptographic hashes (OpenSSL EVP, streaming) and their textual forms: base16, nix32 (Nix's
// base32), base64, SRI and "algo:"-prefixed strings, recognised by length the way Nix does.
#pragma once

#include "ferrix/stream.hh"

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferrix {

enum class HashAlgo { MD5, SHA1, SHA256, SHA512 };
enum class HashFormat { Base16, Nix32, Base64, SRI };

constexpr size_t maxHashSize = 64;
size_t hashSize(HashAlgo algo);
std::string_view algoName(HashAlgo algo);
// Throws BadHash for an unknown name.
HashAlgo parseHashAlgo(std::string_view name);
std::optional<HashAlgo> parseHashAlgoOpt(std::string_view name);
HashFormat parseHashFormat(std::string_view name);

struct Hash {
    HashAlgo algo = HashAlgo::SHA256;
    size_t size = 0;
    uint8_t bytes[maxHashSize] = {};

    Hash() = default;
    explicit Hash(HashAlgo algo);

    // Accepts "algo:rest", SRI "algo-base64" and, when `algo` is given, a bare string whose
    // encoding is recognised by its length (base16, nix32 or base64). Throws BadHash.
    static Hash parse(std::string_view s, std::optional<HashAlgo> algo = std::nullopt);

    // The encoding alone ("0mdqa9..."), or with the algorithm ("sha256:0mdqa9...") when
    // withAlgo; SRI always includes it.
    std::string to(HashFormat fmt, bool withAlgo = false) const;
    std::string toBase16() const { return to(HashFormat::Base16); }
    std::string toNix32() const { return to(HashFormat::Nix32); }
    std::string_view view() const { return {reinterpret_cast<const char*>(bytes), size}; }

    bool operator==(const Hash& o) const;
    std::strong_ordering operator<=>(const Hash& o) const;
};

// Streaming hasher: feed bytes as a Sink, then finish() once.
class HashSink : public Sink {
public:
    explicit HashSink(HashAlgo algo);
    ~HashSink() override;
    HashSink(const HashSink&) = delete;
    HashSink& operator=(const HashSink&) = delete;
    void operator()(std::string_view data) override;
    Hash finish();
    uint64_t bytesHashed() const { return bytes; }

private:
    HashAlgo algo;
    void* ctx; // EVP_MD_CTX
    uint64_t bytes = 0;
    bool done = false;
};

Hash hashString(HashAlgo algo, std::string_view data);
// Flat hash of a regular file's contents.
Hash hashFile(HashAlgo algo, const std::string& path);
// XOR-folds a hash into `newSize` bytes (Nix's compressHash): out[i % n] ^= h[i].
Hash compressHash(const Hash& h, size_t newSize);

std::string base16Encode(std::string_view bytes);
std::string nix32Encode(std::string_view bytes);
std::string base64Encode(std::string_view bytes);
// Each throws BadHash naming the bad character or length.
std::string base16Decode(std::string_view s);
std::string nix32Decode(std::string_view s, size_t size);
std::string base64Decode(std::string_view s);
size_t nix32Len(size_t size);
size_t base64Len(size_t size);

} // namespace ferrix
