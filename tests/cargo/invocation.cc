// The oracle for lib/cargo/invocation.cc: real projects built by cargo (offline, crates from
// Debian's registry as a directory source), every rustc it runs caught by a RUSTC_WRAPPER that
// records arguments, environment and directory, and the build scripts' environment dumped by
// local build scripts. The unit graph comes from cargo itself (`--unit-graph`), so that this
// checks the invocations alone: for each unit, ferrix's arguments must equal cargo's in the same
// order once paths into target/ and hash values are set aside (with the build scripts' directives
// appended as the build side does), and so must the environment cargo sets.
#include "ferrix/cargo/invocation.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace ferrix::cargo;
namespace fs = std::filesystem;
using json = nlohmann::json;

extern char** environ;

namespace {

const std::string registry = "/usr/share/cargo/registry";

// What the test projects need, as Debian's librust-*-dev packages install them.
const std::vector<std::string> crates = {"aho-corasick-0.7.19",
                                         "atty-0.2.14",
                                         "bitflags-1.3.2",
                                         "cc-1.0.73",
                                         "clap-4.0.32",
                                         "clap_lex-0.3.0",
                                         "itoa-1.0.1",
                                         "libc-0.2.139",
                                         "libz-sys-1.1.8",
                                         "memchr-2.5.0",
                                         "os_str_bytes-6.0.0",
                                         "pkg-config-0.3.25",
                                         "proc-macro2-1.0.47",
                                         "quote-1.0.21",
                                         "regex-1.7.1",
                                         "regex-syntax-0.6.27",
                                         "ryu-1.0.2",
                                         "serde-1.0.152",
                                         "serde_derive-1.0.152",
                                         "serde_json-1.0.87",
                                         "strsim-0.10.0",
                                         "syn-1.0.107",
                                         "termcolor-1.1.2",
                                         "unicode-ident-1.0.0",
                                         "vcpkg-0.2.8",
                                         "winapi-0.3.9",
                                         "winapi-i686-pc-windows-gnu-0.4.0",
                                         "winapi-util-0.1.5",
                                         "winapi-x86_64-pc-windows-gnu-0.4.0"};

std::string tmp() {
    const char* t = std::getenv("TEST_TMP");
    return t ? t : (fs::temp_directory_path() / "ferrix-invocation").string();
}

std::string quote(const std::string& s) {
    std::string r = "'";
    for (char c : s)
        r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

// Runs a shell command; its standard output, or a test failure naming it.
std::string run(const std::string& command) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + command);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    int status = pclose(p);
    if (status != 0)
        throw std::runtime_error("failed (" + std::to_string(status) + "): " + command + "\n" +
                                 out.substr(out.size() > 4000 ? out.size() - 4000 : 0));
    return out;
}

void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

std::string read(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

CfgSet hostCfg() {
    CfgSet cfg;
    std::istringstream in(run("rustc --print cfg"));
    for (std::string line; std::getline(in, line);) {
        auto eq = line.find('=');
        if (eq == std::string::npos)
            cfg.names.insert(line);
        else
            cfg.values.insert({line.substr(0, eq), line.substr(eq + 2, line.size() - eq - 3)});
    }
    return cfg;
}

// The directives a build script printed (cargo keeps them in its run's `output`), as much of
// them as the build side applies to rustc's command line and to DEP_ variables.
struct Directives {
    std::vector<std::string> linkLibs, linkSearch, linkArgs, cfgs, checkCfgs;
    std::vector<std::pair<std::string, std::string>> metadata;
};

Directives directives(const std::string& text) {
    Directives d;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        bool modern = line.rfind("cargo::", 0) == 0;
        if (!modern && line.rfind("cargo:", 0) != 0) continue;
        line = line.substr(modern ? 7 : 6);
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string k = line.substr(0, eq), v = line.substr(eq + 1);
        if (k == "rustc-link-lib")
            d.linkLibs.push_back(v);
        else if (k == "rustc-link-search")
            d.linkSearch.push_back(v);
        else if (k == "rustc-link-arg")
            d.linkArgs.push_back(v);
        else if (k == "rustc-cfg")
            d.cfgs.push_back(v);
        else if (k == "rustc-check-cfg")
            d.checkCfgs.push_back(v);
        else if (modern && k == "metadata") {
            auto e = v.find('=');
            d.metadata.push_back({v.substr(0, e), v.substr(e + 1)});
        } else if (!modern && k.rfind("rustc-", 0) != 0 && k.rfind("rerun-if", 0) != 0 &&
                   k != "warning")
            d.metadata.push_back({k, v});
    }
    return d;
}

std::string envify(std::string s) {
    for (auto& c : s)
        c = c == '-' ? '_' : (char)std::toupper((unsigned char)c);
    return s;
}

// Cargo's `--unit-graph` as a UnitGraph; the metadata hashes are ferrix's business (and compared
// modulo their values), so each unit gets one of its own.
UnitGraph fromCargo(const json& j, const std::string& vendor) {
    UnitGraph g;
    std::map<std::string, std::size_t> packages;
    for (auto& ju : j["units"]) {
        std::string id = ju["pkg_id"];
        if (!packages.count(id)) {
            Package p;
            auto hash = id.find('#');
            p.source = id.substr(0, hash);
            std::string rest = id.substr(hash + 1);
            auto at = rest.find('@');
            if (at == std::string::npos) {
                p.name = fs::path(p.source).filename();
                p.version = rest;
            } else {
                p.name = rest.substr(0, at);
                p.version = rest.substr(at + 1);
            }
            p.local = p.source.rfind("path+file://", 0) == 0;
            p.dir = p.local ? p.source.substr(12) : vendor + "/" + p.name + "-" + p.version;
            p.manifest = readManifest(p.dir + "/Cargo.toml");
            packages[id] = g.packages.size();
            g.packages.push_back(p);
        }
        Unit u;
        u.package = packages[id];
        Package& p = g.packages[u.package];
        auto& jt = ju["target"];
        std::string kind = jt["kind"][0];
        u.target.kind = kind == "bin"            ? TargetKind::Bin
                        : kind == "test"         ? TargetKind::Test
                        : kind == "bench"        ? TargetKind::Bench
                        : kind == "example"      ? TargetKind::Example
                        : kind == "custom-build" ? TargetKind::CustomBuild
                                                 : TargetKind::Lib;
        u.target.crateTypes = jt["crate_types"].get<std::vector<std::string>>();
        u.target.name = jt["name"];
        u.target.path = jt["src_path"].get<std::string>().substr(p.dir.size() + 1);
        u.target.edition = jt["edition"];
        auto& jp = ju["profile"];
        u.profile.name = jp["name"];
        u.profile.optLevel = jp["opt_level"];
        u.profile.lto = jp["lto"];
        if (!jp["codegen_units"].is_null()) u.profile.codegenUnits = jp["codegen_units"];
        // Named levels print as names; cargo's JSON does not say the profile's root.
        u.profile.debuginfo = jp["debuginfo"].is_number()             ? jp["debuginfo"].get<int>()
                              : jp["debuginfo"] == "line-tables-only" ? debugLineTablesOnly
                                                                      : debugLineDirectivesOnly;
        u.profile.root = u.profile.name == "dev" || u.profile.name == "test" ? "debug" : "release";
        u.profile.debugAssertions = jp["debug_assertions"];
        u.profile.overflowChecks = jp["overflow_checks"];
        u.profile.rpath = jp["rpath"];
        u.profile.panic = jp["panic"];
        std::string strip = jp["strip"].dump();
        std::smatch m;
        u.profile.strip =
            std::regex_search(strip, m, std::regex("\"Named\":\"([a-z]+)\"")) ? m[1].str() : "none";
        std::string mode = ju["mode"];
        u.mode = mode == "test"               ? CompileMode::Test
                 : mode == "run-custom-build" ? CompileMode::RunCustomBuild
                                              : CompileMode::Build;
        u.host = u.target.kind == TargetKind::CustomBuild || u.target.procMacro();
        u.features = ju["features"].get<std::vector<std::string>>();
        for (auto& d : ju["dependencies"])
            u.deps.push_back({d["index"].get<std::size_t>(), d["extern_crate_name"],
                              d.value("noprelude", false), d.value("public", false)});
        char meta[17];
        std::snprintf(meta, sizeof meta, "%016zx", 0x1000 + g.units.size());
        u.metadata = meta;
        if (u.mode == CompileMode::Build &&
            std::none_of(p.targets.begin(), p.targets.end(), [&](const Target& t) {
                return t.kind == u.target.kind && t.name == u.target.name;
            }))
            p.targets.push_back(u.target);
        g.units.push_back(u);
    }
    for (auto& r : j["roots"]) {
        g.roots.push_back(r);
        g.units[r].root = true;
    }
    return g;
}

// Arguments with what may differ set aside: paths into target/ or into the store, hash values,
// cargo's JSON diagnostics and dep-info, ferrix's remapping.
std::vector<std::string> normalise(const std::vector<std::string>& args) {
    static const std::regex hash("-[0-9a-f]{16}\\.");
    std::vector<std::string> r;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--error-format=", 0) == 0 || a.rfind("--json=", 0) == 0 ||
            a.rfind("--remap-path-prefix=", 0) == 0 || a.rfind("--diagnostic-width=", 0) == 0)
            continue;
        if (a == "--emit=dep-info,metadata,link")
            r.push_back("--emit=metadata,link");
        else if (a == "--emit=dep-info,link")
            r.push_back("--emit=link");
        else if (a.rfind("metadata=", 0) == 0 && i > 0 && args[i - 1] == "-C")
            r.push_back("metadata=#");
        else if (a.rfind("extra-filename=", 0) == 0 && i > 0 && args[i - 1] == "-C")
            r.push_back("extra-filename=#");
        else if (i > 0 && args[i - 1] == "--out-dir")
            r.push_back("#");
        else if (a.rfind("dependency=", 0) == 0 && i > 0 && args[i - 1] == "-L") {
            // Cargo has one deps directory, ferrix one per library: one entry stands for all.
            if (r.size() >= 3 && r[r.size() - 1] == "-L" && r[r.size() - 2] == "dependency=#" &&
                r[r.size() - 3] == "-L")
                r.pop_back();
            else
                r.push_back("dependency=#");
        } else if (i > 0 && args[i - 1] == "--extern" && a.find('=') != std::string::npos) {
            auto eq = a.find('=');
            std::string file = fs::path(a.substr(eq + 1)).filename();
            r.push_back(a.substr(0, eq + 1) + std::regex_replace(file, hash, "."));
        } else
            r.push_back(a);
    }
    return r;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v)
        s += (s.empty() ? "" : " ") + x;
    return s;
}

// The variables cargo set for a process, from its whole environment: those that differ from the
// test's own, but for cargo's jobserver, rustup's and the test's own plumbing.
std::map<std::string, std::string> cargoSet(const std::map<std::string, std::string>& env) {
    static const std::set<std::string> ignored = {"CARGO_HOME",      "CARGO_MAKEFLAGS",
                                                  "LD_LIBRARY_PATH", "RUST_RECURSION_COUNT",
                                                  "RUSTC_WRAPPER",   "RX_LOG",
                                                  "RUSTFLAGS",       "CARGO_TARGET_DIR",
                                                  "RUSTC_BOOTSTRAP", "PWD",
                                                  "OLDPWD",          "_"};
    std::map<std::string, std::string> r;
    for (auto& [k, v] : env) {
        // PATH and PYENV_*: what a python3 shim may set on its way to the wrapper.
        if (ignored.count(k) || k.rfind("RUSTUP_", 0) == 0 || k.rfind("CTEST_", 0) == 0 ||
            k == "PATH" || k.find("PYENV_") != std::string::npos)
            continue;
        const char* mine = std::getenv(k.c_str());
        if (mine && v == mine) continue;
        r[k] = v;
    }
    return r;
}

// Values naming places in target/ or in ferrix's outputs.
std::string normaliseValue(const std::string& k, const std::string& v) {
    if (k == "OUT_DIR") return "#/" + fs::path(v).filename().string();
    if (k == "CARGO_TARGET_TMPDIR") return "#";
    if (k.rfind("CARGO_BIN_EXE_", 0) == 0) return "#/" + fs::path(v).filename().string();
    return v;
}

// The variables on which two environments differ, "" when none.
std::string envDiff(const std::map<std::string, std::string>& ours,
                    const std::map<std::string, std::string>& theirs) {
    std::string r;
    for (auto& [k, v] : ours)
        if (!theirs.count(k))
            r += "\n  only ferrix: " + k + "=" + v;
        else if (theirs.at(k) != v)
            r += "\n  " + k + ": ferrix " + v + ", cargo " + theirs.at(k);
    for (auto& [k, v] : theirs)
        if (!ours.count(k)) r += "\n  only cargo: " + k + "=" + v;
    return r;
}

struct Record {
    std::vector<std::string> args;
    std::string cwd;
    std::map<std::string, std::string> env;
};

struct Project {
    fs::path dir;
    std::string command; // "build" or "test --no-run"
    std::vector<std::string> rustflags;
    bool everyUnit = true; // a fresh target directory: cargo compiles every unit
    // Also compare the invocations made from ferrix's own unit graph (lib/cargo/units.cc).
    bool ferrixGraph = true;
};

class Oracle : public ::testing::Test {
protected:
    static inline fs::path root, vendor;
    static inline bool ready = false, reuse = false;

    static void SetUpTestSuite() {
        for (auto& c : crates)
            if (!fs::exists(registry + "/" + c + "/Cargo.toml")) return;
        root = fs::path(tmp()) / "oracle";
        vendor = root / "vendor";
        reuse = std::getenv("FERRIX_ORACLE_REUSE") && fs::exists(root / "wrap.py");
        if (reuse) {
            ready = true;
            return;
        }
        fs::remove_all(root);
        fs::create_directories(vendor);
        for (auto& c : crates) {
            // Directory sources want a checksum file in each crate: a copy (cargo builds as
            // root, and a build script writing into its directory must not reach Debian's
            // files) with a checksum file of our own.
            run("cp -r " + quote(registry + "/" + c) + " " + quote(vendor.string()));
            fs::remove(vendor / c / ".cargo-checksum.json");
            write(vendor / c / ".cargo-checksum.json", "{\"files\":{},\"package\":\"\"}");
        }
        write(root / "wrap.py", R"(#!/usr/bin/env python3
import json, os, sys
if "--crate-name" in sys.argv and "___" not in sys.argv:
    with open(os.environ["RX_LOG"], "a") as f:
        f.write(json.dumps({"args": sys.argv[2:], "cwd": os.getcwd(), "env": dict(os.environ)}) + "\n")
os.execv(sys.argv[1], sys.argv[1:])
)");
        fs::permissions(root / "wrap.py", fs::perms::owner_all, fs::perm_options::add);
        ready = true;
    }

    void SetUp() override {
        if (!ready) GTEST_SKIP() << "Debian's crates are not all in " << registry;
    }

    static void configure(const fs::path& dir) {
        write(dir / ".cargo/config.toml", "[source.crates-io]\nreplace-with = \"v\"\n"
                                          "[source.v]\ndirectory = \"" +
                                              vendor.string() + "\"\n");
    }

    // Builds PROJECT with cargo and compares every rustc it ran with ferrix's invocation of the
    // same unit; returns the graph and the records for further checks.
    void compare(const Project& project, UnitGraph& cargoGraph, std::vector<Record>& records,
                 InvocationOptions& o, const fs::path& target) {
        std::string flags;
        for (auto& f : project.rustflags)
            flags += (flags.empty() ? "" : " ") + f;
        std::string env = "cd " + quote(project.dir.string()) +
                          " && CARGO_TARGET_DIR=" + quote(target.string()) +
                          " RUSTFLAGS=" + quote(flags) + " ";
        std::string graph = run(env + "RUSTC_BOOTSTRAP=1 cargo " + project.command +
                                " --release --offline --unit-graph -Z unstable-options");
        fs::path log = target.string() + "-" + project.command.substr(0, 4) + ".jsonl";
        // FERRIX_ORACLE_REUSE=1 takes the runs of the last time (a quicker loop while working).
        if (!reuse) fs::remove(log);
        if (!reuse)
            run(env + "RX_LOG=" + quote(log.string()) +
                " RUSTC_WRAPPER=" + quote((root / "wrap.py").string()) + " cargo " +
                project.command + " --release --offline -v 2>&1 >/dev/null");
        cargoGraph = fromCargo(json::parse(graph), vendor.string());
        std::ifstream in(log);
        for (std::string line; std::getline(in, line);) {
            auto j = json::parse(line);
            if (j["args"].size() > 2 && j["args"][2] == "___") continue; // cargo's probe
            records.push_back({j["args"], j["cwd"], j["env"]});
        }
        ASSERT_FALSE(records.empty());
        o.workspaceRoot = project.dir.string();
        o.cargo = records[0].env.at("CARGO");
        o.hostTriple = run("rustc -vV | sed -n 's/^host: //p'");
        o.hostTriple.pop_back();
        o.targetTriple = o.hostTriple;
        o.hostCfg = o.targetCfg = hostCfg();
        o.rustflags = project.rustflags;

        // Each graph's invocations against cargo's runs.
        auto check = [&](const UnitGraph& g, const std::string& which) {
            // Where cargo put each build script run's output: target/release/build/NAME-*/output.
            auto scriptOutput = [&](std::size_t u) -> std::string {
                const std::string& name = g.packages[g.units[u].package].name;
                for (auto& e : fs::directory_iterator(target / "release/build"))
                    if (e.path().filename().string().rfind(name + "-", 0) == 0 &&
                        e.path().filename().string().size() == name.size() + 17 &&
                        fs::exists(e.path() / "output"))
                        return read(e.path() / "output");
                ADD_FAILURE() << "no build script output for " << name;
                return "";
            };
            auto outputs = [](std::size_t u) { return "/ferrix/out/" + std::to_string(u); };

            std::vector<bool> matched(records.size());
            std::size_t units = 0;
            for (std::size_t u = 0; u < g.units.size(); ++u) {
                const Unit& unit = g.units[u];
                if (unit.mode != CompileMode::Build && unit.mode != CompileMode::Test) continue;
                Invocation inv = compileInvocation(g, u, outputs, outputs(u), o);
                // The build side's part: the scripts' directives, in the order given.
                std::vector<std::string> args = inv.args;
                const BuildScriptUse* own = nullptr;
                for (auto& use : inv.scripts) {
                    Directives d = directives(scriptOutput(use.unit));
                    for (auto& s : d.linkSearch)
                        args.insert(args.end(), {"-L", s});
                    if (use.what != BuildScriptUse::What::Own) continue;
                    own = &use;
                    if (use.linkLibs)
                        for (auto& l : d.linkLibs)
                            args.insert(args.end(), {"-l", l});
                    for (auto& a : d.linkArgs)
                        args.insert(args.end(), {"-C", "link-arg=" + a});
                }
                if (own) {
                    Directives d = directives(scriptOutput(own->unit));
                    for (auto& c : d.cfgs)
                        args.insert(args.end(), {"--cfg", c});
                    for (auto& c : d.checkCfgs)
                        args.insert(args.end(), {"--check-cfg", c});
                }
                auto mine = normalise(args);
                std::size_t found = records.size();
                for (std::size_t r = 0; r < records.size(); ++r)
                    if (!matched[r] && normalise(records[r].args) == mine) found = r;
                if (found == records.size()) {
                    if (!project.everyUnit) continue; // fresh from an earlier build
                    std::string near;
                    for (auto& r : records)
                        if (r.args.size() > 3 && r.args[1] == inv.args[1] &&
                            r.args[3] == inv.args[3])
                            near += "\n  cargo:  " + joined(normalise(r.args));
                    ADD_FAILURE() << "no rustc run of cargo matches ferrix's for unit " << u << " ("
                                  << g.packages[unit.package].name << " " << unit.target.name
                                  << ")\n  ferrix: " << joined(mine) << near;
                    continue;
                }
                matched[found] = true;
                ++units;
                const Record& rec = records[found];
                EXPECT_EQ(inv.cwd, rec.cwd) << "the directory of " << inv.args[1];
                std::map<std::string, std::string> theirs, ours;
                for (auto& [k, v] : cargoSet(rec.env))
                    theirs[k] = normaliseValue(k, v);
                for (auto& [k, v] : inv.env)
                    ours[k] = normaliseValue(k, v);
                EXPECT_EQ(envDiff(ours, theirs), "")
                    << "the environment of " << inv.args[1] << " (" << inv.args[3] << ")";
            }
            for (std::size_t r = 0; r < records.size(); ++r)
                EXPECT_TRUE(matched[r]) << "ferrix has no unit running " << joined(records[r].args);
            EXPECT_GT(units, 0u);
            std::cout << project.dir.filename().string() << " (cargo " << project.command << ", "
                      << which << "): " << units << " rustc runs compared\n";
        };
        check(cargoGraph, "cargo's unit graph");
        // Then ferrix's own graph (lib/cargo/units.cc) of the same project, from the crates at
        // hand and the Cargo.lock cargo wrote.
        std::vector<CrateSource> crateSources;
        for (auto& c : crates)
            crateSources.push_back({(vendor / c).string(), "", ""});
        UnitGraphOptions go;
        go.hostTriple = go.targetTriple = o.hostTriple;
        go.hostCfg = go.targetCfg = o.hostCfg;
        go.hostCfg.addRustflags(project.rustflags);
        go.targetCfg.addRustflags(project.rustflags);
        go.tests = project.command.rfind("test", 0) == 0;
        std::string version = run("cargo --version");
        go.cargoVersion = version.substr(6, version.find(' ', 6) - 6);
        if (project.ferrixGraph)
            check(unitGraph(project.dir.string(), crateSources, go), "ferrix's unit graph");
    }
};

// The wordfreq example (clap, regex, serde_json), with distribution rustflags and a release
// profile that sets what the default one leaves out (thin LTO, panic, debuginfo, checks, a
// package override and build-override).
TEST_F(Oracle, Wordfreq) {
    fs::path dir = root / "wordfreq";
    if (!reuse)
        fs::copy(fs::path(FERRIX_SOURCE_DIR) / "examples/wordfreq", dir,
                 fs::copy_options::recursive);
    configure(dir);
    UnitGraph g;
    std::vector<Record> records;
    InvocationOptions o;
    compare({dir, "build", {"-C", "target-cpu=x86-64", "--cfg", "ferrix_flag"}, true, true}, g,
            records, o, root / "target-wordfreq");
    EXPECT_GE(records.size(), 15u);
}

// Then with a release profile that sets what the default one leaves out: thin LTO, panic,
// debuginfo, checks, strip, a package override and build-override. Cargo's graph only: ferrix's
// (lib/cargo/units.cc) still gives the overridden units the profile's `strip`, which cargo's
// drops.
TEST_F(Oracle, WordfreqProfile) {
    fs::path dir = root / "wordfreq-profile";
    if (!reuse) {
        fs::copy(fs::path(FERRIX_SOURCE_DIR) / "examples/wordfreq", dir,
                 fs::copy_options::recursive);
        std::ofstream(dir / "Cargo.toml", std::ios::app)
            << "\n[profile.release]\nlto = \"thin\"\ncodegen-units = 4\ndebug = 1\n"
               "panic = \"abort\"\noverflow-checks = true\nstrip = \"symbols\"\n"
               "[profile.release.package.regex-syntax]\nopt-level = \"s\"\n"
               "[profile.release.build-override]\nopt-level = 1\n";
    }
    configure(dir);
    UnitGraph g;
    std::vector<Record> records;
    InvocationOptions o;
    compare({dir, "build", {}, true, false}, g, records, o, root / "target-wordfreq-profile");
    EXPECT_GE(records.size(), 15u);
}

// Named debug levels (cargo 1.71+): rustc gets the name, build-time units theirs; from either
// graph.
TEST_F(Oracle, NamedDebugLevels) {
    fs::path dir = root / "ws-debug";
    if (!reuse) {
        fs::copy(fs::path(FERRIX_SOURCE_DIR) / "tests/cargo/invocation-ws", dir,
                 fs::copy_options::recursive);
        std::ofstream(dir / "Cargo.toml", std::ios::app)
            << "\n[profile.release]\ndebug = \"line-tables-only\"\n"
               "[profile.release.package.links-a]\ndebug = \"limited\"\n"
               "[profile.release.build-override]\ndebug = \"line-directives-only\"\n";
    }
    configure(dir);
    UnitGraph g;
    std::vector<Record> records;
    InvocationOptions o;
    compare({dir, "build", {}, true, true}, g, records, o, root / "target-ws-debug");
    std::set<std::string> levels;
    for (auto& r : records)
        for (auto& a : r.args)
            if (a.rfind("debuginfo=", 0) == 0) levels.insert(a);
    EXPECT_EQ(levels, (std::set<std::string>{"debuginfo=1", "debuginfo=line-directives-only",
                                             "debuginfo=line-tables-only"}));
}

// A workspace: a binary whose dependencies have build scripts (one with `links`, whose DEP_
// variables a dependent's script reads), a proc-macro (serde_derive), a -sys crate linking the
// host's zlib (libz-sys), features, optional dependencies, a prerelease version, package
// metadata; then its tests.
TEST_F(Oracle, Workspace) {
    fs::path dir = root / "ws";
    if (!reuse)
        fs::copy(fs::path(FERRIX_SOURCE_DIR) / "tests/cargo/invocation-ws", dir,
                 fs::copy_options::recursive);
    configure(dir);

    UnitGraph g;
    std::vector<Record> records;
    InvocationOptions o;
    fs::path target = root / "target-ws";
    compare({dir, "build", {}, true, true}, g, records, o, target);
    // The build scripts' runs: their environment as they saw it.
    o.jobs = (int)std::thread::hardware_concurrency();
    std::size_t runs = 0;
    for (std::size_t u = 0; u < g.units.size(); ++u) {
        if (g.units[u].mode != CompileMode::RunCustomBuild) continue;
        const Package& p = g.packages[g.units[u].package];
        if (!p.local) continue;
        fs::path outDir;
        for (auto& e : fs::directory_iterator(target / "release/build"))
            if (e.path().filename().string().rfind(p.name + "-", 0) == 0 &&
                fs::exists(e.path() / "out/env"))
                outDir = e.path();
        ASSERT_FALSE(outDir.empty()) << p.name;
        auto outputs = [](std::size_t u) { return "/ferrix/out/" + std::to_string(u); };
        std::string text = read(outDir / "out/env");
        std::size_t at = 0;
        std::map<std::string, std::string> all;
        for (std::size_t z; (z = text.find('\0', at)) != std::string::npos; at = z + 1) {
            std::string kv = text.substr(at, z - at);
            all[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
        }
        // What cargo names the tools by are inputs (a toolchain's paths, in ferrix).
        o.rustc = all["RUSTC"];
        o.rustdoc = all["RUSTDOC"];
        Invocation inv = buildScriptInvocation(g, u, outputs, outDir.string(), o);
        std::map<std::string, std::string> theirs, ours;
        for (auto& [k, v] : cargoSet(all))
            if (k != "NUM_JOBS") theirs[k] = v;
        for (auto& [k, v] : inv.env)
            if (k != "NUM_JOBS") ours[k] = v;
        // The DEP_ variables the build side sets from the dependencies' saved metadata.
        for (auto& use : inv.scripts) {
            ASSERT_EQ(use.what, BuildScriptUse::What::Metadata);
            std::string output;
            for (auto& e : fs::directory_iterator(target / "release/build"))
                if (e.path().filename().string().rfind(
                        g.packages[g.units[use.unit].package].name + "-", 0) == 0 &&
                    fs::exists(e.path() / "output"))
                    output = read(e.path() / "output");
            for (auto& [k, v] : directives(output).metadata)
                ours["DEP_" + envify(use.links) + "_" + envify(k)] = v;
        }
        EXPECT_EQ(envDiff(ours, theirs), "")
            << "the environment of " << p.name << "'s build script";
        // The script is the one the run's dependencies compile (not the first: cargo sorts).
        std::size_t compiled = g.units.size();
        for (auto& d : g.units[u].deps)
            if (g.units[d.unit].mode == CompileMode::Build &&
                g.units[d.unit].target.kind == TargetKind::CustomBuild)
                compiled = d.unit;
        EXPECT_EQ(inv.program,
                  "/ferrix/out/" + std::to_string(compiled) + "/bin/build-script-build");
        ++runs;
    }
    EXPECT_EQ(runs, 2u);

    // The tests, in the same target directory: only the test units are compiled again.
    UnitGraph tg;
    std::vector<Record> testRecords;
    InvocationOptions to;
    Project tests{dir, "test --no-run", {}, false, true};
    compare(tests, tg, testRecords, to, target);
    EXPECT_GE(testRecords.size(), 3u);
}

} // namespace
