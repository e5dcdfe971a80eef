#include "ferrix/hash.hh"
#include "ferrix/file.hh"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

namespace ferrix {

static const char nix32Chars[] = "0123456789abcdfghijklmnpqrsvwxyz";
static const char b64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t hashSize(HashAlgo algo) {
    switch (algo) {
    case HashAlgo::MD5:
        return 16;
    case HashAlgo::SHA1:
        return 20;
    case HashAlgo::SHA256:
        return 32;
    case HashAlgo::SHA512:
        return 64;
    }
    return 0;
}

std::string_view algoName(HashAlgo algo) {
    switch (algo) {
    case HashAlgo::MD5:
        return "md5";
    case HashAlgo::SHA1:
        return "sha1";
    case HashAlgo::SHA256:
        return "sha256";
    case HashAlgo::SHA512:
        return "sha512";
    }
    return "?";
}

std::optional<HashAlgo> parseHashAlgoOpt(std::string_view name) {
    if (name == "md5") return HashAlgo::MD5;
    if (name == "sha1") return HashAlgo::SHA1;
    if (name == "sha256") return HashAlgo::SHA256;
    if (name == "sha512") return HashAlgo::SHA512;
    return std::nullopt;
}

HashAlgo parseHashAlgo(std::string_view name) {
    if (auto a = parseHashAlgoOpt(name)) return *a;
    throw BadHash("unknown hash algorithm '" + std::string(name) +
                  "' (expected md5, sha1, sha256 or sha512)");
}

HashFormat parseHashFormat(std::string_view name) {
    if (name == "base16" || name == "hex") return HashFormat::Base16;
    if (name == "nix32" || name == "base32") return HashFormat::Nix32;
    if (name == "base64") return HashFormat::Base64;
    if (name == "sri") return HashFormat::SRI;
    throw BadHash("unknown hash format '" + std::string(name) +
                  "' (expected nix32, base16, base64 or sri)");
}

size_t nix32Len(size_t size) {
    return (size * 8 - 1) / 5 + 1;
}
size_t base64Len(size_t size) {
    return ((4 * size / 3) + 3) & ~size_t(3);
}

std::string base16Encode(std::string_view bytes) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
    return out;
}

static int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string base16Decode(std::string_view s) {
    if (s.size() % 2) throw BadHash("base16 string '" + std::string(s) + "' has odd length");
    std::string out(s.size() / 2, '\0');
    for (size_t i = 0; i < out.size(); i++) {
        int hi = hexDigit(s[2 * i]), lo = hexDigit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            throw BadHash("invalid character in base16 string '" + std::string(s) + "'");
        out[i] = char(hi << 4 | lo);
    }
    return out;
}

std::string nix32Encode(std::string_view bytes) {
    const auto* h = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t size = bytes.size();
    if (size == 0) return "";
    size_t len = nix32Len(size);
    std::string out;
    out.reserve(len);
    for (size_t n = len; n-- > 0;) {
        size_t b = n * 5, i = b / 8, j = b % 8;
        unsigned c = (h[i] >> j) | (i + 1 < size ? unsigned(h[i + 1]) << (8 - j) : 0);
        out.push_back(nix32Chars[c & 0x1f]);
    }
    return out;
}

std::string nix32Decode(std::string_view s, size_t size) {
    if (s.size() != nix32Len(size))
        throw BadHash("nix32 string '" + std::string(s) + "' has the wrong length for " +
                      std::to_string(size) + " bytes");
    std::string out(size, '\0');
    auto* h = reinterpret_cast<unsigned char*>(out.data());
    for (size_t n = 0; n < s.size(); n++) {
        char c = s[s.size() - n - 1];
        const char* p = c ? std::strchr(nix32Chars, c) : nullptr;
        if (!p)
            throw BadHash("invalid character '" + std::string(1, c) + "' in nix32 string '" +
                          std::string(s) + "'");
        unsigned d = unsigned(p - nix32Chars);
        size_t b = n * 5, i = b / 8, j = b % 8;
        h[i] |= (d << j) & 0xff;
        unsigned carry = d >> (8 - j);
        if (i < size - 1)
            h[i + 1] |= carry;
        else if (carry)
            throw BadHash("nix32 string '" + std::string(s) + "' does not fit in " +
                          std::to_string(size) + " bytes");
    }
    return out;
}

std::string base64Encode(std::string_view bytes) {
    std::string out;
    out.reserve(base64Len(bytes.size()));
    unsigned data = 0, nbits = 0;
    for (unsigned char c : bytes) {
        data = data << 8 | c;
        nbits += 8;
        while (nbits >= 6) {
            nbits -= 6;
            out.push_back(b64Chars[(data >> nbits) & 0x3f]);
        }
    }
    if (nbits) out.push_back(b64Chars[(data << (6 - nbits)) & 0x3f]);
    while (out.size() % 4)
        out.push_back('=');
    return out;
}

std::string base64Decode(std::string_view s) {
    std::string out;
    unsigned data = 0, nbits = 0;
    size_t i = 0;
    for (; i < s.size(); i++) {
        char c = s[i];
        if (c == '=') break;
        const char* p = c ? std::strchr(b64Chars, c) : nullptr;
        if (!p) throw BadHash("invalid character in base64 string '" + std::string(s) + "'");
        data = data << 6 | unsigned(p - b64Chars);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out.push_back(char((data >> nbits) & 0xff));
        }
    }
    for (; i < s.size(); i++)
        if (s[i] != '=') throw BadHash("invalid padding in base64 string '" + std::string(s) + "'");
    return out;
}

Hash::Hash(HashAlgo a) : algo(a), size(hashSize(a)) {}

static Hash fromBytes(HashAlgo algo, const std::string& raw) {
    Hash h(algo);
    std::memcpy(h.bytes, raw.data(), h.size);
    return h;
}

Hash Hash::parse(std::string_view s, std::optional<HashAlgo> algo) {
    std::string_view rest = s;
    bool sri = false;
    auto colon = s.find(':');
    if (colon != std::string_view::npos) {
        HashAlgo a = parseHashAlgo(s.substr(0, colon));
        if (algo && *algo != a)
            throw BadHash("hash '" + std::string(s) + "' should be " +
                          std::string(algoName(*algo)));
        algo = a;
        rest = s.substr(colon + 1);
    } else if (auto dash = s.find('-'); dash != std::string_view::npos) {
        HashAlgo a = parseHashAlgo(s.substr(0, dash));
        if (algo && *algo != a)
            throw BadHash("hash '" + std::string(s) + "' should be " +
                          std::string(algoName(*algo)));
        algo = a;
        rest = s.substr(dash + 1);
        sri = true;
    }
    if (!algo) throw BadHash("hash '" + std::string(s) + "' does not say its algorithm");
    size_t size = hashSize(*algo);
    if (!sri && rest.size() == 2 * size) return fromBytes(*algo, base16Decode(rest));
    if (!sri && rest.size() == nix32Len(size)) return fromBytes(*algo, nix32Decode(rest, size));
    if (rest.size() == base64Len(size)) {
        std::string raw = base64Decode(rest);
        if (raw.size() != size)
            throw BadHash("base64 hash '" + std::string(s) + "' has the wrong size");
        return fromBytes(*algo, raw);
    }
    throw BadHash("hash '" + std::string(s) + "' has the wrong length for a " +
                  std::string(algoName(*algo)) + " hash");
}

std::string Hash::to(HashFormat fmt, bool withAlgo) const {
    std::string prefix = withAlgo ? std::string(algoName(algo)) + ":" : "";
    switch (fmt) {
    case HashFormat::Base16:
        return prefix + base16Encode(view());
    case HashFormat::Nix32:
        return prefix + nix32Encode(view());
    case HashFormat::Base64:
        return prefix + base64Encode(view());
    case HashFormat::SRI:
        return std::string(algoName(algo)) + "-" + base64Encode(view());
    }
    return "";
}

bool Hash::operator==(const Hash& o) const {
    return algo == o.algo && size == o.size && std::memcmp(bytes, o.bytes, size) == 0;
}

std::strong_ordering Hash::operator<=>(const Hash& o) const {
    if (auto c = algo <=> o.algo; c != 0) return c;
    if (auto c = size <=> o.size; c != 0) return c;
    int r = std::memcmp(bytes, o.bytes, size);
    return r < 0   ? std::strong_ordering::less
           : r > 0 ? std::strong_ordering::greater
                   : std::strong_ordering::equal;
}

static const EVP_MD* evpMd(HashAlgo algo) {
    // Fetched once: implicit fetching on every init costs measurable time on small inputs.
    static const EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    static const EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    static const EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
    switch (algo) {
    case HashAlgo::MD5:
        return md5;
    case HashAlgo::SHA1:
        return sha1;
    case HashAlgo::SHA256:
        return sha256;
    case HashAlgo::SHA512:
        return sha512;
    }
    return nullptr;
}

HashSink::HashSink(HashAlgo algo) : algo(algo), ctx(EVP_MD_CTX_new()) {
    const EVP_MD* md = evpMd(algo);
    if (!ctx || !md || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx), md, nullptr) != 1) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx));
        throw Error("cannot initialise " + std::string(algoName(algo)) + " in OpenSSL");
    }
}

HashSink::~HashSink() {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx));
}

void HashSink::operator()(std::string_view data) {
    if (done) throw Error("HashSink used after finish()");
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx), data.data(), data.size());
    bytes += data.size();
}

Hash HashSink::finish() {
    if (done) throw Error("HashSink finished twice");
    done = true;
    Hash h(algo);
    unsigned len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx), h.bytes, &len);
    return h;
}

Hash hashString(HashAlgo algo, std::string_view data) {
    HashSink s(algo);
    s(data);
    return s.finish();
}

Hash hashFile(HashAlgo algo, const std::string& path) {
    AutoCloseFD fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("opening '" + path + "'");
    HashSink s(algo);
    static thread_local char buf[256 * 1024];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError("reading '" + path + "'");
        if (n == 0) break;
        s(std::string_view(buf, size_t(n)));
    }
    return s.finish();
}

Hash compressHash(const Hash& h, size_t newSize) {
    Hash out(h.algo);
    out.size = newSize;
    std::memset(out.bytes, 0, sizeof out.bytes);
    for (size_t i = 0; i < h.size; i++)
        out.bytes[i % newSize] ^= h.bytes[i];
    return out;
}

} // namespace ferrix
