// A build script's output: the `cargo:KEY=VALUE` and `cargo::KEY=VALUE` directives it prints, as
// cargo reads them, and the file a run-custom-build unit saves them in (doc/per-crate.md), which
// its dependents read on the build side.
#pragma once

#include "ferrix/error.hh"

#include <string>
#include <utility>
#include <vector>

namespace ferrix::cargo {

// A directive cargo would refuse (a malformed `cargo::` line, `cargo::error`...); the message
// names the line.
class BuildScriptError : public Error {
    using Error::Error;
};

// NAME as cargo writes it inside a variable's name (DEP_<LINKS>_<KEY>, CARGO_FEATURE_<NAME>,
// CARGO_CFG_<KEY>): upper case, with - as _.
std::string envify(const std::string& name);

struct BuildScriptOutput {
    std::vector<std::string> linkLibs;   // rustc-link-lib: "[KIND[:MODIFIERS]=]NAME[:RENAME]"
    std::vector<std::string> linkSearch; // rustc-link-search: "[KIND=]PATH"
    // rustc-link-arg (all), -arg-bin=BIN, -arg-bins, -arg-tests, -arg-examples, -arg-benches,
    // -arg-cdylib: (which, arg) with which "", "bin:NAME", "bins", "tests", "examples", "benches",
    // "cdylib".
    std::vector<std::pair<std::string, std::string>> linkArgs;
    std::vector<std::string> cfgs, checkCfgs;
    std::vector<std::pair<std::string, std::string>> env;      // rustc-env
    std::vector<std::pair<std::string, std::string>> metadata; // `cargo::metadata=K=V`, old KEY=V
    std::vector<std::string> warnings, errors;
    std::vector<std::string> rerunIfChanged, rerunIfEnvChanged; // kept, not acted on

    // Reads a build script's standard output. `cargoVersion` decides whether the `cargo::`
    // syntax is known (1.77+), as the script's `rust-version`/toolchain does in cargo; lines
    // that are not directives are ignored, as in cargo.
    static BuildScriptOutput parse(const std::string& stdoutText, const std::string& cargoVersion);

    // The saved form, one directive per line, and back: what dependents' build sides read.
    std::string serialise() const;
    static BuildScriptOutput deserialise(const std::string& text, const std::string& file);
};

} // namespace ferrix::cargo
