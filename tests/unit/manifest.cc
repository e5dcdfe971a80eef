// lib/cargo/manifest.cc and platform.cc for per-crate builds: targets() against `cargo metadata`
// on a copy of Debian's crate registry, profiles, workspace inheritance against cargo, lock file
// dependencies, and CfgSet / targetApplies against `rustc --print cfg`.
#include "ferrix/cargo/manifest.hh"
#include "ferrix/cargo/platform.hh"
#include "ferrix/file.hh"
#include "store-test-util.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>

using namespace ferrix;
using namespace ferrix::cargo;
using ferrix::test::ScratchDir;

namespace {

const char* registry = "/usr/share/cargo/registry";

// COMMAND started through the shell (its standard error dropped), to be finished by `finish`.
FILE* start(const std::string& command) {
    return popen((command + " 2>/dev/null").c_str(), "r");
}

// The output of a command `start`ed; nullopt when it failed.
std::optional<std::string> finish(FILE* p) {
    if (!p) return std::nullopt;
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    int status = pclose(p);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return out;
}

std::optional<std::string> capture(const std::string& command) {
    return finish(start(command));
}

// The shape of the crate FROM in TO: its directories, its Cargo.toml, every other file empty
// (target discovery, cargo's and ours, looks at names only), symbolic links as they are.
void copySkeleton(const std::string& from, const std::string& to) {
    namespace fs = std::filesystem;
    fs::create_directories(to);
    for (auto& e : fs::recursive_directory_iterator(from)) {
        fs::path dest = fs::path(to) / fs::relative(e.path(), from);
        if (e.is_symlink())
            fs::copy_symlink(e.path(), dest);
        else if (e.is_directory())
            fs::create_directories(dest);
        else if (e.path().filename() == "Cargo.toml" && e.path().parent_path() == fs::path(from))
            fs::copy_file(e.path(), dest);
        else
            writeFile(dest.string(), "");
    }
}

bool have(const std::string& program) {
    return capture("command -v " + program + " >/dev/null").has_value();
}

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (auto& s : v)
        out += (out.empty() ? "" : ",") + s;
    return out;
}

// One target as `cargo metadata` describes it, on one line.
std::string describe(const std::string& kind, const std::string& crateTypes,
                     const std::string& name, const std::string& path, const std::string& edition,
                     bool doctest, bool test, const std::string& requiredFeatures) {
    return kind + " " + crateTypes + " " + name + " " + path + " edition=" + edition +
           " doctest=" + (doctest ? "1" : "0") + " test=" + (test ? "1" : "0") +
           " required=" + requiredFeatures;
}

std::string describe(const Target& t) {
    std::string kind = targetKindName(t.kind);
    if (t.kind == TargetKind::Lib) kind = join(t.crateTypes);
    return describe(kind, join(t.crateTypes), t.name, t.path, t.edition, t.doctest, t.test,
                    join(t.requiredFeatures));
}

std::string describe(const nlohmann::json& t, const std::string& dir) {
    std::vector<std::string> kinds = t["kind"], types = t["crate_types"], required;
    if (t.contains("required-features"))
        required = t["required-features"].get<decltype(required)>();
    std::string path = t["src_path"];
    if (path.rfind(dir + "/", 0) == 0) path = path.substr(dir.size() + 1);
    return describe(join(kinds), join(types), t["name"], path, t["edition"], t["doctest"],
                    t["test"], join(required));
}

} // namespace

// Every crate of Debian's registry, copied first (packages may be installed into it during a
// run), read by targets() and by `cargo metadata`: the same targets in the same order. Several
// cargo processes at once: their start is most of the time.
TEST(CargoTargets, MatchCargoMetadataOnTheRegistry) {
    if (!isDirectory(registry) || !have("cargo")) GTEST_SKIP() << "no crate registry or no cargo";
    ScratchDir d("ferrix-targets-test-");
    std::vector<std::string> crates;
    for (auto& name : readDirectory(registry)) {
        std::string from = std::string(registry) + "/" + name;
        if (!isRegularFile(from + "/Cargo.toml")) continue;
        copySkeleton(from, d.path + "/" + name);
        crates.push_back(name);
    }
    ASSERT_GE(crates.size(), 60u) << "too few crates in " << registry;
    // cargo, isolated from the user's configuration.
    std::string env = "CARGO_HOME=" + quote(d.path + "/cargo-home") + " ";
    createDirs(d.path + "/cargo-home");
    size_t compared = 0, targetCount = 0;
    std::vector<std::string> cargoRefused;
    std::vector<std::optional<std::string>> outputs;
    const size_t batch = 8;
    for (size_t i = 0; i < crates.size(); i += batch) {
        std::vector<FILE*> running;
        for (size_t j = i; j < std::min(i + batch, crates.size()); ++j)
            running.push_back(start(env +
                                    "cargo metadata --format-version 1 --no-deps --offline "
                                    "--manifest-path " +
                                    quote(d.path + "/" + crates[j] + "/Cargo.toml")));
        for (FILE* p : running)
            outputs.push_back(finish(p));
    }
    for (size_t i = 0; i < crates.size(); ++i) {
        const std::string& name = crates[i];
        std::string dir = d.path + "/" + name;
        auto& out = outputs[i];
        if (!out) {
            cargoRefused.push_back(name);
            continue;
        }
        auto json = nlohmann::json::parse(*out);
        ASSERT_EQ(json["packages"].size(), 1u) << name;
        std::vector<std::string> expected, actual;
        for (auto& t : json["packages"][0]["targets"])
            expected.push_back(describe(t, dir));
        try {
            for (auto& t : targets(readManifest(dir + "/Cargo.toml"), dir))
                actual.push_back(describe(t));
        } catch (const std::exception& e) {
            ADD_FAILURE() << name << ": " << e.what();
            continue;
        }
        EXPECT_EQ(actual, expected) << name;
        ++compared;
        targetCount += expected.size();
    }
    std::string refused;
    for (auto& r : cargoRefused)
        refused += " " + r;
    std::printf("compared %zu crates (%zu targets); cargo refused %zu:%s\n", compared, targetCount,
                cargoRefused.size(), refused.c_str());
    EXPECT_GE(compared * 10, crates.size() * 9) << "cargo refused too many crates";
}
namespace {

// A package written into DIR from FILES (relative path -> contents).
void writeTree(const std::string& dir, const std::map<std::string, std::string>& files) {
    for (auto& [rel, text] : files) {
        createDirs(dirOf(dir + "/" + rel));
        writeFile(dir + "/" + rel, text);
    }
}

std::vector<std::string> described(const std::string& dir) {
    std::vector<std::string> out;
    for (auto& t : targets(readManifest(dir + "/Cargo.toml"), dir))
        out.push_back(describe(t));
    return out;
}

// The targets `cargo metadata` lists for the package in DIR (empty when cargo is missing).
std::vector<std::string> cargoDescribed(const std::string& dir) {
    std::vector<std::string> out;
    if (!have("cargo")) return out;
    auto json = capture("CARGO_HOME=" + quote(dir + ".cargo-home") +
                        " cargo metadata --format-version 1 --no-deps --offline --manifest-path " +
                        quote(dir + "/Cargo.toml"));
    if (!json) return {"(cargo metadata failed)"};
    auto parsed = nlohmann::json::parse(*json);
    for (auto& t : parsed["packages"][0]["targets"])
        out.push_back(describe(t, dir));
    return out;
}

std::string targetError(const std::string& dir) {
    try {
        targets(readManifest(dir + "/Cargo.toml"), dir);
    } catch (const ManifestError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

// The rules the registry's crates do not all exercise, on hand-made packages: edition 2015
// turning discovery off, autoX, tables merged with discovered files, build = false and a path,
// crate types, required-features, doctest of a cdylib, examples with crate types.
TEST(CargoTargets, DiscoveryRules) {
    ScratchDir d("ferrix-targets-test-");
    std::string a = d.path + "/a";
    writeTree(a, {{"Cargo.toml", R"([package]
name = "my-app"
version = "0.1.0"
edition = "2021"
build = "tools/gen.rs"

[lib]
crate-type = ["cdylib", "rlib"]

[[bin]]
name = "extra"
required-features = ["cli"]

[[example]]
name = "plugin"
crate-type = ["cdylib"]

[[test]]
name = "slow"
path = "tests/slow/run.rs"
harness = false
)"},
                  {"src/lib.rs", ""},
                  {"src/main.rs", ""},
                  {"src/bin/extra.rs", ""},
                  {"src/bin/tool/main.rs", ""},
                  {"src/bin/.hidden.rs", ""},
                  {"examples/plugin.rs", ""},
                  {"examples/demo/main.rs", ""},
                  {"tests/it.rs", ""},
                  {"tests/slow/run.rs", ""},
                  {"benches/b.rs", ""},
                  {"build.rs", ""},
                  {"tools/gen.rs", ""}});
    EXPECT_EQ(
        described(a),
        (std::vector<std::string>{
            "cdylib,rlib cdylib,rlib my_app src/lib.rs edition=2021 doctest=1 test=1 required=",
            "bin bin extra src/bin/extra.rs edition=2021 doctest=0 test=1 required=cli",
            "bin bin my-app src/main.rs edition=2021 doctest=0 test=1 required=",
            "bin bin tool src/bin/tool/main.rs edition=2021 doctest=0 test=1 required=",
            "example bin demo examples/demo/main.rs edition=2021 doctest=0 test=0 required=",
            "example cdylib plugin examples/plugin.rs edition=2021 doctest=0 test=0 required=",
            "test bin it tests/it.rs edition=2021 doctest=0 test=1 required=",
            "test bin slow tests/slow/run.rs edition=2021 doctest=0 test=1 required=",
            "bench bin b benches/b.rs edition=2021 doctest=0 test=0 required=",
            "custom-build bin build-script-gen tools/gen.rs edition=2021 doctest=0 test=0 "
            "required="}));
    if (have("cargo")) {
        EXPECT_EQ(described(a), cargoDescribed(a));
    }
    auto t = targets(readManifest(a + "/Cargo.toml"), a);
    EXPECT_FALSE(t[0].procMacro());
    EXPECT_EQ(t[2].crateName(), "my_app");
    EXPECT_FALSE(t[7].harness);
    EXPECT_TRUE(t[7].test);
    EXPECT_FALSE(t[8].test);
    EXPECT_TRUE(t[8].bench);

    // Edition 2015: an explicit [[bin]] turns bin discovery off, autotests = true keeps tests'.
    std::string b = d.path + "/b";
    writeTree(b, {{"Cargo.toml", R"([package]
name = "old"
version = "0.1.0"
autotests = true
autobenches = false
build = false

[lib]
proc-macro = true

[[bin]]
name = "main-tool"

[[test]]
name = "t1"
)"},
                  {"src/old.rs", ""},
                  {"src/main-tool.rs", ""},
                  {"src/main.rs", ""},
                  {"src/bin/other.rs", ""},
                  {"tests/t1.rs", ""},
                  {"tests/t2.rs", ""},
                  {"benches/b.rs", ""},
                  {"build.rs", ""}});
    EXPECT_EQ(described(b), (std::vector<std::string>{
                                "proc-macro proc-macro old src/old.rs edition=2015 doctest=1 "
                                "test=1 required=",
                                "bin bin main-tool src/main.rs edition=2015 doctest=0 test=1 "
                                "required=",
                                "test bin t1 tests/t1.rs edition=2015 doctest=0 test=1 required=",
                                "test bin t2 tests/t2.rs edition=2015 doctest=0 test=1 required="}))
        << "with a library, src/main-tool.rs is not the legacy path: src/main.rs is";
    if (have("cargo")) {
        EXPECT_EQ(described(b), cargoDescribed(b));
    }
}

// Explicit paths are listed normalised, and compared with discovered ones in that form.
TEST(CargoTargets, ExplicitPathsNormalised) {
    ScratchDir d("ferrix-targets-test-");
    std::string c = d.path + "/c";
    writeTree(c, {{"Cargo.toml", "[package]\nname = \"c\"\nversion = \"0.1.0\"\n"
                                 "edition = \"2021\"\n[lib]\npath = \"./src/../src/main.rs\"\n"
                                 "[[test]]\nname = \"z\"\npath = \"tests//a.rs\"\n"},
                  {"src/main.rs", ""},
                  {"tests/a.rs", ""},
                  {"tests/b.rs", ""}});
    EXPECT_EQ(described(c), (std::vector<std::string>{
                                "lib lib c src/main.rs edition=2021 doctest=1 test=1 required=",
                                "bin bin c src/main.rs edition=2021 doctest=0 test=1 required=",
                                "test bin b tests/b.rs edition=2021 doctest=0 test=1 required=",
                                "test bin z tests/a.rs edition=2021 doctest=0 test=1 required="}));
    if (have("cargo")) {
        EXPECT_EQ(described(c), cargoDescribed(c));
    }
}

TEST(CargoTargets, RefusesWhatCargoRefuses) {
    ScratchDir d("ferrix-targets-test-");
    writeTree(d.path + "/dup", {{"Cargo.toml", "[package]\nname = \"x\"\nversion = \"1.0.0\"\n"
                                               "[[bin]]\nname = \"a\"\npath = \"a.rs\"\n"
                                               "[[bin]]\nname = \"a\"\npath = \"b.rs\"\n"}});
    EXPECT_EQ(targetError(d.path + "/dup"),
              d.path + "/dup/Cargo.toml:7:1: two bin targets are named `a`: target names must be "
                       "unique");
    writeTree(d.path + "/nolib", {{"Cargo.toml", "[package]\nname = \"x\"\nversion = \"1.0.0\"\n"
                                                 "edition = \"2021\"\n[lib]\n"}});
    EXPECT_EQ(targetError(d.path + "/nolib"),
              d.path + "/nolib/Cargo.toml:5:1: can't find library `x`: rename the file to "
                       "src/lib.rs or set lib.path");
    writeTree(d.path + "/nobin", {{"Cargo.toml", "[package]\nname = \"x\"\nversion = \"1.0.0\"\n"
                                                 "edition = \"2021\"\n[[bin]]\nname = \"y\"\n"}});
    EXPECT_EQ(targetError(d.path + "/nobin"),
              d.path + "/nobin/Cargo.toml:5:1: can't find the file of bin `y`: set its path");
}

// A workspace's members read by inheritFromWorkspace and by `cargo metadata`: the same package
// fields and dependencies (features the union, `optional` the member's, default features as
// cargo decides them, paths from the workspace root).
TEST(CargoWorkspace, InheritanceMatchesCargo) {
    if (!have("cargo")) GTEST_SKIP() << "no cargo";
    ScratchDir d("ferrix-workspace-test-");
    std::string w = d.path + "/ws";
    auto lib = [](const std::string& name) {
        return "[package]\nname = \"" + name +
               "\"\nversion = \"0.3.0\"\nedition = \"2021\"\n[features]\ndefault = []\n"
               "a = []\nb = []\n";
    };
    writeTree(w, {{"Cargo.toml", R"([workspace]
members = ["crates/*"]
default-members = ["crates/app"]
resolver = "2"

[workspace.package]
version = "1.4.0"
edition = "2021"
description = "from the workspace"
license = "MIT OR Apache-2.0"
authors = ["A <a@example.org>", "B"]
keywords = ["k"]
rust-version = "1.70"

[workspace.dependencies]
shared = { path = "libs/shared", features = ["a"], default-features = false }
plain = { path = "libs/plain", version = "0.3" }
renamed = { path = "libs/real", package = "real" }
)"},
                  {"crates/app/Cargo.toml", R"([package]
name = "app"
version.workspace = true
edition.workspace = true
description.workspace = true
license = { workspace = true }
authors.workspace = true
keywords.workspace = true
rust-version.workspace = true

[dependencies]
shared = { workspace = true, features = ["b"], optional = true }
plain = { workspace = true, default-features = false }
renamed.workspace = true

[build-dependencies]
shared = { workspace = true, default-features = true }

[target.'cfg(unix)'.dependencies]
plain = { workspace = true, features = ["a"] }
)"},
                  {"crates/app/src/main.rs", "fn main() {}\n"},
                  {"libs/shared/Cargo.toml", lib("shared")},
                  {"libs/shared/src/lib.rs", ""},
                  {"libs/plain/Cargo.toml", lib("plain")},
                  {"libs/plain/src/lib.rs", ""},
                  {"libs/real/Cargo.toml", lib("real")},
                  {"libs/real/src/lib.rs", ""}});
    auto out = capture("CARGO_HOME=" + quote(d.path + "/cargo-home") +
                       " cargo metadata --format-version 1 --no-deps --offline --manifest-path " +
                       quote(w + "/Cargo.toml"));
    ASSERT_TRUE(out);
    auto json = nlohmann::json::parse(*out);
    nlohmann::json app;
    for (auto& p : json["packages"])
        if (p["name"] == "app") app = p;
    ASSERT_FALSE(app.is_null());

    Manifest root = readManifest(w + "/Cargo.toml");
    EXPECT_EQ(root.resolver, "2");
    EXPECT_EQ(root.defaultMembers, std::vector<std::string>{"crates/app"});
    EXPECT_EQ(workspaceMembers(root, w), std::vector<std::string>{"crates/app"});
    Manifest m = inheritFromWorkspace(readManifest(w + "/crates/app/Cargo.toml"), root);
    EXPECT_EQ(m.version, app["version"]);
    EXPECT_EQ(m.edition, app["edition"]);
    EXPECT_EQ(m.description, app["description"]);
    EXPECT_EQ(m.license, app["license"]);
    EXPECT_EQ(m.authors, app["authors"].get<std::vector<std::string>>());
    EXPECT_EQ(m.keywords, app["keywords"].get<std::vector<std::string>>());
    EXPECT_EQ(m.rustVersion, app["rust_version"]);
    EXPECT_TRUE(m.inherited.empty());

    auto line = [](const std::string& name, const std::string& rename, const std::string& kind,
                   const std::string& target, std::vector<std::string> features, bool optional,
                   bool defaults, const std::string& path) {
        std::sort(features.begin(), features.end());
        return name + " as " + rename + " " + kind + " " + target + " [" + join(features) +
               "] optional=" + (optional ? "1" : "0") + " default=" + (defaults ? "1" : "0") + " " +
               path;
    };
    std::vector<std::string> expected, actual;
    for (auto& dep : app["dependencies"])
        expected.push_back(line(dep["name"], dep["rename"].is_null() ? "" : dep["rename"],
                                dep["kind"].is_null() ? "normal" : dep["kind"],
                                dep["target"].is_null() ? "" : dep["target"], dep["features"],
                                dep["optional"], dep["uses_default_features"], dep["path"]));
    for (auto& dep : m.dependencies) {
        ASSERT_TRUE(dep.path);
        std::string kind = dep.kind == DepKind::Build ? "build"
                           : dep.kind == DepKind::Dev ? "dev"
                                                      : "normal";
        actual.push_back(line(
            dep.package, dep.key == dep.package ? "" : dep.key, kind, dep.target, dep.features,
            dep.optional, dep.defaultFeatures,
            std::filesystem::path(w + "/crates/app/" + *dep.path).lexically_normal().string()));
    }
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
    EXPECT_EQ(actual, expected);
}

TEST(CargoWorkspace, MissingInheritedKeysAreLocated) {
    Manifest root = parseManifest("[workspace]\nmembers = [\"m\"]\n[workspace.package]\n"
                                  "edition = \"2021\"\n[workspace.dependencies]\nx = \"1\"\n",
                                  "ws/Cargo.toml");
    auto error = [&](const std::string& text) -> std::string {
        try {
            inheritFromWorkspace(parseManifest(text, "ws/m/Cargo.toml"), root);
        } catch (const ManifestError& e) {
            return e.what();
        }
        return "(no error)";
    };
    EXPECT_EQ(error("[package]\nname = \"m\"\nversion.workspace = true\n"),
              "ws/m/Cargo.toml:3:1: package.version is inherited from the workspace (`workspace "
              "= true`), but the workspace root ws/Cargo.toml does not define it");
    EXPECT_EQ(error("[package]\nname = \"m\"\n[dependencies]\ny = { workspace = true }\n"),
              "ws/m/Cargo.toml:4:5: dependencies.y is inherited from the workspace (`workspace = "
              "true`), but the workspace root ws/Cargo.toml does not define it");
    EXPECT_EQ(error("[package]\nname = \"m\"\n[dependencies]\nx = { workspace = true }\n"),
              "(no error)");
}

TEST(CargoManifest, ProfilesAndResolver) {
    Manifest m = parseManifest(R"([package]
name = "p"
version = "1.0.0"
resolver = "2"

[profile.release]
opt-level = "s"
debug = "line-tables-only"
lto = true
panic = "abort"
codegen-units = 1
strip = true
overflow-checks = true

[profile.release.package."*"]
opt-level = 2

[profile.release.package.serde]
debug = false

[profile.release.build-override]
opt-level = 0
debug-assertions = true

[profile.dist]
inherits = "release"
lto = "thin"
debug = 2
)",
                               "Cargo.toml");
    EXPECT_EQ(m.resolver, "2");
    auto& r = m.profiles.at("release");
    EXPECT_EQ(r.optLevel, "s");
    EXPECT_EQ(r.debug, debugLineTablesOnly);
    EXPECT_EQ(r.lto, "true");
    EXPECT_EQ(r.panic, "abort");
    EXPECT_EQ(r.codegenUnits, 1);
    EXPECT_EQ(r.strip, "symbols");
    EXPECT_EQ(r.overflowChecks, true);
    EXPECT_FALSE(r.debugAssertions);
    ASSERT_EQ(r.packages.size(), 2u);
    EXPECT_EQ(r.packages[0].first, "*");
    EXPECT_EQ(r.packages[0].second.optLevel, "2");
    EXPECT_EQ(r.packages[1].first, "serde");
    EXPECT_EQ(r.packages[1].second.debug, 0);
    ASSERT_EQ(r.buildOverride.size(), 1u);
    EXPECT_EQ(r.buildOverride[0].optLevel, "0");
    EXPECT_EQ(r.buildOverride[0].debugAssertions, true);
    auto& dist = m.profiles.at("dist");
    EXPECT_EQ(dist.inherits, "release");
    EXPECT_EQ(dist.lto, "thin");
    EXPECT_EQ(dist.debug, 2);

    auto error = [](const std::string& text) -> std::string {
        try {
            parseManifest(text, "Cargo.toml");
        } catch (const ManifestError& e) {
            return e.what();
        }
        return "(no error)";
    };
    EXPECT_EQ(error("[package]\nname = \"p\"\n[profile.release]\nopt-level = 4\n"),
              "Cargo.toml:4:13: profile.release.opt-level must be 0, 1, 2, 3, \"s\" or \"z\"");
    EXPECT_EQ(error("[package]\nname = \"p\"\n[profile.dev]\npanic = \"exit\"\n"),
              "Cargo.toml:4:9: profile.dev.panic must be \"unwind\" or \"abort\"");
    EXPECT_EQ(error("[package]\nname = \"p\"\nresolver = \"4\"\n"),
              "Cargo.toml:3:12: package.resolver must be \"1\", \"2\" or \"3\", not \"4\"");
    EXPECT_EQ(error("[package]\nname = \"p\"\nresolver = \"1\"\n[workspace]\nresolver = \"2\"\n"),
              "Cargo.toml:5:12: resolver is given in both [workspace] and [package]: cargo "
              "refuses that");
}

// `debug` as cargo 1.71+ takes it: booleans, 0 to 2 and the named levels, the names remembered
// (with where they are) so that an older cargo's graph can refuse them.
TEST(CargoManifest, DebugLevels) {
    auto level = [](const std::string& value) {
        auto m = parseManifest(
            "[package]\nname = \"p\"\n[profile.release]\ndebug = " + value + "\n", "Cargo.toml");
        auto& r = m.profiles.at("release");
        return std::to_string(*r.debug) + (r.debugNamed ? " named" : "");
    };
    EXPECT_EQ(level("true"), "2");
    EXPECT_EQ(level("false"), "0");
    EXPECT_EQ(level("0"), "0");
    EXPECT_EQ(level("1"), "1");
    EXPECT_EQ(level("2"), "2");
    EXPECT_EQ(level("\"none\""), "0 named");
    EXPECT_EQ(level("\"limited\""), "1 named");
    EXPECT_EQ(level("\"full\""), "2 named");
    EXPECT_EQ(level("\"line-tables-only\""), std::to_string(debugLineTablesOnly) + " named");
    EXPECT_EQ(level("\"line-directives-only\""),
              std::to_string(debugLineDirectivesOnly) + " named");
    EXPECT_EQ(debuginfoValue(debugLineTablesOnly), "line-tables-only");
    EXPECT_EQ(debuginfoValue(debugLineDirectivesOnly), "line-directives-only");
    EXPECT_EQ(debuginfoValue(1), "1");
    try {
        parseManifest("[package]\nname = \"p\"\n[profile.dev]\ndebug = \"some\"\n", "Cargo.toml");
        ADD_FAILURE() << "debug = \"some\" accepted";
    } catch (const ManifestError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "Cargo.toml:4:9: profile.dev.debug must be a boolean, 0, 1, 2 or one of "
                  "\"none\", \"line-directives-only\", \"line-tables-only\", \"limited\", "
                  "\"full\"");
    }
}

// Lock files of each format: version 1 ([metadata] checksums), 2 (no version key, checksums
// inline), 3 and 4; dependencies as written.
TEST(CargoLockfile, DependenciesOfEachVersion) {
    Lockfile v1 = parseLockfile(R"lock([[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "libc 0.2.139 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "libc"
version = "0.2.139"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum libc 0.2.139 (registry+https://github.com/rust-lang/crates.io-index)" = "abcd"
)lock",
                                "Cargo.lock");
    EXPECT_EQ(v1.version, 1);
    ASSERT_EQ(v1.packages.size(), 2u);
    EXPECT_EQ(v1.packages[0].dependencies,
              std::vector<std::string>{
                  "libc 0.2.139 (registry+https://github.com/rust-lang/crates.io-index)"});
    EXPECT_EQ(v1.packages[1].checksum, "abcd");
    EXPECT_TRUE(v1.packages[1].dependencies.empty());

    for (int version : {3, 4}) {
        Lockfile l = parseLockfile("version = " + std::to_string(version) + R"(

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "bitflags 1.3.2",
 "bitflags 2.4.0",
 "libc",
]

[[package]]
name = "libc"
version = "0.2.139"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "201de327520df007757c1f0adce6e827fe8562fbc28bfd9c15571c66ca1f5f79"
)",
                                   "Cargo.lock");
        EXPECT_EQ(l.version, version);
        EXPECT_EQ(l.packages[0].dependencies,
                  (std::vector<std::string>{"bitflags 1.3.2", "bitflags 2.4.0", "libc"}));
        EXPECT_EQ(l.packages[1].checksum,
                  "201de327520df007757c1f0adce6e827fe8562fbc28bfd9c15571c66ca1f5f79");
    }
    try {
        parseLockfile("[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [1]\n",
                      "Cargo.lock");
        ADD_FAILURE() << "no error";
    } catch (const ManifestError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "Cargo.lock:4:17: package.dependencies entries must be a string");
    }
}

// The lock files cargo writes (version 4 with this toolchain), for a real crate of the registry.
TEST(CargoLockfile, ReadsWhatCargoWrites) {
    if (!have("cargo")) GTEST_SKIP() << "no cargo";
    ScratchDir d("ferrix-lock-test-");
    writeTree(d.path + "/app", {{"Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\n"
                                               "edition = \"2021\"\n[dependencies]\n"
                                               "dep = { path = \"dep\" }\n"},
                                {"src/main.rs", "fn main() {}\n"},
                                {"dep/Cargo.toml", "[package]\nname = \"dep\"\n"
                                                   "version = \"0.2.0\"\n"},
                                {"dep/src/lib.rs", ""}});
    ASSERT_TRUE(capture("cd " + quote(d.path + "/app") + " && CARGO_HOME=" +
                        quote(d.path + "/cargo-home") + " cargo generate-lockfile --offline"));
    Lockfile l = readLockfile(d.path + "/app/Cargo.lock");
    EXPECT_GE(l.version, 3);
    ASSERT_EQ(l.packages.size(), 2u);
    EXPECT_EQ(l.packages[0].name, "app");
    EXPECT_EQ(l.packages[0].dependencies, std::vector<std::string>{"dep"});
    EXPECT_TRUE(l.packages[1].dependencies.empty());
}

namespace {

std::optional<std::string> printCfg(const std::string& target) {
    return capture("rustc --print cfg" + (target.empty() ? "" : " --target " + target));
}

std::string sortedLines(const std::string& text) {
    std::vector<std::string> lines;
    size_t i = 0;
    while (i < text.size()) {
        size_t j = text.find('\n', i);
        if (j == std::string::npos) j = text.size();
        if (j > i) lines.push_back(text.substr(i, j - i));
        i = j + 1;
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (auto& l : lines)
        out += l + "\n";
    return out;
}

} // namespace

// rustc's own cfg lists for the host and two targets whose std is not installed: parsed, printed
// back, and deciding [target.X] keys exactly; where the triple-only approximation decides, it
// agrees.
TEST(CargoCfgSet, RustcPrintCfg) {
    if (!have("rustc")) GTEST_SKIP() << "no rustc";
    auto hostOut = capture("rustc -vV | sed -n 's/^host: //p'");
    ASSERT_TRUE(hostOut);
    std::string host = hostOut->substr(0, hostOut->find('\n'));
    struct Platform {
        std::string triple;
        bool unix, windows, linux, gnu, p64, aarch64;
    };
    std::vector<Platform> platforms = {
        {host, true, false, host.find("linux") != std::string::npos,
         host.find("gnu") != std::string::npos,
         host.rfind("x86_64", 0) == 0 || host.rfind("aarch64", 0) == 0,
         host.rfind("aarch64", 0) == 0},
        {"aarch64-unknown-linux-gnu", true, false, true, true, true, true},
        {"x86_64-pc-windows-gnu", false, true, false, true, true, false}};
    for (auto& p : platforms) {
        auto out = printCfg(p.triple);
        ASSERT_TRUE(out) << p.triple;
        CfgSet cfg = CfgSet::parse(*out);
        EXPECT_EQ(cfg.str(), sortedLines(*out)) << p.triple;
        EXPECT_EQ(CfgSet::parse(cfg.str()).str(), cfg.str());
        EXPECT_EQ(cfg.has("unix"), p.unix);
        EXPECT_EQ(cfg.has("target_os", "linux"), p.linux);
        std::vector<std::pair<std::string, bool>> keys = {
            {"cfg(unix)", p.unix},
            {"cfg(windows)", p.windows},
            {"cfg(not(windows))", !p.windows},
            {"cfg(target_os = \"linux\")", p.linux},
            {"cfg(target_env=\"gnu\")", p.gnu},
            {"cfg(all(unix, target_pointer_width = \"64\"))", p.unix && p.p64},
            {"cfg(any(target_os = \"macos\", target_os = \"ios\"))", false},
            {"cfg(any(windows, target_arch = \"aarch64\"))", p.windows || p.aarch64},
            {"cfg(all())", true},
            {"cfg(any())", false},
            {"cfg(target_family = \"wasm\")", false},
            {"cfg(debug_assertions)", cfg.has("debug_assertions")},
            {"cfg(target_feature = \"neon\")", p.aarch64},
            {"cfg(feature = \"std\")", false},
            {"cfg(test)", false},
            {"cfg(true)", true},
            {"cfg(not(false))", true},
            {p.triple, true},
            {"i686-pc-windows-msvc", false}};
        for (auto& [key, expected] : keys) {
            EXPECT_EQ(targetApplies(key, p.triple, cfg), expected) << p.triple << " " << key;
            auto approx = targetApplies(key, p.triple);
            if (approx && key != "cfg(true)" && key != "cfg(not(false))") {
                EXPECT_EQ(*approx, expected) << p.triple << " " << key << " (approximation)";
            }
        }
    }
}

TEST(CargoCfgSet, ParseRustflagsAndErrors) {
    CfgSet cfg = CfgSet::parse("unix\ntarget_os=\"linux\"\n\n");
    cfg.addRustflags({"-C", "opt-level=3", "--cfg", "tokio_unstable", "--cfg=mode=\"fast\""});
    EXPECT_TRUE(cfg.has("tokio_unstable"));
    EXPECT_TRUE(cfg.has("mode", "fast"));
    EXPECT_FALSE(cfg.has("mode", "slow"));
    EXPECT_EQ(cfg.str(), "mode=\"fast\"\ntarget_os=\"linux\"\ntokio_unstable\nunix\n");
    EXPECT_TRUE(targetApplies("cfg(all(tokio_unstable, mode = \"fast\"))", "x", cfg));
    try {
        CfgSet::parse("unix\ntarget os\n");
        ADD_FAILURE() << "no error";
    } catch (const FormatError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "line 2 of rustc's cfg list, 'target os', is neither NAME nor NAME=\"VALUE\"");
    }
    EXPECT_THROW(cfg.addRustflags({"--cfg", "a=b"}), FormatError);
    EXPECT_THROW(targetApplies("cfg(all(unix)", "x", cfg), FormatError);
    EXPECT_THROW(targetApplies("cfg(not(unix, windows))", "x", cfg), FormatError);
}
