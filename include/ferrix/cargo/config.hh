// Cargo's configuration as a package carries it (ROOT/.cargo/config.toml, or ROOT/.cargo/config
// which cargo prefers when both exist): what the per-crate mode takes from it, the same the
// whole-package mode's cargo reads there (doc/per-crate.md).
#pragma once

#include "ferrix/error.hh"

#include <map>
#include <string>

namespace ferrix::cargo {

// A configuration file cargo would refuse; the message starts with "FILE:LINE:COLUMN: ".
class CargoConfigError : public FormatError {
    using FormatError::FormatError;
};

struct CargoConfig {
    std::string file; // the file read; "" when the package has none
    // [target.TRIPLE] linker, as cargo resolves a program path: a value with a '/' is relative to
    // ROOT (the directory holding .cargo), a bare name is looked up on PATH when rustc links.
    std::map<std::string, std::string> linkers;

    static CargoConfig read(const std::string& root);
    static CargoConfig parse(const std::string& text, const std::string& file,
                             const std::string& root);
    std::string linker(const std::string& triple) const; // "" when none is given
};

} // namespace ferrix::cargo
