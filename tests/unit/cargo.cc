// lib/cargo: manifests and lock files (errors at FILE:LINE:COLUMN), cfg() targets, checksum
// files, manifest pruning, lock-file checks, and the phases' source preparation and installation.
// (The command lines are Scheme's: tests/scheme/cargo.scm.)
#include "ferrix/archive.hh"
#include "ferrix/cargo/manifest.hh"
#include "ferrix/cargo/phases.hh"
#include "ferrix/cargo/platform.hh"
#include "ferrix/cargo/vendor.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"
#include "store-test-util.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

using namespace ferrix;
using namespace ferrix::cargo;
using ferrix::test::ScratchDir;

namespace {

const Dependency* findDep(const Manifest& m, const std::string& key, DepKind kind,
                          const std::string& target = "") {
    for (auto& d : m.dependencies)
        if (d.key == key && d.kind == kind && d.target == target) return &d;
    return nullptr;
}

std::string errorOf(const std::string& text) {
    try {
        parseManifest(text, "dir/Cargo.toml");
    } catch (const ManifestError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(CargoManifest, ReadsPackageBinsAndDependencies) {
    Manifest m = parseManifest(R"([package]
name = "app"
version = "1.2.3"

[[bin]]
name = "tool"
path = "src/tool.rs"

[dependencies]
serde = "1.0"
json = { version = "1", package = "serde_json", optional = true }
local = { path = "../local" }

[dev-dependencies]
tempfile = "3"

[build-dependencies.cc]
version = "1.0"

[target.'cfg(windows)'.dependencies]
winapi = "0.3"

[target.x86_64-unknown-linux-gnu.build-dependencies]
pkg-config = "0.3"
)",
                               "Cargo.toml");
    EXPECT_TRUE(m.hasPackage);
    EXPECT_EQ(m.name, "app");
    EXPECT_EQ(m.version, "1.2.3");
    ASSERT_EQ(m.bins.size(), 1u);
    EXPECT_EQ(m.bins[0].name, "tool");
    EXPECT_EQ(m.bins[0].path, "src/tool.rs");
    ASSERT_EQ(m.dependencies.size(), 7u);
    auto json = findDep(m, "json", DepKind::Normal);
    ASSERT_TRUE(json);
    EXPECT_EQ(json->package, "serde_json");
    EXPECT_TRUE(json->optional);
    EXPECT_EQ(json->line, 11);
    ASSERT_TRUE(findDep(m, "local", DepKind::Normal)->path);
    EXPECT_EQ(*findDep(m, "local", DepKind::Normal)->path, "../local");
    EXPECT_EQ(findDep(m, "tempfile", DepKind::Dev)->version, "3");
    EXPECT_EQ(findDep(m, "cc", DepKind::Build)->version, "1.0");
    EXPECT_TRUE(findDep(m, "winapi", DepKind::Normal, "cfg(windows)"));
    EXPECT_TRUE(findDep(m, "pkg-config", DepKind::Build, "x86_64-unknown-linux-gnu"));
}

TEST(CargoManifest, ReadsWorkspaces) {
    ScratchDir d("ferrix-cargo-test-");
    for (auto m : {"crates/a", "crates/b", "crates/skip", "tools/c"}) {
        createDirs(d.path + "/" + m);
        writeFile(d.path + "/" + m + "/Cargo.toml", "[package]\nname = \"x\"\n");
    }
    writeFile(d.path + "/Cargo.toml",
              "[workspace]\nmembers = [\"crates/*\", \"tools/c\"]\nexclude = [\"crates/skip\"]\n"
              "[workspace.package]\nversion = \"0.3.0\"\n");
    Manifest m = readManifest(d.path + "/Cargo.toml");
    EXPECT_FALSE(m.hasPackage);
    EXPECT_TRUE(m.isWorkspace);
    EXPECT_EQ(m.workspaceVersion, "0.3.0");
    EXPECT_EQ(workspaceMembers(m, d.path),
              (std::vector<std::string>{"crates/a", "crates/b", "tools/c"}));
    EXPECT_FALSE(hasBinaryTargets(m, d.path));
}

TEST(CargoManifest, ErrorsNameFileLineAndColumn) {
    EXPECT_EQ(errorOf("[package]\nname = \"a\"\nversion = 3\n"),
              "dir/Cargo.toml:3:11: package.version must be a string");
    EXPECT_EQ(errorOf("[package]\nname = \"a\"\n\n[dependencies]\nfoo = 1\n"),
              "dir/Cargo.toml:5:7: dependencies.foo must be a version string or a table");
    std::string syntax = errorOf("[package]\nname = \"a\nversion = \"1\"\n");
    EXPECT_EQ(syntax.rfind("dir/Cargo.toml:2:", 0), 0u) << syntax;
    EXPECT_EQ(errorOf("[dependencies]\nfoo = \"1\"\n"),
              "dir/Cargo.toml: neither [package] nor [workspace]: not a Cargo manifest");
    EXPECT_EQ(errorOf("[package]\nversion = \"1.0.0\"\n"),
              "dir/Cargo.toml:1:1: [package] has no name");
    EXPECT_EQ(errorOf("[package]\nname = \"a\"\n[dependencies.x]\noptional = \"yes\"\n"),
              "dir/Cargo.toml:4:12: dependencies.x.optional must be true or false");
}

TEST(CargoManifest, BinaryTargets) {
    ScratchDir d("ferrix-cargo-test-");
    std::string lib = "[package]\nname = \"a\"\nversion = \"1.0.0\"\n";
    createDirs(d.path + "/src");
    writeFile(d.path + "/src/lib.rs", "");
    EXPECT_FALSE(hasBinaryTargets(parseManifest(lib, "Cargo.toml"), d.path));
    EXPECT_TRUE(
        hasBinaryTargets(parseManifest(lib + "[[bin]]\nname = \"x\"\n", "Cargo.toml"), d.path));
    createDirs(d.path + "/src/bin");
    EXPECT_TRUE(hasBinaryTargets(parseManifest(lib, "Cargo.toml"), d.path));
    EXPECT_FALSE(hasBinaryTargets(parseManifest(lib + "autobins = false\n", "Cargo.toml"), d.path));
    deletePath(d.path + "/src/bin");
    writeFile(d.path + "/src/main.rs", "fn main() {}");
    EXPECT_TRUE(hasBinaryTargets(parseManifest(lib, "Cargo.toml"), d.path));
}

TEST(CargoPlatform, CfgExpressions) {
    std::string linux = "x86_64-unknown-linux-gnu";
    EXPECT_EQ(targetApplies("cfg(unix)", linux), true);
    EXPECT_EQ(targetApplies("cfg(windows)", linux), false);
    EXPECT_EQ(targetApplies("cfg(target_os = \"linux\")", linux), true);
    EXPECT_EQ(targetApplies("cfg(target_env = \"msvc\")", linux), false);
    EXPECT_EQ(targetApplies("cfg(target_os = \"hermit\")", linux), false);
    EXPECT_EQ(targetApplies("cfg(all(unix, target_pointer_width = \"64\"))", linux), true);
    EXPECT_EQ(targetApplies("cfg(any(windows, target_arch = \"wasm32\"))", linux), false);
    EXPECT_EQ(targetApplies("cfg(not(windows))", linux), true);
    EXPECT_EQ(targetApplies("cfg(feature = \"x\")", linux), std::nullopt);
    EXPECT_EQ(targetApplies("cfg(any(windows, feature = \"x\"))", linux), std::nullopt);
    EXPECT_EQ(targetApplies("cfg(all(windows, feature = \"x\"))", linux), false);
    EXPECT_EQ(targetApplies("x86_64-unknown-linux-gnu", linux), true);
    EXPECT_EQ(targetApplies("x86_64-pc-windows-msvc", linux), false);
    EXPECT_EQ(targetApplies("cfg(windows)", "x86_64-pc-windows-gnu"), true);
    EXPECT_EQ(targetApplies("cfg(target_arch = \"x86\")", "i686-unknown-linux-gnu"), true);
    EXPECT_EQ(targetApplies("cfg(target_arch = \"arm\")", "armv7-unknown-linux-gnueabihf"), true);
    EXPECT_EQ(targetApplies("cfg(target_env = \"gnu\")", "armv7-unknown-linux-gnueabihf"), true);
    EXPECT_THROW(targetApplies("cfg(all(unix)", linux), FormatError);
    EXPECT_THROW(targetApplies("cfg(target_os = linux)", linux), FormatError);
}

// Found by tests/fuzz (cfg): a key nested 200,000 deep overflowed the stack.
TEST(CargoPlatform, DeepNestingIsRefused) {
    std::string linux = "x86_64-unknown-linux-gnu";
    auto nested = [](size_t n) {
        std::string key = "cfg(";
        for (size_t i = 0; i < n; ++i)
            key += "not(";
        return key + "unix" + std::string(n, ')') + ")";
    };
    EXPECT_EQ(targetApplies(nested(64), linux), true);
    EXPECT_EQ(targetApplies(nested(63), linux), false);
    try {
        targetApplies(nested(200000), linux);
        FAIL() << "a key nested 200,000 deep was accepted";
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find(": more than 64 nested all(), any() or not()"),
                  std::string::npos);
    }
}

TEST(CargoLock, ParsesAndChecksAgainstVendored) {
    Lockfile l = parseLockfile(R"(version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa"]

[[package]]
name = "itoa"
version = "1.0.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "1aab8fc367588b89dcee83ab0fd66b72b50b72fa1904d7095045ace2b0c81c35"
)",
                               "Cargo.lock");
    EXPECT_EQ(l.version, 3);
    ASSERT_EQ(l.packages.size(), 2u);
    std::string sum = "1aab8fc367588b89dcee83ab0fd66b72b50b72fa1904d7095045ace2b0c81c35";
    EXPECT_TRUE(lockMismatches(l, {{"itoa", "1.0.1", "/v/itoa", "in", sum}}).empty());
    auto noSum = lockMismatches(l, {{"itoa", "1.0.1", "/v/itoa", "in", std::nullopt}});
    ASSERT_EQ(noSum.size(), 1u);
    EXPECT_NE(noSum[0].find("no known checksum"), std::string::npos) << noSum[0];
    auto missing = lockMismatches(l, {{"itoa", "1.0.2", "/v/itoa", "in", sum}});
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_EQ(missing[0], "itoa 1.0.1 is locked but no input provides it");
    try {
        parseLockfile("version = 3\n[[package]]\nname = \"x\"\n", "dir/Cargo.lock");
        FAIL();
    } catch (const ManifestError& e) {
        EXPECT_STREQ(e.what(), "dir/Cargo.lock:2:1: [[package]] without name or version");
    }
}

TEST(CargoVendor, ChecksumFileAsCargoVendorWritesIt) {
    ScratchDir d("ferrix-cargo-test-");
    createDirs(d.path + "/c/src");
    writeFile(d.path + "/c/Cargo.toml", "[package]\nname = \"c\"\nversion = \"1.0.0\"\n");
    writeFile(d.path + "/c/src/lib.rs", "");
    writeFile(d.path + "/c/.cargo-checksum.json", "{\"files\":{},\"package\":\"stale\"}");
    auto j = nlohmann::json::parse(checksumJson(d.path + "/c", std::nullopt));
    EXPECT_TRUE(j["package"].is_null());
    ASSERT_EQ(j["files"].size(), 2u); // .cargo-checksum.json itself is not listed
    EXPECT_EQ(j["files"]["src/lib.rs"],
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(j["files"]["Cargo.toml"],
              hashFile(HashAlgo::SHA256, d.path + "/c/Cargo.toml").toBase16());
    writeChecksumFile(d.path + "/c", std::string(64, 'a'));
    auto k = nlohmann::json::parse(readFile(d.path + "/c/.cargo-checksum.json"));
    EXPECT_EQ(k["package"], std::string(64, 'a'));
}

TEST(CargoVendor, VendorsDirectoriesTarballsAndRegistries) {
    ScratchDir d("ferrix-cargo-test-");
    auto crate = [&](const std::string& dir, const std::string& name, const std::string& version,
                     const std::string& extra = "") {
        createDirs(dir + "/src");
        writeFile(dir + "/Cargo.toml",
                  "[package]\nname = \"" + name + "\"\nversion = \"" + version + "\"\n" + extra);
        writeFile(dir + "/src/lib.rs", "");
    };
    crate(d.path + "/in/a", "a", "1.0.0",
          "[target.'cfg(windows)'.dependencies]\nwinapi = "
          "\"0.3\"\n[target.'cfg(unix)'.dependencies]\nb = \"2\"\n"
          "[features]\nwin = [\"winapi/std\"]\n");
    crate(d.path + "/in/b", "b", "2.0.0");
    packTree(d.path + "/in/b", "b-2.0.0", d.path + "/in/b-2.0.0.crate");
    deletePath(d.path + "/in/b");
    crate(d.path + "/pkg/share/cargo/registry/c-3.0.0", "c", "3.0.0");
    createDirs(d.path + "/not-a-crate");
    std::vector<std::string> log;
    auto v = vendorInputs({d.path + "/in/a", d.path + "/in/b-2.0.0.crate", d.path + "/pkg",
                           d.path + "/not-a-crate", d.path + "/in/a"},
                          d.path + "/vendor", "x86_64-unknown-linux-gnu", log);
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].dir, d.path + "/vendor/a-1.0.0");
    EXPECT_FALSE(v[0].package);
    EXPECT_EQ(*v[1].package, hashFile(HashAlgo::SHA256, d.path + "/in/b-2.0.0.crate").toBase16());
    EXPECT_EQ(v[2].name, "c");
    // a's Windows dependency (no input) is pruned, and the feature naming it emptied; b stays.
    Manifest a = readManifest(d.path + "/vendor/a-1.0.0/Cargo.toml");
    EXPECT_FALSE(findDep(a, "winapi", DepKind::Normal, "cfg(windows)"));
    EXPECT_TRUE(findDep(a, "b", DepKind::Normal, "cfg(unix)"));
    EXPECT_EQ(readFile(d.path + "/vendor/a-1.0.0/Cargo.toml.orig").find("winapi") !=
                  std::string::npos,
              true);
    EXPECT_EQ(readFile(d.path + "/vendor/a-1.0.0/Cargo.toml").find("winapi"), std::string::npos)
        << readFile(d.path + "/vendor/a-1.0.0/Cargo.toml");
    // Checksums were written after the pruning.
    auto j = nlohmann::json::parse(readFile(d.path + "/vendor/a-1.0.0/.cargo-checksum.json"));
    EXPECT_EQ(j["files"]["Cargo.toml"],
              hashFile(HashAlgo::SHA256, d.path + "/vendor/a-1.0.0/Cargo.toml").toBase16());
    bool skipped = false;
    for (auto& l : log)
        skipped |= l.find("already vendored") != std::string::npos;
    EXPECT_TRUE(skipped);
}

TEST(CargoVendor, PrunesDevDependenciesWithoutInputs) {
    ScratchDir d("ferrix-cargo-test-");
    writeFile(d.path + "/Cargo.toml", R"([package]
name = "app"
version = "0.1.0"

[dependencies]
serde = "1"

[dev-dependencies]
tempfile = "3"
quickcheck = "1"
helper = { path = "helper" }
)");
    std::string before = readFile(d.path + "/Cargo.toml");
    // Tests on: nothing pruned, file untouched.
    EXPECT_TRUE(pruneManifest(d.path, {"serde"}, "x86_64-unknown-linux-gnu", false).empty());
    EXPECT_EQ(readFile(d.path + "/Cargo.toml"), before);
    EXPECT_EQ(savedManifest(d.path), "");
    auto removed = pruneManifest(d.path, {"serde", "quickcheck"}, "x86_64-unknown-linux-gnu", true);
    EXPECT_EQ(removed, std::vector<std::string>{"dev-dependencies.tempfile"});
    Manifest m = readManifest(d.path + "/Cargo.toml");
    EXPECT_TRUE(findDep(m, "serde", DepKind::Normal));
    EXPECT_TRUE(findDep(m, "quickcheck", DepKind::Dev));
    EXPECT_TRUE(findDep(m, "helper", DepKind::Dev)); // path dependencies stay
    EXPECT_FALSE(findDep(m, "tempfile", DepKind::Dev));
    EXPECT_EQ(savedManifest(d.path), d.path + "/Cargo.toml.orig");
    EXPECT_EQ(readFile(d.path + "/Cargo.toml.orig"), before);
}

TEST(CargoPhases, InstallSourceAndBinaryCrates) {
    ScratchDir d("ferrix-cargo-test-");
    std::string src = d.path + "/source";
    createDirs(src + "/src/bin");
    std::string original = "[package]\nname = \"app\"\nversion = \"0.3.0\"\n\n"
                           "[dev-dependencies]\ntempfile = \"3\"\n";
    writeFile(src + "/Cargo.toml", original);
    writeFile(src + "/src/lib.rs", "");
    writeFile(src + "/src/bin/tool.rs", "fn main() {}\n");
    // As configure leaves it with tests off: rewritten, the original kept next to it.
    PruneOptions testsOff;
    testsOff.dev = true;
    ASSERT_EQ(pruneDependencies(src, {}, "x86_64-unknown-linux-gnu", testsOff).removed.size(), 1u);
    auto log = installSource(src, d.path + "/out", "rust-app-0.3.0");
    std::string dest = d.path + "/out/share/rust-source/app-0.3.0";
    EXPECT_EQ(log, (std::vector<std::string>{"source installed in " + dest,
                                             "crate packed as " + d.path +
                                                 "/out/share/cargo/registry/app-0.3.0.crate"}));
    EXPECT_EQ(readFile(dest + "/Cargo.toml"), original);
    EXPECT_FALSE(pathExists(dest + "/Cargo.toml.orig"));
    EXPECT_EQ(binaryCrateDirs(src), std::vector<std::string>{"."});

    // A virtual workspace: installed as the package's name, no .crate; binaries per member.
    std::string ws = d.path + "/ws";
    createDirs(ws + "/cli/src");
    createDirs(ws + "/core/src");
    writeFile(ws + "/Cargo.toml", "[workspace]\nmembers = [\"cli\", \"core\"]\n");
    writeFile(ws + "/cli/Cargo.toml", "[package]\nname = \"cli\"\nversion = \"1.0.0\"\n");
    writeFile(ws + "/cli/src/main.rs", "fn main() {}\n");
    writeFile(ws + "/core/Cargo.toml", "[package]\nname = \"core\"\nversion = \"1.0.0\"\n");
    writeFile(ws + "/core/src/lib.rs", "");
    log = installSource(ws, d.path + "/out", "rust-ws-1.0.0");
    EXPECT_EQ(log, std::vector<std::string>{"source installed in " + d.path +
                                            "/out/share/rust-source/rust-ws-1.0.0"});
    EXPECT_EQ(binaryCrateDirs(ws), std::vector<std::string>{"cli"});
}

// --- The [package] metadata a registry publishes (registry export).

TEST(CargoManifestMetadata, PackageKeysFeaturesAndDependencyOptions) {
    Manifest m = parseManifest(R"([package]
name = "meta"
version = "0.4.1"
description = "Says things"
license = "MIT/Apache-2.0"
license-file = "LICENSE"
homepage = "https://example.org"
repository = "https://example.org/git"
documentation = "https://docs.example.org"
keywords = ["a", "b"]
categories = ["parsing"]
authors = ["Someone <s@example.org>"]
links = "meta"
rust-version = "1.56"
edition = "2021"
readme = false

[lib]
path = "lib.rs"

[features]
default = ["std"]
std = ["dep:serde", "serde?/std"]

[dependencies]
serde = { version = "1", optional = true, default-features = false, features = ["derive"] }
old = { version = "2", default_features = false }
other = { version = "3", registry = "mine", registry-index = "sparse+https://r.example/" }
g = { git = "https://example.org/g.git" }
)",
                               "meta/Cargo.toml");
    EXPECT_EQ(m.description, "Says things");
    EXPECT_EQ(m.license, "MIT/Apache-2.0");
    EXPECT_EQ(m.licenseFile, "LICENSE");
    EXPECT_EQ(m.homepage, "https://example.org");
    EXPECT_EQ(m.repository, "https://example.org/git");
    EXPECT_EQ(m.documentation, "https://docs.example.org");
    EXPECT_EQ(m.keywords, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(m.categories, (std::vector<std::string>{"parsing"}));
    EXPECT_EQ(m.authors.size(), 1u);
    EXPECT_EQ(m.links, "meta");
    EXPECT_EQ(m.rustVersion, "1.56");
    EXPECT_EQ(m.edition, "2021");
    EXPECT_EQ(m.readme, std::optional<std::string>(""));
    EXPECT_TRUE(m.hasLibTable);
    EXPECT_EQ(m.libPath, "lib.rs");
    EXPECT_EQ(m.features.at("std"), (std::vector<std::string>{"dep:serde", "serde?/std"}));
    EXPECT_TRUE(m.inherited.empty());
    EXPECT_EQ(m.namePos.line, 2);
    EXPECT_EQ(m.versionPos.line, 3);
    EXPECT_EQ(m.versionPos.column, 11);

    const Dependency* serde = findDep(m, "serde", DepKind::Normal);
    ASSERT_NE(serde, nullptr);
    EXPECT_FALSE(serde->defaultFeatures);
    EXPECT_EQ(serde->features, (std::vector<std::string>{"derive"}));
    EXPECT_EQ(serde->pos.line, 26);
    EXPECT_FALSE(findDep(m, "old", DepKind::Normal)->defaultFeatures);
    EXPECT_EQ(findDep(m, "other", DepKind::Normal)->registry, "mine");
    EXPECT_EQ(findDep(m, "other", DepKind::Normal)->registryIndex, "sparse+https://r.example/");
    EXPECT_EQ(findDep(m, "g", DepKind::Normal)->git,
              std::optional<std::string>("https://example.org/g.git"));
    EXPECT_TRUE(findDep(m, "other", DepKind::Normal)->defaultFeatures);
}

TEST(CargoManifestMetadata, WorkspaceInheritanceAndErrors) {
    // Inherited keys are noted, not errors: the phases read workspace members' manifests.
    Manifest m = parseManifest(R"([package]
name = "member"
version.workspace = true
license.workspace = true
keywords = { workspace = true }
readme.workspace = true
)",
                               "w/Cargo.toml");
    EXPECT_TRUE(m.versionFromWorkspace);
    EXPECT_EQ(m.inherited, (std::vector<std::string>{"license", "keywords", "readme"}));
    EXPECT_TRUE(m.license.empty());
    EXPECT_EQ(m.readme, std::nullopt);

    EXPECT_EQ(errorOf("[package]\nname = \"a\"\ndescription = 3\n"),
              "dir/Cargo.toml:3:15: package.description must be a string");
    EXPECT_EQ(errorOf("[package]\nname = \"a\"\nlicense = { workspace = false }\n"),
              "dir/Cargo.toml:3:11: package.license must be { workspace = true } when it is a "
              "table");
    EXPECT_EQ(errorOf("[package]\nname = \"a\"\n[features]\nstd = \"x\"\n"),
              "dir/Cargo.toml:4:7: features.std must be an array of strings");
    EXPECT_EQ(errorOf("[package]\nname = \"a\"\n[dependencies]\nb = { version = \"1\", "
                      "features = [1] }\n"),
              "dir/Cargo.toml:4:34: dependencies.b.features entries must be a string");
    EXPECT_EQ(errorOf("[package]\nname = \"a\"\n[dependencies]\nb = { version = \"1\", "
                      "default-features = \"no\" }\n"),
              "dir/Cargo.toml:4:41: dependencies.b.default-features must be true or false");
}

// --- Optional dependencies without inputs (helper "perf"; the configure phase prunes them).

TEST(CargoPruneOptional, OptionalDependenciesWithoutInputsAndTheirFeatures) {
    ScratchDir d("ferrix-cargo-test-");
    writeFile(d.path + "/Cargo.toml", R"([package]
name = "app"
version = "0.1.0"

[dependencies]
serde = { version = "1", optional = true }
log = { version = "0.4", optional = true }
regex = "1"
local = { path = "local", optional = true }
json = { package = "serde_json", version = "1", optional = true }

[build-dependencies]
cc = { version = "1", optional = true }

[target.'cfg(unix)'.dependencies]
nix = { version = "0.26", optional = true }

[target.'cfg(windows)'.dependencies]
winapi = { version = "0.3", optional = true }

[features]
default = ["std", "derive"]
std = ["log?/std", "regex/std"]
derive = ["dep:serde", "serde/derive"]
unix = ["nix"]
logging = ["log"]
full = ["derive", "logging"]
to-json = ["json?/std"]
)");
    std::string before = readFile(d.path + "/Cargo.toml");
    PruneOptions o;
    o.optional = true;
    // log has an input; serde_json (renamed json) has one under its package name.
    auto r =
        pruneDependencies(d.path, {"regex", "log", "serde_json"}, "x86_64-unknown-linux-gnu", o);
    EXPECT_EQ(r.removed, (std::vector<std::string>{"dependencies.serde", "build-dependencies.cc",
                                                   "target.cfg(unix).dependencies.nix",
                                                   "target.cfg(windows).dependencies.winapi"}));
    EXPECT_EQ(r.reasons,
              (std::vector<PruneReason>{PruneReason::Optional, PruneReason::Optional,
                                        PruneReason::Optional, PruneReason::OtherPlatform}));
    EXPECT_EQ(r.optionalPruned, (std::set<std::string>{"cc", "nix", "serde"}));
    EXPECT_EQ(r.weakened, (std::map<std::string, std::string>{{"cc", "cc"},
                                                              {"derive", "serde"},
                                                              {"full", "serde"},
                                                              {"nix", "nix"},
                                                              {"unix", "nix"}}));
    Manifest m = readManifest(d.path + "/Cargo.toml");
    EXPECT_FALSE(findDep(m, "serde", DepKind::Normal));
    EXPECT_TRUE(findDep(m, "log", DepKind::Normal));
    EXPECT_TRUE(findDep(m, "regex", DepKind::Normal));
    EXPECT_TRUE(findDep(m, "local", DepKind::Normal)); // path dependencies stay
    EXPECT_TRUE(findDep(m, "json", DepKind::Normal));
    EXPECT_FALSE(findDep(m, "cc", DepKind::Build));
    auto list = [&](const char* name) { return m.features.at(name); };
    EXPECT_EQ(list("default"), std::vector<std::string>{"std"});
    EXPECT_EQ(list("std"), (std::vector<std::string>{"log?/std", "regex/std"}));
    EXPECT_TRUE(list("derive").empty()); // kept, empty: asking for it stays valid
    EXPECT_TRUE(list("unix").empty());
    EXPECT_EQ(list("logging"), std::vector<std::string>{"log"});
    EXPECT_EQ(list("full"), std::vector<std::string>{"logging"}); // derive: weakened
    EXPECT_EQ(list("to-json"), std::vector<std::string>{"json?/std"});
    EXPECT_EQ(readFile(savedManifest(d.path)), before);

    // Everything provided: nothing pruned, the file untouched.
    ScratchDir e("ferrix-cargo-test-");
    writeFile(e.path + "/Cargo.toml", before);
    auto none =
        pruneDependencies(e.path, {"regex", "log", "serde_json", "serde", "cc", "nix", "winapi"},
                          "x86_64-unknown-linux-gnu", o);
    EXPECT_TRUE(none.removed.empty());
    EXPECT_EQ(readFile(e.path + "/Cargo.toml"), before);
    // Without options.optional only the other platform's dependency goes.
    EXPECT_EQ(pruneManifest(e.path, {"regex"}, "x86_64-unknown-linux-gnu", false),
              std::vector<std::string>{"target.cfg(windows).dependencies.winapi"});
}

TEST(CargoPruneOptional, FeatureNamedAfterTheDependency) {
    ScratchDir d("ferrix-cargo-test-");
    writeFile(d.path + "/Cargo.toml", R"([package]
name = "app"
version = "0.1.0"

[dependencies]
serde = { version = "1", optional = true }

[features]
serde = ["dep:serde", "serde/std"]
all = ["serde"]
)");
    PruneOptions o;
    o.optional = true;
    auto r = pruneDependencies(d.path, {}, "x86_64-unknown-linux-gnu", o);
    EXPECT_EQ(r.removed, std::vector<std::string>{"dependencies.serde"});
    // "all" names the feature serde, which stays, empty, and is no longer enabled by "all".
    Manifest m = readManifest(d.path + "/Cargo.toml");
    EXPECT_TRUE(m.features.at("serde").empty());
    EXPECT_TRUE(m.features.at("all").empty());
    EXPECT_EQ(r.weakened,
              (std::map<std::string, std::string>{{"all", "serde"}, {"serde", "serde"}}));
}

TEST(CargoPruneOptional, PreparingTheSourcePrunesAndRefusesFeaturesThatNeedThem) {
    auto setup = [](const ScratchDir& d, std::vector<std::string> features) {
        createDirs(d.path + "/source/src");
        writeFile(d.path + "/source/Cargo.toml", R"([package]
name = "app"
version = "0.1.0"

[dependencies]
serde = { version = "1", optional = true }

[features]
derive = ["serde/derive"]
plain = []
)");
        writeFile(d.path + "/source/src/lib.rs", "");
        return prepareOfflineSource(d.path + "/source", {}, d.path + "/vendor", d.path + "/.cargo",
                                    "x86_64-unknown-linux-gnu", true, features);
    };
    {
        ScratchDir d("ferrix-cargo-test-");
        auto r = setup(d, {"plain"});
        EXPECT_NE(std::find(r.log.begin(), r.log.end(),
                            "pruned optional dependencies.serde of " + d.path +
                                "/source/Cargo.toml (no input)"),
                  r.log.end());
        EXPECT_FALSE(
            findDep(readManifest(d.path + "/source/Cargo.toml"), "serde", DepKind::Normal));
    }
    for (std::string f : {"derive", "serde", "serde/std", "plain,derive"}) {
        ScratchDir d("ferrix-cargo-test-");
        try {
            setup(d, {f});
            ADD_FAILURE() << "feature " << f << " accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("needs the optional dependency serde"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(CargoVendorGit, WorkspaceCheckoutsAndGitSourcesAsCargoVendorWritesThem) {
    ScratchDir d("ferrix-cargo-test-");
    // A git checkout of a virtual workspace: two members, a fixture that is not a crate.
    std::string ws = d.path + "/ws-checkout";
    createDirs(ws + "/alpha/src");
    createDirs(ws + "/beta/src");
    createDirs(ws + "/tests/fixtures/bad");
    writeFile(ws + "/Cargo.toml", "[workspace]\nmembers = [\"alpha\", \"beta\"]\n");
    writeFile(ws + "/alpha/Cargo.toml", "[package]\nname = \"alpha\"\nversion = \"0.1.0\"\n");
    writeFile(ws + "/alpha/src/lib.rs", "");
    writeFile(ws + "/beta/Cargo.toml", "[package]\nname = \"beta\"\nversion = \"0.2.0\"\n"
                                       "[dependencies]\nalpha = { path = \"../alpha\" }\n");
    writeFile(ws + "/beta/src/lib.rs", "");
    writeFile(ws + "/tests/fixtures/bad/Cargo.toml", "not toml [");
    createDirs(ws + "/gamma/src");
    writeFile(ws + "/gamma/Cargo.toml", "[package]\nname = \"gamma\"\nversion.workspace = true\n");
    writeFile(ws + "/gamma/src/lib.rs", "");
    std::vector<std::string> log;
    auto v = vendorInputs({ws}, d.path + "/vendor", "x86_64-unknown-linux-gnu", log);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0].name, "alpha");
    EXPECT_EQ(v[0].origin, ws + "/alpha");
    EXPECT_EQ(v[1].name, "beta");
    // Git crates have no .crate: "package" is null, as cargo vendor writes it.
    auto j = nlohmann::json::parse(readFile(d.path + "/vendor/beta-0.2.0/.cargo-checksum.json"));
    EXPECT_TRUE(j["package"].is_null());
    EXPECT_TRUE(j["files"].contains("Cargo.toml"));
    bool fixtureSkipped = false;
    for (auto& l : log)
        fixtureSkipped |= l.rfind("skipping " + ws + "/tests/fixtures/bad: ", 0) == 0;
    EXPECT_TRUE(fixtureSkipped);
    bool inheritedSkipped = false;
    for (auto& l : log)
        inheritedSkipped |= l.rfind("skipping " + ws +
                                        "/gamma: its version is inherited from "
                                        "the workspace (version.workspace = true)",
                                    0) == 0;
    EXPECT_TRUE(inheritedSkipped);

    std::string sum = "1aab8fc367588b89dcee83ab0fd66b72b50b72fa1904d7095045ace2b0c81c35";
    std::string src = "git+https://example.org/ws.git?rev=97682af050#"
                      "97682af05054ad108b3f51619c31dfc341e0f3ea";
    Lockfile l =
        parseLockfile("version = 3\n"
                      "[[package]]\nname = \"alpha\"\nversion = \"0.1.0\"\nsource = \"" +
                          src +
                          "\"\n"
                          "[[package]]\nname = \"beta\"\nversion = \"0.2.0\"\nsource = \"" +
                          src +
                          "\"\n"
                          "[[package]]\nname = \"gamma\"\nversion = \"1.0.0\"\n"
                          "source = \"git+https://example.org/g.git?tag=v1&x=y#"
                          "0123456789abcdef0123456789abcdef01234567\"\n"
                          "[[package]]\nname = \"itoa\"\nversion = \"1.0.1\"\n"
                          "source = \"registry+https://github.com/rust-lang/"
                          "crates.io-index\"\nchecksum = \"" +
                          sum + "\"\n",
                      "Cargo.lock");
    auto ids = gitSourceIds(l);
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(ids[0], "git+https://example.org/ws.git?rev=97682af050");
    EXPECT_EQ(ids[1], "git+https://example.org/g.git?tag=v1&x=y");
    EXPECT_EQ(cargoConfig("/v", ids),
              "# Written by ferrix: crates come from the vendor directory, never from the "
              "network.\n"
              "[source.crates-io]\nreplace-with = \"ferrix-vendored\"\n\n"
              "[source.'git+https://example.org/ws.git?rev=97682af050']\n"
              "git = 'https://example.org/ws.git'\nrev = '97682af050'\n"
              "replace-with = \"ferrix-vendored\"\n\n"
              "[source.'git+https://example.org/g.git?tag=v1&x=y']\n"
              "git = 'https://example.org/g.git'\ntag = 'v1'\n"
              "replace-with = \"ferrix-vendored\"\n\n"
              "[source.ferrix-vendored]\ndirectory = '/v'\n\n[net]\noffline = true\n");
    // Git packages are checked by name and version only; a missing one names its source.
    auto vendored = v;
    vendored.push_back({"itoa", "1.0.1", "/v/itoa", "in", sum});
    auto problems = lockMismatches(l, vendored);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0], "gamma 1.0.0 is locked but no input provides it (it comes from "
                           "git+https://example.org/g.git?tag=v1&x=y#"
                           "0123456789abcdef0123456789abcdef01234567)");
}

namespace {

// A platform as rustc prints it for x86_64 Linux (a part of it), with `extraFlags` as rustflags.
BuildPlatforms linuxPlatforms(const std::vector<std::string>& rustflags = {}) {
    BuildPlatforms p;
    p.target = p.host = "x86_64-unknown-linux-gnu";
    p.targetCfg = CfgSet::parse("debug_assertions\npanic=\"unwind\"\ntarget_arch=\"x86_64\"\n"
                                "target_feature=\"sse2\"\ntarget_family=\"unix\"\n"
                                "target_os=\"linux\"\nunix\n");
    p.targetCfg.addRustflags(rustflags);
    p.hostCfg = p.targetCfg;
    return p;
}

const char cfgManifest[] = R"([package]
name = "app"
version = "0.1.0"

[target.'cfg(loom)'.dev-dependencies]
loom = "0.5"

[target.'cfg(target_feature = "avx2")'.dependencies]
fast = "1"

[target.'cfg(target_feature = "sse2")'.dependencies]
simd = "1"

[target.'cfg(any(ferrix_extra, windows))'.build-dependencies]
extra = "1"

[target.'cfg(unix)'.dev-dependencies]
quickcheck = "1"
)";

} // namespace

TEST(CargoPruneExact, CfgDecidedAgainstTheCfgSet) {
    ScratchDir d("ferrix-cargo-test-");
    writeFile(d.path + "/Cargo.toml", cfgManifest);
    BuildPlatforms p = linuxPlatforms();
    PruneOptions o;
    o.platforms = &p;
    auto r = pruneDependencies(d.path, {}, "x86_64-unknown-linux-gnu", o);
    // An unset name is false; target_feature is decided; nothing is undecided.
    EXPECT_EQ(r.removed, (std::vector<std::string>{
                             "target.cfg(any(ferrix_extra, windows)).build-dependencies.extra",
                             "target.cfg(loom).dev-dependencies.loom",
                             "target.cfg(target_feature = \"avx2\").dependencies.fast"}));
    EXPECT_TRUE(r.undecided.empty());
    Manifest m = readManifest(d.path + "/Cargo.toml");
    EXPECT_TRUE(findDep(m, "simd", DepKind::Normal, "cfg(target_feature = \"sse2\")"));
    EXPECT_TRUE(findDep(m, "quickcheck", DepKind::Dev, "cfg(unix)")); // tests on
}

TEST(CargoPruneExact, RustflagsCfgTurnsATableOn) {
    ScratchDir d("ferrix-cargo-test-");
    writeFile(d.path + "/Cargo.toml", cfgManifest);
    BuildPlatforms p = linuxPlatforms({"-C", "opt-level=2", "--cfg", "loom", "--cfg=ferrix_extra"});
    PruneOptions o;
    o.platforms = &p;
    auto r = pruneDependencies(d.path, {}, "x86_64-unknown-linux-gnu", o);
    EXPECT_EQ(r.removed, (std::vector<std::string>{
                             "target.cfg(target_feature = \"avx2\").dependencies.fast"}));
    Manifest m = readManifest(d.path + "/Cargo.toml");
    EXPECT_TRUE(findDep(m, "loom", DepKind::Dev, "cfg(loom)"));
    EXPECT_TRUE(findDep(m, "extra", DepKind::Build, "cfg(any(ferrix_extra, windows))"));
}

TEST(CargoPruneExact, BuildDependenciesAreTheHostsWhenCrossCompiling) {
    ScratchDir d("ferrix-cargo-test-");
    writeFile(d.path + "/Cargo.toml", R"([package]
name = "app"
version = "0.1.0"

[target.'cfg(windows)'.build-dependencies]
winres = "0.1"

[target.'cfg(windows)'.dependencies]
winapi = "0.3"

[target.'cfg(unix)'.build-dependencies]
host-tool = "1"
)");
    BuildPlatforms p = linuxPlatforms();
    p.target = "x86_64-pc-windows-gnu";
    p.targetCfg = CfgSet::parse("target_os=\"windows\"\ntarget_family=\"windows\"\nwindows\n");
    PruneOptions o;
    o.platforms = &p;
    auto r = pruneDependencies(d.path, {}, p.target, o);
    EXPECT_EQ(r.removed,
              (std::vector<std::string>{"target.cfg(windows).build-dependencies.winres"}));
}

TEST(CargoPruneExact, TestsOffPrunesDevDependenciesOfEveryTable) {
    ScratchDir d("ferrix-cargo-test-");
    writeFile(d.path + "/Cargo.toml", R"([package]
name = "app"
version = "0.1.0"

[target.'cfg(some_unknown_name)'.dev-dependencies]
loom = "0.5"
)");
    // Without the cfg sets the table is undecidable (and said to be), but tests are off.
    PruneOptions o;
    o.dev = true;
    auto r = pruneDependencies(d.path, {}, "x86_64-unknown-linux-gnu", o);
    EXPECT_EQ(r.removed,
              (std::vector<std::string>{"target.cfg(some_unknown_name).dev-dependencies.loom"}));
    EXPECT_EQ(r.reasons, (std::vector<PruneReason>{PruneReason::TestsOff}));
    EXPECT_EQ(r.undecided, (std::vector<std::string>{"cfg(some_unknown_name)"}));
}

TEST(CargoPruneExact, MissingDevDependenciesAreNamedBeforeCargoRuns) {
    ScratchDir d("ferrix-cargo-test-");
    createDirs(d.path + "/source/src");
    writeFile(d.path + "/source/Cargo.toml", cfgManifest + std::string(R"(
[dev-dependencies]
doc-comment = "0.3"
local = { path = "local" }
)"));
    writeFile(d.path + "/source/src/lib.rs", "");
    BuildPlatforms p = linuxPlatforms();
    try {
        prepareOfflineSource(d.path + "/source", {}, d.path + "/vendor", d.path + "/.cargo",
                             p.target, true, {}, &p);
        ADD_FAILURE() << "missing dev-dependencies accepted";
    } catch (const MissingDevDependencies& e) {
        EXPECT_EQ(std::string(e.what()),
                  "the tests need dev-dependencies that no input provides:\n"
                  "  doc-comment \"0.3\" ([dev-dependencies] of " +
                      d.path +
                      "/source/Cargo.toml)\n"
                      "  quickcheck \"1\" ([target.'cfg(unix)'.dev-dependencies] of " +
                      d.path +
                      "/source/Cargo.toml)\n"
                      "give each as an input (#:cargo-development-inputs: a crate of that name "
                      "whose version meets the requirement), or build without the tests "
                      "(#:tests? #f)");
    }
    // Tests off: no error, every dev-dependency without input pruned.
    ScratchDir e("ferrix-cargo-test-");
    createDirs(e.path + "/source/src");
    writeFile(e.path + "/source/Cargo.toml", readFile(d.path + "/source/Cargo.toml"));
    writeFile(e.path + "/source/src/lib.rs", "");
    auto r = prepareOfflineSource(e.path + "/source", {}, e.path + "/vendor", e.path + "/.cargo",
                                  p.target, false, {}, &p);
    Manifest m = readManifest(e.path + "/source/Cargo.toml");
    EXPECT_FALSE(findDep(m, "doc-comment", DepKind::Dev));
    EXPECT_FALSE(findDep(m, "quickcheck", DepKind::Dev, "cfg(unix)"));
    EXPECT_TRUE(findDep(m, "local", DepKind::Dev));
}
