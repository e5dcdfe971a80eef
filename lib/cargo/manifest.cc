// Cargo.toml and Cargo.lock with toml++ (see manifest.hh).
#include "ferrix/cargo/manifest.hh"

#include "ferrix/file.hh"

#include <toml++/toml.h>

#include <algorithm>
#include <dirent.h>
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
                else if (key == "default-features" || key == "default_features")
                    d.defaultFeatures = boolean(file, dv, what + "." + key);
                else if (key == "registry")
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

} // namespace

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
        if (auto a = p.get("autobins")) m.autobins = boolean(file, *a, "package.autobins");
        readPackageMetadata(file, p, m);
    }
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
        if (auto wp = w.get("package"))
            if (auto v = table(file, *wp, "workspace.package").get("version"))
                m.workspaceVersion = str(file, *v, "workspace.package.version");
    }
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
