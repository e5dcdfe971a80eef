// rustc's arguments and environment per unit, in the order cargo writes them (see invocation.hh).
#include "ferrix/cargo/invocation.hh"

#include "ferrix/cargo/build-script.hh"
#include "ferrix/cargo/semver.hh"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace ferrix::cargo {

namespace {

// Whether the cargo to mimic is at least MAJOR.MINOR; "" is the newest.
bool cargoAtLeast(const InvocationOptions& o, unsigned major, unsigned minor) {
    if (o.cargoVersion.empty()) return true;
    Version v = Version::parse(o.cargoVersion);
    return v.major > major || (v.major == major && v.minor >= minor);
}

bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// cargo's Target::for_host: compiled for the host whatever the target.
bool forHost(const Target& t) {
    return t.kind == TargetKind::CustomBuild || t.procMacro();
}

// A crate type whose output other crates link to (cargo's is_linkable).
bool linkable(const Unit& u) {
    if (u.target.kind != TargetKind::Lib || u.mode != CompileMode::Build) return false;
    for (auto& c : u.target.crateTypes)
        if (c == "lib" || c == "rlib" || c == "dylib" || c == "proc-macro") return true;
    return false;
}

// cargo's Unit::requires_upstream_objects: whether dependencies' metadata is not enough.
bool requiresUpstreamObjects(const Unit& u) {
    if (u.mode == CompileMode::Test || u.mode == CompileMode::Doctest) return true;
    if (u.target.kind != TargetKind::Lib) return true;
    for (auto& c : u.target.crateTypes)
        if (c != "lib" && c != "rlib") return true;
    return false;
}

std::string libFile(const Unit& u, const std::string& ext) {
    return "lib/lib" + u.target.crateName() + "-" + u.metadata + ext;
}

// cargo's lto.rs: what each unit must produce (objects, bitcode or both) follows from the roots
// that need it, so a library's flags depend on who links it.
enum class Lto { Run, RunNamed, Off, ObjectAndBitcode, OnlyBitcode, OnlyObject };
struct LtoState {
    Lto lto;
    std::string name; // RunNamed: "thin", "fat"
};

bool canLto(const std::string& crateType) {
    return crateType == "bin" || crateType == "staticlib" || crateType == "cdylib";
}
bool isDynamic(const std::string& crateType) {
    return crateType == "dylib" || crateType == "cdylib" || crateType == "proc-macro";
}
std::vector<std::string> rustcCrateTypes(const Unit& u) {
    if (u.mode == CompileMode::Test || u.mode == CompileMode::Doctest) return {"bin"};
    return u.target.crateTypes;
}
bool needsObject(const std::vector<std::string>& types) {
    return std::any_of(types.begin(), types.end(),
                       [](auto& t) { return canLto(t) || isDynamic(t); });
}
LtoState ltoWhenNeedsObject(const std::vector<std::string>& types) {
    if (std::all_of(types.begin(), types.end(), [](auto& t) { return t == "dylib"; }))
        return {Lto::OnlyObject, ""};
    return {Lto::ObjectAndBitcode, ""};
}
LtoState ofProfile(const Profile& p) {
    if (p.lto == "false") return {Lto::OnlyObject, ""};
    if (p.lto == "off") return {Lto::Off, ""};
    if (p.lto == "true") return {Lto::Run, ""};
    return {Lto::RunNamed, p.lto};
}
LtoState merge(const LtoState& a, const LtoState& b) {
    if (a.lto == b.lto && a.name == b.name) return a;
    auto objectOrBitcode = [](Lto l) { return l == Lto::OnlyBitcode || l == Lto::OnlyObject; };
    // A unit both a bitcode-only and an object-only parent need must give both.
    if (objectOrBitcode(a.lto) && objectOrBitcode(b.lto)) return {Lto::ObjectAndBitcode, ""};
    if (a.lto == Lto::ObjectAndBitcode && objectOrBitcode(b.lto)) return a;
    if (b.lto == Lto::ObjectAndBitcode && objectOrBitcode(a.lto)) return b;
    return a; // conflicting Run/Off states come from one profile in practice
}

void ltoOf(const UnitGraph& g, std::size_t u, LtoState parent, std::map<std::size_t, LtoState>& m) {
    const Unit& unit = g.units[u];
    auto types = rustcCrateTypes(unit);
    bool allLto = !types.empty() && std::all_of(types.begin(), types.end(), canLto);
    LtoState l;
    if (forHost(unit.target))
        l = {Lto::OnlyObject, ""};
    else if (allLto)
        l = ofProfile(unit.profile);
    else {
        bool obj = needsObject(types);
        bool run = parent.lto == Lto::Run || parent.lto == Lto::RunNamed;
        if (run && !obj)
            l = {Lto::OnlyBitcode, ""};
        else if ((run || parent.lto == Lto::OnlyBitcode) && obj)
            l = ltoWhenNeedsObject(types);
        else if (parent.lto == Lto::Off)
            l = {Lto::Off, ""};
        else
            l = parent;
    }
    auto it = m.find(u);
    if (it != m.end()) {
        LtoState merged = merge(it->second, l);
        if (merged.lto == it->second.lto && merged.name == it->second.name) return;
        it->second = merged;
    } else
        it = m.emplace(u, l).first;
    LtoState now = it->second;
    for (auto& d : unit.deps)
        ltoOf(g, d.unit, now, m);
}

LtoState unitLto(const UnitGraph& g, std::size_t u) {
    std::map<std::size_t, LtoState> m;
    std::vector<std::size_t> roots = g.roots;
    if (roots.empty())
        for (std::size_t i = 0; i < g.units.size(); ++i)
            if (g.units[i].root) roots.push_back(i);
    for (auto r : roots) {
        const Unit& unit = g.units[r];
        LtoState l;
        if (unit.profile.lto == "false")
            l = {Lto::OnlyObject, ""};
        else if (unit.profile.lto == "off")
            l = {Lto::Off, ""};
        else if (forHost(unit.target))
            l = {Lto::OnlyObject, ""};
        else if (needsObject(rustcCrateTypes(unit)))
            l = ltoWhenNeedsObject(rustcCrateTypes(unit));
        else
            l = {Lto::OnlyBitcode, ""};
        ltoOf(g, r, l, m);
    }
    auto it = m.find(u);
    return it == m.end() ? ofProfile(g.units[u].profile) : it->second;
}

std::vector<std::string> ltoArgs(const LtoState& l) {
    switch (l.lto) {
    case Lto::Run:
        return {"-C", "lto"};
    case Lto::RunNamed:
        return {"-C", "lto=" + l.name};
    case Lto::Off:
        return {"-C", "lto=off"};
    case Lto::ObjectAndBitcode:
        return {};
    case Lto::OnlyBitcode:
        return {"-C", "linker-plugin-lto"};
    case Lto::OnlyObject:
        return {"-C", "embed-bitcode=no"};
    }
    return {};
}

// The package's features as cargo's summary has them, sorted: [features] and the implicit
// feature of each optional dependency no `dep:` names.
std::vector<std::string> declaredFeatures(const Manifest& m) {
    std::set<std::string> names;
    std::set<std::string> depNamed;
    for (auto& [name, values] : m.features) {
        names.insert(name);
        for (auto& v : values)
            if (v.rfind("dep:", 0) == 0) depNamed.insert(v.substr(4));
    }
    for (auto& d : m.dependencies)
        if (d.optional && !depNamed.count(d.key)) names.insert(d.key);
    return {names.begin(), names.end()};
}

bool primaryPackage(const UnitGraph& g, std::size_t pkg) {
    for (auto r : g.roots)
        if (g.units[r].package == pkg) return true;
    for (auto& u : g.units)
        if (u.root && u.package == pkg) return true;
    return false;
}

std::string readmeOf(const Package& p) {
    if (p.manifest.readme) return *p.manifest.readme;
    for (const char* f : {"README.md", "README.txt", "README"})
        if (std::filesystem::is_regular_file(std::filesystem::path(p.dir) / f)) return f;
    return "";
}

// compilation.rs's fill_env: what every rustc and build script of the package sees.
void packageEnv(const Package& p, const InvocationOptions& o,
                std::map<std::string, std::string>& env) {
    const Manifest& m = p.manifest;
    Version v = Version::parse(p.version);
    env["CARGO"] = o.cargo;
    env["CARGO_MANIFEST_DIR"] = p.dir;
    if (cargoAtLeast(o, 1, 80)) env["CARGO_MANIFEST_PATH"] = p.dir + "/Cargo.toml";
    env["CARGO_PKG_VERSION_MAJOR"] = std::to_string(v.major);
    env["CARGO_PKG_VERSION_MINOR"] = std::to_string(v.minor);
    env["CARGO_PKG_VERSION_PATCH"] = std::to_string(v.patch);
    std::string pre;
    for (auto& id : v.pre)
        pre += (pre.empty() ? "" : ".") + id;
    env["CARGO_PKG_VERSION_PRE"] = pre;
    env["CARGO_PKG_VERSION"] = p.version;
    env["CARGO_PKG_NAME"] = p.name;
    env["CARGO_PKG_DESCRIPTION"] = m.description;
    env["CARGO_PKG_HOMEPAGE"] = m.homepage;
    env["CARGO_PKG_REPOSITORY"] = m.repository;
    env["CARGO_PKG_LICENSE"] = m.license;
    env["CARGO_PKG_LICENSE_FILE"] = m.licenseFile;
    std::string authors;
    for (auto& a : m.authors)
        authors += (authors.empty() ? "" : ":") + a;
    env["CARGO_PKG_AUTHORS"] = authors;
    if (cargoAtLeast(o, 1, 64)) env["CARGO_PKG_RUST_VERSION"] = m.rustVersion;
    env["CARGO_PKG_README"] = readmeOf(p);
}

Invocation finish(std::map<std::string, std::string> env) {
    Invocation inv;
    inv.env.assign(env.begin(), env.end()); // a map: sorted by name
    return inv;
}

// The run-custom-build unit of `u`'s own package among its dependencies, if any.
std::optional<std::size_t> ownScriptRun(const UnitGraph& g, const Unit& u) {
    for (auto& d : u.deps) {
        const Unit& dep = g.units[d.unit];
        if (dep.mode == CompileMode::RunCustomBuild && dep.package == u.package) return d.unit;
    }
    return std::nullopt;
}

// custom_build.rs's to_link: the unit's own script first, then its linkable dependencies' (host
// targets excluded: their scripts only matter to the host), recursively, each once. Dependencies
// are visited by package id, as cargo sorts them.
// Memoised by unit: a unit's list is its dependents' prefix, and graphs share much.
const std::vector<std::size_t>&
scriptsToLink(const UnitGraph& g, std::size_t u,
              std::map<std::size_t, std::vector<std::size_t>>& memo) {
    if (auto it = memo.find(u); it != memo.end()) return it->second;
    const Unit& unit = g.units[u];
    std::vector<std::size_t> out;
    std::set<std::size_t> seen;
    if (unit.target.kind != TargetKind::CustomBuild)
        if (auto run = ownScriptRun(g, unit)) {
            seen.insert(*run);
            out.push_back(*run);
        }
    std::vector<std::size_t> deps;
    for (auto& d : unit.deps)
        deps.push_back(d.unit);
    auto key = [&](std::size_t i) {
        const Package& p = g.packages[g.units[i].package];
        return std::make_tuple(p.name, Version::parse(p.version), p.source);
    };
    std::stable_sort(deps.begin(), deps.end(), [&](std::size_t a, std::size_t b) {
        auto ka = key(a), kb = key(b);
        if (std::get<0>(ka) != std::get<0>(kb)) return std::get<0>(ka) < std::get<0>(kb);
        int c = compare(std::get<1>(ka), std::get<1>(kb));
        if (c != 0) return c < 0;
        return std::get<2>(ka) < std::get<2>(kb);
    });
    for (auto d : deps) {
        const Unit& dep = g.units[d];
        if (forHost(dep.target) || !linkable(dep)) continue;
        for (auto s : scriptsToLink(g, d, memo))
            if (seen.insert(s).second) out.push_back(s);
    }
    return memo[u] = std::move(out);
}

// The libraries `u` may reach through its dependencies' metadata: those rustc must find with
// `-L dependency=`, in graph order.
std::vector<std::size_t> libraryClosure(const UnitGraph& g, std::size_t u) {
    std::set<std::size_t> seen;
    std::vector<std::size_t> stack;
    for (auto& d : g.units[u].deps)
        stack.push_back(d.unit);
    while (!stack.empty()) {
        std::size_t i = stack.back();
        stack.pop_back();
        if (!linkable(g.units[i]) || !seen.insert(i).second) continue;
        for (auto& d : g.units[i].deps)
            stack.push_back(d.unit);
    }
    return {seen.begin(), seen.end()};
}

std::string outputDir(const Unit& u) {
    return u.target.kind == TargetKind::Lib && u.mode == CompileMode::Build ? "lib" : "bin";
}

bool unitIsHost(const Unit& u) {
    return u.host || forHost(u.target);
}

// path_args: a local package's source relative to the workspace root, which is the cwd. A
// package moved to an item of its own runs there, its files named as from the root.
std::pair<std::string, std::string> sourceAndDirectory(const Package& pkg, const Unit& unit,
                                                       const InvocationOptions& o) {
    std::string root = o.workspaceRoot.empty() ? pkg.dir : o.workspaceRoot;
    std::string src = pkg.dir + "/" + unit.target.path;
    std::string cwd = pkg.dir;
    if (pkg.local && !pkg.workspacePath.empty()) {
        if (pkg.workspacePath == ".") src = unit.target.path;
    } else if (pkg.local && src.rfind(root + "/", 0) == 0) {
        src = src.substr(root.size() + 1);
        cwd = root;
    }
    return {src, cwd};
}

} // namespace

Invocation compileInvocation(const UnitGraph& g, std::size_t u, const UnitOutputs& outputs,
                             const std::string& outDir, const InvocationOptions& o) {
    const Unit& unit = g.units.at(u);
    const Package& pkg = g.packages.at(unit.package);
    const Profile& p = unit.profile;
    bool test = unit.mode == CompileMode::Test;
    bool host = unitIsHost(unit);
    bool newCargo = cargoAtLeast(o, 1, 80);

    std::string root = o.workspaceRoot.empty() ? pkg.dir : o.workspaceRoot;
    auto [src, cwd] = sourceAndDirectory(pkg, unit, o);

    std::vector<std::string> a;
    auto arg = [&](std::initializer_list<std::string> xs) { a.insert(a.end(), xs); };
    arg({"--crate-name", unit.target.crateName()});
    arg({"--edition=" + (unit.target.edition.empty() ? "2015" : unit.target.edition)});
    arg({src});
    // Diagnostics stay rustc's human ones: the build log is read by people, not by cargo.
    if (!test)
        for (auto& t : unit.target.crateTypes)
            arg({"--crate-type", t});
    // No dep-info: outputs hold what dependents use, nothing about the build directory.
    arg({requiresUpstreamObjects(unit) ? "--emit=link" : "--emit=metadata,link"});
    bool dylib = has(unit.target.crateTypes, "dylib");
    if ((forHost(unit.target) && unit.target.kind != TargetKind::CustomBuild) ||
        (dylib && !primaryPackage(g, unit.package)))
        arg({"-C", "prefer-dynamic"});
    if (p.optLevel != "0") arg({"-C", "opt-level=" + p.optLevel});
    if (p.panic != "unwind") arg({"-C", "panic=" + p.panic});
    for (auto& x : ltoArgs(unitLto(g, u)))
        a.push_back(x);
    if (p.codegenUnits) arg({"-C", "codegen-units=" + std::to_string(*p.codegenUnits)});
    if (p.debuginfo != 0) arg({"-C", "debuginfo=" + debuginfoValue(p.debuginfo)});
    // Outputs must not name where they were built: the build directory and the package's
    // directory (a store item for registry crates, the build tree for local ones), as cargo's
    // trim-paths would name them.
    if (!o.buildDir.empty() && o.buildDir != "/build")
        arg({"--remap-path-prefix=" + o.buildDir + "=/build"});
    if (pkg.local && !pkg.workspacePath.empty())
        arg({"--remap-path-prefix=" + pkg.dir + "=" + pkg.workspacePath});
    else if (pkg.local)
        arg({"--remap-path-prefix=" + root + "=."});
    else
        arg({"--remap-path-prefix=" + pkg.dir + "=" + pkg.name + "-" + pkg.version});
    // -C overflow-checks follows -C debug-assertions unless told otherwise.
    if (p.optLevel != "0") {
        if (p.debugAssertions) {
            arg({"-C", "debug-assertions=on"});
            if (!p.overflowChecks) arg({"-C", "overflow-checks=off"});
        } else if (p.overflowChecks)
            arg({"-C", "overflow-checks=on"});
    } else if (!p.debugAssertions) {
        arg({"-C", "debug-assertions=off"});
        if (p.overflowChecks) arg({"-C", "overflow-checks=on"});
    } else if (!p.overflowChecks)
        arg({"-C", "overflow-checks=off"});
    if (test) {
        if (unit.target.harness)
            arg({"--test"});
        else
            arg({"--cfg", "test"});
    }
    for (auto& f : unit.features)
        arg({"--cfg", "feature=\"" + f + "\""});
    if (newCargo) {
        std::string values;
        for (auto& f : declaredFeatures(pkg.manifest))
            values += (values.empty() ? "\"" : ", \"") + f + "\"";
        arg({"--check-cfg", cargoAtLeast(o, 1, 85) ? "cfg(docsrs,test)" : "cfg(docsrs)"});
        arg({"--check-cfg", "cfg(feature, values(" + values + "))"});
    }
    arg({"-C", "metadata=" + unit.metadata, "-C", "extra-filename=-" + unit.metadata});
    if (p.rpath) arg({"-C", "rpath"});
    arg({"--out-dir", outDir + "/" + outputDir(unit)});
    bool crossTarget = o.crossCompile && !host;
    if (crossTarget) arg({"--target", o.targetTriple});
    if (crossTarget && !o.linker.empty()) arg({"-C", "linker=" + o.linker});
    if (p.strip != "none") arg({"-C", "strip=" + p.strip});

    // build_deps_args: where dependencies are, then each direct one by its extern name.
    // Cargo always names its deps directory, which is also where the unit writes; a unit
    // without libraries to find names its own output directory.
    // Pipelined: a unit needing only metadata finds pipelined libraries in their `meta` outputs.
    bool metaOnly = o.metadataOutputs && pipelined(g, u);
    auto libDir = [&](std::size_t d) {
        return metaOnly && pipelined(g, d) ? o.metadataOutputs(d) : outputs(d);
    };
    auto closure = libraryClosure(g, u);
    for (auto d : closure)
        arg({"-L", "dependency=" + libDir(d) + "/lib"});
    if (closure.empty()) arg({"-L", "dependency=" + outDir + "/" + outputDir(unit)});
    for (auto& d : unit.deps) {
        const Unit& dep = g.units[d.unit];
        if (!linkable(dep)) continue;
        std::string name = (d.noprelude ? "noprelude:" : "") + d.externName + "=";
        if (dep.target.procMacro())
            arg({"--extern", name + outputs(d.unit) + "/" + libFile(dep, ".so")});
        else if (!requiresUpstreamObjects(unit))
            arg({"--extern", name + libDir(d.unit) + "/" + libFile(dep, ".rmeta")});
        else
            arg({"--extern", name + outputs(d.unit) + "/" + libFile(dep, ".rlib")});
    }
    if (unit.target.procMacro()) arg({"--extern", "proc_macro"});
    if (!pkg.local) arg({"--cap-lints", "allow"});
    // RUSTFLAGS reach host units only when not cross-compiling, as in cargo.
    if (!(o.crossCompile && host)) a.insert(a.end(), o.rustflags.begin(), o.rustflags.end());

    std::map<std::string, std::string> env;
    packageEnv(pkg, o, env);
    env["CARGO_CRATE_NAME"] = unit.target.crateName();
    if (unit.target.kind == TargetKind::Bin ||
        (unit.target.kind == TargetKind::Example && has(unit.target.crateTypes, "bin")))
        env["CARGO_BIN_NAME"] = unit.target.name;
    if (primaryPackage(g, unit.package)) env["CARGO_PRIMARY_PACKAGE"] = "1";
    if (unit.target.kind == TargetKind::Test || unit.target.kind == TargetKind::Bench) {
        env["CARGO_TARGET_TMPDIR"] = o.buildDir + "/target/tmp";
        // Integration tests and benches run the package's binaries, which they depend on.
        for (auto& d : unit.deps) {
            const Unit& dep = g.units[d.unit];
            if (dep.target.kind == TargetKind::Bin && dep.package == unit.package)
                env["CARGO_BIN_EXE_" + dep.target.name] =
                    outputs(d.unit) + "/" + unitOutputFiles(g, d.unit).front();
        }
    }

    if (auto run = ownScriptRun(g, unit)) env["OUT_DIR"] = outputs(*run) + "/out";

    Invocation inv = finish(std::move(env));
    inv.program = o.rustc;
    inv.args = std::move(a);
    inv.cwd = cwd;
    std::map<std::size_t, std::vector<std::size_t>> memo;
    const auto& toLink = scriptsToLink(g, u, memo);
    bool packageHasLib = false;
    for (auto& t : pkg.targets)
        packageHasLib |= t.kind == TargetKind::Lib;
    for (auto s : toLink) {
        BuildScriptUse use{s, BuildScriptUse::What::LinkSearch, ""};
        if (g.units[s].package == unit.package) {
            use.what = BuildScriptUse::What::Own;
            use.linkLibs = unit.target.kind == TargetKind::Lib || !packageHasLib;
        }
        inv.scripts.push_back(use);
    }
    return inv;
}

Invocation buildScriptInvocation(const UnitGraph& g, std::size_t u, const UnitOutputs& outputs,
                                 const std::string& outDir, const InvocationOptions& o) {
    const Unit& unit = g.units.at(u);
    const Package& pkg = g.packages.at(unit.package);
    const Profile& p = unit.profile;
    std::optional<std::size_t> compiled;
    for (auto& d : unit.deps)
        if (g.units[d.unit].target.kind == TargetKind::CustomBuild &&
            g.units[d.unit].mode == CompileMode::Build) {
            compiled = d.unit;
            break;
        }
    if (!compiled && !unit.deps.empty()) compiled = unit.deps.front().unit;
    if (!compiled)
        throw UnitGraphError("the build script run of " + pkg.name + " " + pkg.version +
                             " has no compiled build script");

    std::map<std::string, std::string> env;
    packageEnv(pkg, o, env);
    bool crossTarget = o.crossCompile && !unit.host;
    env["OUT_DIR"] = outDir + "/out";
    env["NUM_JOBS"] = std::to_string(o.jobs);
    env["TARGET"] = crossTarget ? o.targetTriple : o.hostTriple;
    env["HOST"] = o.hostTriple;
    env["DEBUG"] = p.debuginfo != 0 ? "true" : "false";
    env["OPT_LEVEL"] = p.optLevel;
    env["PROFILE"] = p.root;
    env["RUSTC"] = o.rustc;
    env["RUSTDOC"] = o.rustdoc;
    std::string features;
    for (auto& f : unit.features) {
        env["CARGO_FEATURE_" + envify(f)] = "1";
        features += (features.empty() ? "" : ",") + f;
    }
    if (cargoAtLeast(o, 1, 85)) env["CARGO_CFG_FEATURE"] = features;
    // Each cfg of the platform, multiple values joined with ',' (debug_assertions says nothing
    // about the profile the crate is built with, so cargo leaves it out).
    const CfgSet& cfg = crossTarget ? o.targetCfg : o.hostCfg;
    std::map<std::string, std::vector<std::string>> cfgs;
    for (auto& n : cfg.names)
        cfgs[n];
    for (auto& [k, v] : cfg.values)
        cfgs[k].push_back(v);
    for (auto& [k, vs] : cfgs) {
        if (k == "debug_assertions") continue;
        std::string joined;
        for (auto& v : vs)
            joined += (joined.empty() ? "" : ",") + v;
        env["CARGO_CFG_" + envify(k)] = joined;
    }
    if (p.debugAssertions && cargoAtLeast(o, 1, 80)) env["CARGO_CFG_DEBUG_ASSERTIONS"] = "";
    bool flagsApply = !(o.crossCompile && unit.host);
    std::string encoded;
    if (flagsApply)
        for (std::size_t i = 0; i < o.rustflags.size(); ++i)
            encoded += (i ? "\x1f" : "") + o.rustflags[i];
    env["CARGO_ENCODED_RUSTFLAGS"] = encoded;
    if (crossTarget && !o.linker.empty()) env["RUSTC_LINKER"] = o.linker;
    if (!pkg.manifest.links.empty()) env["CARGO_MANIFEST_LINKS"] = pkg.manifest.links;

    Invocation inv = finish(std::move(env));
    inv.program = outputs(*compiled) + "/bin/build-script-build";
    inv.cwd = pkg.dir;
    // DEP_<LINKS>_<KEY>: the metadata of the direct dependencies with `links`, whose runs the
    // graph makes this run depend on.
    for (auto& d : unit.deps) {
        const Unit& dep = g.units[d.unit];
        if (dep.mode != CompileMode::RunCustomBuild) continue;
        const std::string& links = g.packages[dep.package].manifest.links;
        if (!links.empty()) inv.scripts.push_back({d.unit, BuildScriptUse::What::Metadata, links});
    }
    return inv;
}

Invocation doctestInvocation(const UnitGraph& g, std::size_t u, const UnitOutputs& outputs,
                             const InvocationOptions& o) {
    const Unit& unit = g.units.at(u);
    const Package& pkg = g.packages.at(unit.package);
    if (unit.mode != CompileMode::Doctest)
        throw UnitGraphError("unit " + std::to_string(u) + " of " + pkg.name + " " + pkg.version +
                             " is not a doctest");
    auto [src, cwd] = sourceAndDirectory(pkg, unit, o);
    bool crossTarget = o.crossCompile && !unitIsHost(unit);

    // cargo_test.rs's run_doc_tests, then the arguments build_runner collects for it.
    std::vector<std::string> a;
    auto arg = [&](std::initializer_list<std::string> xs) { a.insert(a.end(), xs); };
    arg({"--edition=" + (unit.target.edition.empty() ? "2015" : unit.target.edition)});
    // rustdoc_process: every crate type, as rustc gets them.
    if (unit.target.crateTypes.empty()) arg({"--crate-type", "lib"});
    for (const auto& t : unit.target.crateTypes)
        arg({"--crate-type", t});
    arg({"--color", "auto"});
    arg({"--crate-name", unit.target.crateName()});
    arg({"--test", src, "--test-run-directory", pkg.dir});
    if (crossTarget) arg({"--target", o.targetTriple});
    if (crossTarget && !o.linker.empty()) arg({"-C", "linker=" + o.linker});
    for (auto& t : o.testArgs)
        arg({"--test-args", t});
    // extern_args: the library itself, its dependencies and dev-dependencies, linked, in the
    // order of cargo's sorted unit dependencies (by package), which the graph does not keep for
    // dev-dependencies.
    std::vector<const UnitDep*> deps;
    for (auto& d : unit.deps)
        deps.push_back(&d);
    auto key = [&](const UnitDep* d) {
        const Package& p = g.packages[g.units[d->unit].package];
        return std::make_tuple(p.name, Version::parse(p.version), p.source);
    };
    std::stable_sort(deps.begin(), deps.end(), [&](const UnitDep* x, const UnitDep* y) {
        auto kx = key(x), ky = key(y);
        if (std::get<0>(kx) != std::get<0>(ky)) return std::get<0>(kx) < std::get<0>(ky);
        int c = compare(std::get<1>(kx), std::get<1>(ky));
        if (c != 0) return c < 0;
        return std::get<2>(kx) < std::get<2>(ky);
    });
    for (const UnitDep* dp : deps) {
        const UnitDep& d = *dp;
        const Unit& dep = g.units[d.unit];
        if (!linkable(dep)) continue;
        std::string name = (d.noprelude ? "noprelude:" : "") + d.externName + "=" + outputs(d.unit);
        arg({"--extern", name + "/" + libFile(dep, dep.target.procMacro() ? ".so" : ".rlib")});
    }
    if (unit.target.procMacro()) arg({"--extern", "proc_macro"});
    auto closure = libraryClosure(g, u);
    for (auto d : closure)
        arg({"-L", "dependency=" + outputs(d) + "/lib"});
    for (auto& x : ltoArgs(unitLto(g, u)))
        a.push_back(x);
    for (auto& f : unit.features)
        arg({"--cfg", "feature=\"" + f + "\""});
    if (cargoAtLeast(o, 1, 80)) {
        std::string values;
        for (auto& f : declaredFeatures(pkg.manifest))
            values += (values.empty() ? "\"" : ", \"") + f + "\"";
        arg({"--check-cfg", cargoAtLeast(o, 1, 85) ? "cfg(docsrs,test)" : "cfg(docsrs)"});
        arg({"--check-cfg", "cfg(feature, values(" + values + "))"});
    }
    // RUSTDOCFLAGS would come here: rustflags are rustc's, which cargo does not give rustdoc.
    arg({"--error-format", "human"});

    // fill_env: the package's variables (OUT_DIR and rustc-env come from its script's use).
    std::map<std::string, std::string> env;
    packageEnv(pkg, o, env);
    env["CARGO_CRATE_NAME"] = unit.target.crateName(); // fill_rustc_tool_env
    Invocation inv = finish(std::move(env));
    inv.program = o.rustdoc;
    inv.args = std::move(a);
    inv.cwd = cwd;
    std::map<std::size_t, std::vector<std::size_t>> memo;
    for (auto s : scriptsToLink(g, u, memo)) {
        BuildScriptUse use{s, BuildScriptUse::What::LinkSearch, ""};
        if (g.units[s].package == unit.package) {
            use.what = BuildScriptUse::What::Own;
            use.linkLibs = false;
        }
        inv.scripts.push_back(use);
    }
    return inv;
}

std::vector<std::string> unitOutputFiles(const UnitGraph& g, std::size_t u) {
    const Unit& unit = g.units.at(u);
    switch (unit.mode) {
    case CompileMode::RunCustomBuild:
        return {"out", "output", "directives"};
    case CompileMode::Test:
    case CompileMode::Doctest:
        return {"bin/" + unit.target.name + "-" + unit.metadata};
    case CompileMode::Build:
        break;
    }
    if (unit.target.kind == TargetKind::CustomBuild) return {"bin/build-script-build"};
    if (unit.target.kind != TargetKind::Lib) return {"bin/" + unit.target.name};
    if (unit.target.procMacro()) return {libFile(unit, ".so")};
    return {libFile(unit, ".rlib"), libFile(unit, ".rmeta")};
}

bool pipelined(const UnitGraph& g, std::size_t u) {
    const Unit& unit = g.units[u];
    return unit.mode == CompileMode::Build && !requiresUpstreamObjects(unit);
}

} // namespace ferrix::cargo
