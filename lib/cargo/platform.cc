// cfg(...) expressions against a target triple (see platform.hh).
#include "ferrix/cargo/platform.hh"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <vector>

namespace ferrix::cargo {

namespace {

using Tri = std::optional<bool>;

struct Facts {
    std::map<std::string, std::string> values; // target_os = "linux"...
    bool unix = false, windows = false;
};

Facts factsOf(const std::string& triple) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= triple.size()) {
        size_t j = triple.find('-', i);
        if (j == std::string::npos) j = triple.size();
        parts.push_back(triple.substr(i, j - i));
        i = j + 1;
    }
    Facts f;
    std::string arch = parts[0];
    std::string vendor = parts.size() > 1 ? parts[1] : "unknown";
    std::string os = parts.size() > 2 ? parts[2] : "none";
    std::string env = parts.size() > 3 ? parts[3] : "";
    std::string a = arch;
    if (arch.rfind("armv", 0) == 0 || arch == "arm")
        a = "arm";
    else if (arch == "i686" || arch == "i586" || arch == "i386")
        a = "x86";
    else if (arch.rfind("riscv64", 0) == 0)
        a = "riscv64";
    else if (arch.rfind("powerpc64", 0) == 0)
        a = "powerpc64";
    else if (arch.rfind("mips64", 0) == 0)
        a = "mips64";
    else if (arch.rfind("mips", 0) == 0)
        a = "mips";
    f.values["target_arch"] = a;
    f.values["target_vendor"] = vendor;
    if (os == "darwin") os = "macos";
    f.values["target_os"] = os;
    std::string e;
    if (env.rfind("gnu", 0) == 0)
        e = "gnu";
    else if (env.rfind("musl", 0) == 0)
        e = "musl";
    else if (env == "msvc")
        e = "msvc";
    f.values["target_env"] = e;
    f.windows = os == "windows";
    f.unix = !f.windows && os != "none" && os != "uefi" && arch.rfind("wasm", 0) != 0;
    f.values["target_family"] = f.windows ? "windows" : f.unix ? "unix" : "";
    bool p64 = (a == "x86_64" || a == "aarch64" || a == "riscv64" || a == "powerpc64" ||
                a == "mips64" || a == "loongarch64" || a == "s390x" || a == "sparc64") &&
               env != "gnux32";
    f.values["target_pointer_width"] = p64 ? "64" : "32";
    bool big = a == "s390x" || a == "sparc64" || (a == "powerpc64" && arch != "powerpc64le") ||
               a == "powerpc" ||
               ((a == "mips" || a == "mips64") && arch.find("el") == std::string::npos);
    f.values["target_endian"] = big ? "big" : "little";
    return f;
}

// A leaf of a cfg expression: `name` (value nullopt) or `name = "value"`.
using Leaf = std::function<Tri(const std::string& name, const std::optional<std::string>& value)>;

struct Parser {
    const std::string& s;
    const std::string& key;
    const Leaf& leaf;
    size_t pos = 0;

    [[noreturn]] void fail(const std::string& why) {
        throw FormatError("invalid target '" + key + "': " + why);
    }
    void skip() {
        while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos])))
            ++pos;
    }
    bool eat(char c) {
        skip();
        if (pos < s.size() && s[pos] == c) {
            ++pos;
            return true;
        }
        return false;
    }
    std::string ident() {
        skip();
        size_t start = pos;
        while (pos < s.size() &&
               (std::isalnum(static_cast<unsigned char>(s[pos])) || s[pos] == '_'))
            ++pos;
        if (start == pos) fail("expected a name at offset " + std::to_string(start));
        return s.substr(start, pos - start);
    }
    std::string str() {
        skip();
        if (pos >= s.size() || s[pos] != '"')
            fail("expected a string at offset " + std::to_string(pos));
        size_t end = s.find('"', pos + 1);
        if (end == std::string::npos) fail("unterminated string");
        std::string v = s.substr(pos + 1, end - pos - 1);
        pos = end + 1;
        return v;
    }
    // Bounded, so that a hostile key is refused instead of overflowing the stack.
    static constexpr int maxDepth = 64;
    int depth = 0;

    std::vector<Tri> list() {
        std::vector<Tri> items;
        if (!eat('(')) fail("expected '('");
        if (++depth > maxDepth)
            fail("more than " + std::to_string(maxDepth) + " nested all(), any() or not()");
        if (!eat(')')) {
            do {
                items.push_back(expr());
            } while (eat(','));
            if (!eat(')')) fail("expected ')'");
        }
        --depth;
        return items;
    }
    Tri expr() {
        std::string name = ident();
        if (name == "all" || name == "any") {
            auto items = list();
            bool all = name == "all";
            bool unknown = false;
            for (auto& t : items) {
                if (!t)
                    unknown = true;
                else if (*t != all)
                    return !all;
            }
            if (unknown) return std::nullopt;
            return all;
        }
        if (name == "not") {
            auto items = list();
            if (items.size() != 1) fail("not() takes one argument");
            if (!items[0]) return std::nullopt;
            return !*items[0];
        }
        if (eat('=')) return leaf(name, str());
        return leaf(name, std::nullopt);
    }
};

// KEY is "cfg(EXPR)": EXPR evaluated with LEAF, all of it consumed.
Tri evaluate(const std::string& key, const Leaf& leaf) {
    if (key.back() != ')')
        throw FormatError("invalid target '" + key + "': expected ')' at the end");
    std::string inner = key.substr(4, key.size() - 5);
    Parser p{inner, key, leaf};
    Tri t = p.expr();
    p.skip();
    if (p.pos != inner.size()) p.fail("unexpected text at offset " + std::to_string(p.pos + 4));
    return t;
}

} // namespace

std::optional<bool> targetApplies(const std::string& key, const std::string& triple) {
    if (key.rfind("cfg(", 0) != 0) return key == triple;
    Facts facts = factsOf(triple);
    Leaf leaf = [&](const std::string& name, const std::optional<std::string>& value) -> Tri {
        if (value) {
            auto it = facts.values.find(name);
            if (it == facts.values.end()) return std::nullopt; // feature, target_feature...
            if (name == "target_family" && (*value == "unix" || *value == "windows"))
                return *value == "unix" ? facts.unix : facts.windows;
            return it->second == *value;
        }
        if (name == "unix") return facts.unix;
        if (name == "windows") return facts.windows;
        return std::nullopt; // test, debug_assertions, proc_macro...
    };
    return evaluate(key, leaf);
}

bool targetApplies(const std::string& key, const std::string& triple, const CfgSet& cfg) {
    if (key.rfind("cfg(", 0) != 0) return key == triple;
    Leaf leaf = [&](const std::string& name, const std::optional<std::string>& value) -> Tri {
        if (value) return cfg.has(name, *value);
        // `cfg(true)` and `cfg(false)`: literals since Rust 1.88.
        if (name == "true" || name == "false") return name == "true";
        return cfg.has(name);
    };
    return *evaluate(key, leaf);
}

bool BuildPlatforms::applies(const std::string& key, DepKind kind) const {
    switch (kind) {
    case DepKind::Build:
        return targetApplies(key, host, hostCfg);
    case DepKind::Dev:
        return targetApplies(key, target, targetCfg);
    case DepKind::Normal:
        break;
    }
    return targetApplies(key, target, targetCfg) || targetApplies(key, host, hostCfg);
}

CfgSet CfgSet::parse(const std::string& output) {
    CfgSet set;
    size_t i = 0, lineNo = 0;
    while (i < output.size()) {
        size_t j = output.find('\n', i);
        if (j == std::string::npos) j = output.size();
        std::string line = output.substr(i, j - i);
        i = j + 1;
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (!set.add(line))
            throw FormatError("line " + std::to_string(lineNo) + " of rustc's cfg list, '" + line +
                              "', is neither NAME nor NAME=\"VALUE\"");
    }
    return set;
}

bool CfgSet::add(const std::string& spec) {
    auto isName = [](const std::string& n) {
        if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
        return std::all_of(n.begin(), n.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
    };
    size_t eq = spec.find('=');
    if (eq == std::string::npos) {
        if (!isName(spec)) return false;
        names.insert(spec);
        return true;
    }
    std::string name = spec.substr(0, eq), value = spec.substr(eq + 1);
    if (!isName(name) || value.size() < 2 || value.front() != '"' || value.back() != '"' ||
        value.find('"', 1) != value.size() - 1)
        return false;
    values.emplace(name, value.substr(1, value.size() - 2));
    return true;
}

void CfgSet::addRustflags(const std::vector<std::string>& rustflags) {
    for (size_t i = 0; i < rustflags.size(); ++i) {
        std::string spec;
        if (rustflags[i] == "--cfg" && i + 1 < rustflags.size())
            spec = rustflags[++i];
        else if (rustflags[i].rfind("--cfg=", 0) == 0)
            spec = rustflags[i].substr(6);
        else
            continue;
        if (!add(spec))
            throw FormatError("--cfg " + spec +
                              " in the rustflags is neither NAME nor NAME=\"VALUE\"");
    }
}

bool CfgSet::has(const std::string& name) const {
    return names.count(name) > 0;
}

bool CfgSet::has(const std::string& name, const std::string& value) const {
    return values.count({name, value}) > 0;
}

std::string CfgSet::str() const {
    std::vector<std::string> lines(names.begin(), names.end());
    for (auto& [n, v] : values)
        lines.push_back(n + "=\"" + v + "\"");
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (auto& l : lines)
        out += l + "\n";
    return out;
}

} // namespace ferrix::cargo
