// Build script directives as cargo reads them (its custom_build.rs `BuildOutput::parse`): cargo
// before 1.77 knows only `cargo:KEY=VALUE`, any key it does not reserve being metadata; 1.77
// adds `cargo::KEY=VALUE`, where an unknown key is an error and metadata is spelt
// `cargo::metadata=KEY=VALUE`, and where the old syntax keeps only the keys it had.
#include "ferrix/cargo/build-script.hh"

#include <array>
#include <cctype>
#include <cstdio>
#include <string_view>

namespace ferrix::cargo {

std::string envify(const std::string& name) {
    std::string out;
    for (char c : name)
        out += c == '-' ? '_' : (char)std::toupper((unsigned char)c);
    return out;
}

namespace {

// Decodes one UTF-8 scalar at s[i] as Rust's str::from_utf8 accepts it (no overlong forms,
// no surrogates, nothing past U+10FFFF); returns its length, 0 when invalid.
size_t decodeUtf8(std::string_view s, size_t i, char32_t& c) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    unsigned char b0 = b(0);
    if (b0 < 0x80) {
        c = b0;
        return 1;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
        c = (b0 & 0x1Fu) << 6 | (b(1) & 0x3Fu);
        return 2;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
        c = (b0 & 0x0Fu) << 12 | (b(1) & 0x3Fu) << 6 | (b(2) & 0x3Fu);
        if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
        c = (b0 & 0x07u) << 18 | (b(1) & 0x3Fu) << 12 | (b(2) & 0x3Fu) << 6 | (b(3) & 0x3Fu);
        if (c < 0x10000 || c > 0x10FFFF) return 0;
        return 4;
    }
    return 0;
}

bool validUtf8(std::string_view s) {
    char32_t c;
    for (size_t i = 0; i < s.size();) {
        size_t n = decodeUtf8(s, i, c);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// Rust's char::is_whitespace (Unicode White_Space), which str::trim uses.
bool isWhitespace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

// On valid UTF-8 only.
std::string_view trimStart(std::string_view s) {
    char32_t c;
    size_t i = 0;
    while (i < s.size()) {
        size_t n = decodeUtf8(s, i, c);
        if (!isWhitespace(c)) break;
        i += n;
    }
    return s.substr(i);
}

std::string_view trimEnd(std::string_view s) {
    size_t end = s.size();
    while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
            --start;
        char32_t c;
        decodeUtf8(s, start, c);
        if (!isWhitespace(c)) break;
        end = start;
    }
    return s.substr(0, end);
}

std::string_view trim(std::string_view s) {
    return trimEnd(trimStart(s));
}

// Splits at the first `sep`; false when there is none.
bool splitOnce(std::string_view s, char sep, std::string_view& a, std::string_view& b) {
    size_t k = s.find(sep);
    if (k == std::string_view::npos) return false;
    a = s.substr(0, k);
    b = s.substr(k + 1);
    return true;
}

// Whitespace-separated words (Rust's char::is_whitespace), empty ones dropped.
std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0, start = 0;
    char32_t c;
    while (i < s.size()) {
        size_t n = decodeUtf8(s, i, c);
        if (isWhitespace(c)) {
            if (i > start) out.push_back(s.substr(start, i - start));
            start = i + n;
        }
        i += n;
    }
    if (s.size() > start) out.push_back(s.substr(start));
    return out;
}

struct Version {
    unsigned major = ~0u, minor = ~0u; // unknown: the newest
    bool atLeast(unsigned ma, unsigned mi) const {
        return major > ma || (major == ma && minor >= mi);
    }
};

Version parseVersion(const std::string& v) {
    Version r;
    unsigned ma, mi;
    if (std::sscanf(v.c_str(), "%u.%u", &ma, &mi) == 2) r = {ma, mi};
    return r;
}

const char* const docsHint = "See https://doc.rust-lang.org/cargo/reference/build-scripts.html"
                             "#outputs-of-the-build-script for more information about build "
                             "script outputs.";

// The keys cargo knew before 1.77, which the old syntax keeps: any other `cargo:KEY=V` is
// metadata.
constexpr std::array reservedKeys = {"rustc-flags",
                                     "rustc-link-lib",
                                     "rustc-link-search",
                                     "rustc-link-arg-cdylib",
                                     "rustc-cdylib-link-arg",
                                     "rustc-link-arg-bins",
                                     "rustc-link-arg-bin",
                                     "rustc-link-arg-tests",
                                     "rustc-link-arg-benches",
                                     "rustc-link-arg-examples",
                                     "rustc-link-arg",
                                     "rustc-cfg",
                                     "rustc-check-cfg",
                                     "rustc-env",
                                     "warning",
                                     "rerun-if-changed",
                                     "rerun-if-env-changed"};

bool reserved(std::string_view key) {
    for (std::string_view k : reservedKeys)
        if (key == k) return true;
    return false;
}

bool reservedPrefix(std::string_view data) {
    for (std::string_view k : reservedKeys)
        if (data.size() > k.size() && data.starts_with(k) && data[k.size()] == '=') return true;
    return false;
}

const std::vector<std::pair<std::string, std::string>> linkArgKeys = {
    {"", "rustc-link-arg"},
    {"bins", "rustc-link-arg-bins"},
    {"tests", "rustc-link-arg-tests"},
    {"examples", "rustc-link-arg-examples"},
    {"benches", "rustc-link-arg-benches"},
    {"cdylib", "rustc-link-arg-cdylib"}};

} // namespace

BuildScriptOutput BuildScriptOutput::parse(const std::string& stdoutText,
                                           const std::string& cargoVersion) {
    Version version = parseVersion(cargoVersion);
    bool newSyntax = version.atLeast(1, 77), checkCfg = version.atLeast(1, 80);
    BuildScriptOutput o;
    for (size_t pos = 0; pos <= stdoutText.size();) {
        size_t nl = stdoutText.find('\n', pos);
        if (nl == std::string::npos) nl = stdoutText.size();
        std::string_view raw(stdoutText.data() + pos, nl - pos);
        pos = nl + 1;
        if (!validUtf8(raw)) continue;
        std::string_view line = trim(raw);
        std::string lineText(line);
        std::string_view key, value, data;
        bool isNew = false;
        if (newSyntax && line.starts_with("cargo::")) {
            isNew = true;
            data = line.substr(7);
            if (!splitOnce(data, '=', key, value))
                throw BuildScriptError("invalid output in the build script: `" + lineText +
                                       "`: expected a line with `cargo::KEY=VALUE` with an `=` "
                                       "character, but none was found. " +
                                       docsHint);
        } else if (line.starts_with("cargo:")) {
            data = line.substr(6);
            if (!newSyntax || reservedPrefix(data)) {
                if (!splitOnce(data, '=', key, value))
                    throw BuildScriptError("invalid output in the build script: `" + lineText +
                                           "`: expected a line with `cargo:KEY=VALUE` with an "
                                           "`=` character, but none was found. " +
                                           docsHint);
                if (!reserved(key)) {
                    // Before 1.77 any other key is metadata as it is (`cargo::K=V` too, as
                    // the key `:K`).
                    o.metadata.emplace_back(key, trimEnd(value));
                    continue;
                }
            } else {
                key = "metadata";
                value = data;
            }
        } else
            continue;
        std::string v(trimEnd(value));
        const char* syntax = isNew ? "cargo::" : "cargo:";
        auto bad = [&](const std::string& why) {
            return BuildScriptError("invalid instruction `" + std::string(syntax) +
                                    std::string(key) + "=" + v + "` in the build script: " + why);
        };
        if (key == "rustc-flags") {
            auto ws = words(v);
            for (size_t i = 0; i < ws.size(); ++i) {
                std::string_view w = ws[i];
                if (!w.starts_with("-l") && !w.starts_with("-L"))
                    throw bad("only `-l` and `-L` flags are allowed in rustc-flags");
                std::string_view arg = w.substr(2);
                if (arg.empty()) {
                    if (i + 1 == ws.size()) throw bad("flag " + std::string(w) + " has no value");
                    arg = ws[++i];
                }
                (w[1] == 'l' ? o.linkLibs : o.linkSearch).emplace_back(arg);
            }
        } else if (key == "rustc-link-lib")
            o.linkLibs.push_back(v);
        else if (key == "rustc-link-search")
            o.linkSearch.push_back(v);
        else if (key == "rustc-link-arg-cdylib" || key == "rustc-cdylib-link-arg")
            o.linkArgs.emplace_back("cdylib", v);
        else if (key == "rustc-link-arg-bins")
            o.linkArgs.emplace_back("bins", v);
        else if (key == "rustc-link-arg-bin") {
            std::string_view bin, arg;
            if (!splitOnce(v, '=', bin, arg))
                throw bad("the instruction should have the form " + std::string(syntax) +
                          "rustc-link-arg-bin=BIN=ARG");
            o.linkArgs.emplace_back("bin:" + std::string(bin), arg);
        } else if (key == "rustc-link-arg-tests")
            o.linkArgs.emplace_back("tests", v);
        else if (key == "rustc-link-arg-benches")
            o.linkArgs.emplace_back("benches", v);
        else if (key == "rustc-link-arg-examples")
            o.linkArgs.emplace_back("examples", v);
        else if (key == "rustc-link-arg")
            o.linkArgs.emplace_back("", v);
        else if (key == "rustc-cfg")
            o.cfgs.push_back(v);
        else if (key == "rustc-check-cfg") {
            if (checkCfg)
                o.checkCfgs.push_back(v);
            else
                o.warnings.push_back(std::string(syntax) + "rustc-check-cfg requires -Zcheck-cfg "
                                                           "flag");
        } else if (key == "rustc-env") {
            std::string_view name, val;
            if (!splitOnce(v, '=', name, val)) throw bad("rustc-env has no value");
            if (name == "RUSTC_BOOTSTRAP")
                throw bad("crates cannot set `RUSTC_BOOTSTRAP` themselves, as doing so would "
                          "subvert the stability guarantees of Rust");
            o.env.emplace_back(name, val);
        } else if (key == "error" && isNew)
            o.errors.push_back(v);
        else if (key == "warning")
            o.warnings.push_back(v);
        else if (key == "rerun-if-changed")
            o.rerunIfChanged.push_back(v);
        else if (key == "rerun-if-env-changed")
            o.rerunIfEnvChanged.push_back(v);
        else if (key == "metadata") {
            std::string_view name, val;
            if (!splitOnce(v, '=', name, val))
                throw BuildScriptError(
                    "invalid output in the build script: `" + lineText +
                    "`: expected a line with `" +
                    (isNew ? std::string("cargo::metadata=KEY=VALUE") : "cargo:KEY=VALUE") +
                    "` with an `=` character, but none was found. " + docsHint);
            o.metadata.emplace_back(name, trimEnd(val));
        } else
            throw BuildScriptError("invalid output in the build script: `" + lineText +
                                   "`: unknown key `" + std::string(key) + "`. " + docsHint);
    }
    return o;
}

// One `KEY=VALUE` line per directive, with the `cargo::` keys; parsed values hold no newline.
std::string BuildScriptOutput::serialise() const {
    std::string s;
    auto line = [&](std::string_view key, std::string_view value) {
        s.append(key).append("=").append(value).append("\n");
    };
    for (auto& v : linkLibs)
        line("rustc-link-lib", v);
    for (auto& v : linkSearch)
        line("rustc-link-search", v);
    for (auto& [which, arg] : linkArgs) {
        if (which.starts_with("bin:")) {
            line("rustc-link-arg-bin", which.substr(4) + "=" + arg);
            continue;
        }
        for (auto& [w, key] : linkArgKeys)
            if (w == which) line(key, arg);
    }
    for (auto& v : cfgs)
        line("rustc-cfg", v);
    for (auto& v : checkCfgs)
        line("rustc-check-cfg", v);
    for (auto& [k, v] : env)
        line("rustc-env", k + "=" + v);
    for (auto& [k, v] : metadata)
        line("metadata", k + "=" + v);
    for (auto& v : warnings)
        line("warning", v);
    for (auto& v : errors)
        line("error", v);
    for (auto& v : rerunIfChanged)
        line("rerun-if-changed", v);
    for (auto& v : rerunIfEnvChanged)
        line("rerun-if-env-changed", v);
    return s;
}

BuildScriptOutput BuildScriptOutput::deserialise(const std::string& text, const std::string& file) {
    BuildScriptOutput o;
    std::string_view rest(text);
    for (size_t n = 1; !rest.empty(); ++n) {
        size_t nl = rest.find('\n');
        if (nl == std::string_view::npos)
            throw FormatError(file + ":" + std::to_string(n) + ": the last line has no newline");
        std::string_view line = rest.substr(0, nl), key, value;
        rest = rest.substr(nl + 1);
        auto fail = [&](const std::string& why) {
            return FormatError(file + ":" + std::to_string(n) + ": " + why);
        };
        if (!splitOnce(line, '=', key, value)) throw fail("expected KEY=VALUE");
        auto pair = [&](std::vector<std::pair<std::string, std::string>>& to) {
            std::string_view a, b;
            if (!splitOnce(value, '=', a, b)) throw fail("expected " + std::string(key) + "=K=V");
            to.emplace_back(a, b);
        };
        bool known = true;
        if (key == "rustc-link-lib")
            o.linkLibs.emplace_back(value);
        else if (key == "rustc-link-search")
            o.linkSearch.emplace_back(value);
        else if (key == "rustc-link-arg-bin") {
            std::string_view bin, arg;
            if (!splitOnce(value, '=', bin, arg)) throw fail("expected rustc-link-arg-bin=BIN=ARG");
            o.linkArgs.emplace_back("bin:" + std::string(bin), arg);
        } else if (key == "rustc-cfg")
            o.cfgs.emplace_back(value);
        else if (key == "rustc-check-cfg")
            o.checkCfgs.emplace_back(value);
        else if (key == "rustc-env")
            pair(o.env);
        else if (key == "metadata")
            pair(o.metadata);
        else if (key == "warning")
            o.warnings.emplace_back(value);
        else if (key == "error")
            o.errors.emplace_back(value);
        else if (key == "rerun-if-changed")
            o.rerunIfChanged.emplace_back(value);
        else if (key == "rerun-if-env-changed")
            o.rerunIfEnvChanged.emplace_back(value);
        else {
            known = false;
            for (auto& [w, k] : linkArgKeys)
                if (k == key) {
                    o.linkArgs.emplace_back(w, value);
                    known = true;
                }
        }
        if (!known) throw fail("unknown directive '" + std::string(key) + "'");
    }
    return o;
}

} // namespace ferrix::cargo
