// Cargo's configuration as a package carries it (ROOT/.cargo/config.toml, or ROOT/.cargo/config
// which cargo prefers when both exist): what the per-crate mode takes from it, the same the
// whole-package mode's cargo reads there (doc/per-crate.md); and what a build ignores of it
// (doc/cargo.md, "The project's .cargo/config").
#pragma once

#include "ferrix/error.hh"

#include <map>
#include <string>
#include <vector>

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
    // [build] rustflags and [target.TRIPLE] rustflags (a string is split on spaces, as cargo does).
    std::vector<std::string> buildRustflags;
    std::map<std::string, std::vector<std::string>> targetRustflags;

    static CargoConfig read(const std::string& root);
    static CargoConfig parse(const std::string& text, const std::string& file,
                             const std::string& root);
    std::string linker(const std::string& triple) const; // "" when none is given
    // The flags cargo takes from this file for `triple`: [target.TRIPLE] rustflags when given,
    // else [build] rustflags ([target.'cfg(...)'] tables are not read).
    std::vector<std::string> rustflags(const std::string& triple) const;
};

// What a build took out of a source's `.cargo/config*`: the keys that would change where crates
// come from or let cargo reach the network.
struct IgnoredConfig {
    std::string file;              // the file rewritten
    std::vector<std::string> keys; // "source.crates-io", "net", "patch.crates-io", ...
    std::vector<std::string> kept; // the top-level tables left in effect: "build", "env", ...
};

// Rewrites `dir`/.cargo/config and `dir`/.cargo/config.toml (cargo reads the project's files
// before CARGO_HOME's, so their source replacement would win over the vendor directory) without
// their [source], [patch], [registries], [registry], [net], [http] and `paths` entries; what is
// left ([build], [target], [env], [profile], [alias]...) still applies. Each original is kept
// beside it as FILE.ferrix-orig for restoreSourceConfigs. Returns one entry per file changed.
std::vector<IgnoredConfig> ignoreSourceReplacement(const std::string& dir);

// Puts back under `dir`/.cargo the originals ignoreSourceReplacement kept (in a copy of the tree).
void restoreSourceConfigs(const std::string& dir);

} // namespace ferrix::cargo
