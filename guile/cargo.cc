// The cargo build system's primitives (lib/cargo/, archive.hh), for the build side's
// (ferrix build cargo-build-system) and (ferrix build rust-unit), and %registry-export for `ferrix
// registry export`
// ((ferrix scripts registry)). Loaded with
//   (load-extension "libguile-ferrix" "init_ferrix_cargo")
//
// The build side's primitives take the phases' keyword arguments as the Scheme values they are
// (strings, lists of strings, booleans), each only those it needs; this file checks their types,
// naming the argument in the error, and converts them. The cargo command lines and their
// environment are built in Scheme.
#include "convert.hh"
#include "guard.hh"
#include "primitive.hh"

#include "ferrix/archive.hh"
#include "ferrix/cargo/build-script.hh"
#include "ferrix/cargo/config.hh"
#include "ferrix/cargo/manifest.hh"
#include "ferrix/cargo/phases.hh"
#include "ferrix/cargo/registry-export.hh"
#include "ferrix/cargo/unit-build.hh"
#include "ferrix/cargo/vendor.hh"

#include <cstdlib>

namespace ferrix::guile {

namespace {

// --- Type checks (Scheme side: before guarded()). A wrong type raises wrong-type-arg, its
// message naming the argument as the docstring does: "Wrong type argument in position 7
// (FEATURES: expecting a list of strings): 42".

void expect(bool ok, SCM obj, int pos, const char* name, const char* what, const char* subr) {
    if (ok) return;
    scm_error(
        scm_arg_type_key, subr, "Wrong type argument in position ~A (~A: expecting ~A): ~S",
        scm_list_4(scm_from_int(pos), scm_from_utf8_string(name), scm_from_utf8_string(what), obj),
        scm_list_1(obj));
}

bool isStringList(SCM obj) {
    if (scm_ilength(obj) < 0) return false;
    for (; scm_is_pair(obj); obj = scm_cdr(obj))
        if (!scm_is_string(scm_car(obj))) return false;
    return true;
}

void expectString(SCM obj, int pos, const char* name, const char* subr) {
    expect(scm_is_string(obj), obj, pos, name, "a string", subr);
}

void expectStringOrFalse(SCM obj, int pos, const char* name, const char* subr) {
    expect(scm_is_string(obj) || scm_is_false(obj), obj, pos, name, "a string or #f", subr);
}

void expectStrings(SCM obj, int pos, const char* name, const char* subr) {
    expect(isStringList(obj), obj, pos, name, "a list of strings", subr);
}

void expectBoolean(SCM obj, int pos, const char* name, const char* subr) {
    expect(scm_is_bool(obj), obj, pos, name, "#t or #f", subr);
}

// Scheme side only (inside scheme()).
SCM stringList(const std::vector<std::string>& v) {
    SCM l = SCM_EOL;
    for (size_t i = v.size(); i-- > 0;)
        l = scm_cons(utf8(v[i]), l);
    return l;
}

// A limit argument: #f or unbound (the environment's, else the default), or a natural number.
void expectLimit(SCM obj, int pos, const char* name, const char* subr) {
    expect(SCM_UNBNDP(obj) || scm_is_false(obj) ||
               (scm_is_exact_integer(obj) && scm_is_true(scm_geq_p(obj, scm_from_int(0))) &&
                scm_is_unsigned_integer(obj, 0, UINT64_MAX)),
           obj, pos, name, "#f or a non-negative integer", subr);
}

void setLimit(uint64_t& limit, SCM obj) {
    if (!SCM_UNBNDP(obj) && scm_is_true(obj)) limit = scm_to_uint64(obj);
}

#define SUBR "%unpack-source"
SCM primUnpackSource(SCM source, SCM directory, SCM maxSize, SCM maxEntries, SCM maxRatio) {
    expectString(source, 1, "SOURCE", SUBR);
    expectString(directory, 2, "DIRECTORY", SUBR);
    expectLimit(maxSize, 3, "MAX-SIZE", SUBR);
    expectLimit(maxEntries, 4, "MAX-ENTRIES", SUBR);
    expectLimit(maxRatio, 5, "MAX-RATIO", SUBR);
    return guarded(SUBR, [&] {
        UnpackLimits limits = UnpackLimits::fromEnvironment();
        scheme([&] {
            setLimit(limits.maxSize, maxSize);
            setLimit(limits.maxEntries, maxEntries);
            setLimit(limits.maxRatio, maxRatio);
            return SCM_UNSPECIFIED;
        });
        ferrix::unpackSource(toString(source), toString(directory), limits);
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%pack-tree"
SCM primPackTree(SCM directory, SCM prefix, SCM file) {
    expectString(directory, 1, "DIRECTORY", SUBR);
    expectString(prefix, 2, "PREFIX", SUBR);
    expectString(file, 3, "FILE", SUBR);
    return guarded(SUBR, [&] {
        ferrix::packTree(toString(directory), toString(prefix), toString(file));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%cargo-manifest-info"
SCM primCargoManifestInfo(SCM directory) {
    expectString(directory, 1, "DIRECTORY", SUBR);
    return guarded(SUBR, [&] {
        std::string d = toString(directory);
        cargo::Manifest m = cargo::readManifest(d + "/Cargo.toml");
        bool bins = cargo::hasBinaryTargets(m, d);
        return scheme([&] {
            return scm_list_3(m.hasPackage ? utf8(m.name) : SCM_BOOL_F,
                              m.hasPackage ? utf8(m.version) : SCM_BOOL_F, scm_from_bool(bins));
        });
    });
}
#undef SUBR

#define SUBR "%cargo-checksum-json"
SCM primCargoChecksumJson(SCM directory, SCM package) {
    expectString(directory, 1, "DIRECTORY", SUBR);
    expectStringOrFalse(package, 2, "PACKAGE", SUBR);
    return guarded(SUBR, [&] {
        return fromString(cargo::checksumJson(toString(directory), toStringOpt(package)));
    });
}
#undef SUBR

#define SUBR "%cargo-prepare-offline-source"
SCM primCargoPrepareOfflineSource(SCM source, SCM inputs, SCM vendor, SCM cargoHome, SCM target,
                                  SCM tests, SCM features, SCM host, SCM targetCfg, SCM hostCfg) {
    expectString(source, 1, "SOURCE", SUBR);
    expectStrings(inputs, 2, "INPUTS", SUBR);
    expectString(vendor, 3, "VENDOR-DIRECTORY", SUBR);
    expectString(cargoHome, 4, "CARGO-HOME", SUBR);
    expectString(target, 5, "CARGO-TARGET", SUBR);
    expectBoolean(tests, 6, "TESTS?", SUBR);
    expectStrings(features, 7, "FEATURES", SUBR);
    // Without them (all three or none), target tables are decided from the triple alone.
    bool exact = !SCM_UNBNDP(host);
    if (exact) {
        expectString(host, 8, "HOST", SUBR);
        expectString(targetCfg, 9, "TARGET-CFG", SUBR);
        expectString(hostCfg, 10, "HOST-CFG", SUBR);
    }
    return guarded(SUBR, [&] {
        cargo::BuildPlatforms platforms;
        if (exact) {
            platforms.target = toString(target);
            platforms.host = toString(host);
            platforms.targetCfg = cargo::CfgSet::parse(toString(targetCfg));
            platforms.hostCfg = cargo::CfgSet::parse(toString(hostCfg));
        }
        cargo::OfflineSource r = cargo::prepareOfflineSource(
            toString(source), toStringList(inputs, SUBR, 2), toString(vendor), toString(cargoHome),
            toString(target), scm_is_true(tests), toStringList(features, SUBR, 7),
            exact ? &platforms : nullptr);
        return scheme([&] { return scm_values_2(stringList(r.log), scm_from_bool(r.lockFile)); });
    });
}
#undef SUBR

#define SUBR "%cargo-vendor-inputs"
SCM primCargoVendorInputs(SCM inputs, SCM vendor, SCM target, SCM host, SCM targetCfg,
                          SCM hostCfg) {
    expectStrings(inputs, 1, "INPUTS", SUBR);
    expectString(vendor, 2, "VENDOR-DIRECTORY", SUBR);
    expectString(target, 3, "CARGO-TARGET", SUBR);
    expectString(host, 4, "HOST", SUBR);
    expectString(targetCfg, 5, "TARGET-CFG", SUBR);
    expectString(hostCfg, 6, "HOST-CFG", SUBR);
    return guarded(SUBR, [&] {
        cargo::BuildPlatforms platforms;
        platforms.target = toString(target);
        platforms.host = toString(host);
        platforms.targetCfg = cargo::CfgSet::parse(toString(targetCfg));
        platforms.hostCfg = cargo::CfgSet::parse(toString(hostCfg));
        std::vector<std::string> log;
        auto crates = cargo::vendorInputs(toStringList(inputs, SUBR, 1), toString(vendor),
                                          toString(target), log, &platforms);
        return scheme([&] {
            SCM list = SCM_EOL;
            for (size_t i = crates.size(); i-- > 0;)
                list = scm_cons(scm_cons(utf8(crates[i].name), utf8(crates[i].version)), list);
            return scm_values_2(stringList(log), list);
        });
    });
}
#undef SUBR

#define SUBR "%cargo-vendor-config"
SCM primCargoVendorConfig(SCM vendor, SCM lockFile) {
    expectString(vendor, 1, "VENDOR-DIRECTORY", SUBR);
    if (scm_is_true(lockFile)) expectString(lockFile, 2, "LOCK-FILE", SUBR);
    return guarded(SUBR, [&] {
        std::vector<std::string> git;
        if (scm_is_true(lockFile))
            git = cargo::gitSourceIds(cargo::readLockfile(toString(lockFile)));
        std::string text = cargo::cargoConfig(toString(vendor), git);
        return scheme([&] { return utf8(text); });
    });
}
#undef SUBR

#define SUBR "%cargo-config-rustflags"
SCM primCargoConfigRustflags(SCM root, SCM triple) {
    expectString(root, 1, "ROOT", SUBR);
    expectString(triple, 2, "TRIPLE", SUBR);
    return guarded(SUBR, [&] {
        cargo::CargoConfig c = cargo::CargoConfig::read(toString(root));
        auto flags = c.rustflags(toString(triple));
        return scheme([&] {
            return scm_values_2(c.file.empty() ? SCM_BOOL_F : utf8(c.file), stringList(flags));
        });
    });
}
#undef SUBR

#define SUBR "%cargo-install-source"
SCM primCargoInstallSource(SCM source, SCM out, SCM name) {
    expectString(source, 1, "SOURCE", SUBR);
    expectString(out, 2, "OUT", SUBR);
    expectString(name, 3, "NAME", SUBR);
    return guarded(SUBR, [&] {
        return fromStringList(
            cargo::installSource(toString(source), toString(out), toString(name)));
    });
}
#undef SUBR

#define SUBR "%cargo-binary-crates"
SCM primCargoBinaryCrates(SCM source) {
    expectString(source, 1, "SOURCE", SUBR);
    return guarded(SUBR, [&] { return fromStringList(cargo::binaryCrateDirs(toString(source))); });
}
#undef SUBR

#define SUBR "%build-script-directives"
SCM primBuildScriptDirectives(SCM text, SCM cargoVersion) {
    expectString(text, 1, "TEXT", SUBR);
    expectString(cargoVersion, 2, "CARGO-VERSION", SUBR);
    return guarded(SUBR, [&] {
        return fromString(
            cargo::BuildScriptOutput::parse(toString(text), toString(cargoVersion)).serialise());
    });
}
#undef SUBR

#define SUBR "%read-build-script-directives"
SCM primReadBuildScriptDirectives(SCM text, SCM file) {
    expectString(text, 1, "TEXT", SUBR);
    expectString(file, 2, "FILE", SUBR);
    return guarded(SUBR, [&] {
        cargo::BuildScriptOutput o =
            cargo::BuildScriptOutput::deserialise(toString(text), toString(file));
        return scheme([&] {
            auto strings = [](const char* key, const std::vector<std::string>& v) {
                return scm_cons(scm_from_utf8_symbol(key), stringList(v));
            };
            auto pairs = [](const char* key,
                            const std::vector<std::pair<std::string, std::string>>& v) {
                SCM l = SCM_EOL;
                for (size_t i = v.size(); i-- > 0;)
                    l = scm_cons(scm_cons(utf8(v[i].first), utf8(v[i].second)), l);
                return scm_cons(scm_from_utf8_symbol(key), l);
            };
            return scm_list_n(strings("link-libs", o.linkLibs),
                              strings("link-search", o.linkSearch), pairs("link-args", o.linkArgs),
                              strings("cfgs", o.cfgs), strings("check-cfgs", o.checkCfgs),
                              pairs("env", o.env), pairs("metadata", o.metadata),
                              strings("warnings", o.warnings), strings("errors", o.errors),
                              strings("rerun-if-changed", o.rerunIfChanged),
                              strings("rerun-if-env-changed", o.rerunIfEnvChanged), SCM_UNDEFINED);
        });
    });
}
#undef SUBR

// --- A unit of the per-crate mode (unit-build.hh).

// Step 1 (guard.hh): SCRIPTS is ((ITEM WHAT LINKS) ...), ITEM a string, WHAT a symbol, LINKS a
// string or #f.
void expectScriptUses(SCM scripts, int pos, const char* subr) {
    bool ok = scm_ilength(scripts) >= 0;
    for (SCM l = scripts; ok && scm_is_pair(l); l = scm_cdr(l)) {
        SCM e = scm_car(l);
        ok = scm_ilength(e) == 3 && scm_is_string(scm_car(e)) && scm_is_symbol(scm_cadr(e)) &&
             (scm_is_string(scm_caddr(e)) || scm_is_false(scm_caddr(e)));
    }
    expect(ok, scripts, pos, "SCRIPTS", "a list of (ITEM WHAT LINKS)", subr);
}

// Scheme side: checked SCRIPTS as lists of three strings, LINKS "" for #f.
SCM scriptStrings(SCM scripts) {
    SCM out = SCM_EOL;
    for (SCM l = scripts; scm_is_pair(l); l = scm_cdr(l)) {
        SCM e = scm_car(l), links = scm_caddr(e);
        out = scm_cons(scm_list_3(scm_car(e), scm_symbol_to_string(scm_cadr(e)),
                                  scm_is_string(links) ? links : scm_from_utf8_string("")),
                       out);
    }
    return scm_reverse_x(out, SCM_EOL);
}

// C++ side.
std::vector<cargo::ScriptUse> toScriptUses(SCM scripts, const char* subr, int pos) {
    SCM strings = scheme([&] { return scriptStrings(scripts); });
    std::vector<cargo::ScriptUse> out;
    for (auto& l : toStringLists(strings, subr, pos))
        out.push_back({l[0], l[1], l[2]});
    return out;
}

SCM pairList(const cargo::EnvList& v) {
    return scheme([&] {
        SCM l = SCM_EOL;
        for (size_t i = v.size(); i-- > 0;)
            l = scm_cons(scm_cons(utf8(v[i].first), utf8(v[i].second)), l);
        return l;
    });
}

// Scheme side: the value of KEY in the alist FIELDS, or SCM_UNDEFINED.
SCM specField(SCM fields, const char* key) {
    SCM entry = scm_assq(scm_from_utf8_symbol(key), fields);
    return scm_is_pair(entry) ? scm_cdr(entry) : SCM_UNDEFINED;
}

// The spec's fields by type: a string or a symbol (#f: ""), a list of strings.
const char* const specNames[] = {"crate",       "version",      "kind",    "target-name",
                                 "mode",        "metadata",     "program", "directory",
                                 "placeholder", "cargo-version"};
const char* const specLists[] = {"crate-types", "arguments", "inputs"};

#define SUBR "%unit-spec"
SCM primUnitSpec(SCM fields) {
    checkList(fields, 1, SUBR);
    auto present = [&](const char* key) {
        SCM v = specField(fields, key);
        expect(!SCM_UNBNDP(v), fields, 1, key, "an entry in FIELDS", SUBR);
        return v;
    };
    for (const char* key : specNames) {
        SCM v = present(key);
        expect(scm_is_string(v) || scm_is_symbol(v) || scm_is_false(v), v, 1, key,
               "a string, a symbol or #f", SUBR);
    }
    for (const char* key : specLists)
        expectStrings(present(key), 1, key, SUBR);
    checkList(present("environment"), 1, SUBR);
    expectScriptUses(present("scripts"), 1, SUBR);
    present("link-libs?");
    return guarded(SUBR, [&] {
        auto field = [&](const char* key) {
            return scheme([&] { return specField(fields, key); });
        };
        auto name = [&](const char* key) {
            SCM v = field(key);
            return scm_is_false(v) ? std::string() : toName(v);
        };
        cargo::UnitSpec s;
        s.crate = name("crate");
        s.version = name("version");
        s.kind = name("kind");
        s.targetName = name("target-name");
        s.crateTypes = toStringList(field("crate-types"), SUBR, 1);
        s.mode = name("mode");
        s.metadata = name("metadata");
        s.program = name("program");
        s.arguments = toStringList(field("arguments"), SUBR, 1);
        s.environment = toStringAlist(field("environment"), SUBR, 1);
        s.directory = name("directory");
        s.scripts = toScriptUses(field("scripts"), SUBR, 1);
        s.placeholder = name("placeholder");
        s.linkLibs = scm_is_true(field("link-libs?"));
        s.cargoVersion = name("cargo-version");
        s.inputs = toStringList(field("inputs"), SUBR, 1);
        return fromString(s.toJSON());
    });
}
#undef SUBR

#define SUBR "%unit-script-arguments"
SCM primUnitScriptArguments(SCM scripts, SCM kind, SCM targetName, SCM crateTypes, SCM linkLibs,
                            SCM test) {
    expectScriptUses(scripts, 1, SUBR);
    expect(scm_is_symbol(kind) || scm_is_string(kind), kind, 2, "KIND", "a symbol or a string",
           SUBR);
    expectString(targetName, 3, "TARGET-NAME", SUBR);
    expectStrings(crateTypes, 4, "CRATE-TYPES", SUBR);
    return guarded(SUBR, [&] {
        auto args = cargo::scriptArguments(toScriptUses(scripts, SUBR, 1), toName(kind),
                                           toString(targetName), toStringList(crateTypes, SUBR, 4),
                                           scm_is_true(linkLibs), scm_is_true(test));
        return fromStringList(args);
    });
}
#undef SUBR

#define SUBR "%unit-script-environment"
SCM primUnitScriptEnvironment(SCM scripts) {
    expectScriptUses(scripts, 1, SUBR);
    return guarded(
        SUBR, [&] { return pairList(cargo::scriptEnvironment(toScriptUses(scripts, SUBR, 1))); });
}
#undef SUBR

#define SUBR "%unit-search-paths"
SCM primUnitSearchPaths(SCM inputs) {
    expectStrings(inputs, 1, "INPUTS", SUBR);
    return guarded(
        SUBR, [&] { return pairList(cargo::searchPathVariables(toStringList(inputs, SUBR, 1))); });
}
#undef SUBR

#define SUBR "%registry-export"
// SETTINGS: an alist of string pairs: ("source" . DIR) (repeated), ("dir" . DIR), ("base-url" .
// URL), ("yank" . NAME@VERSION) and ("unyank" . NAME@VERSION) (repeated), ("keep-going" .
// "true"), ("prune" . "true"), ("jobs" . N). Returns the summary: ((crates . N) (versions . N)
// (exported . N) (packed . N) (unchanged . N) (skipped . N) (removed . N) (bytes . N) (seconds .
// X) (warnings STRING ...)).
SCM primRegistryExport(SCM settings) {
    checkList(settings, 1, SUBR);
    return guarded(SUBR, [&] {
        cargo::ExportOptions o;
        for (auto& [k, v] : toStringAlist(settings, SUBR, 1)) {
            if (k == "source")
                o.sources.push_back(v);
            else if (k == "dir")
                o.dir = v;
            else if (k == "base-url")
                o.baseUrl = v;
            else if (k == "yank")
                o.yank.push_back(v);
            else if (k == "unyank")
                o.unyank.push_back(v);
            else if (k == "keep-going")
                o.keepGoing = v == "true";
            else if (k == "prune")
                o.prune = v == "true";
            else if (k == "jobs") {
                char* end = nullptr;
                unsigned long n = std::strtoul(v.c_str(), &end, 10);
                if (v.empty() || *end || n == 0 || n > 1024)
                    throw UsageError("--jobs " + v + ": expected a positive number");
                o.jobs = static_cast<unsigned>(n);
            } else
                throw UsageError(std::string(SUBR) + ": unknown setting '" + k + "'");
        }
        cargo::ExportSummary r = cargo::exportRegistry(o);
        return scheme([&] {
            auto count = [](const char* key, uint64_t n) {
                return scm_cons(scm_from_utf8_symbol(key), scm_from_uint64(n));
            };
            return scm_list_n(count("crates", r.crates), count("versions", r.versions),
                              count("exported", r.exported), count("packed", r.packed),
                              count("unchanged", r.unchanged), count("skipped", r.skipped),
                              count("removed", r.removed), count("bytes", r.bytes),
                              scm_cons(scm_from_utf8_symbol("seconds"), scm_from_double(r.seconds)),
                              scm_cons(scm_from_utf8_symbol("warnings"), stringList(r.warnings)),
                              SCM_UNDEFINED);
        });
    });
}
#undef SUBR

const Primitive cargoPrimitives[] = {
    {"%unpack-source", 2, 3, 0, asSubr(primUnpackSource),
     "Make DIRECTORY (which must not exist) hold the source tree of SOURCE, a directory or an\n"
     "archive (.crate, .tar.gz, .tar.xz...), refusing entries that would leave the tree; a single\n"
     "top-level directory becomes DIRECTORY.  Refuse an archive of more than MAX-SIZE bytes of\n"
     "files, MAX-ENTRIES entries, or more than MAX-RATIO times its compressed size; each is #f\n"
     "for its FERRIX_MAX_UNPACKED_SIZE, FERRIX_MAX_UNPACKED_ENTRIES or\n"
     "FERRIX_MAX_COMPRESSION_RATIO, else the default (4 GiB, 1000000, 1000), and 0 for none."},
    {"%pack-tree", 3, 0, 0, asSubr(primPackTree),
     "Write to FILE the reproducible .crate of DIRECTORY, its entries under PREFIX."},
    {"%cargo-manifest-info", 1, 0, 0, asSubr(primCargoManifestInfo),
     "Return (NAME VERSION BINARIES?) for DIRECTORY/Cargo.toml; NAME and VERSION are #f for a\n"
     "virtual workspace."},
    {"%cargo-checksum-json", 2, 0, 0, asSubr(primCargoChecksumJson),
     "Return the .cargo-checksum.json that cargo vendor writes for DIRECTORY, with PACKAGE (a\n"
     "hexadecimal sha256, or #f) as the package checksum."},
    {"%cargo-prepare-offline-source", 7, 3, 0, asSubr(primCargoPrepareOfflineSource),
     "Prepare the crate SOURCE, a directory, for an offline build: vendor the crates of INPUTS\n"
     "(a list of store file names) into VENDOR-DIRECTORY; prune from SOURCE's manifests the\n"
     "dependencies no input provides that cargo would resolve (dev-dependencies unless TESTS?,\n"
     "those of targets other than CARGO-TARGET, optional ones), refusing FEATURES (a list of\n"
     "strings) that need a pruned one; write CARGO-HOME/config.toml; check SOURCE/Cargo.lock\n"
     "against the vendored crates.  With HOST (the host's triple), TARGET-CFG and HOST-CFG\n"
     "(what `rustc --print cfg' prints for each, with the rustflags cargo passes), target tables\n"
     "are decided exactly, and dev-dependencies no input provides are an error when TESTS?.\n"
     "Return two values: the log lines, and whether there was a Cargo.lock (it matches)."},
    {"%cargo-vendor-inputs", 6, 0, 0, asSubr(primCargoVendorInputs),
     "Vendor the crates of INPUTS (a list of store file names) into VENDOR-DIRECTORY, as the\n"
     "configure phase does for CARGO-TARGET: target tables of the vendored manifests decided\n"
     "against TARGET-CFG and HOST-CFG (what `rustc --print cfg' prints for it and for HOST).\n"
     "Return two values: the log lines, and the crates vendored as (NAME . VERSION) pairs."},
    {"%cargo-vendor-config", 2, 0, 0, asSubr(primCargoVendorConfig),
     "Return the text of the cargo configuration that replaces crates.io, and the git sources\n"
     "of LOCK-FILE (a Cargo.lock, or #f), by the directory source VENDOR-DIRECTORY, offline."},
    {"%cargo-config-rustflags", 2, 0, 0, asSubr(primCargoConfigRustflags),
     "Return two values: the configuration file ROOT/.cargo/config (or config.toml) that cargo\n"
     "reads, or #f, and the rustflags it gives TRIPLE, a list of strings: [target.TRIPLE]\n"
     "rustflags, else [build] rustflags."},
    {"%cargo-install-source", 3, 0, 0, asSubr(primCargoInstallSource),
     "Install the crate SOURCE, a directory, under OUT: its tree, with its original Cargo.toml,\n"
     "to share/rust-source/NAME-VERSION and its reproducible .crate to share/cargo/registry (a\n"
     "virtual workspace as NAME, without a .crate).  Return the log lines."},
    {"%cargo-binary-crates", 1, 0, 0, asSubr(primCargoBinaryCrates),
     "Return the directories, relative to SOURCE, of its crates with binary targets: \".\" for\n"
     "the package, or members of a virtual workspace."},
    {"%build-script-directives", 2, 0, 0, asSubr(primBuildScriptDirectives),
     "Read TEXT, a build script's standard output, as cargo CARGO-VERSION (\"1.95.0\") reads\n"
     "its `cargo:' and `cargo::' directives, and return their saved form, one per line; raise\n"
     "an error naming the line for a directive cargo would refuse."},
    {"%read-build-script-directives", 2, 0, 0, asSubr(primReadBuildScriptDirectives),
     "Return the directives of TEXT, a saved form read from FILE, as an alist: link-libs,\n"
     "link-search, cfgs, check-cfgs, warnings, errors, rerun-if-changed and\n"
     "rerun-if-env-changed to lists of strings; link-args (WHICH . ARG), env and metadata\n"
     "(NAME . VALUE) to lists of pairs.  WHICH is \"\", \"bin:NAME\", \"bins\", \"tests\",\n"
     "\"examples\", \"benches\" or \"cdylib\"."},
    {"%unit-spec", 1, 0, 0, asSubr(primUnitSpec),
     "Return the JSON spec of a per-crate unit that `ferrix unit' builds (unit-build.hh), from\n"
     "FIELDS, an alist: crate, version, kind, target-name, mode, metadata, program, directory,\n"
     "placeholder, cargo-version (strings or symbols), crate-types, arguments, inputs (lists\n"
     "of strings), environment (string pairs), scripts ((ITEM WHAT LINKS) ...) and link-libs?."},
    {"%unit-script-arguments", 6, 0, 0, asSubr(primUnitScriptArguments),
     "Return the rustc arguments that SCRIPTS, ((ITEM WHAT LINKS) ...), add to a unit of KIND\n"
     "named TARGET-NAME of CRATE-TYPES, with their -l when LINK-LIBS?, compiled as a test when\n"
     "TEST?, in cargo's order."},
    {"%unit-script-environment", 1, 0, 0, asSubr(primUnitScriptEnvironment),
     "Return the variables, (NAME . VALUE), that SCRIPTS give a unit: OUT_DIR, rustc-env,\n"
     "DEP_<LINKS>_<KEY>."},
    {"%unit-search-paths", 1, 0, 0, asSubr(primUnitSearchPaths),
     "Return the variables, (NAME . VALUE), a unit's build sets for INPUTS, store items: PATH,\n"
     "PKG_CONFIG_PATH (when they have pkgconfig directories) and SOURCE_DATE_EPOCH."},
    {"%registry-export", 1, 0, 0, asSubr(primRegistryExport),
     "Export the directory registries of SETTINGS, an alist of string pairs, as a static\n"
     "crates.io-shaped registry, and return the summary alist."},
};

} // namespace

void defineCargoPrimitives() {
    definePrimitives(cargoPrimitives);
}

} // namespace ferrix::guile

extern "C" void init_ferrix_cargo() {
    ferrix::guile::defineCargoPrimitives();
}
