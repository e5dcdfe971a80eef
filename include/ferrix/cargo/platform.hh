// Rust target platforms: evaluating the `cfg(...)` expressions of [target.'cfg(...)'] tables
// against a target triple, as cargo does, to tell which target-specific dependencies apply.
#pragma once

#include "ferrix/error.hh"

#include <optional>
#include <string>

namespace ferrix::cargo {

// Whether the [target.KEY] table of a manifest applies when building for `triple`
// ("x86_64-unknown-linux-gnu"): KEY is a triple (compared as is) or "cfg(EXPR)". Returns nullopt
// when it cannot be decided (features, target_feature, unknown keys): such dependencies are kept.
// Throws FormatError for a malformed expression.
std::optional<bool> targetApplies(const std::string& key, const std::string& triple);

} // namespace ferrix::cargo
