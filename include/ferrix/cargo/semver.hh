// Semantic versions (SemVer 2.0) and cargo's version requirements, with cargo's rules: caret
// by default, prereleases only matched by a comparator naming the same MAJOR.MINOR.PATCH with a
// prerelease, build metadata ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferrix::cargo {

struct Version {
    std::uint64_t major = 0, minor = 0, patch = 0;
    std::vector<std::string> pre; // prerelease identifiers, empty for a release
    std::string build;            // build metadata, not part of precedence

    // Throws FormatError "invalid version 'TEXT': REASON".
    static Version parse(std::string_view text);
    std::string str() const;
};

// SemVer 2.0 precedence: -1, 0 or 1. Build metadata is ignored.
int compare(const Version& a, const Version& b);
inline bool operator<(const Version& a, const Version& b) {
    return compare(a, b) < 0;
}
inline bool operator==(const Version& a, const Version& b) {
    return compare(a, b) == 0;
}

struct Comparator {
    enum class Op { Exact, Greater, GreaterEq, Less, LessEq, Tilde, Caret, Wildcard };
    Op op = Op::Caret;
    std::uint64_t major = 0;
    std::optional<std::uint64_t> minor, patch;
    std::vector<std::string> pre;
    bool matches(const Version& v) const; // without the prerelease rule
};

struct VersionReq {
    std::vector<Comparator> comparators; // all must match; none: "*"

    // Throws FormatError "invalid version requirement 'TEXT': REASON".
    static VersionReq parse(std::string_view text);
    bool matches(const Version& v) const;
};

// Cargo's compatibility: the same major version, or 0.MINOR for 0.x, or 0.0.PATCH for 0.0.x.
bool compatible(const Version& a, const Version& b);

// The newest of `versions` that `req` matches (versions are parsed; a bad one throws).
std::optional<std::string> newestMatching(const std::vector<std::string>& versions,
                                          const VersionReq& req);

} // namespace ferrix::cargo
