// lib/cargo/registry-export.cc: the static registry made from unpacked crates (layout, sparse
// index lines, crates.io-shaped JSON, reproducible and incremental packing, yanking, errors that
// leave the registry untouched).
#include "ferrix/cargo/registry-export.hh"
#include "ferrix/archive.hh"
#include "ferrix/cargo/index.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"
#include "store-test-util.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <sys/stat.h>
#include <thread>
#include <utime.h>

using namespace ferrix;
using namespace ferrix::cargo;
using ferrix::test::ScratchDir;
using Json = nlohmann::json;

namespace {

void put(const std::string& file, const std::string& text) {
    createDirs(dirOf(file));
    writeFile(file, text);
}

// A source directory of unpacked crates: alpha 1.0.0 and 1.2.0-beta.1 and 0.9.3 (features
// with the dep: syntax, a renamed and a platform dependency, a path-only dev-dependency),
// beta-x 0.1.0 (links, rust-version, a binary).
struct Sources {
    ScratchDir scratch{"ferrix-export-test-"};
    std::string dir = scratch.path + "/src";

    Sources() {
        for (auto vers : {"1.0.0", "1.2.0-beta.1", "0.9.3"}) {
            std::string d = dir + "/alpha-" + vers;
            put(d + "/Cargo.toml", std::string(R"([package]
name = "alpha"
version = ")") + vers + R"("
description = "The first crate"
license = "MIT OR Apache-2.0"
homepage = "https://example.org/alpha"
repository = "https://example.org/alpha.git"
keywords = ["one", "two"]
categories = ["text-processing"]
readme = "README.md"

[dependencies]
serde = { version = "1.0", optional = true, default-features = false, features = ["std"] }
json = { version = "1", package = "serde_json" }

[target.'cfg(windows)'.dependencies]
winapi = "0.3"

[dev-dependencies]
helper = { path = "../helper" }
quickcheck = "1"

[features]
default = ["std"]
std = []
serde = ["dep:serde"]
)");
            put(d + "/src/lib.rs",
                std::string("pub fn version() -> &'static str { \"") + vers + "\" }\n");
            put(d + "/README.md", "# alpha\n");
            put(d + "/.cargo-checksum.json", R"({"package":"00","files":{}})");
        }
        std::string b = dir + "/beta-x";
        put(b + "/Cargo.toml", R"([package]
name = "beta-x"
version = "0.1.0"
links = "z"
rust-version = "1.60"
edition = "2021"

[build-dependencies]
cc = "1.0"
)");
        put(b + "/src/main.rs", "fn main() {}\n");
        put(b + "/build.rs", "fn main() {}\n");
        chmod((b + "/build.rs").c_str(), 0755);
    }
};

ExportOptions options(const std::string& src, const std::string& dir) {
    ExportOptions o;
    o.sources = {src};
    o.dir = dir;
    o.baseUrl = "http://127.0.0.1:8000/reg/";
    o.jobs = 2;
    return o;
}

Json readJson(const std::string& file) {
    return Json::parse(readFile(file));
}

// Every file under `dir` (relative name -> contents), to check that a failed export left it.
void snapshot(const std::string& root, const std::string& rel,
              std::map<std::string, std::string>& out) {
    for (auto& n : ferrix::test::listNames(rel.empty() ? root : root + "/" + rel)) {
        std::string r = rel.empty() ? n : rel + "/" + n;
        struct stat st = lstatPath(root + "/" + r);
        if (S_ISDIR(st.st_mode))
            snapshot(root, r, out);
        else
            out[r] = readFile(root + "/" + r);
    }
}

std::map<std::string, std::string> snapshot(const std::string& dir) {
    std::map<std::string, std::string> out;
    snapshot(dir, "", out);
    return out;
}

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(RegistryExport, LayoutIndexAndApi) {
    Sources s;
    std::string reg = s.scratch.path + "/reg";
    ExportSummary sum = exportRegistry(options(s.dir, reg));
    EXPECT_EQ(sum.crates, 2u);
    EXPECT_EQ(sum.versions, 4u);
    EXPECT_EQ(sum.exported, 4u);
    EXPECT_EQ(sum.packed, 4u);
    EXPECT_EQ(sum.unchanged, 0u);

    // config.json: absolute URLs, no trailing slash doubled.
    Json config = readJson(reg + "/index/config.json");
    EXPECT_EQ(config["dl"], "http://127.0.0.1:8000/reg/api/v1/crates");
    EXPECT_EQ(config["api"], "http://127.0.0.1:8000/reg");

    // The index file: one line per version, in semver order; cksum = sha256 of the .crate.
    auto entries = parseIndexFile(readFile(reg + "/index/al/ph/alpha"), "alpha");
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].vers, "0.9.3");
    EXPECT_EQ(entries[1].vers, "1.0.0");
    EXPECT_EQ(entries[2].vers, "1.2.0-beta.1");
    std::string crate = reg + "/api/v1/crates/alpha/1.0.0/download";
    std::string cksum = hashFile(HashAlgo::SHA256, crate).toBase16();
    EXPECT_EQ(entries[1].cksum, cksum);
    EXPECT_EQ(entries[1].features.at("serde"), (std::vector<std::string>{"dep:serde"}));
    EXPECT_EQ(entries[1].features.at("default"), (std::vector<std::string>{"std"}));
    // The path-only dev-dependency is dropped, the other kept; the rename is recorded.
    std::map<std::string, IndexDependency> deps;
    for (auto& d : entries[1].deps)
        deps[d.name] = d;
    EXPECT_EQ(deps.count("helper"), 0u);
    EXPECT_EQ(deps.at("quickcheck").kind, "dev");
    EXPECT_EQ(deps.at("json").package, "serde_json");
    EXPECT_EQ(deps.at("json").req, "1");
    EXPECT_EQ(deps.at("winapi").target, "cfg(windows)");
    EXPECT_TRUE(deps.at("serde").optional);
    EXPECT_FALSE(deps.at("serde").defaultFeatures);
    EXPECT_EQ(deps.at("serde").features, (std::vector<std::string>{"std"}));
    // features2 and "v": 2 for the dep: syntax, so that old cargo skips only that feature.
    Json line = Json::parse(readFile(reg + "/index/al/ph/alpha")
                                .substr(0, readFile(reg + "/index/al/ph/alpha").find('\n')));
    EXPECT_EQ(line["v"], 2);
    EXPECT_TRUE(line["features2"].contains("serde"));
    EXPECT_FALSE(line["features"].contains("serde"));

    auto beta = parseIndexFile(readFile(reg + "/index/be/ta/beta-x"), "beta-x");
    ASSERT_EQ(beta.size(), 1u);
    EXPECT_EQ(beta[0].links, "z");
    EXPECT_EQ(beta[0].rustVersion, "1.60");
    EXPECT_EQ(beta[0].deps.at(0).kind, "build");

    // GET /api/v1/crates/alpha: crates.io's shape.
    Json api = readJson(reg + "/api/v1/crates/alpha/index.html");
    EXPECT_EQ(api["crate"]["name"], "alpha");
    EXPECT_EQ(api["crate"]["id"], "alpha");
    EXPECT_EQ(api["crate"]["max_version"], "1.2.0-beta.1");
    EXPECT_EQ(api["crate"]["max_stable_version"], "1.0.0");
    EXPECT_EQ(api["crate"]["description"], "The first crate");
    EXPECT_EQ(api["crate"]["homepage"], "https://example.org/alpha");
    EXPECT_EQ(api["crate"]["repository"], "https://example.org/alpha.git");
    EXPECT_EQ(api["crate"]["keywords"], Json({"one", "two"}));
    EXPECT_EQ(api["crate"]["categories"], Json({"text-processing"}));
    EXPECT_EQ(api["crate"]["versions"].size(), 3u);
    ASSERT_EQ(api["versions"].size(), 3u);
    EXPECT_EQ(api["versions"][0]["num"], "1.2.0-beta.1"); // highest first
    Json v = api["versions"][1];
    EXPECT_EQ(v["num"], "1.0.0");
    EXPECT_EQ(v["crate"], "alpha");
    EXPECT_EQ(v["dl_path"], "/api/v1/crates/alpha/1.0.0/download");
    EXPECT_EQ(v["checksum"], cksum);
    EXPECT_EQ(v["crate_size"], lstatPath(crate).st_size);
    EXPECT_EQ(v["license"], "MIT OR Apache-2.0");
    EXPECT_EQ(v["yanked"], false);
    EXPECT_EQ(v["links"]["dependencies"], "/api/v1/crates/alpha/1.0.0/dependencies");
    EXPECT_EQ(v["readme_path"], "/api/v1/crates/alpha/1.0.0/readme");
    EXPECT_EQ(v["features"]["serde"], Json({"dep:serde"}));
    EXPECT_EQ(v["has_lib"], true);
    EXPECT_EQ(readFile(reg + "/api/v1/crates/alpha/1.0.0/readme"), "# alpha\n");
    EXPECT_EQ(readJson(reg + "/api/v1/crates/alpha/1.0.0/index.html")["version"], v);
    EXPECT_EQ(readJson(reg + "/api/v1/crates/alpha/versions/index.html")["versions"],
              api["versions"]);
    Json beta_api = readJson(reg + "/api/v1/crates/beta-x/index.html");
    EXPECT_EQ(beta_api["versions"][0]["lib_links"], "z");
    EXPECT_EQ(beta_api["versions"][0]["rust_version"], "1.60");
    EXPECT_EQ(beta_api["versions"][0]["bin_names"], Json({"beta-x"}));
    EXPECT_EQ(beta_api["versions"][0]["has_lib"], false);
    EXPECT_EQ(beta_api["crate"]["max_stable_version"], "0.1.0");

    // GET .../dependencies.
    Json d = readJson(reg + "/api/v1/crates/alpha/1.0.0/dependencies");
    std::map<std::string, Json> byCrate;
    for (auto& x : d["dependencies"])
        byCrate[x["crate_id"]] = x;
    EXPECT_EQ(byCrate.size(), 4u);
    EXPECT_EQ(byCrate["serde_json"]["req"], "1");
    EXPECT_EQ(byCrate["serde_json"]["explicit_name"], "json");
    EXPECT_EQ(byCrate["serde"]["optional"], true);
    EXPECT_EQ(byCrate["serde"]["default_features"], false);
    EXPECT_EQ(byCrate["winapi"]["target"], "cfg(windows)");
    EXPECT_EQ(byCrate["quickcheck"]["kind"], "dev");
    EXPECT_EQ(byCrate["serde"]["version_id"], v["id"]);
}

TEST(RegistryExport, CrateFilesAreTheSourceReproducibly) {
    Sources s;
    std::string a = s.scratch.path + "/a", b = s.scratch.path + "/b";
    exportRegistry(options(s.dir, a));
    // Other times and modes on the sources change nothing in the .crate.
    struct utimbuf t {
        12345, 12345
    };
    utime((s.dir + "/alpha-1.0.0/src/lib.rs").c_str(), &t);
    exportRegistry(options(s.dir, b));
    for (auto rel : {"alpha/1.0.0", "alpha/0.9.3", "beta-x/0.1.0"})
        EXPECT_EQ(readFile(a + "/api/v1/crates/" + rel + "/download"),
                  readFile(b + "/api/v1/crates/" + rel + "/download"))
            << rel;

    // Unpacked: the source's files under NAME-VERSION/, without .cargo-checksum.json, the
    // executable bit kept.
    std::string out = s.scratch.path + "/unpacked";
    unpackArchive(a + "/api/v1/crates/beta-x/0.1.0/download", out);
    EXPECT_EQ(readFile(out + "/beta-x-0.1.0/src/main.rs"), "fn main() {}\n");
    EXPECT_TRUE(lstatPath(out + "/beta-x-0.1.0/build.rs").st_mode & 0100);
    unpackArchive(a + "/api/v1/crates/alpha/1.0.0/download", out);
    EXPECT_TRUE(pathExists(out + "/alpha-1.0.0/Cargo.toml"));
    EXPECT_FALSE(pathExists(out + "/alpha-1.0.0/.cargo-checksum.json"));
    EXPECT_EQ(snapshot(out + "/alpha-1.0.0").size(), 3u); // Cargo.toml, README.md, src/lib.rs
}

TEST(RegistryExport, IncrementalYankAndReplace) {
    Sources s;
    std::string reg = s.scratch.path + "/reg";
    exportRegistry(options(s.dir, reg));
    auto before = snapshot(reg);

    // Again: nothing packed, nothing written.
    ExportSummary again = exportRegistry(options(s.dir, reg));
    EXPECT_EQ(again.packed, 0u);
    EXPECT_EQ(again.unchanged, 4u);
    EXPECT_EQ(snapshot(reg), before);

    // Yanking rewrites the crate's files, not its .crate; the yank stays in later exports.
    ExportOptions o = options(s.dir, reg);
    o.yank = {"alpha@1.0.0"};
    ExportSummary y = exportRegistry(o);
    EXPECT_EQ(y.packed, 0u);
    auto entries = parseIndexFile(readFile(reg + "/index/al/ph/alpha"), "alpha");
    EXPECT_TRUE(entries[1].yanked);
    EXPECT_FALSE(entries[0].yanked);
    exportRegistry(options(s.dir, reg));
    Json api = readJson(reg + "/api/v1/crates/alpha/index.html");
    EXPECT_EQ(api["versions"][1]["yanked"], true);
    EXPECT_EQ(api["crate"]["max_stable_version"], "0.9.3");
    EXPECT_EQ(readFile(reg + "/api/v1/crates/alpha/1.0.0/download"),
              before["api/v1/crates/alpha/1.0.0/download"]);
    o.yank.clear();
    o.unyank = {"alpha@1.0.0"};
    exportRegistry(o);
    EXPECT_FALSE(parseIndexFile(readFile(reg + "/index/al/ph/alpha"), "alpha")[1].yanked);
    o.unyank = {"alpha@7.0.0"};
    EXPECT_NE(errorOf([&] { exportRegistry(o); }).find("--unyank alpha@7.0.0: no such crate"),
              std::string::npos);

    // A changed source is packed again; another source adds a crate and keeps the others.
    put(s.dir + "/alpha-1.0.0/src/lib.rs", "pub fn changed() {}\n");
    std::string more = s.scratch.path + "/more";
    put(more + "/gamma/Cargo.toml", "[package]\nname = \"gamma\"\nversion = \"2.0.0\"\n");
    put(more + "/gamma/src/lib.rs", "");
    ExportOptions both = options(s.dir, reg);
    both.sources.push_back(more);
    ExportSummary changed = exportRegistry(both);
    EXPECT_EQ(changed.packed, 2u);
    EXPECT_EQ(changed.unchanged, 3u);
    EXPECT_EQ(changed.crates, 3u);
    EXPECT_NE(readFile(reg + "/api/v1/crates/alpha/1.0.0/download"),
              before["api/v1/crates/alpha/1.0.0/download"]);
    EXPECT_EQ(parseIndexFile(readFile(reg + "/index/al/ph/alpha"), "alpha")[1].cksum,
              hashFile(HashAlgo::SHA256, reg + "/api/v1/crates/alpha/1.0.0/download").toBase16());
    EXPECT_EQ(parseIndexFile(readFile(reg + "/index/ga/mm/gamma"), "gamma").size(), 1u);

    // Exporting only `more` keeps what the registry holds already.
    ExportSummary only = exportRegistry(options(more, reg));
    EXPECT_EQ(only.versions, 5u);
    EXPECT_EQ(parseIndexFile(readFile(reg + "/index/al/ph/alpha"), "alpha").size(), 3u);

    // A damaged .crate in the registry is packed again.
    writeFile(reg + "/api/v1/crates/gamma/2.0.0/download", "garbage");
    ExportSummary repaired = exportRegistry(options(more, reg));
    EXPECT_EQ(repaired.packed, 1u);
    EXPECT_EQ(hashFile(HashAlgo::SHA256, reg + "/api/v1/crates/gamma/2.0.0/download").toBase16(),
              parseIndexFile(readFile(reg + "/index/ga/mm/gamma"), "gamma")[0].cksum);
}

TEST(RegistryExport, BadCrateLeavesTheRegistryUnchanged) {
    Sources s;
    std::string reg = s.scratch.path + "/reg";
    exportRegistry(options(s.dir, reg));
    auto before = snapshot(reg);

    put(s.dir + "/broken-1.0.0/Cargo.toml", "[package]\nname = \"broken\"\nversion = 1.0\n");
    put(s.dir + "/alpha-1.0.0/src/lib.rs", "pub fn changed() {}\n");
    std::string err = errorOf([&] { exportRegistry(options(s.dir, reg)); });
    EXPECT_EQ(err, s.dir + "/broken-1.0.0/Cargo.toml:3:11: package.version must be a string");
    EXPECT_EQ(snapshot(reg), before);
    // Nothing left next to the registry but its lock file.
    for (auto& n : ferrix::test::listNames(s.scratch.path))
        EXPECT_TRUE(n == "src" || n == "reg" || n == ".reg.lock") << n;

    // A new registry is not created at all.
    std::string fresh = s.scratch.path + "/fresh";
    errorOf([&] { exportRegistry(options(s.dir, fresh)); });
    EXPECT_FALSE(pathExists(fresh));

    // --keep-going: the bad crate is skipped with a warning, the others exported.
    ExportOptions o = options(s.dir, reg);
    o.keepGoing = true;
    ExportSummary sum = exportRegistry(o);
    EXPECT_EQ(sum.skipped, 1u);
    EXPECT_EQ(sum.packed, 1u); // alpha 1.0.0 changed
    ASSERT_EQ(sum.warnings.size(), 1u);
    EXPECT_NE(sum.warnings[0].find("broken-1.0.0/Cargo.toml:3:11"), std::string::npos);
    EXPECT_FALSE(pathExists(reg + "/api/v1/crates/broken"));
}

TEST(RegistryExport, RefusesWhatCannotBePublished) {
    auto check = [](const std::string& text) {
        return errorOf([&] {
            Manifest m = parseManifest(text, "c/Cargo.toml");
            checkPublishable(m);
        });
    };
    EXPECT_EQ(check("[package]\nname = \"9lives\"\nversion = \"1.0.0\"\n"),
              "c/Cargo.toml:2:8: invalid crate name '9lives' (a letter, then letters, digits, "
              "'-' or '_'; at most 64)");
    EXPECT_EQ(check("[package]\nname = \"a\"\nversion = \"1.0\"\n")
                  .rfind("c/Cargo.toml:3:11: invalid version '1.0'", 0),
              0u);
    EXPECT_EQ(check("[package]\nname = \"a\"\nversion.workspace = true\n")
                  .rfind("c/Cargo.toml:1:1: package.version is inherited from a workspace", 0),
              0u);
    EXPECT_EQ(check("[package]\nname = \"a\"\nversion = \"1.0.0\"\nlicense.workspace = true\n")
                  .rfind("c/Cargo.toml:1:1: package.license is inherited from a workspace", 0),
              0u);
    EXPECT_EQ(check("[package]\nname = \"a\"\nversion = \"1.0.0\"\n[dependencies]\n"
                    "b = { path = \"../b\" }\n")
                  .rfind("c/Cargo.toml:5:5: dependencies.b has no version requirement, only a "
                         "path",
                         0),
              0u);
    EXPECT_EQ(check("[workspace]\nmembers = []\n"),
              "c/Cargo.toml: no [package]: a workspace, not a crate");
    EXPECT_EQ(check("[package]\nname = \"a\"\nversion = \"1.0.0-rc.1+build.5\"\n"), "(no error)");
}

TEST(RegistryExport, OptionsAndSources) {
    Sources s;
    std::string reg = s.scratch.path + "/reg";
    ExportOptions o = options(s.dir, reg);
    o.baseUrl = "";
    EXPECT_NE(errorOf([&] { exportRegistry(o); }).find("--base-url is required"),
              std::string::npos);
    o.baseUrl = "127.0.0.1:8000";
    EXPECT_NE(errorOf([&] { exportRegistry(o); }).find("not an absolute http, https or file URL"),
              std::string::npos);
    o = options(s.scratch.path + "/nowhere", reg);
    EXPECT_EQ(errorOf([&] { exportRegistry(o); }),
              s.scratch.path + "/nowhere: no such file or directory");
    o = options(s.dir, reg);
    o.yank = {"alpha"};
    EXPECT_EQ(errorOf([&] { exportRegistry(o); }), "--yank alpha: expected NAME@VERSION");
    EXPECT_FALSE(pathExists(reg));

    // One crate directory as a source; a directory without Cargo.toml is skipped with a warning.
    createDirs(s.dir + "/not-a-crate");
    std::vector<std::string> warnings;
    auto found = findSourceCrates(s.dir, warnings);
    EXPECT_EQ(found.size(), 4u);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("not-a-crate: no Cargo.toml"), std::string::npos);
    o = options(s.dir + "/beta-x", reg);
    ExportSummary one = exportRegistry(o);
    EXPECT_EQ(one.versions, 1u);
    EXPECT_TRUE(pathExists(reg + "/api/v1/crates/beta-x/0.1.0/download"));

    // The same NAME@VERSION twice: the first source wins.
    std::string dup = s.scratch.path + "/dup";
    put(dup + "/beta/Cargo.toml", "[package]\nname = \"beta-x\"\nversion = \"0.1.0\"\n");
    put(dup + "/beta/src/lib.rs", "// another\n");
    o = options(s.dir + "/beta-x", s.scratch.path + "/reg2");
    o.sources.push_back(dup);
    ExportSummary d = exportRegistry(o);
    EXPECT_EQ(d.versions, 1u);
    ASSERT_EQ(d.warnings.size(), 1u);
    EXPECT_NE(d.warnings[0].find("already exported from an earlier source"), std::string::npos);
    EXPECT_EQ(readFile(s.scratch.path + "/reg2/api/v1/crates/beta-x/0.1.0/download"),
              readFile(reg + "/api/v1/crates/beta-x/0.1.0/download"));
}

TEST(RegistryExport, FingerprintFollowsWhatIsPacked) {
    Sources s;
    std::string d = s.dir + "/beta-x";
    std::string f = sourceFingerprint(d);
    EXPECT_EQ(f.size(), 64u);
    put(d + "/.cargo-checksum.json", "{}");
    put(d + "/.cargo-ok", "");
    EXPECT_EQ(sourceFingerprint(d), f); // not packed
    struct utimbuf t {
        1, 1
    };
    utime((d + "/src/main.rs").c_str(), &t);
    EXPECT_EQ(sourceFingerprint(d), f); // times are not packed
    chmod((d + "/build.rs").c_str(), 0644);
    EXPECT_NE(sourceFingerprint(d), f); // the executable bit is
    chmod((d + "/build.rs").c_str(), 0755);
    put(d + "/src/main.rs", "fn main() { }\n");
    EXPECT_NE(sourceFingerprint(d), f);
}

TEST(RegistryExport, CrateFilesExportedAsTheyAre) {
    Sources s;
    std::string crates = s.scratch.path + "/crates";
    createDirs(crates);
    // A .crate made by tar and gzip, not by ferrix: time stamps and all, its bytes are kept.
    std::string tool = s.scratch.path + "/tool-2.1.0";
    put(tool + "/Cargo.toml", "[package]\nname = \"tool\"\nversion = \"2.1.0\"\n"
                              "license = \"GPL-3.0-or-later\"\nreadme = \"../README.md\"\n");
    put(tool + "/src/main.rs", "fn main() {}\n");
    put(tool + "/src/bin/extra.rs", "fn main() {}\n");
    put(tool + "/README.md", "# tool\n");
    std::string file = crates + "/tool-2.1.0.crate";
    ASSERT_EQ(
        std::system(("tar -czf '" + file + "' -C '" + s.scratch.path + "' tool-2.1.0").c_str()), 0);
    std::string reg = s.scratch.path + "/reg";
    ExportSummary sum = exportRegistry(options(crates, reg));
    EXPECT_EQ(sum.versions, 1u);
    EXPECT_EQ(readFile(reg + "/api/v1/crates/tool/2.1.0/download"), readFile(file));
    auto entries = parseIndexFile(readFile(reg + "/index/to/ol/tool"), "tool");
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].cksum, hashFile(HashAlgo::SHA256, file).toBase16());
    Json v = readJson(reg + "/api/v1/crates/tool/index.html")["versions"][0];
    EXPECT_EQ(v["license"], "GPL-3.0-or-later");
    EXPECT_EQ(v["has_lib"], false);
    EXPECT_EQ(v["bin_names"], Json({"extra", "tool"}));
    EXPECT_EQ(readFile(reg + "/api/v1/crates/tool/2.1.0/readme"), "# tool\n");
    EXPECT_EQ(exportRegistry(options(crates, reg)).unchanged, 1u);

    // Mixed with unpacked crates; the .crate file alone as a source.
    ExportOptions both = options(s.dir, s.scratch.path + "/both");
    both.sources.push_back(file);
    EXPECT_EQ(exportRegistry(both).versions, 5u);

    // A .crate whose directory is not NAME-VERSION/ is refused, as cargo would.
    std::string other = s.scratch.path + "/other";
    put(other + "/wrong/Cargo.toml", "[package]\nname = \"wrong\"\nversion = \"1.0.0\"\n");
    ASSERT_EQ(std::system(
                  ("tar -czf '" + crates + "/wrong-1.0.0.crate' -C '" + other + "' wrong").c_str()),
              0);
    EXPECT_EQ(errorOf([&] { exportRegistry(options(crates, reg)); }),
              crates + "/wrong-1.0.0.crate: its files are under wrong/, not wrong-1.0.0/ as cargo "
                       "requires of wrong 1.0.0");
    unlink((crates + "/wrong-1.0.0.crate").c_str());

    // A malformed manifest inside a .crate: located inside the archive.
    put(other + "/bad-0.1.0/Cargo.toml", "[package]\nname = \"bad\"\nversion = \"0.1.0\"\nx = [\n");
    ASSERT_EQ(
        std::system(
            ("tar -czf '" + crates + "/bad-0.1.0.crate' -C '" + other + "' bad-0.1.0").c_str()),
        0);
    EXPECT_EQ(errorOf([&] {
                  exportRegistry(options(crates, reg));
              }).rfind(crates + "/bad-0.1.0.crate/bad-0.1.0/Cargo.toml:4:", 0),
              0u);
    // Not a gzip'd tar at all.
    writeFile(crates + "/bad-0.1.0.crate", "not an archive");
    EXPECT_NE(
        errorOf([&] { exportRegistry(options(crates, reg)); }).find(crates + "/bad-0.1.0.crate: "),
        std::string::npos);
    // A zip of a well-formed crate directory: an archive, but not a .crate.
    deletePath(crates + "/bad-0.1.0.crate");
    put(other + "/bad-0.1.0/Cargo.toml", "[package]\nname = \"bad\"\nversion = \"0.1.0\"\n");
    ASSERT_EQ(std::system(("cd '" + other + "' && python3 -c 'import shutil; shutil.make_archive(" +
                           "\"" + crates + "/bad-0.1.0\", \"zip\", \".\", \"bad-0.1.0\")' && mv '" +
                           crates + "/bad-0.1.0.zip' '" + crates + "/bad-0.1.0.crate'")
                              .c_str()),
              0);
    EXPECT_NE(
        errorOf([&] { exportRegistry(options(crates, reg)); }).find(crates + "/bad-0.1.0.crate: "),
        std::string::npos);
}

TEST(RegistryExport, ConcurrentExportsIntoOneRegistry) {
    // Exports into one registry are serialised (a lock next to it): both land, none is lost.
    Sources s;
    std::string more = s.scratch.path + "/more";
    for (int i = 0; i < 8; i++) {
        std::string d = more + "/c" + std::to_string(i);
        put(d + "/Cargo.toml",
            "[package]\nname = \"c" + std::to_string(i) + "\"\nversion = \"1.0.0\"\n");
        put(d + "/src/lib.rs", "");
    }
    std::string reg = s.scratch.path + "/reg";
    std::string error;
    std::thread other([&] {
        try {
            exportRegistry(options(more, reg));
        } catch (const std::exception& e) {
            error = e.what();
        }
    });
    exportRegistry(options(s.dir, reg));
    other.join();
    EXPECT_EQ(error, "");
    ExportSummary after = exportRegistry(options(s.dir, reg));
    EXPECT_EQ(after.crates, 10u);
    EXPECT_EQ(after.versions, 12u);
    EXPECT_EQ(after.packed, 0u);
    for (int i = 0; i < 8; i++) {
        std::string name = "c" + std::to_string(i);
        auto e = parseIndexFile(readFile(reg + "/index/2/" + name), name);
        ASSERT_EQ(e.size(), 1u);
        EXPECT_EQ(e[0].cksum,
                  hashFile(HashAlgo::SHA256, reg + "/api/v1/crates/" + name + "/1.0.0/download")
                      .toBase16());
    }
    EXPECT_EQ(parseIndexFile(readFile(reg + "/index/al/ph/alpha"), "alpha").size(), 3u);
}

TEST(RegistryExport, PruneMirrorsTheSources) {
    Sources s;
    std::string more = s.scratch.path + "/more";
    put(more + "/gamma/Cargo.toml", "[package]\nname = \"gamma\"\nversion = \"2.0.0\"\n");
    put(more + "/gamma/src/lib.rs", "");
    std::string reg = s.scratch.path + "/reg";
    ExportOptions both = options(s.dir, reg);
    both.sources.push_back(more);
    exportRegistry(both);

    // Without --prune nothing goes; with it, a version gone from the sources leaves the index,
    // the API and the disk, and a crate gone altogether leaves no trace.
    deletePath(s.dir + "/alpha-0.9.3");
    EXPECT_EQ(exportRegistry(options(s.dir, reg)).versions, 5u);
    ExportOptions prune = options(s.dir, reg);
    prune.prune = true;
    ExportSummary p = exportRegistry(prune);
    EXPECT_EQ(p.removed, 2u);
    EXPECT_EQ(p.packed, 0u);
    EXPECT_EQ(p.crates, 2u);
    EXPECT_EQ(p.versions, 3u);
    auto alpha = parseIndexFile(readFile(reg + "/index/al/ph/alpha"), "alpha");
    ASSERT_EQ(alpha.size(), 2u);
    EXPECT_EQ(alpha[0].vers, "1.0.0");
    EXPECT_FALSE(pathExists(reg + "/api/v1/crates/alpha/0.9.3"));
    EXPECT_EQ(readJson(reg + "/api/v1/crates/alpha/index.html")["versions"].size(), 2u);
    EXPECT_FALSE(pathExists(reg + "/index/ga/mm/gamma"));
    EXPECT_FALSE(pathExists(reg + "/api/v1/crates/gamma"));
    for (auto& n : ferrix::test::listNames(s.scratch.path))
        EXPECT_TRUE(n == "src" || n == "reg" || n == "more" || n == ".reg.lock") << n;
    EXPECT_EQ(exportRegistry(prune).removed, 0u);

    // Not when a bad crate was skipped: its versions may be in the registry.
    put(s.dir + "/broken/Cargo.toml", "[package\n");
    deletePath(s.dir + "/beta-x");
    prune.keepGoing = true;
    ExportSummary k = exportRegistry(prune);
    EXPECT_EQ(k.removed, 0u);
    EXPECT_EQ(k.versions, 3u);
    ASSERT_EQ(k.warnings.size(), 2u);
    EXPECT_EQ(k.warnings[1].rfind("not pruning: 1 bad crates were skipped", 0), 0u);
}
