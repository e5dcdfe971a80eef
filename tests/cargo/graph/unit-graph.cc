// ferrix-unit-graph: prints ferrix's unit graph of a package as cargo's `--unit-graph` JSON, for
// tests/cargo/unit-graph.sh to compare with cargo's own.
//
//   ferrix-unit-graph ROOT CRATES CFG-FILE CARGO-VERSION [OPTION...]
//
// CRATES: a directory whose subdirectories are unpacked crates (crates.io's); CFG-FILE: what
// `rustc --print cfg` printed for the host. Options: --tests, --test-target ITEM (a #:test-target
// item, implying --tests), --target TRIPLE (cross-compiling
// to TRIPLE, whose cfg set is the host's), --no-lock, --features F, --all-features,
// --no-default-features, -p NAME.
#include "ferrix/cargo/units.hh"
#include "ferrix/file.hh"

#include <cstring>
#include <iostream>

using namespace ferrix;
using namespace ferrix::cargo;

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: ferrix-unit-graph ROOT CRATES CFG-FILE CARGO-VERSION [OPTION...]\n";
        return 2;
    }
    try {
        std::vector<CrateSource> crates;
        for (auto& name : readDirectory(argv[2]))
            if (isRegularFile(std::string(argv[2]) + "/" + name + "/Cargo.toml"))
                crates.push_back({std::string(argv[2]) + "/" + name, "", ""});
        UnitGraphOptions o;
        o.hostTriple = o.targetTriple = "x86_64-unknown-linux-gnu";
        o.hostCfg = o.targetCfg = CfgSet::parse(readFile(argv[3]));
        o.cargoVersion = argv[4];
        for (int i = 5; i < argc; i++) {
            std::string a = argv[i];
            auto next = [&] {
                if (i + 1 >= argc) throw UsageError(a + " needs an argument");
                return std::string(argv[++i]);
            };
            if (a == "--tests")
                o.tests = true;
            else if (a == "--test-target") // a #:test-target item; implies --tests
                o.tests = true, o.testTargets.push_back(next());
            else if (a == "--target") {
                o.targetTriple = next();
                o.crossCompile = true;
            } else if (a == "--no-lock")
                o.useLockfile = false;
            else if (a == "--features")
                o.features.push_back(next());
            else if (a == "--all-features")
                o.allFeatures = true;
            else if (a == "--no-default-features")
                o.noDefaultFeatures = true;
            else if (a == "-p")
                o.packages.push_back(next());
            else
                throw UsageError("unknown option " + a);
        }
        std::cout << unitGraph(argv[1], crates, o).toJson() << "\n";
    } catch (const Error& e) {
        std::cerr << "ferrix-unit-graph: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
