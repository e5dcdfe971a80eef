// lib/cargo/units.cc on small hand-written graphs: resolution (versions, prereleases, the lock
// file, missing crates), features (dep:, weak, implicit, resolver 1 and 2), units (build
// scripts, `links`, renames, tests), profiles and metadata. tests/cargo/unit-graph.sh compares
// whole graphs with cargo's own.
#include "ferrix/cargo/units.hh"
#include "ferrix/file.hh"
#include "store-test-util.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

using namespace ferrix;
using namespace ferrix::cargo;
using ferrix::test::ScratchDir;

namespace {

const char* linuxCfg = "debug_assertions\npanic=\"unwind\"\ntarget_arch=\"x86_64\"\n"
                       "target_endian=\"little\"\ntarget_env=\"gnu\"\ntarget_family=\"unix\"\n"
                       "target_os=\"linux\"\ntarget_pointer_width=\"64\"\n"
                       "target_vendor=\"unknown\"\nunix\n";

struct Graph : ::testing::Test {
    ScratchDir dir{"ferrix-units-test-"};
    std::vector<CrateSource> crates;

    // A crate at hand (or the root when `name` is "root"): its manifest after [package], and a
    // build script when `build`.
    std::string crate(const std::string& name, const std::string& version, const std::string& rest,
                      bool build = false, bool lib = true) {
        std::string d = dir.path + "/" + (name == "root" ? "root" : name + "-" + version);
        createDirs(d + "/src");
        writeFile(d + "/Cargo.toml", "[package]\nname = \"" + name + "\"\nversion = \"" + version +
                                         "\"\nedition = \"2021\"\n" + rest);
        writeFile(d + (lib ? "/src/lib.rs" : "/src/main.rs"), "");
        if (build) writeFile(d + "/build.rs", "fn main() {}\n");
        if (name != "root") crates.push_back({d, "", ""});
        return d;
    }

    UnitGraphOptions options() {
        UnitGraphOptions o;
        o.hostTriple = o.targetTriple = "x86_64-unknown-linux-gnu";
        o.hostCfg = o.targetCfg = CfgSet::parse(linuxCfg);
        o.cargoVersion = "1.95.0";
        return o;
    }

    UnitGraph graph(const UnitGraphOptions& o) { return unitGraph(dir.path + "/root", crates, o); }
    UnitGraph graph() { return graph(options()); }

    // The units of package `name` ("name kind mode" and their features).
    static std::vector<std::string> unitsOf(const UnitGraph& g, const std::string& name) {
        std::vector<std::string> out;
        for (auto& u : g.units) {
            if (g.packages[u.package].name != name) continue;
            std::string s = g.packages[u.package].version + " " + targetKindName(u.target.kind) +
                            " " + compileModeName(u.mode) + (u.host ? " host" : "") + " [";
            for (auto& f : u.features)
                s += (s.back() == '[' ? "" : ",") + f;
            out.push_back(s + "]");
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    static const Unit& unit(const UnitGraph& g, const std::string& name, TargetKind kind,
                            CompileMode mode = CompileMode::Build) {
        for (auto& u : g.units)
            if (g.packages[u.package].name == name && u.target.kind == kind && u.mode == mode)
                return u;
        throw std::runtime_error("no unit of " + name);
    }
};

TEST_F(Graph, HighestVersionAtHandWithoutPrereleases) {
    crate("leaf", "1.2.0", "");
    crate("leaf", "1.4.1", "");
    crate("leaf", "1.5.0-beta.1", "");
    crate("leaf", "2.0.0", "");
    crate("root", "0.1.0", "[dependencies]\nleaf = \"1.2\"\n", false, false);
    EXPECT_EQ(unitsOf(graph(), "leaf"), std::vector<std::string>{"1.4.1 lib build []"});
}

TEST_F(Graph, FollowsTheLockFile) {
    crate("leaf", "1.2.0", "");
    crate("leaf", "1.4.1", "");
    std::string root = crate("root", "0.1.0", "[dependencies]\nleaf = \"1.2\"\n", false, false);
    writeFile(
        root + "/Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"leaf\"\nversion = \"1.2.0\"\n"
        "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n"
        "[[package]]\nname = \"root\"\nversion = \"0.1.0\"\ndependencies = [\n \"leaf\",\n]\n");
    EXPECT_EQ(unitsOf(graph(), "leaf"), std::vector<std::string>{"1.2.0 lib build []"});
    auto o = options();
    o.useLockfile = false;
    EXPECT_EQ(unitsOf(graph(o), "leaf"), std::vector<std::string>{"1.4.1 lib build []"});
}

TEST_F(Graph, AMissingCrateNamesTheDependentTheRequirementAndWhatIsAtHand) {
    crate("leaf", "0.3.0", "");
    crate("root", "0.1.0", "[dependencies]\nleaf = \"0.4\"\n", false, false);
    try {
        graph();
        FAIL() << "no error";
    } catch (const UnitGraphError& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("root 0.1.0"), std::string::npos) << m;
        EXPECT_NE(m.find("'0.4'"), std::string::npos) << m;
        EXPECT_NE(m.find("at hand: leaf 0.3.0"), std::string::npos) << m;
    }
}

TEST_F(Graph, OnlyWhatUnitsNeedMustBeAtHand) {
    // Never enabled, for another platform, a dev-dependency without tests: none is at hand.
    crate("root", "0.1.0",
          "[dependencies]\nopt = { version = \"1\", optional = true }\n"
          "[target.'cfg(windows)'.dependencies]\nwin = \"1\"\n"
          "[dev-dependencies]\ntested = \"1\"\n",
          false, false);
    EXPECT_EQ(graph().units.size(), 1u);
}

TEST_F(Graph, MissingDevDependenciesAreNamedTogetherWithTheWaysOut) {
    // With tests, every dev-dependency no crate satisfies is named, not only the first the
    // resolver meets; one for another platform is not needed.
    crate("have", "1.0.0", "");
    crate("root", "0.1.0",
          "[dev-dependencies]\nhave = \"1\"\nfirst = \"0.3\"\nsecond = \"2\"\n"
          "[target.'cfg(windows)'.dev-dependencies]\nwin = \"1\"\n",
          false, false);
    UnitGraphOptions o = options();
    o.tests = true;
    try {
        graph(o);
        FAIL() << "no error";
    } catch (const UnitGraphError& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("the tests need dev-dependencies that no input provides:"),
                  std::string::npos)
            << m;
        EXPECT_NE(m.find("\n  first \"0.3\" ([dev-dependencies] of "), std::string::npos) << m;
        EXPECT_NE(m.find("\n  second \"2\" ([dev-dependencies] of "), std::string::npos) << m;
        EXPECT_EQ(m.find("have"), std::string::npos) << m;
        EXPECT_EQ(m.find("win"), std::string::npos) << m;
        EXPECT_NE(m.find("or build without the tests (#:tests? #f)"), std::string::npos) << m;
    }
    o.tests = false; // without tests none is needed
    EXPECT_NO_THROW(graph(o));
}

TEST_F(Graph, FeaturesDepWeakImplicitAndDefault) {
    crate("a", "1.0.0", "[features]\ndefault = [\"x\"]\nx = []\ny = []\n");
    crate("b", "1.0.0", "[features]\nz = []\n");
    crate("c", "1.0.0", "[features]\nw = []\n");
    crate("root", "0.1.0",
          "[dependencies]\na = { version = \"1\", default-features = false, features = [\"y\"] }\n"
          "b = { version = \"1\", optional = true }\n"
          "c = { version = \"1\", optional = true }\n"
          "[features]\ndefault = [\"with-b\", \"c?/w\"]\nwith-b = [\"dep:b\", \"b/z\"]\n",
          false, false);
    auto g = graph();
    EXPECT_EQ(unitsOf(g, "a"), std::vector<std::string>{"1.0.0 lib build [y]"});
    EXPECT_EQ(unitsOf(g, "b"), std::vector<std::string>{"1.0.0 lib build [z]"});
    // c?/w does not enable c; nothing else does.
    EXPECT_TRUE(unitsOf(g, "c").empty());
    // b is hidden by dep:b: no implicit feature "b"; c's is there but not enabled.
    EXPECT_EQ(unit(g, "root", TargetKind::Bin).features,
              (std::vector<std::string>{"default", "with-b"}));
    auto o = options();
    o.features = {"c"};
    auto g2 = graph(o);
    EXPECT_EQ(unitsOf(g2, "c"), std::vector<std::string>{"1.0.0 lib build [w]"});
    EXPECT_EQ(unit(g2, "root", TargetKind::Bin).features,
              (std::vector<std::string>{"c", "default", "with-b"}));
}

TEST_F(Graph, UnknownFeatureIsAnError) {
    crate("root", "0.1.0", "", false, false);
    auto o = options();
    o.features = {"nope"};
    EXPECT_THROW(graph(o), UnitGraphError);
}

TEST_F(Graph, ResolverTwoKeepsBuildDependencyFeaturesApart) {
    crate("common", "1.0.0", "[features]\nfor-build = []\nfor-lib = []\n");
    std::string deps = "[dependencies]\ncommon = { version = \"1\", features = [\"for-lib\"] }\n"
                       "[build-dependencies]\ncommon = { version = \"1\", features = "
                       "[\"for-build\"] }\n";
    crate("root", "0.1.0", "resolver = \"2\"\n" + deps, true, false);
    EXPECT_EQ(graph().resolver, "2");
    EXPECT_EQ(unitsOf(graph(), "common"),
              (std::vector<std::string>{"1.0.0 lib build [for-lib]",
                                        "1.0.0 lib build host [for-build]"}));
    crate("root", "0.1.0", "resolver = \"1\"\n" + deps, true, false);
    auto g = graph();
    EXPECT_EQ(g.resolver, "1");
    // Unified features; still two units: the build script's has build-override's profile.
    EXPECT_EQ(unitsOf(g, "common"),
              (std::vector<std::string>{"1.0.0 lib build [for-build,for-lib]",
                                        "1.0.0 lib build host [for-build,for-lib]"}));
}

TEST_F(Graph, BuildScriptsAndLinks) {
    crate("foo-sys", "1.0.0", "links = \"foo\"\n", true);
    crate("root", "0.1.0", "[dependencies]\nfoo-sys = \"1\"\n", true, false);
    auto g = graph();
    const Unit& run = unit(g, "root", TargetKind::CustomBuild, CompileMode::RunCustomBuild);
    std::vector<std::string> deps;
    for (auto& d : run.deps)
        deps.push_back(g.packages[g.units[d.unit].package].name + " " +
                       compileModeName(g.units[d.unit].mode));
    std::sort(deps.begin(), deps.end());
    // Its own compilation, and the run of the `links` package it depends on.
    EXPECT_EQ(deps, (std::vector<std::string>{"foo-sys run-custom-build", "root build"}));
    const Unit& script = unit(g, "root", TargetKind::CustomBuild);
    EXPECT_TRUE(script.host);
    EXPECT_EQ(script.profile.optLevel, "0");
    EXPECT_EQ(unit(g, "foo-sys", TargetKind::Lib).profile.optLevel, "3");
}

TEST_F(Graph, RenamedDependencyExternName) {
    crate("leaf-crate", "1.0.0", "");
    crate("root", "0.1.0",
          "[dependencies]\nmy-leaf = { version = \"1\", package = \"leaf-crate\" }\n", false,
          false);
    auto g = graph();
    const Unit& bin = unit(g, "root", TargetKind::Bin);
    ASSERT_EQ(bin.deps.size(), 1u);
    EXPECT_EQ(bin.deps[0].externName, "my_leaf");
}

TEST_F(Graph, TestsBuildTestUnitsDevDependenciesAndDoctests) {
    crate("tested", "1.0.0", "");
    std::string root = crate("root", "0.1.0", "[dev-dependencies]\ntested = \"1\"\n");
    createDirs(root + "/tests");
    writeFile(root + "/tests/it.rs", "");
    auto o = options();
    o.tests = true;
    auto g = graph(o);
    EXPECT_EQ(unitsOf(g, "root"),
              (std::vector<std::string>{"0.1.0 lib build []", "0.1.0 lib doctest []",
                                        "0.1.0 lib test []", "0.1.0 test test []"}));
    EXPECT_EQ(unitsOf(g, "tested"), std::vector<std::string>{"1.0.0 lib build []"});
    EXPECT_TRUE(unitsOf(graph(), "tested").empty());
}

TEST_F(Graph, ProfilesFromTheRootManifest) {
    crate("leaf", "1.0.0", "");
    crate("root", "0.1.0",
          "[dependencies]\nleaf = \"1\"\n[profile.release]\nopt-level = \"s\"\ndebug = 1\n"
          "[profile.release.package.leaf]\nopt-level = 2\n",
          false, false);
    auto g = graph();
    EXPECT_EQ(unit(g, "root", TargetKind::Bin).profile.optLevel, "s");
    EXPECT_EQ(unit(g, "root", TargetKind::Bin).profile.debuginfo, 1);
    EXPECT_EQ(unit(g, "root", TargetKind::Bin).profile.strip, "none");
    EXPECT_EQ(unit(g, "leaf", TargetKind::Lib).profile.optLevel, "2");
}

// Path packages moved to items of their own: their units read the item, and their metadata
// (so their dependents') follows it, while the other members' stays as it was.
TEST_F(Graph, MovedPathPackages) {
    crate("root", "0.1.0", "[dependencies]\nutil = { path = \"util\" }\n", false, false);
    std::string root = dir.path + "/root";
    createDirs(root + "/util/src");
    writeFile(root + "/util/Cargo.toml", "[package]\nname = \"util\"\nversion = \"1.0.0\"\n");
    writeFile(root + "/util/src/lib.rs", "");
    auto moved = [&](const std::string& utilItem, const std::string& rootItem) {
        auto o = options();
        o.packageDirs = {{root + "/util", utilItem}, {root, rootItem}};
        return graph(o);
    };
    auto a = moved("/store/a-util", "/store/r-root");
    auto& util = unit(a, "util", TargetKind::Lib);
    EXPECT_EQ(a.packages[util.package].dir, "/store/a-util");
    EXPECT_EQ(a.packages[util.package].source, "path+file:///store/a-util");
    EXPECT_EQ(a.packages[util.package].workspacePath, "util");
    EXPECT_EQ(a.packages[unit(a, "root", TargetKind::Bin).package].workspacePath, ".");
    auto b = moved("/store/b-util", "/store/r-root");
    EXPECT_NE(unit(b, "util", TargetKind::Lib).metadata, util.metadata);
    EXPECT_NE(unit(b, "root", TargetKind::Bin).metadata, unit(a, "root", TargetKind::Bin).metadata)
        << "a dependent follows its dependency";
    auto c = moved("/store/a-util", "/store/s-root");
    EXPECT_EQ(unit(c, "util", TargetKind::Lib).metadata, util.metadata)
        << "an edit to the root leaves util's units as they were";
    EXPECT_NE(unit(c, "root", TargetKind::Bin).metadata, unit(a, "root", TargetKind::Bin).metadata);
    auto plain = graph();
    EXPECT_TRUE(plain.packages[unit(plain, "util", TargetKind::Lib).package].workspacePath.empty());
}

// A named debug level reaches the unit (and cargo's JSON) as the name; PROFILE follows the
// profile's root, as cargo's ProfileRoot: "debug" for a custom profile inheriting dev.
TEST_F(Graph, NamedDebugLevelsAndTheProfileRoot) {
    crate("root", "0.1.0",
          "[profile.release]\ndebug = \"line-tables-only\"\n"
          "[profile.custom]\ninherits = \"dev\"\ndebug = \"line-directives-only\"\n"
          "[profile.mine]\ninherits = \"release\"\n[profile.deeper]\ninherits = \"custom\"\n",
          true, false);
    auto g = graph();
    auto& bin = unit(g, "root", TargetKind::Bin);
    EXPECT_EQ(bin.profile.debuginfo, debugLineTablesOnly);
    EXPECT_EQ(bin.profile.root, "release");
    EXPECT_EQ(unit(g, "root", TargetKind::CustomBuild, CompileMode::RunCustomBuild).profile.root,
              "release");
    auto j = nlohmann::json::parse(g.toJson());
    bool seen = false;
    for (auto& u : j["units"])
        if (u["target"]["name"] == "root") {
            EXPECT_EQ(u["profile"]["debuginfo"], "line-tables-only");
            seen = true;
        }
    EXPECT_TRUE(seen);
    auto root = [&](const std::string& profile) {
        auto o = options();
        o.profile = profile;
        auto g = graph(o);
        return unit(g, "root", TargetKind::CustomBuild, CompileMode::RunCustomBuild).profile.root;
    };
    EXPECT_EQ(root("dev"), "debug");
    EXPECT_EQ(root("custom"), "debug");
    EXPECT_EQ(root("deeper"), "debug");
    EXPECT_EQ(root("mine"), "release");
    auto o = options();
    o.profile = "custom";
    EXPECT_EQ(unit(graph(o), "root", TargetKind::Bin).profile.debuginfo, debugLineDirectivesOnly);

    // Cargo before 1.71 knows numbers and booleans only: the graph says so, where.
    o.cargoVersion = "1.63.0";
    try {
        graph(o);
        ADD_FAILURE() << "a named debug level accepted for cargo 1.63";
    } catch (const UnitGraphError& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "/root/Cargo.toml:6:9: profile.release.debug: cargo 1.63.0 takes only a "
                      "boolean or 0, 1, 2 (named debug levels such as \"line-tables-only\" "
                      "need cargo 1.71 or later)"),
                  std::string::npos)
            << e.what();
    }
    // A level named "full" is shown by its name, not its number.
    crate("root", "0.1.0", "[profile.release]\ndebug = \"full\"\n", true, false);
    try {
        graph(o);
        ADD_FAILURE() << "a named debug level accepted for cargo 1.63";
    } catch (const UnitGraphError& e) {
        EXPECT_NE(std::string(e.what()).find("such as \"full\""), std::string::npos) << e.what();
    }
}

TEST_F(Graph, CargoVersionsStripAndPackageIds) {
    crate("root", "0.1.0", "", false, false);
    EXPECT_EQ(unit(graph(), "root", TargetKind::Bin).profile.strip, "debuginfo");
    auto o = options();
    o.cargoVersion = "1.63.0";
    EXPECT_EQ(unit(graph(o), "root", TargetKind::Bin).profile.strip, "none");
    // And package ids in the old form.
    EXPECT_NE(graph(o).toJson().find("\"root 0.1.0 (path+file://"), std::string::npos);
    EXPECT_NE(graph().toJson().find("/root#0.1.0\""), std::string::npos);
}

TEST_F(Graph, MetadataIsStableAndFollowsFeatures) {
    crate("leaf", "1.0.0", "[features]\nf = []\n");
    crate("root", "0.1.0", "[dependencies]\nleaf = \"1\"\n", false, false);
    std::string m1 = unit(graph(), "leaf", TargetKind::Lib).metadata;
    EXPECT_EQ(m1.size(), 16u);
    EXPECT_EQ(m1.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(unit(graph(), "leaf", TargetKind::Lib).metadata, m1);
    crate("root", "0.1.0", "[dependencies]\nleaf = { version = \"1\", features = [\"f\"] }\n",
          false, false);
    EXPECT_NE(unit(graph(), "leaf", TargetKind::Lib).metadata, m1);
}

TEST_F(Graph, DependenciesComeFirstAndJsonHasCargosShape) {
    crate("leaf", "1.0.0", "", true);
    crate("root", "0.1.0", "[dependencies]\nleaf = \"1\"\n", false, false);
    auto o = options();
    o.crossCompile = true;
    auto g = graph(o);
    for (std::size_t i = 0; i < g.units.size(); i++)
        for (auto& d : g.units[i].deps)
            EXPECT_LT(d.unit, i);
    auto j = nlohmann::json::parse(g.toJson());
    EXPECT_EQ(j["version"], 1);
    ASSERT_EQ(j["roots"].size(), 1u);
    auto& root = j["units"][j["roots"][0].get<std::size_t>()];
    EXPECT_EQ(root["target"]["kind"], nlohmann::json::array({"bin"}));
    EXPECT_EQ(root["platform"], "x86_64-unknown-linux-gnu");
    for (auto& u : j["units"]) {
        if (u["target"]["kind"][0] == "custom-build" && u["mode"] == "build") {
            EXPECT_TRUE(u["platform"].is_null());
        }
    }
}

} // namespace
