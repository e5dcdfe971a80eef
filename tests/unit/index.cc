// Cargo's registry index format: paths, lines read and written, malformed input.
#include "ferrix/cargo/index.hh"
#include "ferrix/error.hh"

#include <gtest/gtest.h>

using namespace ferrix;
using namespace ferrix::cargo;

namespace {

std::string errorOf(auto&& f) {
    try {
        f();
    } catch (const FormatError& e) {
        return e.what();
    }
    return "(no error)";
}

// crates.io's line for cfg-if 1.0.0: a renamed optional dependency ("core" is
// rustc-std-workspace-core), null target.
const char* cfgIf =
    R"({"name":"cfg-if","vers":"1.0.0","deps":[{"name":"compiler_builtins","req":"^0.1.2","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal"},{"name":"core","req":"^1.0.0","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal","package":"rustc-std-workspace-core"}],"cksum":"baf1de4339761588bc0619e3cbc0120ee582ebb74b53b4efbf79117bd2da40fd","features":{"rustc-dep-of-std":["core","compiler_builtins"]},"yanked":false})";

// A v2 line shaped like crates.io's (pubtime, rust_version, features2 with a key also present
// in features: cargo appends the values).
const char* serdeV2 =
    R"({"name":"serde","vers":"1.0.94","v":2,"deps":[{"name":"serde_derive","req":"^1.0","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal"},{"name":"serde_derive","req":"^1.0","features":[],"optional":false,"default_features":true,"target":null,"kind":"dev"}],"cksum":"076a696fdea89c19d3baed462576b8f6d663064414b5c793642da8dfeb99475b","features":{"alloc":["unstable"],"default":["std"],"derive":["serde_derive"],"rc":[],"std":[],"unstable":[]},"features2":{"derive":["dep:serde_derive"],"new_api":["serde?/alloc"]},"yanked":false,"pubtime":"2019-06-27T17:55:32Z","rust_version":"1.56"})";

} // namespace

TEST(Index, Paths) {
    EXPECT_EQ(indexPath("a"), "1/a");
    EXPECT_EQ(indexPath("ab"), "2/ab");
    EXPECT_EQ(indexPath("abc"), "3/a/abc");
    EXPECT_EQ(indexPath("abcd"), "ab/cd/abcd");
    EXPECT_EQ(indexPath("cfg-if"), "cf/g-/cfg-if");
    EXPECT_EQ(indexPath("serde_json"), "se/rd/serde_json");
    EXPECT_EQ(indexPath("Inflector"), "in/fl/inflector");
    EXPECT_EQ(indexPath("GRE_dictation"), "gr/e_/gre_dictation");
    EXPECT_EQ(indexPath("Cc"), "2/cc");
    EXPECT_THROW(indexPath(""), FormatError);
    EXPECT_THROW(indexPath("../etc"), FormatError);
    EXPECT_THROW(indexPath("a/b"), FormatError);
    EXPECT_THROW(indexPath("a b"), FormatError);
}

TEST(Index, RealCratesIoLine) {
    IndexEntry e = parseIndexLine(cfgIf, "cf/g-/cfg-if");
    EXPECT_EQ(e.name, "cfg-if");
    EXPECT_EQ(e.vers, "1.0.0");
    EXPECT_EQ(e.cksum, "baf1de4339761588bc0619e3cbc0120ee582ebb74b53b4efbf79117bd2da40fd");
    ASSERT_EQ(e.deps.size(), 2u);
    EXPECT_EQ(e.deps[0].name, "compiler_builtins");
    EXPECT_EQ(e.deps[0].req, "^0.1.2");
    EXPECT_TRUE(e.deps[0].optional);
    EXPECT_TRUE(e.deps[0].defaultFeatures);
    EXPECT_EQ(e.deps[0].target, "");
    EXPECT_EQ(e.deps[0].kind, "normal");
    EXPECT_EQ(e.deps[0].package, "");
    EXPECT_EQ(e.deps[1].name, "core");
    EXPECT_EQ(e.deps[1].package, "rustc-std-workspace-core");
    ASSERT_EQ(e.features.size(), 1u);
    EXPECT_EQ(e.features["rustc-dep-of-std"],
              (std::vector<std::string>{"core", "compiler_builtins"}));
    EXPECT_FALSE(e.yanked);
    EXPECT_EQ(e.links, "");
    // What we write for it is crates.io's line itself (same fields, same order).
    EXPECT_EQ(writeIndexLine(e), cfgIf);
}

TEST(Index, FeaturesV2Merged) {
    IndexEntry e = parseIndexLine(serdeV2, "x");
    EXPECT_EQ(e.rustVersion, "1.56");
    EXPECT_EQ(e.features["derive"], (std::vector<std::string>{"serde_derive", "dep:serde_derive"}));
    EXPECT_EQ(e.features["new_api"], (std::vector<std::string>{"serde?/alloc"}));
    EXPECT_EQ(e.features["alloc"], (std::vector<std::string>{"unstable"}));
    ASSERT_EQ(e.deps.size(), 2u);
    EXPECT_EQ(e.deps[1].kind, "dev");
}

TEST(Index, WriteSplitsFeatures2) {
    IndexEntry e;
    e.name = "foo";
    e.vers = "1.2.0-rc.1";
    e.cksum = std::string(64, 'a');
    e.features["default"] = {"std"};
    e.features["serde"] = {"dep:serde", "chrono?/serde"};
    e.features["std"] = {};
    IndexDependency d;
    d.name = "serde1";
    d.package = "serde";
    d.req = "^1";
    d.optional = true;
    d.defaultFeatures = false;
    d.features = {"derive"};
    d.target = "cfg(unix)";
    d.kind = "build";
    d.registry = "sparse+https://example.org/index/";
    e.deps.push_back(d);
    e.yanked = true;
    e.links = "foo";
    e.rustVersion = "1.63";
    std::string line = writeIndexLine(e);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_NE(line.find(R"("features":{"default":["std"],"std":[]})"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("features2":{"serde":["dep:serde","chrono?/serde"]},"v":2)"),
              std::string::npos)
        << line;
    IndexEntry back = parseIndexLine(line, "x");
    EXPECT_EQ(back.name, e.name);
    EXPECT_EQ(back.vers, e.vers);
    EXPECT_EQ(back.features, e.features);
    EXPECT_TRUE(back.yanked);
    EXPECT_EQ(back.links, "foo");
    EXPECT_EQ(back.rustVersion, "1.63");
    ASSERT_EQ(back.deps.size(), 1u);
    auto& b = back.deps[0];
    EXPECT_EQ(b.name, "serde1");
    EXPECT_EQ(b.package, "serde");
    EXPECT_EQ(b.req, "^1");
    EXPECT_TRUE(b.optional);
    EXPECT_FALSE(b.defaultFeatures);
    EXPECT_EQ(b.features, (std::vector<std::string>{"derive"}));
    EXPECT_EQ(b.target, "cfg(unix)");
    EXPECT_EQ(b.kind, "build");
    EXPECT_EQ(b.registry, "sparse+https://example.org/index/");
    // Without new-syntax features there is neither features2 nor "v".
    e.features.erase("serde");
    line = writeIndexLine(e);
    EXPECT_EQ(line.find("features2"), std::string::npos);
    EXPECT_EQ(line.find("\"v\""), std::string::npos);
}

TEST(Index, FileWithBlankLinesAndNewerFormat) {
    std::string text = std::string(cfgIf) + "\n\n" + serdeV2 + "\r\n" +
                       R"({"name":"serde","vers":"9.0.0","v":3,"future":true})" + "\n";
    auto entries = parseIndexFile(text, "idx");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].name, "cfg-if");
    EXPECT_EQ(entries[1].vers, "1.0.94");
    EXPECT_TRUE(parseIndexFile("", "idx").empty());
    // A single line of a newer format is an error (the caller asked for that entry).
    EXPECT_EQ(errorOf([] { parseIndexLine(R"({"name":"a","vers":"1.0.0","v":3})", "w"); }),
              "w: unsupported index format version 3");
}

TEST(Index, MalformedLines) {
    std::string ok = R"({"name":"a","vers":"1.0.0","deps":[],"cksum":")" + std::string(64, '0') +
                     R"(","features":{}})";
    EXPECT_NO_THROW(parseIndexLine(ok, "w"));
    auto err = [](std::string line) { return errorOf([&] { parseIndexLine(line, "a/b/c"); }); };
    EXPECT_EQ(err("{\"name\":"), "a/b/c: malformed JSON: parse error at line 1, column 9: "
                                 "syntax error while parsing value - unexpected end of input; "
                                 "expected '[', '{', or a literal");
    // Found by tests/fuzz (index): a number out of range escaped as nlohmann's out_of_range.
    EXPECT_EQ(err(R"({"name":"a","vers":"1.0.0","x":1e400})"),
              "a/b/c: malformed JSON: number overflow parsing '1e400'");
    EXPECT_EQ(err("[1]"), "a/b/c: an index entry must be a JSON object");
    EXPECT_EQ(err(R"({"vers":"1.0.0"})"), "a/b/c: missing field \"name\"");
    EXPECT_EQ(err(R"({"name":5})"), "a/b/c: field \"name\" must be a string");
    EXPECT_EQ(err(R"({"name":"a","vers":"1.0.0","deps":[],"cksum":"abc"})"),
              "a/b/c: a 1.0.0: \"cksum\" is not a lowercase hexadecimal sha256: \"abc\"");
    std::string ck = std::string(64, 'f');
    EXPECT_EQ(err(R"({"name":"a","vers":"1.0.0","cksum":")" + ck + "\"}"),
              "a/b/c: a 1.0.0: missing field \"deps\"");
    EXPECT_EQ(err(R"({"name":"a","vers":"1.0.0","cksum":")" + ck + R"(","deps":[{"name":"b"}]})"),
              "a/b/c: a 1.0.0: dependency b: missing field \"req\"");
    EXPECT_EQ(err(R"({"name":"a","vers":"1.0.0","cksum":")" + ck +
                  R"(","deps":[{"name":"b","req":"1","kind":"weird"}]})"),
              "a/b/c: a 1.0.0: dependency b: unknown dependency kind \"weird\"");
    EXPECT_EQ(err(R"({"name":"a","vers":"1.0.0","cksum":")" + ck +
                  R"(","deps":[],"features":{"x":"y"}})"),
              "a/b/c: feature \"x\" in \"features\" must be an array");
    EXPECT_EQ(err(R"({"name":"a","vers":"1.0.0","cksum":")" + ck + R"(","deps":[],"yanked":"no"})"),
              "a/b/c: a 1.0.0: field \"yanked\" must be a boolean");
    // In a file, the line number is part of the place.
    std::string file = ok + "\n" + ok + "\n{oops}\n";
    EXPECT_EQ(errorOf([&] { parseIndexFile(file, "3/a/abc"); }).substr(0, 37),
              "3/a/abc:3: malformed JSON: parse erro");
}
