// Cargo.toml and Cargo.lock with toml++ (see manifest.hh).
#include "ferrix/cargo/manifest.hh"

#include "ferrix/file.hh"

#include <toml++/toml.h>

#include <algorithm>
#include <dirent.h>
#include <functional>
#include <map>
#include <memory>
#include <sys/stat.h>

namespace ferrix::cargo {

namespace {

SourcePos posOf(const toml::node& n) {
    auto& b = n.source().begin;
    return {static_cast<int>(b.line), static_cast<int>(b.column)};
}

std::string where(const std::string& file, const toml::source_region& r) {
    return locate(file, {static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)});
}

[[noreturn]] void fail(const std::string& file, const toml::node& n, const std::string& msg) {
    throw ManifestError(where(file, n.source()) + msg);
}

toml::table parse(const std::string& text, const std::string& file) {
    try {
        return toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        throw ManifestError(where(file, e.source()) + std::string(e.description()));
    }
}

std::string str(const std::string& file, const toml::node& n, const std::string& what) {
    if (auto s = n.as_string()) return s->get();
    fail(file, n, what + " must be a string");
}

bool boolean(const std::string& file, const toml::node& n, const std::string& what) {
    if (auto b = n.as_boolean()) return b->get();
    fail(file, n, what + " must be true or false");
}

const toml::table& table(const std::string& file, const toml::node& n, const std::string& what) {
    if (auto t = n.as_table()) return *t;
    fail(file, n, what + " must be a table");
}

std::vector<std::string> strings(const std::string& file, const toml::node& n,
                                 const std::string& what) {
    auto a = n.as_array();
    if (!a) fail(file, n, what + " must be an array of strings");
    std::vector<std::string> out;
    for (auto& item : *a)
        out.push_back(str(file, item, what + " entries"));
    return out;
}

void readDeps(const std::string& file, const toml::table& t, DepKind kind,
              const std::string& target, std::vector<Dependency>& out) {
    for (auto& [k, v] : t) {
        Dependency d;
        d.key = std::string(k.str());
        d.package = d.key;
        d.kind = kind;
        d.target = target;
        d.line = static_cast<int>(v.source().begin.line);
        d.pos = posOf(v);
        std::string what = std::string(depKindTable(kind)) + "." + d.key;
        if (auto s = v.as_string()) {
            d.version = s->get();
        } else if (auto dt = v.as_table()) {
            for (auto& [dk, dv] : *dt) {
                std::string key(dk.str());
                if (key == "version")
                    d.version = str(file, dv, what + ".version");
                else if (key == "path")
                    d.path = str(file, dv, what + ".path");
                else if (key == "package")
                    d.package = str(file, dv, what + ".package");
                else if (key == "optional")
                    d.optional = boolean(file, dv, what + ".optional");
                else if (key == "workspace")
                    d.workspace = boolean(file, dv, what + ".workspace");
                else if (key == "git")
                    d.git = str(file, dv, what + ".git");
                else if (key == "features")
                    d.features = strings(file, dv, what + ".features");
                else if (key == "default-features" || key == "default_features") {
                    d.defaultFeatures = boolean(file, dv, what + "." + key);
                    d.defaultFeaturesSet = true;
                } else if (key == "registry")
                    d.registry = str(file, dv, what + ".registry");
                else if (key == "registry-index")
                    d.registryIndex = str(file, dv, what + ".registry-index");
            }
        } else {
            fail(file, v, what + " must be a version string or a table");
        }
        out.push_back(std::move(d));
    }
}

void readDepTables(const std::string& file, const toml::table& t, const std::string& target,
                   std::vector<Dependency>& out) {
    for (DepKind kind : {DepKind::Normal, DepKind::Dev, DepKind::Build}) {
        std::string name = depKindTable(kind);
        if (auto n = t.get(name)) readDeps(file, table(file, *n, name), kind, target, out);
        // The old spellings.
        std::string old = kind == DepKind::Dev     ? "dev_dependencies"
                          : kind == DepKind::Build ? "build_dependencies"
                                                   : "";
        if (!old.empty())
            if (auto n = t.get(old)) readDeps(file, table(file, *n, old), kind, target, out);
    }
}

bool isDir(const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// `{ workspace = true }`, as a [package] key inherited from the workspace.
bool inheritsFromWorkspace(const std::string& file, const toml::node& n, const std::string& what) {
    auto t = n.as_table();
    if (!t) return false;
    auto w = t->get("workspace");
    if (!w || !boolean(file, *w, what + ".workspace"))
        fail(file, n, what + " must be { workspace = true } when it is a table");
    return true;
}

// The [package] keys a registry publishes.
void readPackageMetadata(const std::string& file, const toml::table& p, Manifest& m) {
    auto text = [&](const char* key, std::string& out) {
        auto n = p.get(key);
        if (!n) return;
        if (inheritsFromWorkspace(file, *n, std::string("package.") + key))
            m.inherited.push_back(key);
        else
            out = str(file, *n, std::string("package.") + key);
    };
    auto list = [&](const char* key, std::vector<std::string>& out) {
        auto n = p.get(key);
        if (!n) return;
        if (inheritsFromWorkspace(file, *n, std::string("package.") + key))
            m.inherited.push_back(key);
        else
            out = strings(file, *n, std::string("package.") + key);
    };
    text("description", m.description);
    text("license", m.license);
    text("license-file", m.licenseFile);
    text("homepage", m.homepage);
    text("repository", m.repository);
    text("documentation", m.documentation);
    text("links", m.links);
    text("rust-version", m.rustVersion);
    text("edition", m.edition);
    list("authors", m.authors);
    list("keywords", m.keywords);
    list("categories", m.categories);
    if (auto n = p.get("readme")) {
        if (auto b = n->as_boolean())
            m.readme = b->get() ? "README.md" : "";
        else if (inheritsFromWorkspace(file, *n, "package.readme"))
            m.inherited.push_back("readme");
        else
            m.readme = str(file, *n, "package.readme");
    }
}

TargetTable readTargetTable(const std::string& file, const toml::node& n, const std::string& what) {
    auto& t = table(file, n, what);
    TargetTable tt;
    tt.pos = posOf(n);
    auto flag = [&](const char* key, std::optional<bool>& out) {
        if (auto v = t.get(key)) out = boolean(file, *v, what + "." + key);
    };
    if (auto v = t.get("name")) tt.name = str(file, *v, what + ".name");
    if (auto v = t.get("path")) tt.path = str(file, *v, what + ".path");
    for (const char* key : {"crate-type", "crate_type"})
        if (auto v = t.get(key)) tt.crateTypes = strings(file, *v, what + "." + key);
    flag("proc_macro", tt.procMacro);
    flag("proc-macro", tt.procMacro);
    flag("test", tt.test);
    flag("doctest", tt.doctest);
    flag("bench", tt.bench);
    flag("doc", tt.doc);
    flag("harness", tt.harness);
    if (auto v = t.get("edition")) tt.edition = str(file, *v, what + ".edition");
    for (const char* key : {"required-features", "required_features"})
        if (auto v = t.get(key)) tt.requiredFeatures = strings(file, *v, what + "." + key);
    return tt;
}

std::vector<TargetTable> readTargetArray(const std::string& file, const toml::table& t,
                                         const std::string& kind) {
    std::vector<TargetTable> out;
    auto n = t.get(kind);
    if (!n) return out;
    auto a = n->as_array();
    if (!a) fail(file, *n, kind + " must be an array of tables ([[" + kind + "]])");
    for (auto& item : *a)
        out.push_back(readTargetTable(file, item, "[[" + kind + "]]"));
    return out;
}

ProfileTable readProfile(const std::string& file, const toml::node& n, const std::string& what) {
    auto& t = table(file, n, what);
    ProfileTable p;
    for (auto& [k, v] : t) {
        std::string key(k.str());
        std::string w = what + "." + key;
        if (key == "opt-level") {
            if (auto i = v.as_integer()) {
                if (i->get() < 0 || i->get() > 3)
                    fail(file, v, w + " must be 0, 1, 2, 3, \"s\" or \"z\"");
                p.optLevel = std::to_string(i->get());
            } else {
                std::string s = str(file, v, w);
                if (s != "s" && s != "z" && (s.size() != 1 || s[0] < '0' || s[0] > '3'))
                    fail(file, v, w + " must be 0, 1, 2, 3, \"s\" or \"z\"");
                p.optLevel = s;
            }
        } else if (key == "debug") {
            if (auto b = v.as_boolean())
                p.debug = b->get() ? 2 : 0;
            else if (auto i = v.as_integer()) {
                if (i->get() < 0 || i->get() > 2) fail(file, v, w + " must be 0, 1 or 2");
                p.debug = static_cast<int>(i->get());
            } else {
                static const std::map<std::string, int> names = {
                    {"none", 0},
                    {"line-directives-only", debugLineDirectivesOnly},
                    {"line-tables-only", debugLineTablesOnly},
                    {"limited", 1},
                    {"full", 2}};
                std::string s = str(file, v, w);
                auto it = names.find(s);
                if (it == names.end())
                    fail(file, v,
                         w + " must be a boolean, 0, 1, 2 or one of \"none\", "
                             "\"line-directives-only\", \"line-tables-only\", "
                             "\"limited\", \"full\"");
                p.debug = it->second;
                p.debugNamed = posOf(v);
            }
        } else if (key == "debug-assertions") {
            p.debugAssertions = boolean(file, v, w);
        } else if (key == "overflow-checks") {
            p.overflowChecks = boolean(file, v, w);
        } else if (key == "incremental") {
            p.incremental = boolean(file, v, w);
        } else if (key == "rpath") {
            p.rpath = boolean(file, v, w);
        } else if (key == "lto") {
            if (auto b = v.as_boolean())
                p.lto = b->get() ? "true" : "false";
            else {
                std::string s = str(file, v, w);
                if (s != "fat" && s != "thin" && s != "off" && s != "true" && s != "false")
                    fail(file, v, w + " must be a boolean, \"fat\", \"thin\" or \"off\"");
                p.lto = s;
            }
        } else if (key == "panic") {
            std::string s = str(file, v, w);
            if (s != "unwind" && s != "abort")
                fail(file, v, w + " must be \"unwind\" or \"abort\"");
            p.panic = s;
        } else if (key == "codegen-units") {
            auto i = v.as_integer();
            if (!i || i->get() < 1) fail(file, v, w + " must be a positive integer");
            p.codegenUnits = static_cast<int>(i->get());
        } else if (key == "strip") {
            if (auto b = v.as_boolean())
                p.strip = b->get() ? "symbols" : "none";
            else {
                std::string s = str(file, v, w);
                if (s != "none" && s != "debuginfo" && s != "symbols")
                    fail(file, v, w + " must be a boolean, \"none\", \"debuginfo\" or \"symbols\"");
                p.strip = s;
            }
        } else if (key == "inherits") {
            p.inherits = str(file, v, w);
        } else if (key == "package") {
            for (auto& [spec, pt] : table(file, v, w))
                p.packages.emplace_back(std::string(spec.str()),
                                        readProfile(file, pt, w + "." + std::string(spec.str())));
        } else if (key == "build-override") {
            p.buildOverride.push_back(readProfile(file, v, w));
        }
    }
    return p;
}

std::string resolverOf(const std::string& file, const toml::node& n, const std::string& what) {
    std::string r = str(file, n, what);
    if (r != "1" && r != "2" && r != "3")
        fail(file, n, what + " must be \"1\", \"2\" or \"3\", not \"" + r + "\"");
    return r;
}

} // namespace

ProfileTable::ProfileTable() = default;
ProfileTable::~ProfileTable() = default;

std::string debuginfoValue(int level) {
    if (level == debugLineTablesOnly) return "line-tables-only";
    if (level == debugLineDirectivesOnly) return "line-directives-only";
    return std::to_string(level);
}

std::string locate(const std::string& file, SourcePos pos) {
    if (pos.line == 0) return file + ": ";
    return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": ";
}

const char* depKindTable(DepKind kind) {
    switch (kind) {
    case DepKind::Dev:
        return "dev-dependencies";
    case DepKind::Build:
        return "build-dependencies";
    default:
        return "dependencies";
    }
}

Manifest parseManifest(const std::string& text, const std::string& file) {
    toml::table t = parse(text, file);
    Manifest m;
    m.file = file;
    if (auto n = t.get("package")) {
        auto& p = table(file, *n, "package");
        m.hasPackage = true;
        m.packagePos = posOf(*n);
        auto name = p.get("name");
        if (!name) fail(file, *n, "[package] has no name");
        m.name = str(file, *name, "package.name");
        m.namePos = posOf(*name);
        if (auto v = p.get("version")) {
            m.versionPos = posOf(*v);
            if (auto vt = v->as_table()) {
                auto w = vt->get("workspace");
                if (!w || !boolean(file, *w, "package.version.workspace"))
                    fail(file, *v, "package.version must be a string or { workspace = true }");
                m.versionFromWorkspace = true;
            } else {
                m.version = str(file, *v, "package.version");
            }
        } else {
            m.version = "0.0.0"; // cargo's default since 1.75
        }
        auto flag = [&](const char* key, bool& out) {
            if (auto a = p.get(key)) {
                out = boolean(file, *a, std::string("package.") + key);
                m.autoKeys.push_back(key);
            }
        };
        flag("autobins", m.autobins);
        flag("autoexamples", m.autoexamples);
        flag("autotests", m.autotests);
        flag("autobenches", m.autobenches);
        flag("autolib", m.autolib);
        if (auto b = p.get("build")) {
            if (auto bb = b->as_boolean())
                m.build = bb->get() ? std::string("build.rs") : std::string();
            else
                m.build = str(file, *b, "package.build");
        }
        if (auto r = p.get("resolver")) m.resolver = resolverOf(file, *r, "package.resolver");
        readPackageMetadata(file, p, m);
    }
    m.binTables = readTargetArray(file, t, "bin");
    m.testTables = readTargetArray(file, t, "test");
    m.benchTables = readTargetArray(file, t, "bench");
    m.exampleTables = readTargetArray(file, t, "example");
    if (auto n = t.get("bin")) {
        auto a = n->as_array();
        if (!a) fail(file, *n, "bin must be an array of tables ([[bin]])");
        for (auto& b : *a) {
            auto& bt = table(file, b, "[[bin]]");
            BinTarget target;
            if (auto bn = bt.get("name")) target.name = str(file, *bn, "bin.name");
            if (auto bp = bt.get("path")) target.path = str(file, *bp, "bin.path");
            if (target.name.empty() && target.path.empty()) fail(file, b, "[[bin]] has no name");
            m.bins.push_back(std::move(target));
        }
    }
    if (auto n = t.get("lib")) {
        m.hasLibTable = true;
        m.lib = readTargetTable(file, *n, "lib");
        if (auto lp = table(file, *n, "lib").get("path")) m.libPath = str(file, *lp, "lib.path");
    }
    if (auto n = t.get("features"))
        for (auto& [k, v] : table(file, *n, "features"))
            m.features[std::string(k.str())] = strings(file, v, "features." + std::string(k.str()));
    readDepTables(file, t, "", m.dependencies);
    if (auto n = t.get("target")) {
        for (auto& [k, v] : table(file, *n, "target"))
            readDepTables(file, table(file, v, "target." + std::string(k.str())),
                          std::string(k.str()), m.dependencies);
    }
    if (auto n = t.get("workspace")) {
        auto& w = table(file, *n, "workspace");
        m.isWorkspace = true;
        if (auto mm = w.get("members")) m.members = strings(file, *mm, "workspace.members");
        if (auto ex = w.get("exclude")) m.exclude = strings(file, *ex, "workspace.exclude");
        if (auto dm = w.get("default-members"))
            m.defaultMembers = strings(file, *dm, "workspace.default-members");
        if (auto r = w.get("resolver")) {
            if (!m.resolver.empty())
                fail(file, *r,
                     "resolver is given in both [workspace] and [package]: cargo "
                     "refuses that");
            m.resolver = resolverOf(file, *r, "workspace.resolver");
        }
        if (auto wp = w.get("package")) {
            for (auto& [k, v] : table(file, *wp, "workspace.package")) {
                std::string key(k.str());
                std::string what = "workspace.package." + key;
                if (v.is_string())
                    m.workspacePackage[key] = str(file, v, what);
                else if (v.is_array())
                    m.workspacePackageLists[key] = strings(file, v, what);
                else if (auto b = v.as_boolean()) // readme, publish
                    m.workspacePackage[key] = key == "readme" ? (b->get() ? "README.md" : "")
                                                              : (b->get() ? "true" : "false");
            }
            if (auto v = m.workspacePackage.find("version"); v != m.workspacePackage.end())
                m.workspaceVersion = v->second;
        }
        if (auto wd = w.get("dependencies"))
            readDeps(file, table(file, *wd, "workspace.dependencies"), DepKind::Normal, "",
                     m.workspaceDependencies);
    }
    if (auto n = t.get("profile"))
        for (auto& [k, v] : table(file, *n, "profile"))
            m.profiles[std::string(k.str())] =
                readProfile(file, v, "profile." + std::string(k.str()));
    if (!m.hasPackage && !m.isWorkspace)
        throw ManifestError(file + ": neither [package] nor [workspace]: not a Cargo manifest");
    return m;
}

Manifest readManifest(const std::string& file) {
    if (!pathExists(file)) throw ManifestError(file + ": no such file");
    return parseManifest(readFile(file), file);
}

bool hasBinaryTargets(const Manifest& m, const std::string& dir) {
    if (!m.hasPackage) return false;
    if (!m.bins.empty()) return true;
    if (!m.autobins) return false;
    return pathExists(dir + "/src/main.rs") || isDir(dir + "/src/bin");
}

std::vector<std::string> workspaceMembers(const Manifest& m, const std::string& dir) {
    std::vector<std::string> out;
    for (auto& member : m.members) {
        std::string pat = member;
        while (pat.size() > 2 && pat.substr(pat.size() - 1) == "/")
            pat.pop_back();
        if (pat.size() >= 2 && pat.substr(pat.size() - 2) == "/*") {
            std::string parent = pat.substr(0, pat.size() - 2);
            std::unique_ptr<DIR, int (*)(DIR*)> d(opendir((dir + "/" + parent).c_str()), closedir);
            if (!d) continue;
            while (dirent* e = readdir(d.get())) {
                std::string n = e->d_name;
                if (n == "." || n == "..") continue;
                std::string rel = parent + "/" + n;
                if (pathExists(dir + "/" + rel + "/Cargo.toml")) out.push_back(rel);
            }
        } else if (pat != ".") {
            out.push_back(pat);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    std::erase_if(out, [&](const std::string& r) {
        return std::find(m.exclude.begin(), m.exclude.end(), r) != m.exclude.end();
    });
    return out;
}

const char* targetKindName(TargetKind kind) {
    switch (kind) {
    case TargetKind::Bin:
        return "bin";
    case TargetKind::Test:
        return "test";
    case TargetKind::Bench:
        return "bench";
    case TargetKind::Example:
        return "example";
    case TargetKind::CustomBuild:
        return "custom-build";
    default:
        return "lib";
    }
}

bool Target::procMacro() const {
    return kind == TargetKind::Lib && crateTypes.size() == 1 && crateTypes[0] == "proc-macro";
}

std::string Target::crateName() const {
    std::string n = name;
    std::replace(n.begin(), n.end(), '-', '_');
    return n;
}

namespace {

// "./src/x.rs", "src//x.rs" and "src/../src/x.rs" are "src/x.rs", as cargo lists explicit paths
// (and compares them with inferred ones).
std::string normalPath(const std::string& p) {
    std::string out;
    size_t i = 0;
    bool absolute = !p.empty() && p[0] == '/';
    std::vector<std::string> parts;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        std::string part = p.substr(i, j - i);
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!absolute)
                parts.push_back(part);
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        i = j + 1;
    }
    for (auto& part : parts)
        out += (out.empty() && !absolute ? "" : "/") + part;
    return out.empty() ? (absolute ? "/" : ".") : out;
}

std::string stemOf(const std::string& path) {
    std::string base = baseNameOf(path);
    size_t dot = base.rfind('.');
    return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

using Inferred = std::vector<std::pair<std::string, std::string>>; // name, relative path

// DIR/*.rs and DIR/NAME/main.rs, dot files skipped, by name.
Inferred inferFrom(const std::string& root, const std::string& rel) {
    Inferred out;
    if (!isDirectory(root + "/" + rel)) return out;
    for (auto& e : readDirectory(root + "/" + rel)) {
        if (e.empty() || e[0] == '.') continue;
        std::string path = rel + "/" + e;
        if (e.size() > 3 && e.substr(e.size() - 3) == ".rs") {
            if (!isDirectory(root + "/" + path)) out.emplace_back(e.substr(0, e.size() - 3), path);
        } else if (isDirectory(root + "/" + path) && pathExists(root + "/" + path + "/main.rs")) {
            out.emplace_back(e, path + "/main.rs");
        }
    }
    return out;
}

// Explicit tables and the inferred targets they do not name (by name or path), as cargo merges
// them; in edition 2015 an explicit table turns discovery off unless autoX says otherwise. Cargo
// lists them by name, except when it had nothing to infer (discovery off, every path given):
// then in file order.
std::vector<TargetTable> mergeInferred(const std::vector<TargetTable>& tables,
                                       const Inferred& inferred, bool autodiscover,
                                       bool edition2015, bool autoWritten) {
    std::vector<TargetTable> out = tables;
    bool discover = autodiscover && !(!tables.empty() && edition2015 && !autoWritten);
    if (discover) {
        for (auto& entry : inferred) {
            const std::string &name = entry.first, &path = entry.second;
            bool seen = std::any_of(tables.begin(), tables.end(), [&](const TargetTable& t) {
                return t.name == name || (!t.path.empty() && normalPath(t.path) == path);
            });
            if (seen) continue;
            TargetTable t;
            t.name = name;
            t.path = path;
            out.push_back(std::move(t));
        }
    }
    bool allPaths = std::all_of(tables.begin(), tables.end(),
                                [](const TargetTable& t) { return !t.path.empty(); });
    if (discover || !allPaths)
        std::stable_sort(out.begin(), out.end(), [](const TargetTable& a, const TargetTable& b) {
            return a.name < b.name;
        });
    return out;
}

} // namespace

std::vector<Target> targets(const Manifest& m, const std::string& dir) {
    if (!m.hasPackage) return {};
    std::vector<Target> out;
    std::string edition = m.edition.empty() ? "2015" : m.edition;
    bool e2015 = edition == "2015";
    auto file = [&](const std::string& rel) { return isRegularFile(dir + "/" + rel); };
    // Whether autoX was written cannot be told from the default: true written is like unset
    // except in edition 2015, where an explicit table turns discovery off only when unset.
    auto written = [&](const char* key) {
        return std::find(m.autoKeys.begin(), m.autoKeys.end(), key) != m.autoKeys.end();
    };
    auto make = [&](TargetKind kind, const TargetTable& t, const std::string& path) {
        Target target;
        target.kind = kind;
        target.name = t.name;
        target.path = path;
        target.edition = t.edition.empty() ? edition : t.edition;
        target.requiredFeatures =
            kind == TargetKind::Lib ? std::vector<std::string>() : t.requiredFeatures;
        bool tested = kind != TargetKind::Example && kind != TargetKind::Bench;
        bool benched = kind != TargetKind::Example && kind != TargetKind::Test;
        target.test = t.test.value_or(tested);
        target.bench = t.bench.value_or(benched);
        target.harness = t.harness.value_or(true);
        target.doctest = kind == TargetKind::Lib && t.doctest.value_or(true);
        return target;
    };
    auto locatedFail = [&](const TargetTable& t, const std::string& msg) -> void {
        throw ManifestError(locate(m.file, t.pos) + msg);
    };

    // The library.
    std::optional<TargetTable> lib = m.lib;
    if (!lib && m.autolib && file("src/lib.rs")) lib = TargetTable{};
    if (lib) {
        if (lib->name.find('-') != std::string::npos)
            locatedFail(*lib, "library target names cannot contain hyphens: " + lib->name);
        if (lib->name.empty()) lib->name = m.name;
        std::string path;
        if (!lib->path.empty())
            path = normalPath(lib->path);
        else if (file("src/lib.rs"))
            path = "src/lib.rs";
        else if (e2015 && file("src/" + lib->name + ".rs"))
            path = "src/" + lib->name + ".rs";
        else
            locatedFail(*lib, "can't find library `" + lib->name +
                                  "`: rename the file to src/lib.rs or set lib.path");
        Target t = make(TargetKind::Lib, *lib, path);
        std::replace(t.name.begin(), t.name.end(), '-', '_');
        auto& kinds = lib->crateTypes;
        bool hasProcMacro = std::find(kinds.begin(), kinds.end(), "proc-macro") != kinds.end();
        if (hasProcMacro && kinds.size() > 1)
            locatedFail(*lib,
                        "library `" + t.name + "` mixes the `proc-macro` crate type with others");
        if (hasProcMacro || (kinds.empty() && lib->procMacro.value_or(false)))
            t.crateTypes = {"proc-macro"};
        else if (!kinds.empty())
            t.crateTypes = kinds;
        else
            t.crateTypes = {"lib"};
        // Only these crate types have doctests.
        bool doctestable = std::any_of(t.crateTypes.begin(), t.crateTypes.end(), [](auto& c) {
            return c == "lib" || c == "rlib" || c == "proc-macro";
        });
        t.doctest = t.doctest && doctestable;
        out.push_back(std::move(t));
    }
    bool hasLib = lib.has_value();

    // Each of the other kinds: merged, checked, paths found.
    auto kind = [&](TargetKind k, const char* section, const std::vector<TargetTable>& tables,
                    const Inferred& inferred, bool autodiscover, const char* autoKey,
                    const std::function<std::string(const std::string&)>& legacy) {
        auto merged = mergeInferred(tables, inferred, autodiscover, e2015, written(autoKey));
        std::vector<std::string> names;
        for (auto& t : merged) {
            TargetTable table = t;
            if (table.name.empty())
                locatedFail(t, std::string("a [[") + section + "]] target has no name");
            if (std::find(names.begin(), names.end(), table.name) != names.end())
                locatedFail(t, std::string("two ") + section + " targets are named `" + table.name +
                                   "`: target names must be unique");
            names.push_back(table.name);
            std::string path;
            if (!table.path.empty()) {
                path = normalPath(table.path);
            } else {
                std::vector<std::string> found;
                for (auto& [n, p] : inferred)
                    if (n == table.name) found.push_back(p);
                if (found.size() == 1)
                    path = found[0];
                else if (e2015 && !legacy(table.name).empty())
                    path = legacy(table.name);
                else if (found.empty())
                    locatedFail(t, std::string("can't find the file of ") + section + " `" +
                                       table.name + "`: set its path");
                else
                    locatedFail(t, std::string("can't tell which file is ") + section + " `" +
                                       table.name + "`: both " + found[0] + " and " + found[1] +
                                       " exist");
            }
            Target target = make(k, table, path);
            if (k == TargetKind::Example && !table.crateTypes.empty())
                target.crateTypes = table.crateTypes;
            else
                target.crateTypes = {"bin"};
            out.push_back(std::move(target));
        }
    };
    auto none = [](const std::string&) { return std::string(); };

    Inferred bins;
    if (file("src/main.rs")) bins.emplace_back(m.name, "src/main.rs");
    for (auto& b : inferFrom(dir, "src/bin"))
        bins.push_back(b);
    kind(TargetKind::Bin, "bin", m.binTables, bins, m.autobins, "autobins",
         [&](const std::string& name) -> std::string {
             if (!hasLib && file("src/" + name + ".rs")) return "src/" + name + ".rs";
             if (file("src/main.rs")) return "src/main.rs";
             if (file("src/bin/main.rs")) return "src/bin/main.rs";
             return "";
         });
    kind(TargetKind::Example, "example", m.exampleTables, inferFrom(dir, "examples"),
         m.autoexamples, "autoexamples", none);
    kind(TargetKind::Test, "test", m.testTables, inferFrom(dir, "tests"), m.autotests, "autotests",
         none);
    kind(TargetKind::Bench, "bench", m.benchTables, inferFrom(dir, "benches"), m.autobenches,
         "autobenches", [&](const std::string& name) -> std::string {
             return name == "bench" && file("src/bench.rs") ? "src/bench.rs" : "";
         });

    std::optional<std::string> build = m.build;
    if (!build && file("build.rs")) build = "build.rs";
    if (build && !build->empty()) {
        Target t;
        t.kind = TargetKind::CustomBuild;
        t.name = "build-script-" + stemOf(*build);
        t.path = normalPath(*build);
        t.crateTypes = {"bin"};
        t.edition = edition;
        t.test = t.bench = false;
        out.push_back(std::move(t));
    }
    return out;
}

namespace {

// TARGET relative to the directory BASE (both absolute, or both relative to one directory).
std::string relativeTo(const std::string& target, const std::string& base) {
    std::string t = normalPath(target), b = normalPath(base);
    auto split = [](const std::string& p) {
        std::vector<std::string> parts;
        size_t i = 0;
        while (i <= p.size()) {
            size_t j = p.find('/', i);
            if (j == std::string::npos) j = p.size();
            if (j > i && p.substr(i, j - i) != ".") parts.push_back(p.substr(i, j - i));
            i = j + 1;
        }
        return parts;
    };
    auto tp = split(t), bp = split(b);
    size_t common = 0;
    while (common < tp.size() && common < bp.size() && tp[common] == bp[common])
        ++common;
    std::string out;
    for (size_t i = common; i < bp.size(); ++i)
        out += out.empty() ? ".." : "/..";
    for (size_t i = common; i < tp.size(); ++i)
        out += (out.empty() ? "" : "/") + tp[i];
    return out.empty() ? "." : out;
}

} // namespace

Manifest inheritFromWorkspace(const Manifest& m, const Manifest& root) {
    Manifest out = m;
    auto missing = [&](SourcePos pos, const std::string& what) -> std::string {
        return locate(m.file, pos) + what + " is inherited from the workspace (`workspace = " +
               "true`), but the workspace root " + root.file + " does not define it";
    };
    if (m.versionFromWorkspace) {
        auto v = root.workspacePackage.find("version");
        if (v == root.workspacePackage.end())
            throw ManifestError(missing(m.versionPos, "package.version"));
        out.version = v->second;
        out.versionFromWorkspace = false;
    }
    for (auto& key : m.inherited) {
        auto s = root.workspacePackage.find(key);
        auto l = root.workspacePackageLists.find(key);
        if (s == root.workspacePackage.end() && l == root.workspacePackageLists.end())
            throw ManifestError(missing(m.packagePos, "package." + key));
        if (l != root.workspacePackageLists.end()) {
            if (key == "authors") out.authors = l->second;
            if (key == "keywords") out.keywords = l->second;
            if (key == "categories") out.categories = l->second;
            continue;
        }
        const std::string& v = s->second;
        if (key == "description") out.description = v;
        if (key == "license") out.license = v;
        if (key == "license-file")
            out.licenseFile = relativeTo(dirOf(root.file) + "/" + v, dirOf(m.file));
        if (key == "homepage") out.homepage = v;
        if (key == "repository") out.repository = v;
        if (key == "documentation") out.documentation = v;
        if (key == "rust-version") out.rustVersion = v;
        if (key == "edition") out.edition = v;
        if (key == "readme")
            out.readme = v.empty() ? v : relativeTo(dirOf(root.file) + "/" + v, dirOf(m.file));
    }
    out.inherited.clear();
    for (auto& d : out.dependencies) {
        if (!d.workspace) continue;
        auto w = std::find_if(root.workspaceDependencies.begin(), root.workspaceDependencies.end(),
                              [&](const Dependency& wd) { return wd.key == d.key; });
        if (w == root.workspaceDependencies.end())
            throw ManifestError(missing(d.pos, std::string(depKindTable(d.kind)) + "." + d.key));
        Dependency merged = *w;
        merged.key = d.key;
        merged.kind = d.kind;
        merged.target = d.target;
        merged.line = d.line;
        merged.pos = d.pos;
        merged.optional = d.optional;
        merged.workspace = false;
        // The workspace's path is relative to the workspace root.
        if (w->path) merged.path = relativeTo(dirOf(root.file) + "/" + *w->path, dirOf(m.file));
        for (auto& f : d.features)
            if (std::find(merged.features.begin(), merged.features.end(), f) ==
                merged.features.end())
                merged.features.push_back(f);
        // Cargo: a member can turn default features back on, not off (it warns and ignores it).
        merged.defaultFeatures = w->defaultFeatures || (d.defaultFeaturesSet && d.defaultFeatures);
        merged.defaultFeaturesSet = w->defaultFeaturesSet || d.defaultFeaturesSet;
        d = std::move(merged);
    }
    return out;
}

Lockfile parseLockfile(const std::string& text, const std::string& file) {
    toml::table t = parse(text, file);
    Lockfile l;
    l.file = file;
    if (auto v = t.get("version")) {
        auto i = v->as_integer();
        if (!i) fail(file, *v, "version must be an integer");
        l.version = static_cast<int>(i->get());
    }
    if (auto n = t.get("package")) {
        auto a = n->as_array();
        if (!a) fail(file, *n, "package must be an array of tables ([[package]])");
        for (auto& p : *a) {
            auto& pt = table(file, p, "[[package]]");
            LockedPackage lp;
            auto name = pt.get("name");
            auto version = pt.get("version");
            if (!name || !version) fail(file, p, "[[package]] without name or version");
            lp.name = str(file, *name, "package.name");
            lp.version = str(file, *version, "package.version");
            if (auto s = pt.get("source")) lp.source = str(file, *s, "package.source");
            if (auto c = pt.get("checksum")) lp.checksum = str(file, *c, "package.checksum");
            if (auto d = pt.get("dependencies"))
                lp.dependencies = strings(file, *d, "package.dependencies");
            l.packages.push_back(std::move(lp));
        }
    }
    // Version 1 lock files keep checksums in [metadata]: "checksum NAME VERSION (SOURCE)".
    if (auto md = t.get("metadata")) {
        for (auto& [k, v] : table(file, *md, "metadata")) {
            std::string key(k.str());
            if (key.rfind("checksum ", 0) != 0) continue;
            std::string rest = key.substr(9);
            size_t sp = rest.find(' ');
            if (sp == std::string::npos) continue;
            std::string name = rest.substr(0, sp);
            size_t sp2 = rest.find(' ', sp + 1);
            std::string version =
                rest.substr(sp + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp - 1);
            for (auto& p : l.packages)
                if (p.name == name && p.version == version)
                    p.checksum = str(file, v, "metadata checksum");
        }
    }
    return l;
}

Lockfile readLockfile(const std::string& file) {
    return parseLockfile(readFile(file), file);
}

} // namespace ferrix::cargo
