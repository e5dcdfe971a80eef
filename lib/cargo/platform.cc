// cfg(...) expressions against a target triple (see platform.hh).
#include "ferrix/cargo/platform.hh"

#include <cctype>
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

struct Parser {
    const std::string& s;
    const std::string& key;
    const Facts& facts;
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
        if (eat('=')) {
            std::string value = str();
            auto it = facts.values.find(name);
            if (it == facts.values.end()) return std::nullopt; // feature, target_feature...
            if (name == "target_family" && (value == "unix" || value == "windows"))
                return value == "unix" ? facts.unix : facts.windows;
            return it->second == value;
        }
        if (name == "unix") return facts.unix;
        if (name == "windows") return facts.windows;
        return std::nullopt; // test, debug_assertions, proc_macro...
    }
};

} // namespace

std::optional<bool> targetApplies(const std::string& key, const std::string& triple) {
    if (key.rfind("cfg(", 0) != 0) return key == triple;
    if (key.back() != ')')
        throw FormatError("invalid target '" + key + "': expected ')' at the end");
    Facts facts = factsOf(triple);
    std::string inner = key.substr(4, key.size() - 5);
    Parser p{inner, key, facts};
    Tri t = p.expr();
    p.skip();
    if (p.pos != inner.size()) p.fail("unexpected text at offset " + std::to_string(p.pos + 4));
    return t;
}

} // namespace ferrix::cargo
