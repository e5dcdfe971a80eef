// `ferrix registry export` (see registry-export.hh and doc/registry.md).
#include "ferrix/cargo/registry-export.hh"

#include "ferrix/archive.hh"
#include "ferrix/cargo/index.hh"
#include "ferrix/cargo/semver.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"
#include "ferrix/lock.hh"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <dirent.h>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <tuple>
#include <unistd.h>

namespace ferrix::cargo {

namespace {

using Json = nlohmann::ordered_json;

// Bump when the packing or the record format changes: every crate is then repacked.
constexpr int recordFormat = 1;
const char* const recordFile = ".ferrix-export.json";

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// --- Names and versions.

bool validCrateName(const std::string& n) {
    if (n.empty() || n.size() > 64 || !isalpha(static_cast<unsigned char>(n[0]))) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

// Versions are checked when exported; a record's version that does not parse sorts as text.
int compareVersions(const std::string& a, const std::string& b) {
    try {
        return compare(Version::parse(a), Version::parse(b));
    } catch (const FormatError&) {
        return a < b ? -1 : a > b ? 1 : 0;
    }
}

bool isPrerelease(const std::string& v) {
    try {
        return !Version::parse(v).pre.empty();
    } catch (const FormatError&) {
        return false;
    }
}

// A stable positive 31-bit id (crates.io's ids are integers) for a version or a dependency.
long long stableId(const std::string& key) {
    Hash h = hashString(HashAlgo::SHA256, key);
    return ((static_cast<long long>(h.bytes[0]) << 24) | (h.bytes[1] << 16) | (h.bytes[2] << 8) |
            h.bytes[3]) &
           0x7fffffff;
}

std::string isoTime(time_t t) {
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// --- Fingerprints.

void fingerprintTree(const std::string& root, const std::string& rel, HashSink& sink) {
    for (auto& name : readDirectory(rel.empty() ? root : root + "/" + rel)) {
        std::string r = rel.empty() ? name : rel + "/" + name;
        std::string p = root + "/" + r;
        struct stat st = lstatPath(p);
        bool dir = S_ISDIR(st.st_mode);
        if (!packedInCrate(r, dir)) continue;
        // NAME NUL TYPE NUL [TARGET or SHA-256 NUL]: no two trees give the same stream.
        std::string head = r + '\0';
        if (dir) {
            sink(head + "d" + '\0');
            fingerprintTree(root, r, sink);
        } else if (S_ISLNK(st.st_mode)) {
            sink(head + "l" + '\0' + readLink(p) + '\0');
        } else if (S_ISREG(st.st_mode)) {
            sink(head + ((st.st_mode & 0111) ? "x" : "f") + '\0' +
                 hashFile(HashAlgo::SHA256, p).toBase16() + '\0');
        } else {
            throw UnsafeArchive(root + ": cannot pack '" + r +
                                "': not a file, directory or symlink");
        }
    }
}

// --- .crate files given as sources: exported as they are (their checksums kept), their
// manifest and README read from the archive.

bool isCrateFile(const std::string& p) {
    return p.size() > 6 && p.compare(p.size() - 6, 6, ".crate") == 0;
}

// Lists the regular files of the .crate `file` (relative to its top directory, returned) and
// reads Cargo.toml and the README files (at most 1 MiB each).
std::string readCrateArchive(const std::string& file, std::set<std::string>& files,
                             std::map<std::string, std::string>& texts) {
    std::string prefix;
    readArchive(file, [&](const ArchiveEntry& e, const std::function<std::string()>& contents) {
        std::string name = e.path;
        while (name.rfind("./", 0) == 0)
            name = name.substr(2);
        size_t slash = name.find('/');
        std::string top = name.substr(0, slash);
        if (prefix.empty()) prefix = top;
        if (top != prefix || top.empty())
            throw FormatError(file + ": entry '" + name + "' is not under " + prefix +
                              "/: a .crate holds one NAME-VERSION/ directory");
        if (slash == std::string::npos || !e.regular) return;
        std::string rel = name.substr(slash + 1);
        files.insert(rel);
        std::string base = baseNameOf(rel);
        if ((rel == "Cargo.toml" || base.rfind("README", 0) == 0) && e.size <= (1 << 20))
            texts[rel] = contents();
    });
    if (prefix.empty()) throw FormatError(file + ": an empty archive, not a crate");
    return prefix;
}

// What a .crate source is exported from: its bytes.
std::string crateFileFingerprint(const std::string& file) {
    return hashString(HashAlgo::SHA256, std::string("ferrix-crate-file") + '\0' +
                                            hashFile(HashAlgo::SHA256, file).toBase16())
        .toBase16();
}

// --- The records: everything the export knows about one version, from which its public files
// are written. Kept as DIR/api/v1/crates/NAME/VERSION/.ferrix-export.json.

Json depRecord(const Dependency& d) {
    Json j;
    j["name"] = d.key;
    if (d.package != d.key) j["package"] = d.package;
    j["req"] = d.version.empty() ? "*" : d.version;
    j["features"] = d.features;
    j["optional"] = d.optional;
    j["default_features"] = d.defaultFeatures;
    j["target"] = d.target.empty() ? Json(nullptr) : Json(d.target);
    j["kind"] = d.kind == DepKind::Dev ? "dev" : d.kind == DepKind::Build ? "build" : "normal";
    if (!d.registryIndex.empty()) j["registry"] = d.registryIndex;
    return j;
}

Json nullable(const std::string& s) {
    return s.empty() ? Json(nullptr) : Json(s);
}

// A crate's file (relative to its top), in its directory or its .crate.
bool hasFile(const SourceCrate& c, const std::string& rel) {
    return c.archive ? c.files.count(rel) > 0 : isRegularFile(c.dir + "/" + rel);
}

// The names directly under `sub` ("src/bin"), files and directories alike.
std::set<std::string> namesUnder(const SourceCrate& c, const std::string& sub) {
    std::set<std::string> out;
    if (!c.archive) {
        if (isDirectory(c.dir + "/" + sub))
            for (auto& n : readDirectory(c.dir + "/" + sub))
                out.insert(n);
        return out;
    }
    std::string prefix = sub + "/";
    for (auto it = c.files.lower_bound(prefix); it != c.files.end() && it->rfind(prefix, 0) == 0;
         ++it)
        out.insert(it->substr(prefix.size(), it->find('/', prefix.size()) - prefix.size()));
    return out;
}

std::string readText(const SourceCrate& c, const std::string& rel) {
    if (!c.archive) return readFile(c.dir + "/" + rel);
    auto it = c.texts.find(rel);
    if (it == c.texts.end()) throw Error(c.dir + ": no " + rel + " in the archive");
    return it->second;
}

std::optional<std::string> readmeOf(const SourceCrate& c) {
    auto readable = [&](const std::string& rel) {
        return rel.find("..") == std::string::npos && hasFile(c, rel) &&
               (!c.archive || c.texts.count(rel));
    };
    if (c.manifest.readme) {
        if (c.manifest.readme->empty()) return std::nullopt;
        // `cargo package` puts a readme from outside the crate at its top.
        for (auto& rel : {*c.manifest.readme, baseNameOf(*c.manifest.readme)})
            if (readable(rel)) return rel;
        return std::nullopt;
    }
    for (auto n : {"README.md", "README.txt", "README"})
        if (readable(n)) return std::string(n);
    return std::nullopt;
}

std::vector<std::string> binNames(const SourceCrate& c) {
    std::set<std::string> names;
    auto& m = c.manifest;
    for (auto& b : m.bins)
        names.insert(b.name.empty() ? m.name : b.name);
    if (m.autobins) {
        if (hasFile(c, "src/main.rs")) names.insert(m.name);
        for (auto& n : namesUnder(c, "src/bin")) {
            if (n.size() > 3 && n.substr(n.size() - 3) == ".rs")
                names.insert(n.substr(0, n.size() - 3));
            else if (hasFile(c, "src/bin/" + n + "/main.rs"))
                names.insert(n);
        }
    }
    return {names.begin(), names.end()};
}

Json makeRecord(const SourceCrate& c, const std::string& fingerprint, const std::string& cksum,
                uint64_t size, bool yanked) {
    auto& m = c.manifest;
    Json r;
    r["format"] = recordFormat;
    r["name"] = m.name;
    r["vers"] = m.version;
    r["source"] = fingerprint;
    r["cksum"] = cksum;
    r["size"] = size;
    r["yanked"] = yanked;
    struct stat st = lstatPath(c.archive ? c.dir : c.dir + "/Cargo.toml");
    r["created_at"] = isoTime(st.st_mtime);
    r["description"] = nullable(m.description);
    r["homepage"] = nullable(m.homepage);
    r["documentation"] = nullable(m.documentation);
    r["repository"] = nullable(m.repository);
    r["license"] = nullable(m.license);
    r["license_file"] = nullable(m.licenseFile);
    r["keywords"] = m.keywords;
    r["categories"] = m.categories;
    r["authors"] = m.authors;
    r["links"] = nullable(m.links);
    r["rust_version"] = nullable(m.rustVersion);
    r["edition"] = nullable(m.edition);
    Json features = Json::object();
    for (auto& [k, v] : m.features)
        features[k] = v;
    r["features"] = features;
    r["has_lib"] = !m.libPath.empty() || hasFile(c, "src/lib.rs");
    r["bin_names"] = binNames(c);
    auto readme = readmeOf(c);
    r["readme"] = readme ? Json(*readme) : Json(nullptr);
    Json deps = Json::array();
    for (auto& d : m.dependencies)
        deps.push_back(depRecord(d));
    r["deps"] = deps;
    return r;
}

std::string str(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Whether `r` is a record of this format, with every key the public files are made from.
bool validRecord(const Json& r) {
    if (!r.is_object() || r.value("format", 0) != recordFormat) return false;
    for (auto k : {"name", "vers", "source", "cksum", "created_at"})
        if (!r.contains(k) || !r[k].is_string()) return false;
    for (auto k : {"description", "homepage", "documentation", "repository", "license",
                   "license_file", "links", "rust_version", "edition", "readme"})
        if (!r.contains(k) || !(r[k].is_string() || r[k].is_null())) return false;
    for (auto k : {"keywords", "categories", "authors", "bin_names", "deps"})
        if (!r.contains(k) || !r[k].is_array()) return false;
    for (auto& d : r["deps"])
        for (auto k : {"name", "req", "kind"})
            if (!d.is_object() || !d.contains(k) || !d[k].is_string()) return false;
    for (auto& d : r["deps"])
        for (auto k : {"features", "optional", "default_features", "target"})
            if (!d.contains(k)) return false;
    return r.contains("size") && r["size"].is_number_unsigned() && r.contains("yanked") &&
           r["yanked"].is_boolean() && r.contains("has_lib") && r.contains("features") &&
           r["features"].is_object();
}

// --- Public files, from the records.

std::string apiPath(const std::string& name) {
    return "api/v1/crates/" + name;
}

// One line of the sparse index.
IndexEntry indexEntry(const Json& r) {
    IndexEntry e;
    e.name = str(r, "name");
    e.vers = str(r, "vers");
    for (auto& d : r["deps"]) {
        IndexDependency x;
        x.name = str(d, "name");
        x.req = str(d, "req");
        x.features = d["features"].get<std::vector<std::string>>();
        x.optional = d["optional"].get<bool>();
        x.defaultFeatures = d["default_features"].get<bool>();
        x.target = str(d, "target");
        x.kind = str(d, "kind");
        x.package = str(d, "package");
        x.registry = str(d, "registry");
        e.deps.push_back(std::move(x));
    }
    e.cksum = str(r, "cksum");
    e.features = r["features"].get<std::map<std::string, std::vector<std::string>>>();
    e.yanked = r["yanked"].get<bool>();
    e.links = str(r, "links");
    e.rustVersion = str(r, "rust_version");
    return e;
}

Json versionObject(const Json& r) {
    std::string name = r["name"], vers = r["vers"];
    std::string base = "/" + apiPath(name) + "/" + vers;
    Json v;
    v["id"] = stableId(name + "@" + vers);
    v["crate"] = name;
    v["num"] = vers;
    v["dl_path"] = base + "/download";
    v["readme_path"] = r["readme"].is_null() ? Json(nullptr) : Json(base + "/readme");
    v["updated_at"] = r["created_at"];
    v["created_at"] = r["created_at"];
    v["downloads"] = 0;
    v["features"] = r["features"];
    v["yanked"] = r["yanked"];
    v["yank_message"] = nullptr;
    v["lib_links"] = r["links"];
    v["license"] = r["license"];
    v["links"] = {{"dependencies", base + "/dependencies"},
                  {"version_downloads", base + "/downloads"},
                  {"authors", base + "/authors"}};
    v["crate_size"] = r["size"];
    v["published_by"] = nullptr;
    v["audit_actions"] = Json::array();
    v["checksum"] = r["cksum"];
    v["rust_version"] = r["rust_version"];
    v["has_lib"] = r["has_lib"];
    v["bin_names"] = r["bin_names"];
    v["edition"] = r["edition"];
    v["description"] = r["description"];
    v["homepage"] = r["homepage"];
    v["documentation"] = r["documentation"];
    v["repository"] = r["repository"];
    v["license_file"] = r["license_file"];
    return v;
}

Json dependenciesObject(const Json& r) {
    std::string name = r["name"], vers = r["vers"];
    long long versionId = stableId(name + "@" + vers);
    Json deps = Json::array();
    size_t i = 0;
    for (auto& d : r["deps"]) {
        std::string crate = d.contains("package") ? str(d, "package") : str(d, "name");
        Json x;
        x["id"] = stableId(name + "@" + vers + "#" + std::to_string(i++));
        x["version_id"] = versionId;
        x["crate_id"] = crate;
        x["req"] = d["req"];
        x["optional"] = d["optional"];
        x["default_features"] = d["default_features"];
        x["features"] = d["features"];
        x["target"] = d["target"];
        x["kind"] = d["kind"];
        x["downloads"] = 0;
        // Not in crates.io's answer: the name the crate is used under when renamed.
        x["explicit_name"] = d.contains("package") ? Json(str(d, "name")) : Json(nullptr);
        deps.push_back(x);
    }
    return Json{{"dependencies", deps}};
}

// The crate's versions, highest first (as crates.io lists them).
std::vector<const Json*> sortedVersions(const std::map<std::string, Json>& versions) {
    std::vector<const Json*> out;
    for (auto& [_, r] : versions)
        out.push_back(&r);
    std::sort(out.begin(), out.end(), [](const Json* a, const Json* b) {
        return compareVersions(str(*a, "vers"), str(*b, "vers")) > 0;
    });
    return out;
}

Json crateObject(const std::string& name, const std::vector<const Json*>& versions) {
    // The newest non-yanked version, else the newest: its metadata describes the crate.
    const Json* max = nullptr;
    const Json* maxStable = nullptr;
    const Json* newest = nullptr;
    for (auto* r : versions) {
        if ((*r)["yanked"].get<bool>()) continue;
        if (!max) max = r;
        if (!maxStable && !isPrerelease(str(*r, "vers"))) maxStable = r;
        if (!newest || str(*r, "created_at") > str(*newest, "created_at")) newest = r;
    }
    bool allYanked = !max;
    if (!max) max = newest = versions.front();
    std::string created = str(*versions.front(), "created_at"), updated = created;
    for (auto* r : versions) {
        created = std::min(created, str(*r, "created_at"));
        updated = std::max(updated, str(*r, "created_at"));
    }
    std::string base = "/" + apiPath(name);
    Json c;
    c["id"] = name;
    c["name"] = name;
    c["updated_at"] = updated;
    Json ids = Json::array();
    for (auto* r : versions)
        ids.push_back(stableId(name + "@" + str(*r, "vers")));
    c["versions"] = ids;
    c["keywords"] = (*max)["keywords"];
    c["categories"] = (*max)["categories"];
    c["badges"] = Json::array();
    c["created_at"] = created;
    c["downloads"] = 0;
    c["recent_downloads"] = 0;
    c["default_version"] = maxStable ? (*maxStable)["vers"] : (*max)["vers"];
    c["num_versions"] = versions.size();
    c["yanked"] = allYanked;
    c["max_version"] = (*max)["vers"];
    c["newest_version"] = (*newest)["vers"];
    c["max_stable_version"] = maxStable ? (*maxStable)["vers"] : Json(nullptr);
    c["description"] = (*max)["description"];
    c["homepage"] = (*max)["homepage"];
    c["documentation"] = (*max)["documentation"];
    c["repository"] = (*max)["repository"];
    c["links"] = {{"version_downloads", base + "/downloads"},
                  {"versions", base + "/versions"},
                  {"owners", base + "/owners"},
                  {"owner_team", base + "/owner_team"},
                  {"owner_user", base + "/owner_user"},
                  {"reverse_dependencies", base + "/reverse_dependencies"}};
    c["exact_match"] = false;
    Json versionList = Json::array();
    for (auto* r : versions)
        versionList.push_back(versionObject(*r));
    Json keywords = Json::array(), categories = Json::array();
    for (auto& k : (*max)["keywords"])
        keywords.push_back({{"id", k}, {"keyword", k}, {"created_at", created}, {"crates_cnt", 1}});
    for (auto& k : (*max)["categories"])
        categories.push_back({{"id", k},
                              {"category", k},
                              {"slug", k},
                              {"description", ""},
                              {"created_at", created},
                              {"crates_cnt", 1}});
    return Json{{"crate", c},
                {"versions", versionList},
                {"keywords", keywords},
                {"categories", categories}};
}

// --- Staging and committing.

// A directory next to the registry where the export writes; deleted unless released.
struct Staging {
    std::string path;
    explicit Staging(const std::string& dir)
        : path(makeTempDir(dirOf(dir), "." + baseNameOf(dir) + ".export-")) {
        if (chmod(path.c_str(), 0755) != 0) throw SysError("chmod '" + path + "'");
    }
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;
    ~Staging() {
        if (path.empty()) return;
        try {
            deletePath(path);
        } catch (...) {
        }
    }
    void put(const std::string& rel, std::string_view contents) {
        std::string f = path + "/" + rel;
        createDirs(dirOf(f));
        writeFile(f, contents, 0644);
    }
};

std::pair<std::string, std::string> parseSpec(const std::string& spec, const char* option) {
    size_t at = spec.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == spec.size())
        throw UsageError(std::string(option) + " " + spec + ": expected NAME@VERSION");
    return {spec.substr(0, at), spec.substr(at + 1)};
}

std::string checkBaseUrl(const std::string& url) {
    if (url.empty())
        throw UsageError("--base-url is required: the absolute URL the registry will be served "
                         "at (cargo needs absolute URLs)");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0 &&
        url.rfind("file://", 0) != 0)
        throw UsageError("--base-url " + url + ": not an absolute http, https or file URL");
    std::string u = url;
    while (!u.empty() && u.back() == '/')
        u.pop_back();
    return u;
}

} // namespace

bool packedInCrate(const std::string& rel, bool isDir) {
    return isDir || (rel != ".cargo-checksum.json" && rel != ".cargo-ok");
}

std::string sourceFingerprint(const std::string& dir) {
    HashSink sink(HashAlgo::SHA256);
    sink("ferrix-crate-" + std::to_string(recordFormat) + '\0');
    fingerprintTree(dir, "", sink);
    return sink.finish().toBase16();
}

void checkPublishable(Manifest& m) {
    if (!m.hasPackage) throw ManifestError(m.file + ": no [package]: a workspace, not a crate");
    if (m.versionFromWorkspace || !m.inherited.empty())
        throw ManifestError(locate(m.file, m.packagePos) + "package." +
                            (m.versionFromWorkspace ? std::string("version") : m.inherited[0]) +
                            " is inherited from a workspace: not a packaged crate (export what "
                            "`cargo package` or `cargo vendor` writes)");
    if (!validCrateName(m.name))
        throw ManifestError(locate(m.file, m.namePos) + "invalid crate name '" + m.name +
                            "' (a letter, then letters, digits, '-' or '_'; at most 64)");
    try {
        Version::parse(m.version);
    } catch (const FormatError& e) {
        throw ManifestError(locate(m.file, m.versionPos) + e.what() +
                            " (a semantic version, MAJOR.MINOR.PATCH[-PRE][+BUILD])");
    }
    std::vector<Dependency> kept;
    for (auto& d : m.dependencies) {
        if (d.workspace)
            throw ManifestError(locate(m.file, d.pos) + std::string(depKindTable(d.kind)) + "." +
                                d.key + " is inherited from a workspace: not a packaged crate");
        if (d.version.empty() && (d.path || d.git)) {
            if (d.kind == DepKind::Dev) continue; // as `cargo package` does
            throw ManifestError(locate(m.file, d.pos) + std::string(depKindTable(d.kind)) + "." +
                                d.key + " has no version requirement, only a " +
                                (d.path ? "path" : "git repository") +
                                ": a registry crate's dependencies must be in a registry");
        }
        if (!validCrateName(d.package))
            throw ManifestError(locate(m.file, d.pos) + "invalid crate name '" + d.package + "'");
        kept.push_back(d);
    }
    std::sort(kept.begin(), kept.end(), [](const Dependency& a, const Dependency& b) {
        return std::tie(a.key, a.kind, a.target) < std::tie(b.key, b.kind, b.target);
    });
    m.dependencies = std::move(kept);
}

namespace {

std::vector<std::string> crateCandidates(const std::string& source,
                                         std::vector<std::string>& warnings) {
    if (!pathExists(source)) throw Error(source + ": no such file or directory");
    if (isRegularFile(source)) {
        if (!isCrateFile(source)) throw Error(source + ": not a directory of crates or a .crate");
        return {source};
    }
    if (!isDirectory(source)) throw Error(source + ": not a directory of crates");
    if (isRegularFile(source + "/Cargo.toml")) return {source};
    std::vector<std::string> out;
    for (auto& n : readDirectory(source)) {
        std::string p = source + "/" + n;
        if (n[0] == '.') continue;
        if (isRegularFile(p) && isCrateFile(p))
            out.push_back(p);
        else if (!isDirectory(p))
            continue;
        else if (isRegularFile(p + "/Cargo.toml"))
            out.push_back(p);
        else
            warnings.push_back(p + ": no Cargo.toml, not a crate; skipped");
    }
    return out;
}

SourceCrate readSourceCrate(const std::string& path) {
    SourceCrate c;
    c.dir = path;
    if (isRegularFile(path)) {
        c.archive = true;
        std::string prefix = readCrateArchive(path, c.files, c.texts);
        if (!c.texts.count("Cargo.toml")) throw Error(path + ": no " + prefix + "/Cargo.toml");
        c.manifest = parseManifest(c.texts["Cargo.toml"], path + "/" + prefix + "/Cargo.toml");
        checkPublishable(c.manifest);
        std::string want = c.manifest.name + "-" + c.manifest.version;
        if (prefix != want)
            throw FormatError(path + ": its files are under " + prefix + "/, not " + want +
                              "/ as cargo requires of " + c.manifest.name + " " +
                              c.manifest.version);
    } else {
        c.manifest = readManifest(path + "/Cargo.toml");
        checkPublishable(c.manifest);
    }
    return c;
}

} // namespace

std::vector<SourceCrate> findSourceCrates(const std::string& source,
                                          std::vector<std::string>& warnings) {
    std::vector<SourceCrate> out;
    for (auto& p : crateCandidates(source, warnings))
        out.push_back(readSourceCrate(p));
    return out;
}

namespace {

using Spec = std::pair<std::string, std::string>;                   // NAME, VERSION
using Records = std::map<std::string, std::map<std::string, Json>>; // NAME -> VERSION -> record

// One export, step by step (exportRegistry runs the steps in this order): each step reads what
// the earlier ones left in the members.
class Export {
public:
    explicit Export(const ExportOptions& opts) : opts_(opts) {}

    // Checks the options; nothing is read or written yet.
    void checkOptions() {
        if (opts_.sources.empty()) throw UsageError("no source directory of crates given");
        if (opts_.dir.empty()) throw UsageError("no registry directory given");
        baseUrl_ = checkBaseUrl(opts_.baseUrl);
        dir_ = absPath(opts_.dir);
        while (dir_.size() > 1 && dir_.back() == '/')
            dir_.pop_back();
        for (auto& s : opts_.yank)
            yank_.push_back(parseSpec(s, "--yank"));
        for (auto& s : opts_.unyank)
            unyank_.push_back(parseSpec(s, "--unyank"));
        if (pathExists(dir_) && !isDirectory(dir_))
            throw Error(dir_ + ": exists and is not a directory");
    }

    // Reads every source crate: a bad one fails the export before anything is written (or, with
    // keepGoing, is skipped). The first source giving a NAME@VERSION wins.
    void readSources() {
        for (auto& src : opts_.sources)
            for (auto& c : readSource(src)) {
                if (!seen_.insert({c.manifest.name, c.manifest.version}).second) {
                    summary_.warnings.push_back(
                        c.dir + ": " + c.manifest.name + "@" + c.manifest.version +
                        " already exported from an earlier source; skipped");
                    continue;
                }
                Work w;
                w.crate = std::move(c);
                work_.push_back(std::move(w));
            }
    }

    // Takes the registry's lock, for the rest of the export.
    void lock() {
        createDirs(dirOf(dir_));
        lock_.emplace(dirOf(dir_) + "/." + baseNameOf(dir_) + ".lock", LockMode::Exclusive);
    }

    // Reads the records DIR holds already, and gives each crate read its old record.
    void readRegistry() {
        std::string crates = dir_ + "/api/v1/crates";
        if (isDirectory(crates))
            for (auto& name : readDirectory(crates))
                for (auto& vers : isDirectory(crates + "/" + name)
                                      ? readDirectory(crates + "/" + name)
                                      : std::vector<std::string>{})
                    if (auto r = readRecord(crates + "/" + name + "/" + vers + "/" + recordFile,
                                            name, vers))
                        registry_[name][vers] = std::move(*r);
        for (auto& w : work_) {
            auto c = registry_.find(w.crate.manifest.name);
            if (c == registry_.end()) continue;
            auto v = c->second.find(w.crate.manifest.version);
            if (v != c->second.end()) w.old = &v->second;
        }
    }

    // Fingerprints the crates read and packs, in parallel, those that changed since their
    // record was written; then reports the crates that failed (or, with keepGoing, skips them).
    void pack() {
        staging_.emplace(dir_);
        unsigned jobs = opts_.jobs ? opts_.jobs : std::max(1u, std::thread::hardware_concurrency());
        jobs = std::min<unsigned>(
            {jobs, 16u, static_cast<unsigned>(std::max<size_t>(1, work_.size()))});
        std::atomic<size_t> next{0};
        auto worker = [&] {
            for (size_t i; (i = next++) < work_.size();) {
                try {
                    packOne(work_[i]);
                } catch (...) {
                    work_[i].error = std::current_exception();
                }
            }
        };
        std::vector<std::thread> threads;
        for (unsigned i = 1; i < jobs; i++)
            threads.emplace_back(worker);
        worker();
        for (auto& t : threads)
            t.join();

        for (auto& w : work_)
            if (w.error) {
                if (!opts_.keepGoing) std::rethrow_exception(w.error);
                try {
                    std::rethrow_exception(w.error);
                } catch (const std::exception& e) {
                    summary_.warnings.push_back(w.crate.dir + ": " + e.what() + " (crate skipped)");
                }
                summary_.skipped++;
            }
    }

    // Makes the new records; the crates whose records changed get their files rewritten.
    void updateRecords() {
        for (auto& w : work_) {
            if (w.error) continue;
            auto& m = w.crate.manifest;
            bool yanked = w.old && (*w.old)["yanked"].get<bool>();
            Json r = makeRecord(w.crate, w.fingerprint, w.cksum, w.size, yanked);
            summary_.exported++;
            (w.reuse ? summary_.unchanged : summary_.packed)++;
            if (w.old && w.reuse && dump(*w.old) == dump(r)) continue;
            registry_[m.name][m.version] = std::move(r);
            changed_.insert(m.name);
        }
    }

    // --yank and --unyank.
    void applyYanks() {
        for (auto& s : yank_)
            setYanked(s, true, "--yank");
        for (auto& s : unyank_)
            setYanked(s, false, "--unyank");
    }

    // --prune: versions no source holds leave the registry, and crates left without versions;
    // not when bad crates were skipped, since their versions may be among them.
    void prune() {
        if (!opts_.prune) return;
        if (summary_.skipped > 0) {
            summary_.warnings.push_back("not pruning: " + std::to_string(summary_.skipped) +
                                        " bad crates were skipped, and their versions may be in " +
                                        dir_);
            return;
        }
        for (auto c = registry_.begin(); c != registry_.end();) {
            auto& [name, versions] = *c;
            for (auto v = versions.begin(); v != versions.end();) {
                if (seen_.count({name, v->first})) {
                    ++v;
                    continue;
                }
                goneVersions_.push_back(apiPath(name) + "/" + v->first);
                summary_.removed++;
                changed_.insert(name);
                v = versions.erase(v);
            }
            if (!versions.empty()) {
                ++c;
                continue;
            }
            goneCrates_.push_back(name);
            changed_.erase(name);
            c = registry_.erase(c);
        }
    }

    // Writes the files of the changed crates, and config.json if it changed, into the staging
    // directory.
    void stage() {
        for (auto& name : changed_)
            stageCrate(name);
        std::string config =
            dump(Json{{"dl", baseUrl_ + "/api/v1/crates"}, {"api", baseUrl_}}) + "\n";
        std::string configFile = dir_ + "/index/config.json";
        if (!isRegularFile(configFile) || readFile(configFile) != config) {
            staging_->put("index/config.json", config);
            indexFiles_.push_back("index/config.json");
        }
    }

    // Moves the staged files into DIR: a new DIR in one rename; an existing one file by file,
    // the .crate files before the records and JSON that name them, the index last; then takes
    // out what was pruned.
    void commit() {
        if (!pathExists(dir_)) {
            if (rename(staging_->path.c_str(), dir_.c_str()) != 0)
                throw SysError("renaming '" + staging_->path + "' to '" + dir_ + "'");
            staging_->path.clear();
            return;
        }
        for (auto* group : {&downloads_, &perVersion_, &perCrate_, &indexFiles_})
            for (auto& rel : *group) {
                std::string from = staging_->path + "/" + rel, to = dir_ + "/" + rel;
                createDirs(dirOf(to));
                if (rename(from.c_str(), to.c_str()) != 0)
                    throw SysError("renaming '" + from + "' to '" + to + "'");
            }
        removePruned();
    }

    // The registry's figures after the export.
    ExportSummary summarize(std::chrono::steady_clock::time_point start) {
        for (auto& [name, versions] : registry_) {
            summary_.crates++;
            for (auto& [_, r] : versions) {
                summary_.versions++;
                summary_.bytes += r["size"].get<uint64_t>();
            }
        }
        summary_.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return std::move(summary_);
    }

private:
    struct Work {
        SourceCrate crate;
        std::string fingerprint;
        const Json* old = nullptr; // the record already in DIR
        bool reuse = false;        // its .crate in DIR is still right
        std::string cksum;
        uint64_t size = 0;
        std::exception_ptr error;
    };

    // The crates of one source; with keepGoing, a bad one skips that crate alone.
    std::vector<SourceCrate> readSource(const std::string& source) {
        std::vector<SourceCrate> crates;
        for (auto& p : crateCandidates(source, summary_.warnings)) {
            if (!opts_.keepGoing) {
                crates.push_back(readSourceCrate(p));
                continue;
            }
            try {
                crates.push_back(readSourceCrate(p));
            } catch (const Error& e) {
                summary_.warnings.push_back(std::string(e.what()) + " (crate skipped)");
                summary_.skipped++;
            }
        }
        return crates;
    }

    // The record in FILE if it is one of this format for NAME VERSION; a record of another
    // format is ignored (the version is exported again if given), a malformed one is an error.
    static std::optional<Json> readRecord(const std::string& file, const std::string& name,
                                          const std::string& vers) {
        if (!isRegularFile(file)) return std::nullopt;
        Json r;
        try {
            r = Json::parse(readFile(file));
        } catch (const Json::exception& e) {
            throw FormatError(file + ": malformed export record (" + e.what() +
                              "); delete its version directory and export again");
        }
        if (!validRecord(r) || str(r, "name") != name || str(r, "vers") != vers)
            return std::nullopt;
        return r;
    }

    // Fingerprints W's crate and, unless DIR's .crate for it is still right, packs it (and its
    // README) into the staging directory. Runs in the packing threads: touches W alone.
    void packOne(Work& w) const {
        auto& m = w.crate.manifest;
        std::string rel = apiPath(m.name) + "/" + m.version;
        w.fingerprint =
            w.crate.archive ? crateFileFingerprint(w.crate.dir) : sourceFingerprint(w.crate.dir);
        if (w.old && str(*w.old, "source") == w.fingerprint) {
            std::string existing = dir_ + "/" + rel + "/download";
            if (isRegularFile(existing) &&
                hashFile(HashAlgo::SHA256, existing).toBase16() == str(*w.old, "cksum")) {
                w.reuse = true;
                w.cksum = str(*w.old, "cksum");
                w.size = (*w.old)["size"].get<uint64_t>();
                return;
            }
        }
        std::string out = staging_->path + "/" + rel;
        createDirs(out);
        if (w.crate.archive)
            writeFile(out + "/download", readFile(w.crate.dir), 0644); // as it is
        else
            packTree(w.crate.dir, m.name + "-" + m.version, out + "/download", packedInCrate);
        w.cksum = hashFile(HashAlgo::SHA256, out + "/download").toBase16();
        w.size = static_cast<uint64_t>(lstatPath(out + "/download").st_size);
        if (auto readme = readmeOf(w.crate))
            writeFile(out + "/readme", readText(w.crate, *readme), 0644);
    }

    void setYanked(const Spec& spec, bool value, const char* option) {
        auto c = registry_.find(spec.first);
        if (c == registry_.end() || !c->second.count(spec.second))
            throw UsageError(std::string(option) + " " + spec.first + "@" + spec.second +
                             ": no such crate version in the sources or in " + dir_);
        Json& r = c->second[spec.second];
        if (r["yanked"].get<bool>() == value) return;
        r["yanked"] = value;
        changed_.insert(spec.first);
    }

    // Stages the files of crate NAME: those of its versions whose record changed or that were
    // packed, and the crate's JSON and index file.
    void stageCrate(const std::string& name) {
        auto& versions = registry_[name];
        for (auto& [vers, r] : versions) {
            std::string rel = apiPath(name) + "/" + vers;
            std::string f = dir_ + "/" + rel + "/" + recordFile;
            bool packed = isRegularFile(staging_->path + "/" + rel + "/download");
            if (!packed && isRegularFile(f) && readFile(f) == dump(r) + "\n") continue;
            staging_->put(rel + "/" + recordFile, dump(r) + "\n");
            staging_->put(rel + "/index.html", dump(Json{{"version", versionObject(r)}}) + "\n");
            staging_->put(rel + "/dependencies", dump(dependenciesObject(r)) + "\n");
            for (auto f : {"download", "readme"})
                if (isRegularFile(staging_->path + "/" + rel + "/" + f))
                    downloads_.push_back(rel + "/" + f);
            for (auto f : {recordFile, "index.html", "dependencies"})
                perVersion_.push_back(rel + "/" + f);
        }
        auto sorted = sortedVersions(versions);
        Json crate = crateObject(name, sorted);
        staging_->put(apiPath(name) + "/index.html", dump(crate) + "\n");
        staging_->put(apiPath(name) + "/versions/index.html",
                      dump(Json{{"versions", crate["versions"]}}) + "\n");
        perCrate_.push_back(apiPath(name) + "/index.html");
        perCrate_.push_back(apiPath(name) + "/versions/index.html");
        std::string lines;
        for (auto it = sorted.rbegin(); it != sorted.rend(); ++it)
            lines += writeIndexLine(indexEntry(**it)) + "\n";
        staging_->put("index/" + indexPath(name), lines);
        indexFiles_.push_back("index/" + indexPath(name));
    }

    // Pruned versions and crates: out of the index first, then their files (moved into the
    // staging directory, which is deleted, so that no half-deleted directory is ever visible).
    void removePruned() {
        for (auto& name : goneCrates_) {
            std::string f = dir_ + "/index/" + indexPath(name);
            if (unlink(f.c_str()) != 0 && errno != ENOENT) throw SysError("deleting '" + f + "'");
        }
        for (auto* group : {&goneVersions_, &goneCrates_})
            for (size_t i = 0; i < group->size(); i++) {
                std::string rel = group == &goneCrates_ ? apiPath((*group)[i]) : (*group)[i];
                std::string from = dir_ + "/" + rel, to = staging_->path + "/.gone-" +
                                                          std::to_string(i) +
                                                          (group == &goneCrates_ ? "c" : "v");
                if (rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
                    throw SysError("moving '" + from + "' out of the registry");
            }
    }

    const ExportOptions& opts_;
    ExportSummary summary_;
    std::string baseUrl_, dir_;
    std::vector<Spec> yank_, unyank_;
    std::vector<Work> work_;                             // the crates read, in source order
    std::set<Spec> seen_;                                // their NAME@VERSION
    std::optional<FileLock> lock_;                       // the registry's, from lock()
    Records registry_;                                   // what DIR holds, then what it will hold
    std::optional<Staging> staging_;                     // from pack()
    std::set<std::string> changed_;                      // crates whose files are rewritten
    std::vector<std::string> goneVersions_, goneCrates_; // pruned, relative to DIR
    // Staged files, relative to DIR, in the groups commit() moves one after the other.
    std::vector<std::string> downloads_, perVersion_, perCrate_, indexFiles_;
};

} // namespace

ExportSummary exportRegistry(const ExportOptions& opts) {
    auto start = std::chrono::steady_clock::now();
    Export e(opts);
    e.checkOptions();
    e.readSources();
    e.lock();
    e.readRegistry();
    e.pack();
    e.updateRecords();
    e.applyYanks();
    e.prune();
    e.stage();
    e.commit();
    return e.summarize(start);
}

} // namespace ferrix::cargo
