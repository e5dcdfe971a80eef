// The unit graph of a Cargo package (units.hh) for the per-crate lowering of (ferrix build-system
// cargo): a foreign object holding the graph, its units as alists and cargo's JSON
// (doc/per-crate.md, "The Scheme interface").
#include "convert.hh"
#include "extension.hh"
#include "guard.hh"
#include "primitive.hh"

#include "ferrix/cargo/config.hh"
#include "ferrix/cargo/invocation.hh"
#include "ferrix/cargo/units.hh"

#include <memory>

namespace ferrix::guile {

namespace {

SCM graphType = SCM_BOOL_F;

cargo::UnitGraph* graphOf(SCM obj) {
    return reinterpret_cast<cargo::UnitGraph*>(SCM_STRUCT_DATA_REF(obj, 0));
}

void finalizeGraph(SCM obj) {
    delete graphOf(obj);
}

// A plain struct vtable with one unboxed slot and an instance finalizer, made with the first
// graph, as the store's (guile/store.cc): scm_make_foreign_object_type loads GOOPS, which every
// command paid for at start-up (the extension's initialisation) whether it lowered a unit or not.
void initGraphType() {
    if (scm_is_true(graphType)) return;
    SCM type = scm_make_vtable(scm_from_utf8_string("uw"), SCM_BOOL_F);
    scm_set_struct_vtable_name_x(type, scm_from_utf8_symbol("unit-graph"));
    SCM_SET_VTABLE_INSTANCE_FINALIZER(type, finalizeGraph);
    graphType = scm_permanent_object(type);
}

// Scheme side: the graph in argument POS, or wrong-type-arg.
const cargo::UnitGraph& graphArg(SCM obj, int pos, const char* subr) {
    if (!(scm_is_true(graphType) && SCM_STRUCTP(obj) &&
          scm_is_eq(SCM_STRUCT_VTABLE(obj), graphType)))
        scm_wrong_type_arg_msg(subr, pos, obj, "unit graph");
    return *graphOf(obj);
}

// The value of KEY in the alist OPTIONS, SCM_UNDEFINED when absent.
SCM option(SCM options, const char* key) {
    return scheme([&] {
        SCM p = scm_assq(scm_from_utf8_symbol(key), options);
        return scm_is_pair(p) ? scm_cdr(p) : SCM_UNDEFINED;
    });
}

bool truth(SCM v) {
    bool b = false;
    scheme([&] {
        b = scm_is_true(v);
        return SCM_UNSPECIFIED;
    });
    return b;
}

std::size_t length(SCM list) {
    long n = 0;
    scheme([&] {
        n = scm_ilength(list);
        return SCM_UNSPECIFIED;
    });
    if (n < 0) throw Error("expected a proper list");
    return static_cast<std::size_t>(n);
}

SCM listRef(SCM list, std::size_t i) {
    return scheme([&] { return scm_list_ref(list, scm_from_size_t(i)); });
}

cargo::UnitGraphOptions toOptions(SCM options, const char* subr) {
    cargo::UnitGraphOptions o;
    auto string = [&](const char* key, std::string& to) {
        SCM v = option(options, key);
        if (!SCM_UNBNDP(v)) to = toString(v);
    };
    auto boolean = [&](const char* key, bool& to) {
        SCM v = option(options, key);
        if (!SCM_UNBNDP(v)) to = truth(v);
    };
    auto strings = [&](const char* key, std::vector<std::string>& to) {
        SCM v = option(options, key);
        if (!SCM_UNBNDP(v)) to = toStringList(v, subr, 3);
    };
    string("host", o.hostTriple);
    string("target", o.targetTriple);
    if (o.targetTriple.empty()) o.targetTriple = o.hostTriple;
    if (o.hostTriple.empty()) o.hostTriple = o.targetTriple;
    std::string hostCfg, targetCfg;
    string("host-cfg", hostCfg);
    string("target-cfg", targetCfg);
    o.hostCfg = cargo::CfgSet::parse(hostCfg);
    o.targetCfg = targetCfg.empty() ? o.hostCfg : cargo::CfgSet::parse(targetCfg);
    boolean("cross?", o.crossCompile);
    strings("features", o.features);
    boolean("all-features?", o.allFeatures);
    boolean("no-default-features?", o.noDefaultFeatures);
    strings("packages", o.packages);
    boolean("tests?", o.tests);
    strings("test-targets", o.testTargets);
    string("profile", o.profile);
    string("cargo-version", o.cargoVersion);
    boolean("lockfile?", o.useLockfile);
    SCM dirs = option(options, "package-dirs");
    if (!SCM_UNBNDP(dirs))
        for (auto& [from, to] : toStringAlist(dirs, subr, 3))
            o.packageDirs[from] = to;
    return o;
}

// Scheme side only (inside scheme()).
SCM stringList(const std::vector<std::string>& v) {
    SCM l = SCM_EOL;
    for (size_t i = v.size(); i-- > 0;)
        l = scm_cons(utf8(v[i]), l);
    return l;
}

SCM entry(const char* key, SCM value) {
    return scm_cons(scm_from_utf8_symbol(key), value);
}

SCM unitAlist(const cargo::UnitGraph& g, std::size_t i) {
    const cargo::Unit& u = g.units[i];
    const cargo::Package& p = g.packages[u.package];
    SCM deps = SCM_EOL;
    for (size_t i = u.deps.size(); i-- > 0;)
        deps = scm_cons(scm_from_size_t(u.deps[i].unit), deps);
    return scm_list_n(
        entry("package", utf8(p.name)), entry("version", utf8(p.version)),
        entry("source", utf8(p.source)), entry("dir", utf8(p.dir)),
        entry("kind", scm_from_utf8_symbol(cargo::targetKindName(u.target.kind))),
        entry("target-name", utf8(u.target.name)),
        entry("crate-types", stringList(u.target.crateTypes)),
        entry("mode", scm_from_utf8_symbol(cargo::compileModeName(u.mode))),
        entry("host?", scm_from_bool(u.host)), entry("features", stringList(u.features)),
        entry("deps", deps), entry("metadata", utf8(u.metadata)),
        entry("root?", scm_from_bool(u.root)),
        entry("pipelined?", scm_from_bool(cargo::pipelined(g, i))),
        entry("links", p.manifest.links.empty() ? SCM_BOOL_F : utf8(p.manifest.links)),
        entry("profile", utf8(u.profile.name)), entry("opt-level", utf8(u.profile.optLevel)),
        entry("debuginfo", scm_from_int(u.profile.debuginfo)), SCM_UNDEFINED);
}

#define SUBR "%crate-unit-graph"
SCM primCrateUnitGraph(SCM root, SCM crates, SCM options) {
    checkString(root, 1, SUBR);
    checkList(crates, 2, SUBR);
    checkList(options, 3, SUBR);
    return guarded(SUBR, [&] {
        std::vector<cargo::CrateSource> sources;
        std::size_t n = length(crates);
        for (std::size_t i = 0; i < n; i++) {
            SCM c = listRef(crates, i);
            if (length(c) != 3) throw Error("a crate at hand must be (DIRECTORY SOURCE CHECKSUM)");
            cargo::CrateSource s;
            s.dir = toString(listRef(c, 0));
            s.source = toStringOpt(listRef(c, 1)).value_or("");
            s.checksum = toStringOpt(listRef(c, 2)).value_or("");
            sources.push_back(std::move(s));
        }
        auto graph = std::make_unique<cargo::UnitGraph>(
            cargo::unitGraph(toString(root), sources, toOptions(options, SUBR)));
        cargo::UnitGraph* raw = graph.get();
        // The initial value of an unboxed field is given as a Scheme integer: 0, then the
        // pointer, as for the store.
        SCM obj = scheme([&] {
            initGraphType();
            SCM o = scm_c_make_struct(graphType, 0, 1, SCM_UNPACK(SCM_INUM0));
            SCM_STRUCT_DATA_SET(o, 0, reinterpret_cast<scm_t_bits>(raw));
            return o;
        });
        graph.release(); // the struct's finalizer owns it now
        return obj;
    });
}
#undef SUBR

#define SUBR "unit-graph-units"
SCM primUnitGraphUnits(SCM graph) {
    const cargo::UnitGraph& g = graphArg(graph, 1, SUBR);
    return guarded(SUBR, [&] {
        return scheme([&] {
            SCM v = scm_c_make_vector(g.units.size(), SCM_BOOL_F);
            for (size_t i = 0; i < g.units.size(); i++)
                scm_c_vector_set_x(v, i, unitAlist(g, i));
            scm_remember_upto_here_1(graph);
            return v;
        });
    });
}
#undef SUBR

#define SUBR "unit-graph->json"
SCM primUnitGraphToJson(SCM graph) {
    const cargo::UnitGraph& g = graphArg(graph, 1, SUBR);
    return guarded(SUBR, [&] {
        SCM s = fromString(g.toJson());
        scheme([&] {
            scm_remember_upto_here_1(graph);
            return SCM_UNSPECIFIED;
        });
        return s;
    });
}
#undef SUBR

// The workspace root cargo would run in: the common directory of the root units' packages.
std::string workspaceRootOf(const cargo::UnitGraph& g) {
    std::string root;
    bool first = true;
    for (std::size_t r : g.roots) {
        std::string dir = g.packages[g.units[r].package].dir;
        if (first) {
            root = dir;
            first = false;
        }
        while (root != "/" && dir != root && dir.rfind(root + "/", 0) != 0)
            root = root.substr(0, std::max<std::size_t>(root.rfind('/'), 1));
    }
    return root;
}

cargo::InvocationOptions toInvocationOptions(const cargo::UnitGraph& g, SCM options,
                                             const char* subr) {
    cargo::InvocationOptions o;
    auto string = [&](const char* key, std::string& to) {
        SCM v = option(options, key);
        if (!SCM_UNBNDP(v) && truth(v)) to = toString(v);
    };
    string("rustc", o.rustc);
    string("rustdoc", o.rustdoc);
    string("cargo", o.cargo);
    SCM flags = option(options, "rustflags");
    if (!SCM_UNBNDP(flags) && truth(flags)) o.rustflags = toStringList(flags, subr, 5);
    o.workspaceRoot = workspaceRootOf(g);
    string("workspace-root", o.workspaceRoot);
    string("build-dir", o.buildDir);
    SCM jobs = option(options, "jobs");
    if (!SCM_UNBNDP(jobs) && truth(jobs)) {
        scheme([&] {
            o.jobs = scm_to_int(jobs);
            return SCM_UNSPECIFIED;
        });
    }
    string("host", o.hostTriple);
    string("target", o.targetTriple);
    if (o.targetTriple.empty()) o.targetTriple = o.hostTriple;
    std::string hostCfg, targetCfg;
    string("host-cfg", hostCfg);
    string("target-cfg", targetCfg);
    o.hostCfg = cargo::CfgSet::parse(hostCfg);
    o.targetCfg = targetCfg.empty() ? o.hostCfg : cargo::CfgSet::parse(targetCfg);
    SCM cross = option(options, "cross?");
    o.crossCompile = !SCM_UNBNDP(cross) && truth(cross);
    string("linker", o.linker);
    string("cargo-version", o.cargoVersion);
    SCM testArgs = option(options, "test-args");
    if (!SCM_UNBNDP(testArgs) && truth(testArgs)) o.testArgs = toStringList(testArgs, subr, 5);
    return o;
}

const char* scriptUseName(cargo::BuildScriptUse::What what) {
    switch (what) {
    case cargo::BuildScriptUse::What::Own:
        return "own";
    case cargo::BuildScriptUse::What::LinkSearch:
        return "link-search";
    case cargo::BuildScriptUse::What::Metadata:
        return "metadata";
    }
    return "own";
}

#define SUBR "unit-invocation"
SCM primUnitInvocation(SCM graph, SCM index, SCM outputs, SCM outDir, SCM options) {
    const cargo::UnitGraph& g = graphArg(graph, 1, SUBR);
    std::size_t u = scm_to_size_t(index);
    if (u >= g.units.size()) scm_out_of_range_pos(SUBR, index, scm_from_int(2));
    SCM_ASSERT_TYPE(scm_is_vector(outputs), outputs, 3, SUBR, "vector");
    checkString(outDir, 4, SUBR);
    checkList(options, 5, SUBR);
    return guarded(SUBR, [&] {
        std::size_t n = 0;
        scheme([&] {
            n = scm_c_vector_length(outputs);
            return SCM_UNSPECIFIED;
        });
        // A pipelined library's entry is (OUT . META): its `meta` output holds the .rmeta.
        std::vector<std::optional<std::string>> dirs(n), metaDirs(n);
        for (std::size_t i = 0; i < n; i++) {
            SCM e = scheme([&] { return scm_c_vector_ref(outputs, i); });
            if (scm_is_pair(e)) {
                dirs[i] = toString(scheme([&] { return scm_car(e); }));
                metaDirs[i] = toString(scheme([&] { return scm_cdr(e); }));
            } else {
                dirs[i] = toStringOpt(e);
            }
        }
        cargo::UnitOutputs unitOutputs = [&](std::size_t d) {
            if (d >= dirs.size() || !dirs[d])
                throw Error("unit " + std::to_string(d) + " (" +
                            g.packages[g.units[d].package].name +
                            ") is not built yet: no output directory for it");
            return *dirs[d];
        };
        cargo::InvocationOptions o = toInvocationOptions(g, options, SUBR);
        o.metadataOutputs = [&](std::size_t d) { return metaDirs.at(d).value_or(unitOutputs(d)); };
        std::string out = toString(outDir);
        cargo::CompileMode mode = g.units[u].mode;
        cargo::Invocation inv = mode == cargo::CompileMode::RunCustomBuild
                                    ? cargo::buildScriptInvocation(g, u, unitOutputs, out, o)
                                : mode == cargo::CompileMode::Doctest
                                    ? cargo::doctestInvocation(g, u, unitOutputs, o)
                                    : cargo::compileInvocation(g, u, unitOutputs, out, o);
        return scheme([&] {
            SCM env = SCM_EOL;
            for (size_t i = inv.env.size(); i-- > 0;)
                env = scm_cons(scm_cons(utf8(inv.env[i].first), utf8(inv.env[i].second)), env);
            SCM scripts = SCM_EOL;
            for (size_t i = inv.scripts.size(); i-- > 0;) {
                const cargo::BuildScriptUse& s = inv.scripts[i];
                scripts = scm_cons(scm_list_3(scm_from_size_t(s.unit),
                                              scm_from_utf8_symbol(scriptUseName(s.what)),
                                              s.links.empty() ? SCM_BOOL_F : utf8(s.links)),
                                   scripts);
            }
            scm_remember_upto_here_1(graph);
            return scm_list_5(entry("program", utf8(inv.program)),
                              entry("args", stringList(inv.args)), entry("env", env),
                              entry("cwd", utf8(inv.cwd)), entry("scripts", scripts));
        });
    });
}
#undef SUBR

#define SUBR "%cargo-config-linker"
SCM primCargoConfigLinker(SCM root, SCM triple) {
    checkString(root, 1, SUBR);
    checkString(triple, 2, SUBR);
    return guarded(SUBR, [&] {
        std::string linker = cargo::CargoConfig::read(toString(root)).linker(toString(triple));
        return scheme([&] { return linker.empty() ? SCM_BOOL_F : utf8(linker); });
    });
}
#undef SUBR

const Primitive unitsPrimitives[] = {
    {"%crate-unit-graph", 3, 0, 0, asSubr(primCrateUnitGraph),
     "Return the unit graph of the Cargo package in the directory ROOT, as cargo makes it: its\n"
     "packages resolved from ROOT/Cargo.lock or from CRATES, a list of (DIRECTORY SOURCE\n"
     "CHECKSUM) (SOURCE and CHECKSUM strings or #f), their features and units.  OPTIONS is an\n"
     "alist: host, target, host-cfg, target-cfg (what rustc --print cfg prints), cross?,\n"
     "features, all-features?, no-default-features?, packages, tests?, test-targets (with tests?,\n"
     "cargo test's target selection as #:test-target lists it), profile, cargo-version,\n"
     "lockfile?, package-dirs (pairs (DIRECTORY . ITEM): a path package's directory under\n"
     "ROOT, and the directory holding only that package that its units read instead)."},
    {"unit-graph-units", 1, 0, 0, asSubr(primUnitGraphUnits),
     "Return the units of GRAPH, dependencies first, as a vector of alists: package, version,\n"
     "source, dir, kind, target-name, crate-types, mode, host?, features, deps (unit indices),\n"
     "metadata, root?, pipelined? (a library whose dependents may start from its .rmeta, in\n"
     "its derivation's meta output), links."},
    {"unit-graph->json", 1, 0, 0, asSubr(primUnitGraphToJson),
     "Return GRAPH as the JSON that cargo build --unit-graph prints."},
    {"%cargo-config-linker", 2, 0, 0, asSubr(primCargoConfigLinker),
     "Return the linker the package in ROOT configures for TRIPLE ([target.TRIPLE] linker in\n"
     "ROOT/.cargo/config or config.toml, a path with a slash made absolute from ROOT), as\n"
     "cargo reads it there, or #f."},
    {"unit-invocation", 5, 0, 0, asSubr(primUnitInvocation),
     "Return what runs for unit INDEX of GRAPH, writing into OUT-DIR: rustc compiling it, its\n"
     "build script for a run-custom-build unit, or rustdoc running a doctest unit's doctests.\n"
     "OUTPUTS is a vector of the units' output directories (#f for units not built yet; a pair\n"
     "(OUT . META) for a pipelined library, META holding its .rmeta).\n"
     "OPTIONS is the alist given to %crate-unit-graph, with also rustc, rustdoc, cargo,\n"
     "rustflags, linker, jobs, workspace-root, build-dir and test-args (a doctest's\n"
     "--test-args).  Return an alist: program, args, env (pairs of strings), cwd, scripts (a\n"
     "list of (UNIT-INDEX WHAT LINKS), WHAT one of own, link-search, metadata)."},
};

} // namespace

void defineUnitsPrimitives() {
    definePrimitives(unitsPrimitives);
}

} // namespace ferrix::guile
