// NarInfo: parsing as strictly as Nix's client, rendering as Nix writes, the signed fingerprint.
// What a real nix writes is pinned by tests/unit/golden.cc; these are the rules and the errors.
#include "ferrix/narinfo.hh"

#include <gtest/gtest.h>
#include <string>

using namespace ferrix;

namespace {

const StoreDir store("/nix/store");

const std::string a = "5zljwykxcf02j3xdc2khzjvhp3l93wag-golden-text";
const std::string b = "7qfpni0bxiawav76wyiv2qgr4wcqmvpz-golden-text-refs";
const std::string narHash = "sha256:1gl4pdlqz4ahrml266g3k5ncaq0xiaggx2kwp1shmm0bsv1x0g3v";
const std::string fileHash = "sha256:157nzys26hqayk4vpnmji7dpi0khwba3m8jj5sg8qi9wcggd4dhk";

// Every field, in Nix's order.
const std::string full =
    "StorePath: /nix/store/br32f3fbhn5ac8ws44qgfwd4s5z59qjn-built\n"
    "URL: nar/157nzys26hqayk4vpnmji7dpi0khwba3m8jj5sg8qi9wcggd4dhk.nar.xz\n"
    "Compression: xz\n"
    "FileHash: " +
    fileHash +
    "\n"
    "FileSize: 188\n"
    "NarHash: " +
    narHash +
    "\n"
    "NarSize: 184\n"
    "References: " +
    b + " " + a +
    "\n"
    "Deriver: papld7fw3gb2invx7vng4bv4v31kp80b-built.drv\n"
    "System: x86_64-linux\n"
    "Sig: cache-1:c2lnbmF0dXJlIHR3bw==\n"
    "Sig: another-1:c2lnbmF0dXJlIG9uZQ==\n"
    "CA: fixed:r:sha256:0bcpl0jxr8qqqdb0y7k7z9g3hpbs5mgj86087ya89hdxyld8pqyl\n";

// The smallest file a client accepts.
const std::string minimal =
    "StorePath: /nix/store/" + a + "\nURL: nar/x.nar\nNarHash: " + narHash + "\nNarSize: 128\n";

// The message of the BadNarInfo that parsing TEXT throws, or "" if it parses.
std::string errorOf(const std::string& text) {
    try {
        NarInfo::parse(store, text, "cache/x.narinfo");
    } catch (BadNarInfo& e) {
        return e.what();
    }
    return "";
}

TEST(NarInfo, ParsesEveryField) {
    NarInfo n = NarInfo::parse(store, full, "full");
    EXPECT_EQ(store.print(n.path), "/nix/store/br32f3fbhn5ac8ws44qgfwd4s5z59qjn-built");
    EXPECT_EQ(n.url, "nar/157nzys26hqayk4vpnmji7dpi0khwba3m8jj5sg8qi9wcggd4dhk.nar.xz");
    EXPECT_EQ(n.compression, "xz");
    ASSERT_TRUE(n.fileHash);
    EXPECT_EQ(n.fileHash->to(HashFormat::Nix32, true), fileHash);
    EXPECT_EQ(n.fileSize, 188u);
    EXPECT_EQ(n.narHash.to(HashFormat::Nix32, true), narHash);
    EXPECT_EQ(n.narSize, 184u);
    EXPECT_EQ(n.references, (StorePathSet{StorePath(a), StorePath(b)}));
    ASSERT_TRUE(n.deriver);
    EXPECT_EQ(n.deriver->to_string(), "papld7fw3gb2invx7vng4bv4v31kp80b-built.drv");
    EXPECT_EQ(n.system, "x86_64-linux");
    EXPECT_EQ(n.sigs, (std::set<std::string>{"cache-1:c2lnbmF0dXJlIHR3bw==",
                                             "another-1:c2lnbmF0dXJlIG9uZQ=="}));
    EXPECT_EQ(n.ca, "fixed:r:sha256:0bcpl0jxr8qqqdb0y7k7z9g3hpbs5mgj86087ya89hdxyld8pqyl");
}

TEST(NarInfo, RendersReferencesAndSignaturesSorted) {
    // Sorted by base name and signature text, as Nix keeps them in sets.
    auto replace = [](std::string s, const std::string& from, const std::string& to) {
        size_t i = s.find(from);
        return i == std::string::npos ? "" : s.replace(i, from.size(), to);
    };
    std::string sigs = "Sig: cache-1:c2lnbmF0dXJlIHR3bw==\nSig: another-1:c2lnbmF0dXJlIG9uZQ==\n";
    std::string sorted =
        replace(replace(full, b + " " + a, a + " " + b), sigs,
                "Sig: another-1:c2lnbmF0dXJlIG9uZQ==\nSig: cache-1:c2lnbmF0dXJlIHR3bw==\n");
    ASSERT_NE(sorted, "");
    ASSERT_NE(sorted, full);
    EXPECT_EQ(NarInfo::parse(store, full, "full").toString(store), sorted);
    EXPECT_EQ(NarInfo::parse(store, sorted, "sorted").toString(store), sorted);
}

TEST(NarInfo, DefaultsAndIgnoredKeys) {
    NarInfo n = NarInfo::parse(store,
                               minimal + "Deriver: unknown-deriver\nNewKey: from a newer nix\n"
                                         "References: \n",
                               "minimal");
    EXPECT_EQ(n.compression, "bzip2");
    EXPECT_FALSE(n.fileHash);
    EXPECT_FALSE(n.deriver);
    EXPECT_TRUE(n.references.empty());
    EXPECT_EQ(n.toString(store), "StorePath: /nix/store/" + a +
                                     "\nURL: nar/x.nar\nCompression: bzip2\nNarHash: " + narHash +
                                     "\nNarSize: 128\nReferences: \n");
    EXPECT_EQ(NarInfo::parse(store, minimal + "Compression: \n", "c").compression, "bzip2");
    // SRI and base16 are read too, and written in nix32.
    NarInfo sri = NarInfo::parse(
        store,
        "StorePath: /nix/store/" + a +
            "\nURL: u\nNarHash: sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nNarSize: 1\n",
        "sri");
    EXPECT_EQ(sri.narHash.toNix32(), "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
}

TEST(NarInfo, FromValidPathInfo) {
    ValidPathInfo info(StorePath("br32f3fbhn5ac8ws44qgfwd4s5z59qjn-built"));
    info.narHash = Hash::parse(narHash);
    info.narSize = 184;
    info.references = {StorePath(b), StorePath(a)};
    info.deriver = StorePath("papld7fw3gb2invx7vng4bv4v31kp80b-built.drv");
    info.registrationTime = 12345;
    NarInfo n(info, "nar/157nzys26hqayk4vpnmji7dpi0khwba3m8jj5sg8qi9wcggd4dhk.nar.xz", "xz",
              Hash::parse(fileHash), 188);
    EXPECT_EQ(n.toString(store),
              "StorePath: /nix/store/br32f3fbhn5ac8ws44qgfwd4s5z59qjn-built\n"
              "URL: nar/157nzys26hqayk4vpnmji7dpi0khwba3m8jj5sg8qi9wcggd4dhk.nar.xz\n"
              "Compression: xz\n"
              "FileHash: sha256:157nzys26hqayk4vpnmji7dpi0khwba3m8jj5sg8qi9wcggd4dhk\n"
              "FileSize: 188\n"
              "NarHash: sha256:1gl4pdlqz4ahrml266g3k5ncaq0xiaggx2kwp1shmm0bsv1x0g3v\n"
              "NarSize: 184\n"
              "References: 5zljwykxcf02j3xdc2khzjvhp3l93wag-golden-text "
              "7qfpni0bxiawav76wyiv2qgr4wcqmvpz-golden-text-refs\n"
              "Deriver: papld7fw3gb2invx7vng4bv4v31kp80b-built.drv\n");
}

TEST(NarInfo, Fingerprint) {
    NarInfo n = NarInfo::parse(store, full, "full");
    EXPECT_EQ(n.fingerprint(store), "1;/nix/store/br32f3fbhn5ac8ws44qgfwd4s5z59qjn-built;" +
                                        narHash + ";184;/nix/store/" + a + ",/nix/store/" + b);
    EXPECT_EQ(NarInfo::parse(store, minimal, "m").fingerprint(store),
              "1;/nix/store/" + a + ";" + narHash + ";128;");
    n.narSize = 0;
    EXPECT_THROW(n.fingerprint(store), BadNarInfo);
}

TEST(NarInfo, MissingRequiredFields) {
    auto without = [](const std::string& key) {
        std::string t = minimal;
        size_t i = t.find(key + ": ");
        t.erase(i, t.find('\n', i) + 1 - i);
        return t;
    };
    EXPECT_EQ(errorOf(without("StorePath")), "cache/x.narinfo: it has no StorePath");
    EXPECT_EQ(errorOf(without("NarHash")), "cache/x.narinfo: it has no NarHash");
    EXPECT_EQ(errorOf(without("URL")), "cache/x.narinfo: it has no URL");
    EXPECT_EQ(errorOf(without("NarSize")), "cache/x.narinfo: it has no NarSize, or a zero one");
    EXPECT_EQ(errorOf(minimal + "URL: \n"), "cache/x.narinfo:5: URL appears twice");
    EXPECT_EQ(errorOf(without("URL") + "URL: \n"), "cache/x.narinfo: it has no URL");
    EXPECT_EQ(errorOf(without("NarSize") + "NarSize: 0\n"),
              "cache/x.narinfo: it has no NarSize, or a zero one");
    EXPECT_EQ(errorOf(""), "cache/x.narinfo: it has no StorePath");
    EXPECT_EQ(errorOf(minimal), "");
}

TEST(NarInfo, MalformedLinesNameTheLine) {
    EXPECT_EQ(errorOf(minimal + "NarHash: sha256:0123\n"),
              "cache/x.narinfo:5: NarHash appears twice");
    EXPECT_EQ(errorOf(minimal + "FileHash: sha256:0123\n").substr(0, 55),
              "cache/x.narinfo:5: FileHash 'sha256:0123' is not a hash");
    EXPECT_EQ(errorOf(minimal + "FileHash: 0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73\n")
                  .substr(0, 19),
              "cache/x.narinfo:5: ");
    EXPECT_EQ(errorOf(minimal + "FileSize: 12k\n"),
              "cache/x.narinfo:5: FileSize '12k' is not a number of bytes");
    EXPECT_EQ(errorOf(minimal + "FileSize: -1\n"),
              "cache/x.narinfo:5: FileSize '-1' is not a number of bytes");
    EXPECT_EQ(errorOf(minimal + "FileSize: 99999999999999999999\n"),
              "cache/x.narinfo:5: FileSize '99999999999999999999' is not a number of bytes");
    EXPECT_EQ(errorOf("URL: u\nNarSize: \n"),
              "cache/x.narinfo:2: NarSize '' is not a number of bytes");
    EXPECT_EQ(errorOf(minimal + "no colon here\n"),
              "cache/x.narinfo:5: 'no colon here' is not a 'Key: value' line");
    EXPECT_EQ(errorOf(minimal + "System: x86_64-linux"),
              "cache/x.narinfo:5: the last line has no newline");
    EXPECT_EQ(errorOf(minimal + "CA: sha256:abc\n"),
              "cache/x.narinfo:5: CA 'sha256:abc' is neither a text: nor a fixed: address");
    EXPECT_EQ(errorOf(minimal + "CA: fixed:r:sha256:abc\n").substr(0, 59),
              "cache/x.narinfo:5: CA 'fixed:r:sha256:abc' has a bad hash: ");
}

TEST(NarInfo, BadStorePaths) {
    std::string rest = "URL: u\nNarHash: " + narHash + "\nNarSize: 1\n";
    EXPECT_EQ(errorOf("StorePath: /gnu/store/" + a + "\n" + rest),
              "cache/x.narinfo:1: StorePath: path '/gnu/store/" + a +
                  "' is not in the store /nix/store");
    EXPECT_EQ(errorOf(rest + "StorePath: /nix/store/e-short\n"),
              "cache/x.narinfo:4: StorePath: 'e-short' is not a store path base name");
    EXPECT_EQ(errorOf(minimal + "References: " + a + " /gnu/store/" + b + "\n"),
              "cache/x.narinfo:5: reference '/gnu/store/" + b +
                  "' is a path, not the base name of a store item");
    EXPECT_EQ(errorOf(minimal + "References: " + a + "  e-bad\n"),
              "cache/x.narinfo:5: reference: 'e-bad' is not a store path base name");
    EXPECT_EQ(errorOf(minimal + "Deriver: /nix/store/" + b + ".drv\n"),
              "cache/x.narinfo:5: Deriver '/nix/store/" + b +
                  ".drv' is a path, not the base name of a store item");
    EXPECT_NE(errorOf(minimal + "Deriver: 5zljwykxcf02j3xdc2khzjvhp3l93wa!-x\n")
                  .find("cache/x.narinfo:5: Deriver: invalid character '!'"),
              std::string::npos);
}

} // namespace
