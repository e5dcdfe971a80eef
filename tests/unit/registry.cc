// The registry client's URL handling (the HTTP side is tested in tests/scheme/registry.scm
// against a real server).
#include "ferrix/cargo/registry.hh"
#include "ferrix/error.hh"
#include "ferrix/file.hh"
#include "store-test-util.hh"

#include <gtest/gtest.h>

#include <functional>
#include <string>

using namespace ferrix;
using namespace ferrix::cargo;

TEST(Registry, NormalizeUrl) {
    EXPECT_EQ(normalizeRegistryUrl("sparse+https://index.crates.io/"),
              "sparse+https://index.crates.io/");
    EXPECT_EQ(normalizeRegistryUrl("sparse+https://index.crates.io"),
              "sparse+https://index.crates.io/");
    EXPECT_EQ(normalizeRegistryUrl("http://127.0.0.1:8080/index//"),
              "sparse+http://127.0.0.1:8080/index/");
    EXPECT_EQ(normalizeRegistryUrl(defaultRegistryUrl), defaultRegistryUrl);
    // crates.io's git index is crates.io: its sparse index is used, as cargo does.
    EXPECT_EQ(normalizeRegistryUrl("registry+https://github.com/rust-lang/crates.io-index"),
              defaultRegistryUrl);
    EXPECT_EQ(normalizeRegistryUrl("https://github.com/rust-lang/crates.io-index"),
              defaultRegistryUrl);
    EXPECT_THROW(normalizeRegistryUrl("registry+https://git.example/index"), FormatError);
    EXPECT_THROW(normalizeRegistryUrl("file:///srv/index"), FormatError);
    EXPECT_THROW(normalizeRegistryUrl("sparse+https:///x"), FormatError);
    try {
        normalizeRegistryUrl("git://example.org/index");
        FAIL();
    } catch (const FormatError& e) {
        EXPECT_STREQ(e.what(), "unsupported registry URL 'git://example.org/index': expected a "
                               "sparse index, sparse+http(s)://HOST/PATH/");
    }
}

TEST(Registry, OpenSharesInstances) {
    Registry& a = Registry::open("https://example.invalid/index");
    Registry& b = Registry::open("sparse+https://example.invalid/index/");
    EXPECT_EQ(&a, &b);
    EXPECT_EQ(a.url(), "sparse+https://example.invalid/index/");
    EXPECT_EQ(a.indexBase(), "https://example.invalid/index/");
}

TEST(Registry, DownloadUrls) {
    std::string ck(64, 'c');
    // crates.io's config.json has no marker: DL/{crate}/{version}/download.
    EXPECT_EQ(downloadUrl("https://static.crates.io/crates", "serde", "1.0.0", ck),
              "https://static.crates.io/crates/serde/1.0.0/download");
    EXPECT_EQ(downloadUrl("https://crates.io/api/v1/crates/", "serde", "1.0.0", ck),
              "https://crates.io/api/v1/crates/serde/1.0.0/download");
    EXPECT_EQ(downloadUrl("https://dl.example/{crate}/{crate}-{version}.crate", "Serde_Json",
                          "1.0.0-rc.1", ck),
              "https://dl.example/Serde_Json/Serde_Json-1.0.0-rc.1.crate");
    EXPECT_EQ(
        downloadUrl("https://dl.example/{prefix}/{lowerprefix}/{crate}", "Serde_Json", "1.0.0", ck),
        "https://dl.example/Se/rd/se/rd/Serde_Json");
    EXPECT_EQ(downloadUrl("https://dl.example/{prefix}/{crate}", "Abc", "1.0.0", ck),
              "https://dl.example/3/A/Abc");
    EXPECT_EQ(downloadUrl("https://dl.example/{lowerprefix}/{crate}", "Abc", "1.0.0", ck),
              "https://dl.example/3/a/Abc");
    EXPECT_EQ(downloadUrl("https://dl.example/{prefix}/{crate}", "ab", "1.0.0", ck),
              "https://dl.example/2/ab");
    EXPECT_EQ(downloadUrl("https://dl.example/{prefix}/{crate}", "a", "1.0.0", ck),
              "https://dl.example/1/a");
    EXPECT_EQ(downloadUrl("https://dl.example/by-hash/{sha256-checksum}", "a", "1.0.0", ck),
              "https://dl.example/by-hash/" + ck);
    EXPECT_THROW(downloadUrl("https://dl.example/{prefix}", "../x", "1.0.0", ck), FormatError);
}

TEST(Registry, MalformedJsonIsAFormatError) {
    // Not only syntax errors: a number out of range makes nlohmann throw out_of_range, which must
    // not escape as a foreign exception. The registry is read through file:// URLs.
    ferrix::test::ScratchDir d("ferrix-registry-test-");
    auto expectMalformed = [](const std::function<void()>& f, const std::string& where) {
        try {
            f();
            ADD_FAILURE() << "no error";
        } catch (const FormatError& e) {
            EXPECT_EQ(std::string(e.what()),
                      where + ": malformed JSON: number overflow parsing '1e400'");
        }
    };
    createDirs(d.path + "/bad");
    createDirs(d.path + "/good/3/a");
    createDirs(d.path + "/api/api/v1/crates");
    writeFile(d.path + "/bad/config.json", R"({"dl": "file:///dl", "api": 1e400})");
    Registry bad("sparse+file://" + d.path + "/bad/");
    expectMalformed([&] { bad.config(); }, "file://" + d.path + "/bad/config.json");

    // A good config.json and index; the web API's answer overflows.
    std::string index = d.path + "/good";
    writeFile(index + "/config.json",
              R"({"dl": "file:///dl", "api": "file://)" + d.path + R"(/api"})");
    writeFile(index + "/3/a/abc", R"({"name":"abc","vers":"1.0.0","deps":[],"cksum":")" +
                                      std::string(64, 'a') + R"(","features":{},"yanked":false})" +
                                      "\n");
    writeFile(d.path + "/api/api/v1/crates/abc", R"({"crate": {"downloads": 1e400}})");
    Registry good("sparse+file://" + index + "/");
    expectMalformed([&] { good.lookup("abc"); }, "file://" + d.path + "/api/api/v1/crates/abc");
}
