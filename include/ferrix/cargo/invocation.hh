// What cargo runs for a unit of the graph (units.hh): rustc's arguments and environment for
// compiling it, and the environment of a build script's run, exactly as `cargo build -v` shows
// them, but for paths: a unit's outputs are store directories (doc/per-crate.md, "Unit outputs").
//
// Computed on the host when lowering, so that a unit's derivation shows its whole command. What
// only exists once dependencies are built (their build scripts' directives) is named here and
// applied on the build side: see BuildScriptUse.
#pragma once

#include "ferrix/cargo/units.hh"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ferrix::cargo {

// A run-custom-build unit whose saved directives (build-script.hh) the build side applies.
struct BuildScriptUse {
    std::size_t unit; // the run-custom-build unit
    enum class What {
        Own,        // the unit's own package's script: cfg, check-cfg, env, link-lib,
                    // link-search, link-arg* (those for this target kind), OUT_DIR
        LinkSearch, // a dependency's script (transitively): its rustc-link-search only
        Metadata,   // (build script runs) a direct dependency with `links`: its metadata as
                    // DEP_<LINKS>_<KEY> variables
    } what;
    std::string links; // for Metadata: the dependency's `links` value
    // For Own: whether its rustc-link-lib reach this unit; cargo passes them to the library, and
    // to the other targets only when the package has no library (they link it otherwise).
    bool linkLibs = true;
};

struct Invocation {
    std::string program;                                  // "rustc" or the build script
    std::vector<std::string> args;                        // without the program
    std::vector<std::pair<std::string, std::string>> env; // sorted by name
    std::string cwd; // where cargo runs it: the workspace root for local packages, else the
                     // package directory
    // In cargo's order. After `args` the build side appends, use by use, each one's
    // rustc-link-search as `-L` (an Own use also its `-l` and `-C link-arg=`), then the Own use's
    // `--cfg` and `--check-cfg`, as cargo adds them once the scripts have run.
    std::vector<BuildScriptUse> scripts;
};

struct InvocationOptions {
    std::string rustc = "rustc", rustdoc = "rustdoc"; // what RUSTC/RUSTDOC name for build scripts
    std::vector<std::string> rustflags;               // for every rustc (#:rustflags, defaults)
    std::string workspaceRoot;                        // the root package's directory
    std::string buildDir = "/build";                  // remapped, as cargo remaps nothing
    int jobs = 1;                                     // NUM_JOBS
    std::string cargo = "cargo";                      // what CARGO names
    // What the graph's options said and the graph does not keep (UnitGraphOptions).
    std::string hostTriple, targetTriple; // HOST, TARGET; `--target` when cross-compiling
    CfgSet hostCfg, targetCfg;            // build scripts' CARGO_CFG_*
    bool crossCompile = false;
    std::string linker;       // target units' `-C linker=` and RUSTC_LINKER when cross-compiling
    std::string cargoVersion; // "MAJOR.MINOR.PATCH" of the cargo to mimic; "" for the newest
    std::vector<std::string> testArgs; // doctests: each passed as `--test-args ARG`
    // Pipelining (doc/per-crate.md): the output holding a pipelined library's .rmeta (lib/), its
    // derivation's `meta`; empty: the .rmeta is beside the .rlib, in its UnitOutputs directory.
    std::function<std::string(std::size_t unit)> metadataOutputs;
};

// The output directory of a built unit (a store path), given its index; units not yet built are
// never asked for.
using UnitOutputs = std::function<std::string(std::size_t unit)>;

// rustc's invocation compiling unit `u` (mode Build or Test) into `outDir`.
Invocation compileInvocation(const UnitGraph& g, std::size_t u, const UnitOutputs& outputs,
                             const std::string& outDir, const InvocationOptions& options);

// The invocation of the build script compiled by unit `u`'s custom-build dependency (cargo
// sorts a run's dependencies: not always the first), for the run-custom-build unit `u`, writing
// OUT_DIR `outDir`/out.
Invocation buildScriptInvocation(const UnitGraph& g, std::size_t u, const UnitOutputs& outputs,
                                 const std::string& outDir, const InvocationOptions& options);

// rustdoc's invocation compiling and running the doctests of unit `u` (mode Doctest), as `cargo
// test` runs it once the package's tests have passed: `program` is `options.rustdoc`. Where cargo
// puts its build scripts' `-L native=`, `--cfg`, `--check-cfg` and `-C link-arg=` among the
// arguments, the build side appends them (`scripts`: the Own use passes no `-l`, as cargo's
// doctests link the library's rlib, which names its native libraries itself).
Invocation doctestInvocation(const UnitGraph& g, std::size_t u, const UnitOutputs& outputs,
                             const InvocationOptions& options);

// Whether unit `u` is pipelined: a library compiled with --emit=metadata,link whose dependents
// compile against its .rmeta alone (cargo's !requires_upstream_objects); it is also what takes
// only the .rmeta of the pipelined libraries it uses.
bool pipelined(const UnitGraph& g, std::size_t u);

// The files unit `u` leaves in its output directory, relative to it: "lib/libfoo-META.rlib" and
// ".rmeta", "lib/libfoo-META.so" for a proc-macro, "bin/NAME" for a binary, "bin/NAME-META" for a
// test, "bin/build-script-build" for a build script's compilation.
std::vector<std::string> unitOutputFiles(const UnitGraph& g, std::size_t u);

} // namespace ferrix::cargo
