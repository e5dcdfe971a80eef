// One unit's build side in the per-crate mode (doc/per-crate.md, "A unit's build"): the unit's
// spec, which the host side writes into its derivation's environment as JSON, and carrying it
// out: rustc or a build script, with the directives of the scripts it uses applied, its outputs
// shaped as its dependents read them. `ferrix unit`, a derivation's builder, runs it without
// starting Guile: a unit's start-up is paid hundreds of times per graph.
#pragma once

#include "ferrix/error.hh"

#include <string>
#include <utility>
#include <vector>

namespace ferrix::cargo {

// A spec that cannot be read: the message names the field.
class UnitSpecError : public Error {
    using Error::Error;
};
// The unit failed; its diagnostics were printed before this.
class UnitBuildError : public Error {
    using Error::Error;
};

using EnvList = std::vector<std::pair<std::string, std::string>>;

// A build script run whose saved directives a unit reads (lib/cargo/invocation.cc chooses):
//   own          the unit's own package's script: -L, -l (when `linkLibs`), the link arguments
//                that apply to the unit, --cfg and --check-cfg; OUT_DIR and its rustc-env;
//   link-search  a dependency's script: its -L, and its cdylib link arguments for a cdylib;
//   metadata     a build script run's dependency with `links = LINKS`: DEP_<LINKS>_<KEY>.
struct ScriptUse {
    std::string item; // the run's output, holding out/ and directives
    std::string what; // "own", "link-search" or "metadata"
    std::string links;
};

struct UnitSpec {
    std::string crate, version;
    std::string kind; // lib, bin, test, bench, example, custom-build
    std::string targetName;
    std::vector<std::string> crateTypes;
    std::string mode; // build, test, run-custom-build
    std::string metadata;
    std::string program; // the placeholder stands for the unit's output in these four
    std::vector<std::string> arguments;
    EnvList environment;
    std::string directory;
    std::vector<ScriptUse> scripts;
    std::string placeholder;
    bool linkLibs = true;
    std::string cargoVersion;        // how a build script run's directives are read
    std::vector<std::string> inputs; // store items: their bin/ on PATH, pkgconfig directories

    bool run() const { return mode == "run-custom-build"; }
    // "`regex' 1.7.0 (lib)", "`wordfreq' 0.1.0 (bin \"wf\")": how messages name the unit.
    std::string description() const;

    static UnitSpec parse(const std::string& json);
    std::string toJSON() const;
};

// Whether a link argument for `which` ("", "bin:NAME", "bins", "tests", "benches", "examples",
// "cdylib") reaches a unit of `kind` named `targetName` of `crateTypes`, compiled as a test
// when `test`, as cargo decides it.
bool linkArgApplies(const std::string& which, const std::string& kind,
                    const std::string& targetName, const std::vector<std::string>& crateTypes,
                    bool test);

// The rustc arguments the directives of `scripts` add to a unit, in cargo's order: -L and -l,
// the link arguments, then --cfg and --check-cfg of its own script.
std::vector<std::string> scriptArguments(const std::vector<ScriptUse>& scripts,
                                         const std::string& kind, const std::string& targetName,
                                         const std::vector<std::string>& crateTypes, bool linkLibs,
                                         bool test);
// The variables they give it: OUT_DIR and rustc-env of its own script, DEP_<LINKS>_<KEY> of the
// metadata scripts.
EnvList scriptEnvironment(const std::vector<ScriptUse>& scripts);

// What a unit's build sets before running anything: PATH, the inputs' bin/ before the host's
// /usr/bin and /bin (as in the whole-package mode); PKG_CONFIG_PATH, their pkgconfig directories
// before its current value; SOURCE_DATE_EPOCH.
EnvList searchPathVariables(const std::vector<std::string>& inputs);

// Builds the unit into `out` (and, for a pipelined library, its metadata into `meta`, declared
// complete on standard output as soon as rustc has written it): sets up this process's
// environment and runs the program. Throws UnitBuildError after printing the diagnostics.
void buildUnit(const UnitSpec& spec, const std::string& out, const std::string& meta);

// `ferrix unit`: the spec from the file ferrixUnitPath names (the derivation passes ferrixUnit
// as a file), the outputs from out and meta; an error is printed as one `error:` line. Returns
// the exit status.
int unitBuilderMain();

} // namespace ferrix::cargo
