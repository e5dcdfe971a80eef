// Vendoring crate inputs for offline builds (see vendor.hh).
#include "ferrix/cargo/vendor.hh"

#include "ferrix/archive.hh"
#include "ferrix/cargo/platform.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <dirent.h>
#include <map>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix::cargo {

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isTarball(const std::string& f) {
    for (auto ext : {".crate", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tar"})
        if (endsWith(f, ext)) return true;
    return false;
}

bool isHex64(const std::string& s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

void hashTree(const std::string& root, const std::string& rel, nlohmann::json& files) {
    for (auto& name : readDirectory(rel.empty() ? root : root + "/" + rel)) {
        std::string r = rel.empty() ? name : rel + "/" + name;
        std::string p = root + "/" + r;
        if (r == ".cargo-checksum.json") continue;
        if (isDirectory(p)) {
            struct stat st = lstatPath(p);
            // Cargo lists no directory symlinks; but a vendored crate's top-level entries are
            // symlinks into its input (see linkCrate), which stand for the directories.
            if (S_ISLNK(st.st_mode) && !rel.empty()) continue;
            hashTree(root, r, files);
        } else if (isRegularFile(p)) {
            files[r] = hashFile(HashAlgo::SHA256, p).toBase16();
        }
    }
}

// Refuses a symlink under `dir` whose target is absolute or leaves `top` (the crate's
// directory), as unpacking a copy would: the vendored crate links to these files.
void checkLinks(const std::string& top, const std::string& rel) {
    std::string dir = rel.empty() ? top : top + "/" + rel;
    for (auto& name : readDirectory(dir)) {
        std::string r = rel.empty() ? name : rel + "/" + name;
        struct stat st = lstatPath(top + "/" + r);
        if (S_ISDIR(st.st_mode)) {
            checkLinks(top, r);
        } else if (S_ISLNK(st.st_mode)) {
            std::string target = readLink(top + "/" + r);
            // Depth of the link's directory below top, then walk the target's components.
            long depth = std::count(r.begin(), r.end(), '/');
            bool ok = !target.empty() && target[0] != '/';
            size_t at = 0;
            while (ok && at <= target.size()) {
                size_t next = target.find('/', at);
                std::string part =
                    target.substr(at, next == std::string::npos ? std::string::npos : next - at);
                if (part == "..")
                    ok = --depth >= 0;
                else if (!part.empty() && part != ".")
                    depth++;
                if (next == std::string::npos) break;
                at = next + 1;
            }
            if (!ok)
                throw Error("'" + top + "': symlink '" + r + "' points outside the crate ('" +
                            target + "')");
        } else if (!S_ISREG(st.st_mode)) {
            throw Error("'" + top + "': '" + r + "' is not a regular file, directory or symlink");
        }
    }
}

// A vendored copy of the crate directory `src` at `dest` without copying it: a directory holding
// a symlink to each of src's top-level entries (but .cargo-checksum.json, written afresh), so
// that the manifest can be rewritten and the checksum file added next to read-only inputs.
// Copying the trees cost 0.5-1.2 s per build for wordfreq's 14 crates.
void linkCrate(const std::string& src, const std::string& dest) {
    checkLinks(src, "");
    if (::mkdir(dest.c_str(), 0755) != 0) throw SysError("creating '" + dest + "'");
    for (auto& name : readDirectory(src)) {
        if (name == ".cargo-checksum.json") continue;
        std::string target = src + "/" + name, link = dest + "/" + name;
        if (::symlink(target.c_str(), link.c_str()) != 0)
            throw SysError("creating the symlink '" + link + "'");
    }
}

struct Candidate {
    std::string path; // a tarball or a crate directory
    bool tarball;
    bool member = false; // found below a workspace's root
};

// The crate directories below `top`/`rel` (a workspace checkout), to a few levels; build
// output, hidden and vendor directories are not searched.
void workspaceMembers(const std::string& top, const std::string& rel, int depth,
                      std::vector<Candidate>& out) {
    if (depth > 3) return;
    std::string dir = rel.empty() ? top : top + "/" + rel;
    for (auto& name : readDirectory(dir)) {
        if (name[0] == '.' || name == "target" || name == "vendor") continue;
        std::string r = rel.empty() ? name : rel + "/" + name;
        std::string p = top + "/" + r;
        if (!isDirectory(p) || S_ISLNK(lstatPath(p).st_mode)) continue;
        if (isRegularFile(p + "/Cargo.toml")) out.push_back({p, false, true});
        workspaceMembers(top, r, depth + 1, out);
    }
}

// The crates an input holds.
std::vector<Candidate> candidates(const std::string& input) {
    std::vector<Candidate> out;
    if (isRegularFile(input)) {
        if (isTarball(input)) out.push_back({input, true});
    } else if (isDirectory(input)) {
        if (isRegularFile(input + "/Cargo.toml")) {
            out.push_back({input, false});
            // A git checkout may be a workspace: its members are crates too (the root itself
            // may be a virtual manifest, skipped by vendorInputs).
            toml::table root;
            try {
                root = toml::parse_file(input + "/Cargo.toml");
            } catch (const toml::parse_error&) {
            }
            if (root.contains("workspace")) workspaceMembers(input, "", 0, out);
        } else {
            std::string reg = input + "/share/cargo/registry";
            if (isDirectory(reg))
                for (auto& n : readDirectory(reg)) {
                    std::string p = reg + "/" + n;
                    if (isRegularFile(p) && endsWith(n, ".crate"))
                        out.push_back({p, true});
                    else if (isDirectory(p) && isRegularFile(p + "/Cargo.toml"))
                        out.push_back({p, false});
                }
        }
    }
    return out;
}

} // namespace

std::string checksumJson(const std::string& dir, const std::optional<std::string>& package) {
    nlohmann::json j;
    j["files"] = nlohmann::json::object();
    hashTree(dir, "", j["files"]);
    j["package"] = package ? nlohmann::json(*package) : nlohmann::json(nullptr);
    return j.dump();
}

void writeChecksumFile(const std::string& dir, const std::optional<std::string>& package) {
    std::string text = checksumJson(dir, package);
    std::string f = dir + "/.cargo-checksum.json";
    if (pathExists(f)) unlink(f.c_str());
    writeFile(f, text, 0644);
}

std::vector<VendoredCrate> vendorInputs(const std::vector<std::string>& inputs,
                                        const std::string& vendorDir, const std::string& triple,
                                        std::vector<std::string>& log,
                                        const BuildPlatforms* platforms) {
    createDirs(vendorDir);
    std::vector<VendoredCrate> out;
    std::map<std::string, size_t> seen;
    int n = 0;
    for (auto& input : inputs) {
        for (auto& c : candidates(input)) {
            std::string tmp = vendorDir + "/.unpack-" + std::to_string(n++);
            std::optional<std::string> package;
            if (c.tarball) {
                unpackSource(c.path, tmp);
                package = hashFile(HashAlgo::SHA256, c.path).toBase16();
            } else {
                Manifest pre;
                try {
                    pre = readManifest(c.path + "/Cargo.toml");
                } catch (const Error& e) {
                    if (!c.member) throw;
                    // A test fixture of the workspace, say: not one of its crates.
                    log.push_back("skipping " + c.path + ": " + e.what());
                    continue;
                }
                if (!pre.hasPackage) continue;
                if (seen.count(pre.name + "-" + pre.version)) {
                    log.push_back("skipping " + c.path + ": " + pre.name + " " + pre.version +
                                  " already vendored from " +
                                  out[seen[pre.name + "-" + pre.version]].origin);
                    continue;
                }
                linkCrate(absPath(c.path), tmp);
                std::string ck = c.path + "/.cargo-checksum.json";
                if (isRegularFile(ck)) {
                    try {
                        auto j = nlohmann::json::parse(readFile(ck));
                        if (j.contains("package") && j["package"].is_string() &&
                            isHex64(j["package"].get<std::string>()))
                            package = j["package"].get<std::string>();
                    } catch (const nlohmann::json::exception&) {
                    }
                }
            }
            if (!isRegularFile(tmp + "/Cargo.toml")) {
                deletePath(tmp);
                continue;
            }
            Manifest m = readManifest(tmp + "/Cargo.toml");
            if (!m.hasPackage || m.versionFromWorkspace) {
                log.push_back("skipping " + c.path + ": " +
                              (m.versionFromWorkspace
                                   ? "its version is inherited from the workspace "
                                     "(version.workspace = true), which ferrix does not "
                                     "vendor yet (cargo vendor would normalize the manifest)"
                                   : "not a packaged crate"));
                deletePath(tmp);
                continue;
            }
            std::string id = m.name + "-" + m.version;
            if (seen.count(id)) {
                log.push_back("skipping " + c.path + ": " + m.name + " " + m.version +
                              " already vendored from " + out[seen[id]].origin);
                deletePath(tmp);
                continue;
            }
            std::string dest = vendorDir + "/" + id;
            if (rename(tmp.c_str(), dest.c_str()) != 0)
                throw SysError("renaming to '" + dest + "'");
            seen[id] = out.size();
            out.push_back({m.name, m.version, dest, c.path, package});
            log.push_back("vendored " + m.name + " " + m.version + " from " + c.path);
        }
    }
    std::set<std::string> available;
    for (auto& v : out)
        available.insert(v.name);
    PruneOptions options;
    options.platforms = platforms;
    for (auto& v : out) {
        PruneResult pruned = pruneDependencies(v.dir, available, triple, options);
        for (auto& removed : pruned.removed)
            log.push_back("pruned " + removed + " of " + v.name + " " + v.version + " (not for " +
                          triple + ", no input)");
        for (auto& key : pruned.undecided)
            log.push_back("kept [target." + key + "] of " + v.name + " " + v.version +
                          ": undecidable from the triple " + triple + " alone");
        writeChecksumFile(v.dir, v.package);
    }
    return out;
}

std::vector<std::string> gitSourceIds(const Lockfile& lock) {
    std::vector<std::string> ids;
    for (auto& p : lock.packages) {
        if (p.source.rfind("git+", 0) != 0) continue;
        std::string id = p.source.substr(0, p.source.find('#'));
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    return ids;
}

std::string cargoConfig(const std::string& vendorDir, const std::vector<std::string>& gitSources) {
    std::ostringstream os;
    os << "# Written by ferrix: crates come from the vendor directory, never from the network.\n"
       << "[source.crates-io]\nreplace-with = \"ferrix-vendored\"\n\n";
    // As `cargo vendor` writes them: the source id of the lock file without the commit, its URL
    // and its rev/tag/branch, replaced by the same directory.
    for (auto& id : gitSources) {
        std::string rest = id.substr(4);
        auto q = rest.find('?');
        os << "[source." << toml::value<std::string>(id) << "]\n"
           << "git = " << toml::value<std::string>(rest.substr(0, q)) << "\n";
        if (q != std::string::npos) {
            std::istringstream query(rest.substr(q + 1));
            std::string kv;
            while (std::getline(query, kv, '&')) {
                auto eq = kv.find('=');
                if (eq == std::string::npos) continue;
                std::string key = kv.substr(0, eq);
                if (key == "rev" || key == "tag" || key == "branch")
                    os << key << " = " << toml::value<std::string>(kv.substr(eq + 1)) << "\n";
            }
        }
        os << "replace-with = \"ferrix-vendored\"\n\n";
    }
    os << "[source.ferrix-vendored]\ndirectory = " << toml::value<std::string>(vendorDir) << "\n\n"
       << "[net]\noffline = true\n";
    return os.str();
}

namespace {

// Removes from `deps` (a dependency table) the entries to prune: those whose crate is not in
// `available` (path dependencies never), with `onlyOptional` only those marked optional = true.
// Returns their keys.
std::vector<std::string> pruneTable(toml::table& deps, const std::set<std::string>& available,
                                    bool onlyOptional) {
    std::vector<std::string> removed;
    for (auto& [k, v] : deps) {
        std::string key(k.str());
        std::string package = key;
        auto t = v.as_table();
        if (t) {
            if (t->contains("path")) continue;
            if (auto p = (*t)["package"].value<std::string>()) package = *p;
        }
        if (onlyOptional && !(t && (*t)["optional"].value<bool>().value_or(false))) continue;
        if (available.count(package)) continue;
        removed.push_back(key);
    }
    for (auto& k : removed)
        deps.erase(k);
    return removed;
}

void collectKeys(const toml::table& t, std::set<std::string>& keys) {
    for (auto name : {"dependencies", "build-dependencies", "build_dependencies"})
        if (auto d = t[name].as_table())
            for (auto& [k, v] : *d)
                keys.insert(std::string(k.str()));
}

// The keys of the normal and build dependencies, for every target.
std::set<std::string> allDepKeys(const toml::table& t) {
    std::set<std::string> keys;
    collectKeys(t, keys);
    if (auto targets = t["target"].as_table())
        for (auto& [tk, tv] : *targets)
            if (auto tt = tv.as_table()) collectKeys(*tt, keys);
    return keys;
}

// The dependency a feature entry names, and whether it surely names one: "dep:x", "x/f" and
// "x?/f" do; a bare "x" names the feature x if there is one, else the implicit feature of the
// optional dependency x.
std::pair<std::string, bool> featureEntryDependency(std::string ref) {
    bool explicitDep = false;
    if (ref.rfind("dep:", 0) == 0) {
        ref = ref.substr(4);
        explicitDep = true;
    }
    auto slash = ref.find('/');
    if (slash != std::string::npos) {
        ref = ref.substr(0, slash);
        explicitDep = true;
        if (!ref.empty() && ref.back() == '?') ref.pop_back();
    }
    return {ref, explicitDep};
}

const char* const normalTables[] = {"dependencies", "build-dependencies", "build_dependencies"};

} // namespace

static const char rewrittenMark[] = "# Rewritten by ferrix";

std::string savedManifest(const std::string& dir) {
    std::string f = dir + "/Cargo.toml";
    if (!pathExists(f) || readFile(f).rfind(rewrittenMark, 0) != 0) return "";
    if (pathExists(dir + "/Cargo.toml.orig.ferrix")) return dir + "/Cargo.toml.orig.ferrix";
    return dir + "/Cargo.toml.orig";
}

PruneResult pruneDependencies(const std::string& dir, const std::set<std::string>& available,
                              const std::string& triple, const PruneOptions& options) {
    std::string file = dir + "/Cargo.toml";
    std::string text = readFile(file);
    readManifest(file); // errors with their location
    toml::table t = toml::parse(text, file);
    PruneResult r;
    auto note = [&](const std::string& entry, PruneReason why) {
        r.removed.push_back(entry);
        r.reasons.push_back(why);
    };
    std::set<std::string> before = allDepKeys(t);
    std::set<std::string> optionalPruned;
    // Optional dependencies named with "dep:" somewhere have no implicit feature.
    std::set<std::string> explicitlyNamed;
    if (auto features = t["features"].as_table())
        for (auto& [fk, fv] : *features)
            if (auto arr = fv.as_array())
                for (auto& e : *arr)
                    if (auto s = e.value<std::string>(); s && s->rfind("dep:", 0) == 0)
                        explicitlyNamed.insert(s->substr(4));
    if (options.dev) {
        for (auto name : {"dev-dependencies", "dev_dependencies"})
            if (auto d = t[name].as_table())
                for (auto& k : pruneTable(*d, available, false))
                    note(std::string(name) + "." + k, PruneReason::TestsOff);
    }
    if (options.optional) {
        for (auto name : normalTables)
            if (auto d = t[name].as_table())
                for (auto& k : pruneTable(*d, available, true)) {
                    note(std::string(name) + "." + k, PruneReason::Optional);
                    optionalPruned.insert(k);
                }
    }
    if (auto targets = t["target"].as_table()) {
        for (auto& [tk, tv] : *targets) {
            std::string key(tk.str());
            auto tt = tv.as_table();
            if (!tt) continue;
            // Whether the table applies to dependencies of a kind: exact with the cfg sets,
            // else from the triple (nullopt: undecidable, kept but for what is asked below).
            std::optional<bool> fromTriple;
            if (!options.platforms) {
                fromTriple = targetApplies(key, triple);
                if (!fromTriple) r.undecided.push_back(key);
            }
            auto applies = [&](DepKind kind) -> std::optional<bool> {
                if (options.platforms) return options.platforms->applies(key, kind);
                return fromTriple;
            };
            auto kindOf = [](const std::string& name) {
                return name.find("dev") == 0     ? DepKind::Dev
                       : name.find("build") == 0 ? DepKind::Build
                                                 : DepKind::Normal;
            };
            for (auto name : {"dependencies", "build-dependencies", "dev-dependencies",
                              "build_dependencies", "dev_dependencies"}) {
                auto d = (*tt)[name].as_table();
                if (!d) continue;
                DepKind kind = kindOf(name);
                auto a = applies(kind);
                std::string prefix = "target." + key + "." + name + ".";
                if (a && !*a) {
                    for (auto& k : pruneTable(*d, available, false))
                        note(prefix + k, PruneReason::OtherPlatform);
                } else if (kind == DepKind::Dev) {
                    // Tests off: no dev-dependency is resolved, whatever its table.
                    if (options.dev)
                        for (auto& k : pruneTable(*d, available, false))
                            note(prefix + k, PruneReason::TestsOff);
                } else if (options.optional) {
                    for (auto& k : pruneTable(*d, available, true)) {
                        note(prefix + k, PruneReason::Optional);
                        optionalPruned.insert(k);
                    }
                }
            }
        }
    }
    if (r.removed.empty()) return r;
    std::set<std::string> after = allDepKeys(t);
    std::set<std::string> gone;
    for (auto& k : before)
        if (!after.count(k)) gone.insert(k);
    // The pruned optional dependencies, gone from every table; those with an implicit feature
    // (never named with "dep:" and no feature of their name) lose it.
    auto features = t["features"].as_table();
    for (auto& dep : optionalPruned) {
        if (!gone.count(dep)) continue;
        r.optionalPruned.insert(dep);
        if ((!features || !features->contains(dep)) && !explicitlyNamed.count(dep))
            r.weakened.emplace(dep, dep);
    }
    if (features) {
        // A feature that needs a pruned optional dependency ("dep:x", "x/f", or x's implicit
        // feature; not "x?/f", which only applies when x is enabled otherwise) is weakened, and
        // so is a feature that enables a weakened one ("default" aside: it is only a list).
        auto needs = [&](const std::string& entry) -> std::string {
            if (entry.find("?/") != std::string::npos) return "";
            auto [dep, explicitDep] = featureEntryDependency(entry);
            if (explicitDep) return r.optionalPruned.count(dep) ? dep : "";
            auto it = r.weakened.find(entry);
            return it != r.weakened.end() ? it->second : "";
        };
        for (bool grew = true; grew;) {
            grew = false;
            for (auto& [fk, fv] : *features) {
                std::string name(fk.str());
                auto arr = fv.as_array();
                if (!arr || name == "default" || r.weakened.count(name)) continue;
                for (auto& e : *arr)
                    if (auto s = e.value<std::string>()) {
                        std::string dep = needs(*s);
                        if (dep.empty()) continue;
                        r.weakened.emplace(name, dep);
                        grew = true;
                        break;
                    }
            }
        }
        // Entries naming a dependency removed from every table ("dep:x", "x/f", "x?/f", and "x"
        // when it is x's implicit feature) go, and so do those enabling a weakened feature, so
        // that "default" no longer turns on code that needs what was pruned.
        for (auto& [fk, fv] : *features) {
            auto arr = fv.as_array();
            if (!arr) continue;
            for (size_t i = arr->size(); i-- > 0;) {
                auto s = (*arr)[i].value<std::string>();
                if (!s) continue;
                auto [dep, explicitDep] = featureEntryDependency(*s);
                bool drop =
                    !dep.empty() && gone.count(dep) && (explicitDep || !features->contains(dep));
                if (drop || (!explicitDep && r.weakened.count(*s))) arr->erase(arr->begin() + i);
            }
        }
    }
    std::string saved = dir + "/Cargo.toml.orig";
    if (pathExists(saved)) saved = dir + "/Cargo.toml.orig.ferrix";
    writeFile(saved, text, 0644);
    std::ostringstream os;
    os << rewrittenMark << " (dependencies that cannot be resolved offline pruned);\n"
       << "# the original is " << baseNameOf(saved) << ".\n"
       << t << "\n";
    unlink(file.c_str());
    writeFile(file, os.str(), 0644);
    return r;
}

std::vector<std::string> pruneManifest(const std::string& dir,
                                       const std::set<std::string>& available,
                                       const std::string& triple, bool pruneDev) {
    PruneOptions o;
    o.dev = pruneDev;
    return pruneDependencies(dir, available, triple, o).removed;
}

std::string
missingDevDependenciesMessage(const std::vector<std::pair<std::string, Dependency>>& missing) {
    std::string msg = "the tests need dev-dependencies that no input provides:";
    for (auto& [file, d] : missing)
        msg += "\n  " + d.package + (d.version.empty() ? "" : " \"" + d.version + "\"") + " ([" +
               (d.target.empty() ? "" : "target.'" + d.target + "'.") + "dev-dependencies] of " +
               file + ")";
    return msg + "\ngive each as an input (#:cargo-development-inputs: a crate of that name whose "
                 "version meets the requirement), or build without the tests (#:tests? #f)";
}

std::vector<Dependency> missingDevDependencies(const std::string& dir,
                                               const std::set<std::string>& available,
                                               const BuildPlatforms& platforms) {
    std::vector<Dependency> out;
    for (auto& d : readManifest(dir + "/Cargo.toml").dependencies) {
        // Inherited ones are the workspace's to check (a path there, maybe).
        if (d.kind != DepKind::Dev || d.path || d.workspace || available.count(d.package)) continue;
        if (!d.target.empty() && !platforms.applies(d.target, DepKind::Dev)) continue;
        out.push_back(d);
    }
    return out;
}

std::vector<std::string> lockMismatches(const Lockfile& lock,
                                        const std::vector<VendoredCrate>& vendored) {
    std::vector<std::string> out;
    for (auto& p : lock.packages) {
        if (p.source.empty()) continue; // a workspace member or path dependency
        bool git = p.source.rfind("git+", 0) == 0;
        if (!git && p.source.rfind("registry+", 0) != 0 && p.source.rfind("sparse+", 0) != 0) {
            out.push_back(p.name + " " + p.version + " comes from " + p.source +
                          ", which cannot be vendored");
            continue;
        }
        auto it = std::find_if(vendored.begin(), vendored.end(), [&](const VendoredCrate& v) {
            return v.name == p.name && v.version == p.version;
        });
        if (it == vendored.end()) {
            out.push_back(p.name + " " + p.version + " is locked but no input provides it" +
                          (git ? " (it comes from " + p.source + ")" : ""));
            continue;
        }
        if (git) continue; // git packages have no checksum: cargo vendor writes "package": null
        if (!p.checksum.empty() && it->package != p.checksum)
            out.push_back(p.name + " " + p.version + " is locked with checksum " + p.checksum +
                          " but its input (" + it->origin + ") has " +
                          (it->package ? *it->package : std::string("no known checksum")));
    }
    return out;
}

} // namespace ferrix::cargo
