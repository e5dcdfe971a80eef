// The user configuration file: `$FERRIX_CONFIG`, else `${XDG_CONFIG_HOME:-~/.config}/ferrix/
// config.toml` (TOML, read with toml++; a missing file is an empty configuration). It holds the
// downloader's settings and mirrors; doc/fetch.md describes the format. Errors are reported as
// FILE:LINE:COLUMN: REASON.
#pragma once

#include "ferrix/fetch.hh"

#include <optional>
#include <string>
#include <vector>

namespace ferrix {

struct UserConfig {
    std::string file; // where it was read from ("" when there was none)
    FetchOptions fetch;
    // [crates] from: where the crates of Cargo.lock files come from ("" when unset): crates.io,
    // a download URL, sparse+URL or dir:DIRECTORY (doc/cargo-project.md).
    std::string cratesFrom;
};

// The path of the configuration file (whether it exists or not).
std::string userConfigPath();

// Parses `text` as a configuration file named `file`. Throws FormatError ("FILE:LINE:COLUMN: ...")
// on bad TOML, an unknown key or a value of the wrong type or range.
UserConfig parseUserConfig(const std::string& text, const std::string& file);

// Reads userConfigPath() (defaults when it does not exist).
UserConfig loadUserConfig();

// Settings from the command line, applied over the file (process-wide, set once by the command).
struct ConfigOverrides {
    bool noConfig = false;                   // ignore the file
    std::vector<PrefixMirror> prefixMirrors; // tried before the file's
    std::vector<std::string> contentMirrors; // tried before the file's
    std::optional<unsigned> maxDownloads;
};
void setConfigOverrides(ConfigOverrides overrides);

// The effective fetch options: the file (read at each call) with the overrides applied.
FetchOptions userFetchOptions();

// The file's [crates] from, unless the overrides ignore the file ("" when unset).
std::string userCratesFrom();

// Parses "PREFIX=URL" (--mirror). Throws UsageError.
PrefixMirror parseMirrorOption(const std::string& arg);

} // namespace ferrix
