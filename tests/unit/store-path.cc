#include "ferrix/store-path.hh"

#include <gtest/gtest.h>

using namespace ferrix;

static const StoreDir nixStore("/nix/store");

TEST(StorePath, TextPath) {
    auto p = nixStore.makeTextPath("foo", hashString(HashAlgo::SHA256, "bar"), {});
    EXPECT_EQ(nixStore.print(p), "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo");
}

TEST(StorePath, TextPathWithReference) {
    auto foo = nixStore.makeTextPath("foo", hashString(HashAlgo::SHA256, "bar"), {});
    auto baz =
        nixStore.makeTextPath("baz", hashString(HashAlgo::SHA256, nixStore.print(foo)), {foo});
    EXPECT_EQ(nixStore.print(baz), "/nix/store/5xd714cbfnkz02h2vbsj4fm03x3f15nf-baz");
}

TEST(StorePath, FixedRecursiveSha1) {
    auto p = nixStore.makeFixedOutputPath(
        "bar", FileIngestion::Recursive,
        Hash::parse("0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33", HashAlgo::SHA1));
    EXPECT_EQ(nixStore.print(p), "/nix/store/mp57d33657rf34lzvlbpfa1gjfv5gmpg-bar");
}

TEST(StorePath, SourceWithReference) {
    auto p = nixStore.makeSourcePath(
        "baz",
        Hash::parse("1xqkzcb3909fp07qngljr4wcdnrh1gdam1m2n29i6hhrxlmkgkv1", HashAlgo::SHA256),
        {StorePath("dxwkwjzdaq7ka55pkk252gh32bgpmql4-foo")});
    EXPECT_EQ(nixStore.print(p), "/nix/store/s89y431zzhmdn3k8r96rvakryddkpv2v-baz");
}

TEST(StorePath, FixedRecursiveSha256) {
    auto p = nixStore.makeFixedOutputPath(
        "bar", FileIngestion::Recursive,
        Hash::parse("08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba",
                    HashAlgo::SHA256));
    EXPECT_EQ(nixStore.print(p), "/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar");
}

TEST(StorePath, Placeholder) {
    EXPECT_EQ(hashPlaceholder("out"), "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9");
}

TEST(StorePath, GnuStoreDirectory) {
    StoreDir gnu("/gnu/store");
    auto p = gnu.makeTextPath("foo", hashString(HashAlgo::SHA256, "bar"), {});
    EXPECT_EQ(gnu.print(p), "/gnu/store/798sxvdgr0680czdggbls7rd3sfwk2yx-foo");
}

TEST(StorePath, NameValidation) {
    EXPECT_NO_THROW(checkStorePathName("a-Z_0.9+?="));
    EXPECT_NO_THROW(checkStorePathName(std::string(211, 'a')));
    EXPECT_THROW(checkStorePathName(""), BadStorePath);
    EXPECT_THROW(checkStorePathName(std::string(212, 'a')), BadStorePath);
    EXPECT_THROW(checkStorePathName(".hidden"), BadStorePath);
    EXPECT_THROW(checkStorePathName("a b"), BadStorePath);
    EXPECT_THROW(checkStorePathName("a/b"), BadStorePath);
    EXPECT_THROW(checkStorePathName(std::string("a\0b", 3)), BadStorePath);
    EXPECT_THROW(checkStorePathName("caf\xc3\xa9"), BadStorePath);
    try {
        checkStorePathName("with space");
        FAIL();
    } catch (BadStorePath& e) {
        EXPECT_NE(std::string(e.what()).find("invalid character ' '"), std::string::npos)
            << e.what();
    }
}

TEST(StorePath, ParseAndPrint) {
    auto p = nixStore.parse("/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo");
    EXPECT_EQ(p.hashPart(), "vxjiwkjkn7x4079qvh1jkl5pn05j2aw0");
    EXPECT_EQ(p.name(), "foo");
    EXPECT_THROW(nixStore.parse("/gnu/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"), BadStorePath);
    EXPECT_THROW(nixStore.parse("/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo/bin"),
                 BadStorePath);
    EXPECT_THROW(nixStore.parse("/nix/store/exjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"), BadStorePath);
    EXPECT_THROW(nixStore.parse("/nix/store/short-foo"), BadStorePath);
    EXPECT_EQ(nixStore.toStorePath("/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo/bin/x"), p);
}

TEST(StorePath, OutputNames) {
    EXPECT_EQ(outputPathName("hello", "out"), "hello");
    EXPECT_EQ(outputPathName("hello", "lib"), "hello-lib");
}
