// Hash strings in every form (algo:base16/nix32/base64, SRI, bare with a known algorithm) and
// the three decoders: an accepted hash parses back from each of its printed forms, and decoded
// bytes encode to text that decodes to the same bytes.
#include "ferrix/hash.hh"
#include "ferrix/error.hh"
#include "fuzz.hh"

using namespace ferrix;

namespace {
void roundTrip(const Hash& h) {
    for (HashFormat fmt :
         {HashFormat::Base16, HashFormat::Nix32, HashFormat::Base64, HashFormat::SRI}) {
        std::string withAlgo = h.to(fmt, true);
        if (Hash::parse(withAlgo) != h) fuzz::fail("a hash does not parse back", withAlgo);
        std::string bare = h.to(fmt, false);
        if (Hash::parse(bare, h.algo) != h) fuzz::fail("a bare hash does not parse back", bare);
    }
}

template <typename Decode, typename Encode>
void decodeEncode(std::string_view s, Decode decode, Encode encode) {
    std::string bytes;
    try {
        bytes = decode(s);
    } catch (const BadHash&) {
        return;
    }
    std::string text = encode(bytes);
    if (decode(text) != bytes) fuzz::fail("decode(encode(bytes)) differs from bytes", bytes);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view s = fuzz::text(data, size);
    for (std::optional<HashAlgo> algo :
         {std::optional<HashAlgo>(), std::optional(HashAlgo::MD5), std::optional(HashAlgo::SHA1),
          std::optional(HashAlgo::SHA256), std::optional(HashAlgo::SHA512)}) {
        try {
            roundTrip(Hash::parse(s, algo));
        } catch (const BadHash&) {
        }
    }
    decodeEncode(s, base16Decode, base16Encode);
    decodeEncode(s, base64Decode, base64Encode);
    for (size_t n : {16, 20, 32, 64})
        decodeEncode(
            s, [n](std::string_view t) { return nix32Decode(t, n); }, nix32Encode);
    try {
        parseHashAlgo(s);
        parseHashFormat(s);
    } catch (const Error&) {
    }
    return 0;
}
