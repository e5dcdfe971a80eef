// The cargo build system's primitives (lib/cargo/, archive.hh), for the build side's
// (ferrix build cargo-build-system), and %registry-export for `ferrix registry export`
// ((ferrix scripts registry)). Loaded with
//   (load-extension "libguile-ferrix" "init_ferrix_cargo")
//
// A phase's settings cross the boundary as an alist of string pairs (see settingsOf): booleans
// are "true" or "false", a list is its key repeated once per element.
#include "convert.hh"
#include "guard.hh"

#include "ferrix/archive.hh"
#include "ferrix/cargo/manifest.hh"
#include "ferrix/cargo/phases.hh"
#include "ferrix/cargo/registry-export.hh"
#include "ferrix/cargo/vendor.hh"

#include <cstdlib>

namespace ferrix::guile {

namespace {

using cargo::Settings;

Settings settingsOf(SCM alist, const char* subr) {
    Settings s;
    bool testTargetSeen = false;
    for (auto& [k, v] : toStringAlist(alist, subr, 1)) {
        auto flag = [&] {
            if (v != "true" && v != "false")
                throw UsageError(std::string(subr) + ": setting '" + k +
                                 "' must be \"true\" or \"false\"");
            return v == "true";
        };
        if (k == "name")
            s.name = v;
        else if (k == "crate-name")
            s.crateName = v;
        else if (k == "source-dir")
            s.sourceDir = v;
        else if (k == "build-top")
            s.buildTop = v;
        else if (k == "vendor-dir")
            s.vendorDir = v;
        else if (k == "input")
            s.inputs.push_back(v);
        else if (k == "native-input")
            s.nativeInputs.push_back(v);
        else if (k == "cargo-target")
            s.cargoTarget = v;
        else if (k == "cross")
            s.cross = flag();
        else if (k == "rustflag")
            s.rustflags.push_back(v);
        else if (k == "build-flag")
            s.buildFlags.push_back(v);
        else if (k == "test-flag")
            s.testFlags.push_back(v);
        else if (k == "feature")
            s.features.push_back(v);
        else if (k == "test-target") {
            s.testTargets.push_back(v);
            testTargetSeen = true;
        } else if (k == "tests")
            s.tests = flag();
        else if (k == "skip-build")
            s.skipBuild = flag();
        else if (k == "install-source")
            s.installSource = flag();
        else if (k == "parallel-build")
            s.parallelBuild = flag();
        else if (k == "parallel-tests")
            s.parallelTests = flag();
        else if (k == "locked")
            s.locked = flag();
        else if (k == "out")
            s.out = v;
        else
            throw UsageError(std::string(subr) + ": unknown setting '" + k + "'");
    }
    (void)testTargetSeen;
    return s;
}

// Scheme side only (inside scheme()).
SCM stringList(const std::vector<std::string>& v) {
    SCM l = SCM_EOL;
    for (size_t i = v.size(); i-- > 0;)
        l = scm_cons(utf8(v[i]), l);
    return l;
}

#define SUBR "%unpack-source"
SCM primUnpackSource(SCM source, SCM dest) {
    checkString(source, 1, SUBR);
    checkString(dest, 2, SUBR);
    return guarded(SUBR, [&] {
        ferrix::unpackSource(toString(source), toString(dest));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%pack-tree"
// DIR PREFIX FILE: the reproducible .crate of DIR, entries under PREFIX/.
SCM primPackTree(SCM dir, SCM prefix, SCM file) {
    checkString(dir, 1, SUBR);
    checkString(prefix, 2, SUBR);
    checkString(file, 3, SUBR);
    return guarded(SUBR, [&] {
        ferrix::packTree(toString(dir), toString(prefix), toString(file));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%cargo-manifest-info"
// DIR: (NAME VERSION BINARIES?) of DIR/Cargo.toml; NAME and VERSION are #f for a virtual
// workspace.
SCM primManifestInfo(SCM dir) {
    checkString(dir, 1, SUBR);
    return guarded(SUBR, [&] {
        std::string d = toString(dir);
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
// DIR PACKAGE: the .cargo-checksum.json `cargo vendor` writes for DIR; PACKAGE a hex sha256 or #f.
SCM primChecksumJson(SCM dir, SCM package) {
    checkString(dir, 1, SUBR);
    checkStringOrFalse(package, 2, SUBR);
    return guarded(
        SUBR, [&] { return fromString(cargo::checksumJson(toString(dir), toStringOpt(package))); });
}
#undef SUBR

#define SUBR "%cargo-configure"
// SETTINGS: (LOCKED? ((VAR . VALUE) ...) (LOG-LINE ...) GENERATE-LOCKFILE-COMMAND).
SCM primConfigure(SCM settings) {
    checkList(settings, 1, SUBR);
    return guarded(SUBR, [&] {
        Settings s = settingsOf(settings, SUBR);
        cargo::ConfigureResult r = cargo::configure(s);
        return scheme([&] {
            SCM env = SCM_EOL;
            for (size_t i = r.env.size(); i-- > 0;)
                env = scm_cons(scm_cons(utf8(r.env[i].first), utf8(r.env[i].second)), env);
            return scm_list_4(scm_from_bool(r.locked), env, stringList(r.log),
                              stringList(r.generateLockfile));
        });
    });
}
#undef SUBR

#define SUBR "%cargo-build-command"
SCM primBuildCommand(SCM settings) {
    checkList(settings, 1, SUBR);
    return guarded(SUBR,
                   [&] { return fromStringList(cargo::buildCommand(settingsOf(settings, SUBR))); });
}
#undef SUBR

#define SUBR "%cargo-test-command"
SCM primTestCommand(SCM settings) {
    checkList(settings, 1, SUBR);
    return guarded(SUBR,
                   [&] { return fromStringList(cargo::testCommand(settingsOf(settings, SUBR))); });
}
#undef SUBR

#define SUBR "%cargo-install"
// SETTINGS: ((COMMAND ...) (LOG-LINE ...)); the source is installed, the commands are to run.
SCM primInstall(SCM settings) {
    checkList(settings, 1, SUBR);
    return guarded(SUBR, [&] {
        cargo::InstallResult r = cargo::install(settingsOf(settings, SUBR));
        return scheme([&] {
            SCM cmds = SCM_EOL;
            for (size_t i = r.commands.size(); i-- > 0;)
                cmds = scm_cons(stringList(r.commands[i]), cmds);
            return scm_list_2(cmds, stringList(r.log));
        });
    });
}
#undef SUBR

#define SUBR "%cargo-build-cores"
SCM primBuildCores() {
    return guarded(SUBR, [&] {
        unsigned n = cargo::buildCores();
        return scheme([&] { return scm_from_uint(n); });
    });
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

} // namespace

void defineCargoPrimitives() {
    auto def = [](const char* name, int req, auto fn) {
        scm_c_define_gsubr(name, req, 0, 0, reinterpret_cast<scm_t_subr>(fn));
    };
    def("%unpack-source", 2, primUnpackSource);
    def("%pack-tree", 3, primPackTree);
    def("%cargo-manifest-info", 1, primManifestInfo);
    def("%cargo-checksum-json", 2, primChecksumJson);
    def("%cargo-configure", 1, primConfigure);
    def("%cargo-build-command", 1, primBuildCommand);
    def("%cargo-test-command", 1, primTestCommand);
    def("%cargo-install", 1, primInstall);
    def("%cargo-build-cores", 0, primBuildCores);
    def("%registry-export", 1, primRegistryExport);
}

} // namespace ferrix::guile

extern "C" void init_ferrix_cargo() {
    ferrix::guile::defineCargoPrimitives();
}
