#include "ferrix/hash.hh"

#include <cstring>
#include <gtest/gtest.h>

using namespace ferrix;

TEST(Hash, Nix32OfSha256Empty) {
    EXPECT_EQ(hashString(HashAlgo::SHA256, "").toNix32(),
              "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
}

TEST(Hash, Nix32OfSha256Abc) {
    EXPECT_EQ(hashString(HashAlgo::SHA256, "abc").toNix32(),
              "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s");
}

TEST(Hash, Nix32OfMd5AndSha1Empty) {
    EXPECT_EQ(hashString(HashAlgo::MD5, "").toNix32(), "3y8bwfr609h3lh9ch0izcqq7fl");
    EXPECT_EQ(hashString(HashAlgo::SHA1, "").toNix32(), "143xibwh31h9bvxzalr0sjvbbvpa6ffs");
}

TEST(Hash, Sha1HexToNix32) {
    Hash h = Hash::parse("e4fd8ba5f7bbeaea5ace89fe10255536cd60dab6", HashAlgo::SHA1);
    EXPECT_EQ(h.toNix32(), "nvd61k9nalji1zl9rrdfmsmvyyjqpzg4");
    EXPECT_EQ(Hash::parse("sha1:nvd61k9nalji1zl9rrdfmsmvyyjqpzg4"), h);
}

TEST(Hash, FlatSha256OfTestNewline) {
    EXPECT_EQ(hashString(HashAlgo::SHA256, "test\n").toNix32(),
              "1lkgqb6fclns49861dwk9rzb6xnfkxbpws74mxnx01z9qyv1pjpj");
}

TEST(Hash, Lengths) {
    EXPECT_EQ(nix32Len(16), 26u);
    EXPECT_EQ(nix32Len(20), 32u);
    EXPECT_EQ(nix32Len(32), 52u);
    EXPECT_EQ(nix32Len(64), 103u);
    EXPECT_EQ(base64Len(32), 44u);
    EXPECT_EQ(base64Len(64), 88u);
}

TEST(Hash, EveryFormatRoundTrips) {
    for (auto algo : {HashAlgo::MD5, HashAlgo::SHA1, HashAlgo::SHA256, HashAlgo::SHA512}) {
        Hash h = hashString(algo, "round trip");
        for (auto fmt : {HashFormat::Base16, HashFormat::Nix32, HashFormat::Base64}) {
            EXPECT_EQ(Hash::parse(h.to(fmt), algo), h);
            EXPECT_EQ(Hash::parse(h.to(fmt, true)), h);
        }
        EXPECT_EQ(Hash::parse(h.to(HashFormat::SRI)), h);
    }
}

TEST(Hash, SriAndPrefixedForms) {
    Hash h = hashString(HashAlgo::SHA256, "");
    EXPECT_EQ(h.to(HashFormat::SRI), "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    EXPECT_EQ(h.to(HashFormat::Base16, true),
              "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // Upper-case base16 is accepted, as Nix does.
    EXPECT_EQ(
        Hash::parse("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"), h);
}

TEST(Hash, BadInputIsRefused) {
    EXPECT_THROW(Hash::parse("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"), BadHash);
    EXPECT_THROW(Hash::parse("sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7e"),
                 BadHash);
    EXPECT_THROW(Hash::parse("sha256:0MDQA9W1P6CMLI6976V4WI0SW9R4P5PRKJ7LZFD1877WK11C9C73"),
                 BadHash);
    EXPECT_THROW(Hash::parse("sha256:abc"), BadHash);
    EXPECT_THROW(Hash::parse("whirlpool:abc"), BadHash);
    EXPECT_THROW(
        Hash::parse("sha1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        BadHash);
    // The top bits of the first nix32 digit must be zero for 32 bytes: 'z' overflows.
    EXPECT_THROW(Hash::parse("sha256:z" + std::string(51, '0')), BadHash);
}

TEST(Hash, CompressHashIsXorFold) {
    Hash h = Hash::parse("sha1:e4fd8ba5f7bbeaea5ace89fe10255536cd60dab6");
    Hash c = compressHash(h, 4);
    ASSERT_EQ(c.size, 4u);
    uint8_t expect[4] = {};
    for (size_t i = 0; i < h.size; i++)
        expect[i % 4] ^= h.bytes[i];
    EXPECT_EQ(std::memcmp(c.bytes, expect, 4), 0);
}

TEST(Hash, StreamingEqualsOneShot) {
    std::string data(1 << 20, 'x');
    for (size_t i = 0; i < data.size(); i++)
        data[i] = char(i * 7 + i / 13);
    HashSink s(HashAlgo::SHA512);
    for (size_t i = 0; i < data.size(); i += 4093)
        s(std::string_view(data).substr(i, 4093));
    EXPECT_EQ(s.bytesHashed(), data.size());
    EXPECT_EQ(s.finish(), hashString(HashAlgo::SHA512, data));
}
