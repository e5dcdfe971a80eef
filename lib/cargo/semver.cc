#include "ferrix/cargo/semver.hh"

#include "ferrix/error.hh"

#include <algorithm>
#include <cctype>

namespace ferrix::cargo {

namespace {

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
bool isIdentChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
}
bool allDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), isDigit);
}

// A tiny cursor over the text being parsed; errors name the whole text.
struct Parser {
    std::string_view all, rest;
    std::string kind; // "version" or "version requirement"

    [[noreturn]] void fail(const std::string& why) const {
        throw FormatError("invalid " + kind + " '" + std::string(all) + "': " + why);
    }
    bool done() const { return rest.empty(); }
    char peek() const { return rest.empty() ? '\0' : rest[0]; }
    void skipSpace() {
        while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t'))
            rest.remove_prefix(1);
    }
    std::string describeNext() const {
        return rest.empty() ? "end of input" : "'" + std::string(1, rest[0]) + "'";
    }

    std::uint64_t number(const char* what) {
        size_t n = 0;
        while (n < rest.size() && isDigit(rest[n]))
            ++n;
        if (n == 0)
            fail(std::string("expected the ") + what + " version number, found " + describeNext());
        std::string_view digits = rest.substr(0, n);
        if (n > 1 && digits[0] == '0')
            fail(std::string("the ") + what + " version number must not have leading zeros");
        std::uint64_t v = 0;
        for (char c : digits) {
            if (v > (UINT64_MAX - (c - '0')) / 10)
                fail(std::string("the ") + what + " version number is too large");
            v = v * 10 + (c - '0');
        }
        rest.remove_prefix(n);
        return v;
    }

    // Dot-separated identifiers after '-' or '+'.
    std::vector<std::string> identifiers(bool prerelease) {
        std::vector<std::string> out;
        const char* what = prerelease ? "prerelease" : "build metadata";
        for (;;) {
            size_t n = 0;
            while (n < rest.size() && isIdentChar(rest[n]))
                ++n;
            std::string_view id = rest.substr(0, n);
            if (id.empty()) fail(std::string("empty identifier in the ") + what);
            if (prerelease && allDigits(id) && id.size() > 1 && id[0] == '0')
                fail("numeric prerelease identifier '" + std::string(id) +
                     "' must not have leading zeros");
            out.emplace_back(id);
            rest.remove_prefix(n);
            if (peek() != '.') return out;
            rest.remove_prefix(1);
        }
    }
};

int compareIdent(const std::string& a, const std::string& b) {
    bool na = allDigits(a), nb = allDigits(b);
    if (na && nb) {
        // No leading zeros (checked when parsed): the longer number is the larger one.
        if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
        return a < b ? -1 : a > b ? 1 : 0;
    }
    if (na != nb) return na ? -1 : 1; // numeric identifiers have lower precedence
    return a < b ? -1 : a > b ? 1 : 0;
}

// Prerelease precedence; a release (no identifiers) is greater than any prerelease.
int comparePre(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    if (a.empty() || b.empty()) return a.empty() == b.empty() ? 0 : a.empty() ? 1 : -1;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (int c = compareIdent(a[i], b[i])) return c;
    return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
}

int cmp(std::uint64_t a, std::uint64_t b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

std::string join(const std::vector<std::string>& ids) {
    std::string s;
    for (auto& id : ids)
        s += (s.empty() ? "" : ".") + id;
    return s;
}

} // namespace

Version Version::parse(std::string_view text) {
    Parser p{text, text, "version"};
    if (text.empty()) p.fail("empty string");
    Version v;
    v.major = p.number("major");
    if (p.peek() != '.')
        p.fail("expected '.' after the major version number, found " + p.describeNext());
    p.rest.remove_prefix(1);
    v.minor = p.number("minor");
    if (p.peek() != '.')
        p.fail("expected '.' after the minor version number, found " + p.describeNext());
    p.rest.remove_prefix(1);
    v.patch = p.number("patch");
    if (p.peek() == '-') {
        p.rest.remove_prefix(1);
        v.pre = p.identifiers(true);
    }
    if (p.peek() == '+') {
        p.rest.remove_prefix(1);
        v.build = join(p.identifiers(false));
    }
    if (!p.done()) p.fail("unexpected character " + p.describeNext());
    return v;
}

std::string Version::str() const {
    std::string s =
        std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    if (!pre.empty()) s += "-" + join(pre);
    if (!build.empty()) s += "+" + build;
    return s;
}

int compare(const Version& a, const Version& b) {
    if (int c = cmp(a.major, b.major)) return c;
    if (int c = cmp(a.minor, b.minor)) return c;
    if (int c = cmp(a.patch, b.patch)) return c;
    return comparePre(a.pre, b.pre);
}

bool Comparator::matches(const Version& v) const {
    auto exact = [&] {
        if (v.major != major || (minor && v.minor != *minor) || (patch && v.patch != *patch))
            return false;
        return comparePre(v.pre, pre) == 0;
    };
    auto greater = [&] {
        if (v.major != major) return v.major > major;
        if (!minor) return false;
        if (v.minor != *minor) return v.minor > *minor;
        if (!patch) return false;
        if (v.patch != *patch) return v.patch > *patch;
        return comparePre(v.pre, pre) > 0;
    };
    auto less = [&] {
        if (v.major != major) return v.major < major;
        if (!minor) return false;
        if (v.minor != *minor) return v.minor < *minor;
        if (!patch) return false;
        if (v.patch != *patch) return v.patch < *patch;
        return comparePre(v.pre, pre) < 0;
    };
    switch (op) {
    case Op::Exact:
    case Op::Wildcard:
        return exact();
    case Op::Greater:
        return greater();
    case Op::GreaterEq:
        return exact() || greater();
    case Op::Less:
        return less();
    case Op::LessEq:
        return exact() || less();
    case Op::Tilde:
        if (v.major != major || (minor && v.minor != *minor)) return false;
        if (patch && v.patch != *patch) return v.patch > *patch;
        return comparePre(v.pre, pre) >= 0;
    case Op::Caret: {
        if (v.major != major) return false;
        if (!minor) return true;
        if (!patch) return major > 0 ? v.minor >= *minor : v.minor == *minor;
        if (major > 0) {
            if (v.minor != *minor) return v.minor > *minor;
            if (v.patch != *patch) return v.patch > *patch;
        } else if (*minor > 0) {
            if (v.minor != *minor) return false;
            if (v.patch != *patch) return v.patch > *patch;
        } else if (v.minor != *minor || v.patch != *patch)
            return false;
        return comparePre(v.pre, pre) >= 0;
    }
    }
    return false;
}

VersionReq VersionReq::parse(std::string_view text) {
    Parser p{text, text, "version requirement"};
    VersionReq req;
    p.skipSpace();
    if (p.done()) p.fail("empty string");
    bool star = false;
    for (;;) {
        p.skipSpace();
        Comparator c;
        bool explicitOp = true;
        if (p.rest.starts_with(">="))
            c.op = Comparator::Op::GreaterEq, p.rest.remove_prefix(2);
        else if (p.rest.starts_with("<="))
            c.op = Comparator::Op::LessEq, p.rest.remove_prefix(2);
        else if (p.peek() == '>')
            c.op = Comparator::Op::Greater, p.rest.remove_prefix(1);
        else if (p.peek() == '<')
            c.op = Comparator::Op::Less, p.rest.remove_prefix(1);
        else if (p.peek() == '=')
            c.op = Comparator::Op::Exact, p.rest.remove_prefix(1);
        else if (p.peek() == '~')
            c.op = Comparator::Op::Tilde, p.rest.remove_prefix(1);
        else if (p.peek() == '^')
            c.op = Comparator::Op::Caret, p.rest.remove_prefix(1);
        else
            explicitOp = false;
        p.skipSpace();
        auto wildcard = [&] {
            char ch = p.peek();
            if (ch == '*' || ch == 'x' || ch == 'X') {
                p.rest.remove_prefix(1);
                return true;
            }
            return false;
        };
        bool wild = false, majorWild = false;
        if (wildcard()) {
            // "*" (with or without an operator) matches every release.
            star = majorWild = wild = true;
        } else {
            c.major = p.number("major");
        }
        auto component = [&](std::optional<std::uint64_t>& slot, const char* what) {
            if (p.peek() != '.') return;
            p.rest.remove_prefix(1);
            if (wildcard()) {
                wild = true;
                return;
            }
            if (wild)
                p.fail(std::string("unexpected ") + what + " version number after a wildcard");
            slot = p.number(what);
        };
        component(c.minor, "minor");
        component(c.patch, "patch");
        if (p.peek() == '-') {
            if (!c.patch) p.fail("a prerelease needs a full MAJOR.MINOR.PATCH version");
            p.rest.remove_prefix(1);
            c.pre = p.identifiers(true);
        }
        if (p.peek() == '+') {
            if (!c.patch) p.fail("build metadata needs a full MAJOR.MINOR.PATCH version");
            p.rest.remove_prefix(1);
            p.identifiers(false); // ignored, as cargo does
        }
        if (wild && !explicitOp) c.op = Comparator::Op::Wildcard;
        if (!majorWild) req.comparators.push_back(c);
        p.skipSpace();
        if (p.done()) break;
        if (p.peek() != ',') p.fail("expected ',' between comparators, found " + p.describeNext());
        p.rest.remove_prefix(1);
        p.skipSpace();
        if (p.done()) p.fail("trailing ','");
    }
    if (star && !req.comparators.empty()) p.fail("a '*' must be the only comparator");
    return req;
}

bool VersionReq::matches(const Version& v) const {
    for (auto& c : comparators)
        if (!c.matches(v)) return false;
    if (v.pre.empty()) return true;
    // A prerelease matches only if a comparator names the same version with a prerelease.
    return std::any_of(comparators.begin(), comparators.end(), [&](const Comparator& c) {
        return c.major == v.major && c.minor == v.minor && c.patch == v.patch && !c.pre.empty();
    });
}

bool compatible(const Version& a, const Version& b) {
    if (a.major != b.major) return false;
    if (a.major > 0) return true;
    if (a.minor != b.minor) return false;
    return a.minor > 0 || a.patch == b.patch;
}

std::optional<std::string> newestMatching(const std::vector<std::string>& versions,
                                          const VersionReq& req) {
    std::optional<Version> best;
    std::optional<std::string> bestText;
    for (auto& s : versions) {
        Version v = Version::parse(s);
        if (req.matches(v) && (!best || compare(*best, v) < 0)) {
            best = v;
            bestText = s;
        }
    }
    return bestText;
}

} // namespace ferrix::cargo
