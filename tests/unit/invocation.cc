// rustc's invocations per unit, on unit graphs made by hand: the flags and their order as cargo
// 1.95 writes them (`cargo build -v`), the environment, what build scripts each unit uses, the
// outputs. tests/cargo/invocation.cc compares the same with real cargo runs.
#include "ferrix/cargo/invocation.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

using namespace ferrix::cargo;

namespace {

// A graph under construction: packages and units added in dependency order.
struct G {
    UnitGraph g;

    std::size_t pkg(const std::string& name, const std::string& version, bool local = false,
                    const std::string& links = "") {
        Package p;
        p.name = name;
        p.version = version;
        p.local = local;
        p.dir = local ? "/ws/" + name : "/store/" + name + "-" + version;
        p.source = local ? "path+file://" + p.dir
                         : "registry+https://github.com/rust-lang/crates.io-index";
        p.manifest.name = name;
        p.manifest.version = version;
        p.manifest.links = links;
        g.packages.push_back(p);
        return g.packages.size() - 1;
    }

    std::size_t unit(std::size_t package, TargetKind kind, const std::string& name,
                     std::vector<std::string> crateTypes, std::vector<std::size_t> deps = {},
                     CompileMode mode = CompileMode::Build) {
        Unit u;
        u.package = package;
        u.target.kind = kind;
        u.target.name = name;
        u.target.crateTypes = std::move(crateTypes);
        u.target.edition = "2021";
        u.target.path = kind == TargetKind::Lib           ? "src/lib.rs"
                        : kind == TargetKind::CustomBuild ? "build.rs"
                        : kind == TargetKind::Bin         ? "src/main.rs"
                                                          : "tests/" + name + ".rs";
        u.mode = mode;
        char meta[17];
        std::snprintf(meta, sizeof meta, "%016zx", 0xa0 + g.units.size());
        u.metadata = meta;
        for (auto d : deps) {
            std::string extern_ = g.units[d].target.name;
            std::replace(extern_.begin(), extern_.end(), '-', '_');
            u.deps.push_back({d, extern_});
        }
        g.units.push_back(u);
        Target t = g.units.back().target;
        auto& targets = g.packages[package].targets;
        if (mode == CompileMode::Build &&
            std::none_of(targets.begin(), targets.end(),
                         [&](const Target& x) { return x.kind == kind && x.name == name; }))
            targets.push_back(t);
        return g.units.size() - 1;
    }
    std::size_t lib(std::size_t package, std::vector<std::size_t> deps = {}) {
        return unit(package, TargetKind::Lib, g.packages[package].name, {"lib"}, deps);
    }
    // A build script's compilation and its run; returns the run.
    std::size_t script(std::size_t package, std::vector<std::size_t> buildDeps = {},
                       std::vector<std::size_t> runDeps = {}) {
        auto c = unit(package, TargetKind::CustomBuild, "build-script-build", {"bin"}, buildDeps);
        g.units[c].profile.optLevel = "0";
        g.units[c].host = true;
        runDeps.insert(runDeps.begin(), c);
        auto r = unit(package, TargetKind::CustomBuild, "build-script-build", {"bin"}, {},
                      CompileMode::RunCustomBuild);
        for (auto d : runDeps)
            g.units[r].deps.push_back({d, ""});
        return r;
    }
    void root(std::size_t u) {
        g.units[u].root = true;
        g.roots.push_back(u);
    }
};

std::string out(std::size_t u) {
    return "/out/" + std::to_string(u);
}

InvocationOptions options() {
    InvocationOptions o;
    o.workspaceRoot = "/ws";
    o.hostTriple = o.targetTriple = "x86_64-unknown-linux-gnu";
    return o;
}

Invocation compile(const G& g, std::size_t u, const InvocationOptions& o = options()) {
    return compileInvocation(g.g, u, out, out(u), o);
}

std::string env(const Invocation& inv, const std::string& name) {
    for (auto& [k, v] : inv.env)
        if (k == name) return v;
    return "(unset)";
}

std::vector<std::string> V(std::initializer_list<std::string> xs) {
    return xs;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v)
        s += (s.empty() ? "" : " ") + x;
    return s;
}

const char* checkDocs = "cfg(docsrs,test)";

} // namespace

TEST(Invocation, RegistryLibraryWithADependency) {
    G g;
    auto pa = g.pkg("unicode-ident", "1.0.0");
    auto pb = g.pkg("proc-macro2", "1.0.47");
    g.g.packages[pb].manifest.features = {
        {"default", {"proc-macro"}}, {"proc-macro", {}}, {"nightly", {}}};
    auto a = g.lib(pa);
    auto b = g.lib(pb, {a});
    g.g.units[b].features = {"default", "proc-macro"};
    g.g.units[b].target.edition = "2018";
    g.g.units[b].profile.strip = "debuginfo";
    g.root(b);
    auto inv = compile(g, b);
    EXPECT_EQ(inv.program, "rustc");
    EXPECT_EQ(inv.cwd, "/store/proc-macro2-1.0.47");
    EXPECT_EQ(joined(inv.args),
              joined(V({"--crate-name",
                        "proc_macro2",
                        "--edition=2018",
                        "/store/proc-macro2-1.0.47/src/lib.rs",
                        "--crate-type",
                        "lib",
                        "--emit=metadata,link",
                        "-C",
                        "opt-level=3",
                        "-C",
                        "embed-bitcode=no",
                        "--remap-path-prefix=/store/proc-macro2-1.0.47=proc-macro2-1.0.47",
                        "--cfg",
                        "feature=\"default\"",
                        "--cfg",
                        "feature=\"proc-macro\"",
                        "--check-cfg",
                        checkDocs,
                        "--check-cfg",
                        "cfg(feature, values(\"default\", \"nightly\", \"proc-macro\"))",
                        "-C",
                        "metadata=00000000000000a1",
                        "-C",
                        "extra-filename=-00000000000000a1",
                        "--out-dir",
                        "/out/1/lib",
                        "-C",
                        "strip=debuginfo",
                        "-L",
                        "dependency=/out/0/lib",
                        "--extern",
                        "unicode_ident=/out/0/lib/libunicode_ident-00000000000000a0.rmeta",
                        "--cap-lints",
                        "allow"})));
    EXPECT_EQ(env(inv, "CARGO_CRATE_NAME"), "proc_macro2");
    EXPECT_EQ(env(inv, "CARGO_PKG_NAME"), "proc-macro2");
    EXPECT_EQ(env(inv, "CARGO_PKG_VERSION_PATCH"), "47");
    EXPECT_EQ(env(inv, "CARGO_MANIFEST_DIR"), "/store/proc-macro2-1.0.47");
    EXPECT_EQ(env(inv, "CARGO_MANIFEST_PATH"), "/store/proc-macro2-1.0.47/Cargo.toml");
    EXPECT_EQ(env(inv, "CARGO_PRIMARY_PACKAGE"), "1");
    EXPECT_EQ(env(inv, "CARGO_BIN_NAME"), "(unset)");
    EXPECT_EQ(env(inv, "OUT_DIR"), "(unset)");
    EXPECT_TRUE(std::is_sorted(inv.env.begin(), inv.env.end()));
    // The dependency is not a root's package.
    EXPECT_EQ(env(compile(g, a), "CARGO_PRIMARY_PACKAGE"), "(unset)");
    EXPECT_TRUE(inv.scripts.empty());
}

TEST(Invocation, PackageMetadataReachesTheEnvironment) {
    G g;
    auto p = g.pkg("app", "0.2.0-beta.1", true);
    auto& m = g.g.packages[p].manifest;
    m.authors = {"A <a@b>", "C"};
    m.description = "a demo";
    m.license = "MIT";
    m.rustVersion = "1.70";
    m.readme = "README.md";
    auto b = g.unit(p, TargetKind::Bin, "app", {"bin"});
    g.root(b);
    auto inv = compile(g, b);
    EXPECT_EQ(env(inv, "CARGO_PKG_AUTHORS"), "A <a@b>:C");
    EXPECT_EQ(env(inv, "CARGO_PKG_DESCRIPTION"), "a demo");
    EXPECT_EQ(env(inv, "CARGO_PKG_VERSION_PRE"), "beta.1");
    EXPECT_EQ(env(inv, "CARGO_PKG_VERSION_MINOR"), "2");
    EXPECT_EQ(env(inv, "CARGO_PKG_RUST_VERSION"), "1.70");
    EXPECT_EQ(env(inv, "CARGO_PKG_README"), "README.md");
    EXPECT_EQ(env(inv, "CARGO_PKG_HOMEPAGE"), "");
    EXPECT_EQ(env(inv, "CARGO_BIN_NAME"), "app");
    EXPECT_EQ(env(inv, "CARGO"), "cargo");
    // Debian's cargo 1.63: no --check-cfg, no CARGO_MANIFEST_PATH nor CARGO_PKG_RUST_VERSION.
    auto o = options();
    o.cargoVersion = "1.63.0";
    auto old = compile(g, b, o);
    EXPECT_EQ(std::count(old.args.begin(), old.args.end(), "--check-cfg"), 0);
    EXPECT_EQ(env(old, "CARGO_MANIFEST_PATH"), "(unset)");
    EXPECT_EQ(env(old, "CARGO_PKG_RUST_VERSION"), "(unset)");
    EXPECT_EQ(env(old, "CARGO_PKG_README"), "README.md");
}

TEST(Invocation, LocalBinaryLinksItsLibraryAndUsesItsScript) {
    G g;
    auto pz = g.pkg("libz-sys", "1.1.8", false, "z");
    auto zrun = g.script(pz);
    auto z = g.lib(pz, {zrun});
    auto p = g.pkg("app", "0.1.0", true);
    auto run = g.script(p, {}, {zrun});
    auto l = g.lib(p, {run, z});
    auto b = g.unit(p, TargetKind::Bin, "app", {"bin"}, {run, l, z});
    g.root(b);

    auto inv = compile(g, b);
    EXPECT_EQ(inv.cwd, "/ws");
    EXPECT_EQ(inv.args[3], "app/src/main.rs") << "a local package's source, relative to the root";
    EXPECT_EQ(inv.args[6], "--emit=link");
    EXPECT_EQ(std::count(inv.args.begin(), inv.args.end(), "--cap-lints"), 0);
    EXPECT_NE(std::find(inv.args.begin(), inv.args.end(), "--remap-path-prefix=/ws=."),
              inv.args.end());
    // A binary needs its dependencies' code: rlibs, not rmeta.
    auto lAt =
        std::find(inv.args.begin(), inv.args.end(), "app=/out/5/lib/libapp-00000000000000a5.rlib");
    EXPECT_NE(lAt, inv.args.end());
    EXPECT_NE(std::find(inv.args.begin(), inv.args.end(),
                        "libz_sys=/out/2/lib/liblibz_sys-00000000000000a2.rlib"),
              inv.args.end());
    EXPECT_EQ(env(inv, "OUT_DIR"), "/out/4/out");
    // Its own script first (its link libraries went into the library), then the dependency's
    // rustc-link-search.
    ASSERT_EQ(inv.scripts.size(), 2u);
    EXPECT_EQ(inv.scripts[0].unit, run);
    EXPECT_EQ(inv.scripts[0].what, BuildScriptUse::What::Own);
    EXPECT_FALSE(inv.scripts[0].linkLibs);
    EXPECT_EQ(inv.scripts[1].unit, zrun);
    EXPECT_EQ(inv.scripts[1].what, BuildScriptUse::What::LinkSearch);
    auto lib = compile(g, l);
    ASSERT_EQ(lib.scripts.size(), 2u);
    EXPECT_TRUE(lib.scripts[0].linkLibs);
    // The sys crate's own library passes its link libraries.
    auto zi = compile(g, z);
    ASSERT_EQ(zi.scripts.size(), 1u);
    EXPECT_EQ(zi.scripts[0].what, BuildScriptUse::What::Own);
    EXPECT_TRUE(zi.scripts[0].linkLibs);
    // Build scripts are compiled, not linked against their package's script.
    EXPECT_TRUE(compile(g, zrun - 1).scripts.empty());
}

// A path package moved to an item of its own (UnitGraphOptions::packageDirs) runs there and
// names its files as cargo does from the workspace root: "app/src/main.rs", or "src/main.rs" for
// the root package.
TEST(Invocation, MovedPathPackagesNameTheirFilesFromTheRoot) {
    G g;
    auto p = g.pkg("app", "0.1.0", true);
    g.g.packages[p].dir = "/store/aaa-app-0.1.0";
    g.g.packages[p].workspacePath = "app";
    auto b = g.unit(p, TargetKind::Bin, "app", {"bin"});
    g.root(b);
    auto has = [](const Invocation& inv, const std::string& a) {
        return std::find(inv.args.begin(), inv.args.end(), a) != inv.args.end();
    };
    auto inv = compile(g, b);
    EXPECT_EQ(inv.cwd, "/store/aaa-app-0.1.0");
    EXPECT_EQ(inv.args[3], "/store/aaa-app-0.1.0/src/main.rs");
    EXPECT_TRUE(has(inv, "--remap-path-prefix=/store/aaa-app-0.1.0=app"));
    EXPECT_FALSE(has(inv, "--remap-path-prefix=/ws=."));
    EXPECT_EQ(env(inv, "CARGO_MANIFEST_DIR"), "/store/aaa-app-0.1.0");

    g.g.packages[p].workspacePath = ".";
    inv = compile(g, b);
    EXPECT_EQ(inv.cwd, "/store/aaa-app-0.1.0");
    EXPECT_EQ(inv.args[3], "src/main.rs");
    EXPECT_TRUE(has(inv, "--remap-path-prefix=/store/aaa-app-0.1.0=."));
}

TEST(Invocation, ProcMacros) {
    G g;
    auto pq = g.pkg("quote", "1.0.21");
    auto pd = g.pkg("serde_derive", "1.0.152");
    auto ps = g.pkg("serde", "1.0.152");
    auto q = g.lib(pq);
    g.g.units[q].profile.optLevel = "0";
    auto d = g.unit(pd, TargetKind::Lib, "serde_derive", {"proc-macro"}, {q});
    g.g.units[d].profile.optLevel = "0";
    g.g.units[d].host = true;
    auto s = g.lib(ps, {d});
    g.root(s);
    auto inv = compile(g, d);
    EXPECT_EQ(joined(inv.args),
              joined(V({"--crate-name",
                        "serde_derive",
                        "--edition=2021",
                        "/store/serde_derive-1.0.152/src/lib.rs",
                        "--crate-type",
                        "proc-macro",
                        "--emit=link",
                        "-C",
                        "prefer-dynamic",
                        "-C",
                        "embed-bitcode=no",
                        "--remap-path-prefix=/store/serde_derive-1.0.152=serde_derive-1.0.152",
                        "-C",
                        "debug-assertions=off",
                        "--check-cfg",
                        checkDocs,
                        "--check-cfg",
                        "cfg(feature, values())",
                        "-C",
                        "metadata=00000000000000a1",
                        "-C",
                        "extra-filename=-00000000000000a1",
                        "--out-dir",
                        "/out/1/lib",
                        "-L",
                        "dependency=/out/0/lib",
                        "--extern",
                        "quote=/out/0/lib/libquote-00000000000000a0.rlib",
                        "--extern",
                        "proc_macro",
                        "--cap-lints",
                        "allow"})));
    auto si = compile(g, s);
    EXPECT_NE(std::find(si.args.begin(), si.args.end(),
                        "serde_derive=/out/1/lib/libserde_derive-00000000000000a1.so"),
              si.args.end());
    // The proc-macro's own dependencies stay findable (macros may name their crates).
    EXPECT_NE(std::find(si.args.begin(), si.args.end(), "dependency=/out/0/lib"), si.args.end());
    EXPECT_EQ(unitOutputFiles(g.g, d), V({"lib/libserde_derive-00000000000000a1.so"}));
    EXPECT_EQ(unitOutputFiles(g.g, s),
              V({"lib/libserde-00000000000000a2.rlib", "lib/libserde-00000000000000a2.rmeta"}));
}

TEST(Invocation, ProfileFlags) {
    G g;
    auto p = g.pkg("x", "1.0.0");
    auto l = g.lib(p);
    g.root(l);
    auto flags = [&](auto set) {
        Profile saved = g.g.units[l].profile;
        set(g.g.units[l].profile);
        auto a = compile(g, l).args;
        g.g.units[l].profile = saved;
        std::vector<std::string> r;
        for (std::size_t i = 0; i + 1 < a.size(); ++i)
            if (a[i] == "-C" && a[i + 1].rfind("metadata", 0) && a[i + 1].rfind("extra", 0))
                r.push_back(a[i + 1]);
        return joined(r);
    };
    EXPECT_EQ(flags([](Profile&) {}), "opt-level=3 embed-bitcode=no");
    EXPECT_EQ(flags([](Profile& p) { p.debuginfo = 2; }),
              "opt-level=3 embed-bitcode=no debuginfo=2");
    EXPECT_EQ(flags([](Profile& p) { p.debuginfo = debugLineTablesOnly; }),
              "opt-level=3 embed-bitcode=no debuginfo=line-tables-only");
    EXPECT_EQ(flags([](Profile& p) { p.debuginfo = debugLineDirectivesOnly; }),
              "opt-level=3 embed-bitcode=no debuginfo=line-directives-only");
    EXPECT_EQ(flags([](Profile& p) { p.codegenUnits = 16; }),
              "opt-level=3 embed-bitcode=no codegen-units=16");
    EXPECT_EQ(flags([](Profile& p) { p.panic = "abort"; }),
              "opt-level=3 panic=abort embed-bitcode=no");
    EXPECT_EQ(flags([](Profile& p) { p.strip = "symbols"; }),
              "opt-level=3 embed-bitcode=no strip=symbols");
    // -C overflow-checks is only written when it differs from -C debug-assertions, which is only
    // written when it differs from the opt-level's default.
    EXPECT_EQ(flags([](Profile& p) { p.debugAssertions = p.overflowChecks = true; }),
              "opt-level=3 embed-bitcode=no debug-assertions=on");
    EXPECT_EQ(flags([](Profile& p) { p.debugAssertions = true; }),
              "opt-level=3 embed-bitcode=no debug-assertions=on overflow-checks=off");
    EXPECT_EQ(flags([](Profile& p) { p.overflowChecks = true; }),
              "opt-level=3 embed-bitcode=no overflow-checks=on");
    EXPECT_EQ(flags([](Profile& p) { p.optLevel = "0"; }), "embed-bitcode=no debug-assertions=off");
    EXPECT_EQ(flags([](Profile& p) {
                  p.optLevel = "0";
                  p.overflowChecks = true;
              }),
              "embed-bitcode=no debug-assertions=off overflow-checks=on");
    EXPECT_EQ(flags([](Profile& p) {
                  p.optLevel = "0";
                  p.debugAssertions = true;
              }),
              "embed-bitcode=no overflow-checks=off");
    EXPECT_EQ(flags([](Profile& p) {
                  p.optLevel = "s";
                  p.debugAssertions = p.overflowChecks = true;
              }),
              "opt-level=s embed-bitcode=no debug-assertions=on");
}

TEST(Invocation, LtoFollowsWhoLinks) {
    G g;
    auto p = g.pkg("x", "1.0.0");
    auto run = g.script(p);
    auto l = g.lib(p, {run});
    auto pa = g.pkg("app", "1.0.0", true);
    auto b = g.unit(pa, TargetKind::Bin, "app", {"bin"}, {l});
    g.root(b);
    auto lto = [&](std::size_t u) {
        auto a = compile(g, u).args;
        std::string r;
        for (std::size_t i = 0; i + 1 < a.size(); ++i)
            if (a[i] == "-C" && (a[i + 1].find("lto") != std::string::npos ||
                                 a[i + 1].find("bitcode") != std::string::npos))
                r += (r.empty() ? "" : " ") + a[i + 1];
        return r;
    };
    for (auto& u : g.g.units)
        u.profile.lto = "true";
    EXPECT_EQ(lto(b), "lto");
    EXPECT_EQ(lto(l), "linker-plugin-lto") << "the binary's LTO only needs the library's bitcode";
    EXPECT_EQ(lto(run - 1), "embed-bitcode=no") << "build scripts take no part in LTO";
    for (auto& u : g.g.units)
        u.profile.lto = "thin";
    EXPECT_EQ(lto(b), "lto=thin");
    EXPECT_EQ(lto(l), "linker-plugin-lto");
    for (auto& u : g.g.units)
        u.profile.lto = "off";
    EXPECT_EQ(lto(b), "lto=off");
    EXPECT_EQ(lto(l), "lto=off");
    // A cdylib and a binary both linking the library: it must carry objects and bitcode.
    for (auto& u : g.g.units)
        u.profile.lto = "true";
    auto c = g.unit(pa, TargetKind::Lib, "app", {"dylib"}, {l});
    g.root(c);
    EXPECT_EQ(lto(l), "");
}

TEST(Invocation, Tests) {
    G g;
    auto p = g.pkg("app", "1.0.0", true);
    auto l = g.lib(p);
    auto b = g.unit(p, TargetKind::Bin, "app", {"bin"}, {l});
    auto t = g.unit(p, TargetKind::Test, "it-works", {"bin"}, {l, b}, CompileMode::Test);
    auto u = g.unit(p, TargetKind::Lib, "app", {"lib"}, {}, CompileMode::Test);
    g.root(t);
    g.root(u);
    auto inv = compile(g, t);
    EXPECT_EQ(inv.args[3], "app/tests/it-works.rs");
    EXPECT_EQ(inv.args[4], "--emit=link") << "no --crate-type for tests";
    auto at = std::find(inv.args.begin(), inv.args.end(), "--test");
    ASSERT_NE(at, inv.args.end());
    EXPECT_EQ(*(at + 1), "--check-cfg") << "--test comes before the features' cfgs";
    EXPECT_EQ(std::count(inv.args.begin(), inv.args.end(), "--extern"), 1)
        << "binaries are no crates to link";
    EXPECT_EQ(env(inv, "CARGO_TARGET_TMPDIR"), "/build/target/tmp");
    EXPECT_EQ(env(inv, "CARGO_BIN_EXE_app"), "/out/1/bin/app");
    EXPECT_EQ(env(inv, "CARGO_CRATE_NAME"), "it_works");
    EXPECT_EQ(unitOutputFiles(g.g, t), V({"bin/it-works-00000000000000a2"}));
    EXPECT_EQ(unitOutputFiles(g.g, b), V({"bin/app"}));
    EXPECT_EQ(compile(g, u).args[4], "--emit=link");
    EXPECT_EQ(env(compile(g, u), "CARGO_TARGET_TMPDIR"), "(unset)");
    g.g.units[t].target.harness = false;
    auto h = compile(g, t).args;
    EXPECT_EQ(std::count(h.begin(), h.end(), "--test"), 0);
    auto cfg = std::find(h.begin(), h.end(), "test");
    ASSERT_NE(cfg, h.end());
    EXPECT_EQ(*(cfg - 1), "--cfg");
}

TEST(Invocation, CheckCfgListsEveryFeature) {
    G g;
    auto p = g.pkg("x", "1.0.0");
    auto& m = g.g.packages[p].manifest;
    m.features = {{"std", {"dep:libc"}}, {"default", {"std"}}};
    Dependency libc, serde;
    libc.key = "libc";
    libc.optional = true;
    serde.key = "serde";
    serde.optional = true;
    m.dependencies = {libc, serde};
    auto l = g.lib(p);
    g.root(l);
    auto a = compile(g, l).args;
    // serde's implicit feature is declared; libc's is not, `dep:` names it.
    EXPECT_NE(
        std::find(a.begin(), a.end(), "cfg(feature, values(\"default\", \"serde\", \"std\"))"),
        a.end());
}

TEST(Invocation, CrossCompiling) {
    G g;
    auto p = g.pkg("x", "1.0.0");
    auto run = g.script(p);
    auto l = g.lib(p, {run});
    g.root(l);
    auto o = options();
    o.crossCompile = true;
    o.targetTriple = "aarch64-unknown-linux-gnu";
    o.linker = "aarch64-linux-gnu-gcc";
    o.rustflags = {"-C", "target-cpu=cortex-a72"};
    auto a = compile(g, l, o).args;
    auto at = std::find(a.begin(), a.end(), "--target");
    ASSERT_NE(at, a.end());
    EXPECT_EQ(*(at + 1), "aarch64-unknown-linux-gnu");
    EXPECT_EQ(*(at + 3), "linker=aarch64-linux-gnu-gcc");
    EXPECT_EQ(a.back(), "target-cpu=cortex-a72") << "rustflags come last";
    // The build script is the host's: no --target, no linker, no RUSTFLAGS.
    auto s = compile(g, run - 1, o).args;
    EXPECT_EQ(std::count(s.begin(), s.end(), "--target"), 0);
    EXPECT_EQ(std::count(s.begin(), s.end(), "target-cpu=cortex-a72"), 0);
    auto r = buildScriptInvocation(g.g, run, out, out(run), o);
    EXPECT_EQ(env(r, "TARGET"), "aarch64-unknown-linux-gnu");
    EXPECT_EQ(env(r, "HOST"), "x86_64-unknown-linux-gnu");
    EXPECT_EQ(env(r, "RUSTC_LINKER"), "aarch64-linux-gnu-gcc");
    EXPECT_EQ(env(r, "CARGO_ENCODED_RUSTFLAGS"), "-C\x1ftarget-cpu=cortex-a72");
    // Not cross-compiling, RUSTFLAGS reach build scripts too.
    o = options();
    o.rustflags = {"-Dwarnings"};
    EXPECT_EQ(compile(g, run - 1, o).args.back(), "-Dwarnings");
    EXPECT_EQ(env(buildScriptInvocation(g.g, run, out, out(run), o), "RUSTC_LINKER"), "(unset)");
}

TEST(Invocation, BuildScriptRuns) {
    G g;
    auto pl = g.pkg("links-a", "0.1.0", false, "foo");
    auto lrun = g.script(pl);
    auto la = g.lib(pl, {lrun});
    auto pn = g.pkg("nolinks", "0.1.0");
    auto nrun = g.script(pn);
    auto n = g.lib(pn, {nrun});
    auto pu = g.pkg("user", "0.1.0", true);
    // The run depends on the runs of its package's dependencies with `links`: cargo's rule.
    auto run = g.script(pu, {}, {lrun});
    auto u = g.lib(pu, {run, la, n});
    g.g.units[run].features = {"default", "with-x"};
    g.g.units[run].profile.optLevel = "3";
    g.root(u);
    auto o = options();
    o.rustc = "/tc/bin/rustc";
    o.jobs = 4;
    o.hostCfg.names = {"unix", "debug_assertions"};
    o.hostCfg.values = {{"target_os", "linux"},
                        {"target_feature", "sse2"},
                        {"target_feature", "fxsr"},
                        {"target_abi", ""}};
    auto inv = buildScriptInvocation(g.g, run, out, "/out/run", o);
    EXPECT_EQ(inv.program, "/out/" + std::to_string(run - 1) + "/bin/build-script-build");
    EXPECT_EQ(inv.cwd, "/ws/user");
    EXPECT_TRUE(inv.args.empty());
    EXPECT_EQ(env(inv, "OUT_DIR"), "/out/run/out");
    EXPECT_EQ(env(inv, "CARGO_FEATURE_WITH_X"), "1");
    EXPECT_EQ(env(inv, "CARGO_FEATURE_DEFAULT"), "1");
    EXPECT_EQ(env(inv, "CARGO_CFG_FEATURE"), "default,with-x");
    EXPECT_EQ(env(inv, "CARGO_CFG_UNIX"), "");
    EXPECT_EQ(env(inv, "CARGO_CFG_TARGET_FEATURE"), "fxsr,sse2");
    EXPECT_EQ(env(inv, "CARGO_CFG_TARGET_ABI"), "");
    EXPECT_EQ(env(inv, "CARGO_CFG_DEBUG_ASSERTIONS"), "(unset)");
    EXPECT_EQ(env(inv, "OPT_LEVEL"), "3");
    EXPECT_EQ(env(inv, "DEBUG"), "false");
    EXPECT_EQ(env(inv, "PROFILE"), "release");
    g.g.units[run].profile.root = "debug";
    g.g.units[run].profile.debuginfo = debugLineTablesOnly;
    auto debugRoot = buildScriptInvocation(g.g, run, out, "/out/run", o);
    EXPECT_EQ(env(debugRoot, "PROFILE"), "debug");
    EXPECT_EQ(env(debugRoot, "DEBUG"), "true");
    EXPECT_EQ(env(inv, "NUM_JOBS"), "4");
    EXPECT_EQ(env(inv, "RUSTC"), "/tc/bin/rustc");
    EXPECT_EQ(env(inv, "RUSTDOC"), "rustdoc");
    EXPECT_EQ(env(inv, "TARGET"), "x86_64-unknown-linux-gnu");
    EXPECT_EQ(env(inv, "CARGO_ENCODED_RUSTFLAGS"), "");
    EXPECT_EQ(env(inv, "CARGO_MANIFEST_LINKS"), "(unset)");
    EXPECT_EQ(env(inv, "CARGO_PKG_NAME"), "user");
    EXPECT_TRUE(std::is_sorted(inv.env.begin(), inv.env.end()));
    ASSERT_EQ(inv.scripts.size(), 1u);
    EXPECT_EQ(inv.scripts[0].unit, lrun);
    EXPECT_EQ(inv.scripts[0].what, BuildScriptUse::What::Metadata);
    EXPECT_EQ(inv.scripts[0].links, "foo");
    auto li = buildScriptInvocation(g.g, lrun, out, "/out/l", o);
    EXPECT_EQ(env(li, "CARGO_MANIFEST_LINKS"), "foo");
    EXPECT_EQ(env(li, "CARGO_CFG_FEATURE"), "");
    EXPECT_TRUE(li.scripts.empty());
    EXPECT_EQ(unitOutputFiles(g.g, run), V({"out", "output", "directives"}));
    EXPECT_EQ(unitOutputFiles(g.g, run - 1), V({"bin/build-script-build"}));
    // The library sees its own script's output and both dependencies' link search paths, by
    // package name.
    auto ui = compile(g, u);
    ASSERT_EQ(ui.scripts.size(), 3u);
    EXPECT_EQ(ui.scripts[0].unit, run);
    EXPECT_EQ(ui.scripts[1].unit, lrun);
    EXPECT_EQ(ui.scripts[2].unit, nrun);
    EXPECT_EQ(env(ui, "OUT_DIR"), "/out/" + std::to_string(run) + "/out");
}

TEST(Invocation, LinkSearchIsTransitiveButNotThroughHostCrates) {
    G g;
    auto pa = g.pkg("a-sys", "1.0.0", false, "a");
    auto arun = g.script(pa);
    auto a = g.lib(pa, {arun});
    auto pb = g.pkg("b", "1.0.0");
    auto b = g.lib(pb, {a});
    auto pm = g.pkg("m", "1.0.0");
    auto mrun = g.script(pm);
    auto m = g.unit(pm, TargetKind::Lib, "m", {"proc-macro"}, {mrun});
    auto pc = g.pkg("c", "1.0.0", true);
    auto c = g.unit(pc, TargetKind::Bin, "c", {"bin"}, {b, m});
    g.g.units[c].deps[0].noprelude = true;
    g.root(c);
    auto inv = compile(g, c);
    ASSERT_EQ(inv.scripts.size(), 1u) << "the proc-macro's script is the host's business";
    EXPECT_EQ(inv.scripts[0].unit, arun);
    EXPECT_EQ(inv.scripts[0].what, BuildScriptUse::What::LinkSearch);
    EXPECT_NE(std::find(inv.args.begin(), inv.args.end(),
                        "noprelude:b=/out/" + std::to_string(b) + "/lib/libb-" +
                            g.g.units[b].metadata + ".rlib"),
              inv.args.end());
    // The closure: b and a, and m (whose crates a macro may name); not the build scripts.
    std::vector<std::string> l;
    for (std::size_t i = 0; i + 1 < inv.args.size(); ++i)
        if (inv.args[i] == "-L") l.push_back(inv.args[i + 1]);
    EXPECT_EQ(l, V({"dependency=/out/" + std::to_string(a) + "/lib",
                    "dependency=/out/" + std::to_string(b) + "/lib",
                    "dependency=/out/" + std::to_string(m) + "/lib"}));
}

TEST(Invocation, Doctests) {
    // A local library with a build script, a registry dependency and a dev-dependency, its
    // doctest unit depending on all three and on the library: rustdoc's arguments as `cargo test
    // -v` runs them (1.95), the rlibs of what it links sorted by package as cargo sorts them, the
    // package's variables.
    G g;
    auto pd = g.pkg("rand_core", "0.6.3");
    auto pv = g.pkg("bincode", "1.3.3");
    auto pa = g.pkg("xo", "0.1.0", true);
    g.g.packages[pa].manifest.features = {{"default", {}}, {"serde1", {}}};
    g.g.packages[pa].manifest.description = "doctested";
    auto d = g.lib(pd);
    auto v = g.lib(pv);
    auto run = g.script(pa);
    auto a = g.lib(pa, {run, d});
    auto t = g.unit(pa, TargetKind::Lib, "xo", {"lib"}, {run, d, a, v}, CompileMode::Doctest);
    g.g.units[t].features = {"default"};
    g.g.units[t].profile.optLevel = "3";
    g.root(t);
    InvocationOptions o = options();
    o.rustdoc = "/tc/bin/rustdoc";
    o.rustflags = {"-C", "target-cpu=native"};
    o.testArgs = {"--test-threads=1"};
    auto inv = doctestInvocation(g.g, t, out, o);
    EXPECT_EQ(inv.program, "/tc/bin/rustdoc");
    EXPECT_EQ(inv.cwd, "/ws");
    EXPECT_EQ(joined(inv.args), joined(V({"--edition=2021",
                                          "--crate-type",
                                          "lib",
                                          "--color",
                                          "auto",
                                          "--crate-name",
                                          "xo",
                                          "--test",
                                          "xo/src/lib.rs",
                                          "--test-run-directory",
                                          "/ws/xo",
                                          "--test-args",
                                          "--test-threads=1",
                                          "--extern",
                                          "bincode=/out/1/lib/libbincode-00000000000000a1.rlib",
                                          "--extern",
                                          "rand_core=/out/0/lib/librand_core-00000000000000a0.rlib",
                                          "--extern",
                                          "xo=/out/4/lib/libxo-00000000000000a4.rlib",
                                          "-L",
                                          "dependency=/out/0/lib",
                                          "-L",
                                          "dependency=/out/1/lib",
                                          "-L",
                                          "dependency=/out/4/lib",
                                          "-C",
                                          "embed-bitcode=no",
                                          "--cfg",
                                          "feature=\"default\"",
                                          "--check-cfg",
                                          checkDocs,
                                          "--check-cfg",
                                          "cfg(feature, values(\"default\", \"serde1\"))",
                                          "--error-format",
                                          "human"})));
    // fill_env's variables; OUT_DIR comes with the script's use, as cargo's extra_env.
    EXPECT_EQ(env(inv, "CARGO_PKG_NAME"), "xo");
    EXPECT_EQ(env(inv, "CARGO_PKG_DESCRIPTION"), "doctested");
    EXPECT_EQ(env(inv, "CARGO_MANIFEST_DIR"), "/ws/xo");
    EXPECT_EQ(env(inv, "CARGO_CRATE_NAME"), "xo");
    EXPECT_EQ(env(inv, "OUT_DIR"), "(unset)");
    ASSERT_EQ(inv.scripts.size(), 1u);
    EXPECT_EQ(inv.scripts[0].unit, run);
    EXPECT_EQ(inv.scripts[0].what, BuildScriptUse::What::Own);
    EXPECT_FALSE(inv.scripts[0].linkLibs);
    // Not a doctest: refused.
    EXPECT_THROW(doctestInvocation(g.g, a, out, o), UnitGraphError);
    // Cross-compiling: the target and its linker, as cargo gives them.
    o.crossCompile = true;
    o.targetTriple = "aarch64-unknown-linux-gnu";
    o.linker = "aarch64-linux-gnu-gcc";
    auto cross = doctestInvocation(g.g, t, out, o);
    auto it = std::find(cross.args.begin(), cross.args.end(), "--target");
    ASSERT_NE(it, cross.args.end());
    EXPECT_EQ(joined({it, it + 4}),
              "--target aarch64-unknown-linux-gnu -C linker=aarch64-linux-gnu-gcc");
}

TEST(Invocation, ProcMacroDoctests) {
    // A local proc-macro's doctests (`cargo test -v`): its crate type, the macro's .so, and
    // proc_macro, as cargo's extern_args gives a proc-macro.
    G g;
    auto pm = g.pkg("pmx", "0.1.0", true);
    auto m = g.unit(pm, TargetKind::Lib, "pmx", {"proc-macro"});
    g.g.units[m].host = true;
    auto t = g.unit(pm, TargetKind::Lib, "pmx", {"proc-macro"}, {m}, CompileMode::Doctest);
    g.g.units[t].host = true;
    g.root(t);
    auto inv = doctestInvocation(g.g, t, out, options());
    EXPECT_EQ(joined(inv.args), joined(V({"--edition=2021",
                                          "--crate-type",
                                          "proc-macro",
                                          "--color",
                                          "auto",
                                          "--crate-name",
                                          "pmx",
                                          "--test",
                                          "pmx/src/lib.rs",
                                          "--test-run-directory",
                                          "/ws/pmx",
                                          "--extern",
                                          "pmx=/out/0/lib/libpmx-00000000000000a0.so",
                                          "--extern",
                                          "proc_macro",
                                          "-L",
                                          "dependency=/out/0/lib",
                                          "-C",
                                          "embed-bitcode=no",
                                          "--check-cfg",
                                          checkDocs,
                                          "--check-cfg",
                                          "cfg(feature, values())",
                                          "--error-format",
                                          "human"})));
}

// Pipelining: with the libraries' metadata in outputs of their own, a library takes the pipelined
// ones' .rmeta (and -L) from there, a proc-macro's .so and everything a binary links from `out`.
TEST(Invocation, PipelinedLibrariesReadMetadataOutputs) {
    G g;
    auto pa = g.pkg("unicode-ident", "1.0.0");
    auto pq = g.pkg("quote", "1.0.21");
    auto pd = g.pkg("serde_derive", "1.0.152");
    auto pb = g.pkg("proc-macro2", "1.0.47");
    auto p = g.pkg("app", "0.1.0", true);
    auto a = g.lib(pa);
    auto q = g.lib(pq);
    auto d = g.unit(pd, TargetKind::Lib, "serde_derive", {"proc-macro"}, {q});
    auto b = g.lib(pb, {a, d});
    auto bin = g.unit(p, TargetKind::Bin, "app", {"bin"}, {b});
    g.root(bin);
    EXPECT_TRUE(pipelined(g.g, a));
    EXPECT_TRUE(pipelined(g.g, b));
    EXPECT_FALSE(pipelined(g.g, d));
    EXPECT_FALSE(pipelined(g.g, bin));
    auto o = options();
    o.metadataOutputs = [](std::size_t u) { return "/meta/" + std::to_string(u); };
    auto has = [](const Invocation& inv, const std::string& x) {
        return std::find(inv.args.begin(), inv.args.end(), x) != inv.args.end();
    };
    auto lib = compile(g, b, o);
    EXPECT_TRUE(has(lib, "unicode_ident=/meta/0/lib/libunicode_ident-00000000000000a0.rmeta"))
        << joined(lib.args);
    EXPECT_TRUE(has(lib, "dependency=/meta/0/lib"));
    EXPECT_TRUE(has(lib, "dependency=/meta/1/lib")) << "quote, in the proc-macro's closure";
    EXPECT_TRUE(has(lib, "dependency=/out/2/lib"));
    EXPECT_TRUE(has(lib, "serde_derive=/out/2/lib/libserde_derive-00000000000000a2.so"));
    EXPECT_FALSE(has(lib, "dependency=/out/0/lib"));
    auto linked = compile(g, bin, o);
    EXPECT_TRUE(has(linked, "proc_macro2=/out/3/lib/libproc_macro2-00000000000000a3.rlib"))
        << joined(linked.args);
    for (auto u : {a, b})
        EXPECT_TRUE(has(linked, "dependency=/out/" + std::to_string(u) + "/lib"));
    EXPECT_EQ(std::count_if(linked.args.begin(), linked.args.end(),
                            [](const std::string& x) { return x.starts_with("dependency=/meta"); }),
              0);
    // Without metadata outputs nothing changes.
    EXPECT_TRUE(
        has(compile(g, b), "unicode_ident=/out/0/lib/libunicode_ident-00000000000000a0.rmeta"));
}
