// The unit graph of a Cargo package, as cargo makes it (see units.hh). The three steps follow
// cargo's own: packages resolved (core/resolver, from the lock file or the crates at hand),
// features resolved (core/resolver/features.rs: FeatureResolver), units made
// (core/compiler/unit_dependencies.rs), each with its profile (core/profiles.rs).
#include "ferrix/cargo/units.hh"

#include "ferrix/cargo/semver.hh"
#include "ferrix/cargo/vendor.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <tuple>

namespace ferrix::cargo {

namespace {

const std::string cratesIo = "registry+https://github.com/rust-lang/crates.io-index";

// "1.63.0" -> {1, 63}; unknown: the newest behaviour.
std::pair<int, int> majorMinor(const std::string& version) {
    try {
        Version v = Version::parse(version);
        return {static_cast<int>(v.major), static_cast<int>(v.minor)};
    } catch (const Error&) {
        return {1, 1000};
    }
}

// "a/./b/../c" -> "a/c", lexically: a path dependency's directory as cargo names it.
std::string normalise(const std::string& path) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        std::string p = path.substr(i, j - i);
        if (p == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!p.empty() && p != ".")
            parts.push_back(p);
        i = j + 1;
    }
    std::string out;
    for (auto& p : parts)
        out += "/" + p;
    return out.empty() ? "/" : out;
}

std::string crateName(const std::string& s) {
    std::string n = s;
    std::replace(n.begin(), n.end(), '-', '_');
    return n;
}

// A feature value: "f", "dep:d", "d/f" or "d?/f" (cargo's FeatureValue).
struct FeatureValue {
    enum Kind { Feature, Dep, DepFeature } kind = Feature;
    std::string name, depFeature;
    bool weak = false;

    static FeatureValue parse(const std::string& s) {
        FeatureValue v;
        if (s.rfind("dep:", 0) == 0) {
            v.kind = Dep;
            v.name = s.substr(4);
        } else if (auto slash = s.find('/'); slash != std::string::npos) {
            v.kind = DepFeature;
            v.name = s.substr(0, slash);
            v.depFeature = s.substr(slash + 1);
            if (!v.name.empty() && v.name.back() == '?') {
                v.weak = true;
                v.name.pop_back();
            }
        } else
            v.name = s;
        return v;
    }
};

using FeatureMap = std::map<std::string, std::vector<FeatureValue>>;

// [features] with the implicit feature of each optional dependency that no `dep:` names.
FeatureMap featureMap(const Manifest& m) {
    FeatureMap map;
    std::set<std::string> hidden;
    for (auto& [name, values] : m.features) {
        auto& entry = map[name];
        for (auto& v : values) {
            FeatureValue fv = FeatureValue::parse(v);
            if (fv.kind == FeatureValue::Dep) hidden.insert(fv.name);
            entry.push_back(fv);
        }
    }
    for (auto& d : m.dependencies)
        if (d.optional && !hidden.count(d.key) && !map.count(d.key))
            map[d.key] = {FeatureValue{FeatureValue::Dep, d.key, "", false}};
    return map;
}

struct LockedId {
    std::string name, version, source;
};

// How a unit is asked for, as cargo's UnitFor: for the host (profile build-override), with the
// host's features (resolver 2), with panic forced to unwind.
struct UnitFor {
    bool host = false, hostFeatures = false, unwind = false;
};

struct UnitKey {
    std::size_t package, target;
    CompileMode mode;
    bool hostPlatform;
    std::vector<std::string> features;
    std::string profile;
    auto operator<=>(const UnitKey&) const = default;
};

std::string profileKey(const Profile& p) {
    return p.name + "|" + p.optLevel + "|" + std::to_string(p.debuginfo) + "|" +
           std::to_string(p.debugAssertions) + std::to_string(p.overflowChecks) +
           std::to_string(p.rpath) + std::to_string(p.incremental) + "|" + p.lto + "|" + p.panic +
           "|" + (p.codegenUnits ? std::to_string(*p.codegenUnits) : "-") + "|" + p.strip;
}

void mergeProfile(Profile& p, const ProfileTable& t, bool& stripSet) {
    if (t.optLevel) p.optLevel = *t.optLevel;
    if (t.debug) p.debuginfo = *t.debug;
    if (t.debugAssertions) p.debugAssertions = *t.debugAssertions;
    if (t.overflowChecks) p.overflowChecks = *t.overflowChecks;
    if (t.incremental) p.incremental = *t.incremental;
    if (t.rpath) p.rpath = *t.rpath;
    if (t.lto) p.lto = *t.lto == "true" ? "fat" : *t.lto;
    if (t.panic) p.panic = *t.panic;
    if (t.codegenUnits) p.codegenUnits = *t.codegenUnits;
    if (t.strip) {
        p.strip = *t.strip;
        stripSet = true;
    }
}

// Whether a [profile.X.package.SPEC] key names the package: "name" or "name@version" (or the
// old "name:version").
bool specMatches(const std::string& spec, const Package& p) {
    auto at = spec.find_first_of("@:");
    if (at == std::string::npos) return spec == p.name;
    if (spec.substr(0, at) != p.name) return false;
    std::string v = spec.substr(at + 1);
    return v == p.version || p.version.rfind(v + ".", 0) == 0;
}

class Builder {
public:
    Builder(const std::string& root, const std::vector<CrateSource>& crates,
            const UnitGraphOptions& o)
        : root(normalise(absPath(root))), crates(crates), o(o) {
        auto [major, minor] = majorMinor(o.cargoVersion);
        (void)major;
        cargoMinor = minor;
    }

    UnitGraph build() {
        loadWorkspace();
        readLock();
        checkDevDependencies();
        resolveFeatures();
        makeUnits();
        return std::move(g);
    }

private:
    std::string root;
    const std::vector<CrateSource>& crates;
    const UnitGraphOptions& o;
    int cargoMinor = 1000;
    UnitGraph g;
    Manifest rootManifest;
    bool v2 = false;
    std::vector<std::size_t> members;  // package indices of the workspace members
    std::vector<std::size_t> selected; // the members asked for
    std::map<std::string, std::size_t> byDir;
    std::vector<FeatureMap> featureMaps;
    // Each package's dependencies as written, and the package each resolves to (npos: not yet).
    std::vector<std::vector<std::size_t>> depTargets;
    // Crates at hand, read on first use: name -> (version, crate index).
    std::map<std::string, std::vector<std::pair<std::string, std::size_t>>> atHand;
    std::vector<std::optional<Manifest>> crateManifests;
    std::vector<std::string> crateErrors;
    std::optional<Lockfile> lock;

    std::size_t addPackage(const std::string& dir, Manifest m, const std::string& source,
                           const std::string& checksum, bool local) {
        auto found = byDir.find(dir);
        if (found != byDir.end()) return found->second;
        Package p;
        p.name = m.name;
        p.version = m.version;
        p.source = source.empty() ? cratesIo : source;
        p.dir = dir;
        p.checksum = checksum;
        p.local = local;
        if (local) p.source = "path+file://" + dir;
        try {
            p.targets = targets(m, dir);
        } catch (const ManifestError& e) {
            throw UnitGraphError(e.what());
        }
        p.manifest = std::move(m);
        std::size_t i = g.packages.size();
        featureMaps.push_back(featureMap(p.manifest));
        depTargets.push_back(std::vector<std::size_t>(p.manifest.dependencies.size(), npos));
        g.packages.push_back(std::move(p));
        byDir[dir] = i;
        return i;
    }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    Manifest loadLocal(const std::string& dir) {
        Manifest m;
        try {
            m = readManifest(dir + "/Cargo.toml");
            if (rootManifest.isWorkspace && dir != root) m = inheritFromWorkspace(m, rootManifest);
        } catch (const ManifestError& e) {
            throw UnitGraphError(e.what());
        }
        return m;
    }

    std::size_t addLocal(const std::string& dir) {
        auto found = byDir.find(dir);
        if (found != byDir.end()) return found->second;
        Manifest m = loadLocal(dir);
        if (!m.hasPackage) throw UnitGraphError(dir + "/Cargo.toml: no [package] table");
        return addPackage(dir, std::move(m), "", "", true);
    }

    void loadWorkspace() {
        try {
            rootManifest = readManifest(root + "/Cargo.toml");
        } catch (const ManifestError& e) {
            throw UnitGraphError(e.what());
        }
        if (rootManifest.isWorkspace && rootManifest.hasPackage)
            rootManifest = inheritFromWorkspace(rootManifest, rootManifest);
        checkDebugNames();
        if (rootManifest.hasPackage)
            members.push_back(addPackage(root, rootManifest, "", "", true));
        if (rootManifest.isWorkspace)
            for (auto& rel : workspaceMembers(rootManifest, root))
                members.push_back(addLocal(normalise(root + "/" + rel)));
        // Resolver "2" from the root's `resolver` or its edition (2021 on: "3" resolves features
        // as "2" does).
        std::string r = rootManifest.resolver;
        if (r.empty() && rootManifest.hasPackage && !rootManifest.edition.empty() &&
            rootManifest.edition >= "2021")
            r = "2";
        v2 = !r.empty() && r != "1";
        g.resolver = v2 ? "2" : "1";

        std::vector<std::string> names = o.packages;
        if (names.empty() && !rootManifest.defaultMembers.empty())
            for (auto& d : rootManifest.defaultMembers)
                selected.push_back(addLocal(normalise(root + "/" + d)));
        else if (names.empty()) {
            if (rootManifest.hasPackage)
                selected.push_back(members.front());
            else
                selected = members;
        } else
            for (auto& n : names) {
                auto it = std::find_if(members.begin(), members.end(),
                                       [&](std::size_t i) { return g.packages[i].name == n; });
                if (it == members.end())
                    throw UnitGraphError("package '" + n + "' is not a member of the workspace " +
                                         root);
                selected.push_back(*it);
            }
    }

    void readLock() {
        if (!o.useLockfile || !pathExists(root + "/Cargo.lock")) return;
        try {
            lock = readLockfile(root + "/Cargo.lock");
        } catch (const ManifestError& e) {
            throw UnitGraphError(e.what());
        }
    }

    bool isMember(std::size_t p) const {
        return std::find(members.begin(), members.end(), p) != members.end();
    }

    // The crates at hand by name, their manifests read once.
    void indexCrates() {
        if (!crateManifests.empty() || crates.empty()) return;
        crateManifests.resize(crates.size());
        crateErrors.resize(crates.size());
        for (std::size_t i = 0; i < crates.size(); i++) {
            try {
                crateManifests[i] = readManifest(crates[i].dir + "/Cargo.toml");
                atHand[crateManifests[i]->name].emplace_back(crateManifests[i]->version, i);
            } catch (const Error& e) {
                crateErrors[i] = e.what();
            }
        }
    }

    std::string atHandList(const std::string& name) {
        auto it = atHand.find(name);
        std::string unreadable;
        for (std::size_t i = 0; i < crateErrors.size(); i++)
            if (!crateErrors[i].empty())
                unreadable += "; a crate at hand could not be read: " + crateErrors[i];
        if (it == atHand.end() || it->second.empty())
            return "no crate of that name is at hand" + unreadable;
        std::string s = "at hand:";
        for (auto& [v, i] : it->second)
            s += " " + name + " " + v +
                 (crates[i].source.empty() ? "" : " (" + crates[i].source + ")");
        return s + unreadable;
    }

    static std::string sourceOf(const CrateSource& c) {
        return c.source.empty() ? cratesIo : c.source;
    }

    // Git URLs compared without "git+", a trailing ".git" or '/', query and fragment.
    static std::string gitBase(std::string url) {
        if (url.rfind("git+", 0) == 0) url = url.substr(4);
        url = url.substr(0, url.find_first_of("?#"));
        while (!url.empty() && url.back() == '/')
            url.pop_back();
        if (url.size() > 4 && url.compare(url.size() - 4, 4, ".git") == 0)
            url.resize(url.size() - 4);
        return url;
    }

    bool sourceFits(const Dependency& d, const CrateSource& c) const {
        std::string s = sourceOf(c);
        if (d.git) return s.rfind("git+", 0) == 0 && gitBase(s) == gitBase(*d.git);
        return s.rfind("git+", 0) != 0;
    }

    std::optional<LockedId> lockedDep(std::size_t from, const Dependency& d) {
        if (!lock) return std::nullopt;
        const Package& p = g.packages[from];
        const LockedPackage* entry = nullptr;
        for (auto& lp : lock->packages)
            if (lp.name == p.name && lp.version == p.version &&
                (p.local ? lp.source.empty() : lp.source == p.source)) {
                entry = &lp;
                break;
            }
        if (!entry) return std::nullopt;
        VersionReq req = VersionReq::parse(d.version.empty() ? "*" : d.version);
        for (auto& text : entry->dependencies) {
            LockedId id;
            auto sp = text.find(' ');
            id.name = text.substr(0, sp);
            if (id.name != d.package) continue;
            if (sp != std::string::npos) {
                std::string rest = text.substr(sp + 1);
                auto paren = rest.find(" (");
                id.version = rest.substr(0, paren);
                if (paren != std::string::npos)
                    id.source = rest.substr(paren + 2, rest.size() - paren - 3);
            }
            // "NAME" alone: the only package of that name in the lock.
            if (id.version.empty())
                for (auto& lp : lock->packages)
                    if (lp.name == id.name) {
                        id.version = lp.version;
                        id.source = lp.source;
                    }
            if (id.source.empty())
                for (auto& lp : lock->packages)
                    if (lp.name == id.name && lp.version == id.version) id.source = lp.source;
            try {
                if (!d.version.empty() && !req.matches(Version::parse(id.version))) continue;
            } catch (const FormatError&) {
                continue;
            }
            if (d.git && gitBase(id.source) != gitBase(*d.git)) continue;
            return id;
        }
        return std::nullopt;
    }

    // The package dependency `di` of package `from` resolves to, loading it if needed.
    std::size_t resolveDep(std::size_t from, std::size_t di) {
        if (depTargets[from][di] != npos) return depTargets[from][di];
        const Dependency d = g.packages[from].manifest.dependencies[di];
        const Package& p = g.packages[from];
        std::size_t result;
        if (d.path) {
            std::string dir = normalise(p.dir + "/" + *d.path);
            result = addLocal(dir);
        } else {
            indexCrates();
            std::optional<std::size_t> pick;
            std::string why = "requirement '" + (d.version.empty() ? "*" : d.version) + "'";
            if (auto id = lockedDep(from, d)) {
                why = "locked version " + id->version + " (" + lock->file + ")";
                for (auto& [v, i] : atHand[d.package])
                    if (v == id->version &&
                        (id->source.empty() || sourceOf(crates[i]) == id->source ||
                         (d.git && sourceFits(d, crates[i]))))
                        pick = i;
            } else {
                VersionReq req = VersionReq::parse(d.version.empty() ? "*" : d.version);
                std::optional<Version> best;
                for (auto& [v, i] : atHand[d.package]) {
                    if (!sourceFits(d, crates[i])) continue;
                    Version ver = Version::parse(v);
                    if (!req.matches(ver)) continue;
                    if (!best || *best < ver) {
                        best = ver;
                        pick = i;
                    }
                }
                // One version per compatible range, as cargo's resolver keeps: an already
                // chosen version that also satisfies the requirement wins.
                if (pick)
                    for (std::size_t q = 0; q < g.packages.size(); q++) {
                        const Package& other = g.packages[q];
                        if (other.local || other.name != d.package ||
                            !sourceFits(d, CrateSource{"", other.source, ""}))
                            continue;
                        Version ov = Version::parse(other.version);
                        if (compatible(ov, *best) && req.matches(ov)) {
                            for (auto& [v, i] : atHand[d.package])
                                if (v == other.version) pick = i;
                        }
                    }
            }
            if (!pick)
                throw UnitGraphError(p.name + " " + p.version + " (" + p.manifest.file +
                                     ") depends on " + d.package + " with " + why +
                                     ", which no crate at hand satisfies; " +
                                     atHandList(d.package));
            const CrateSource& c = crates[*pick];
            std::string dir = normalise(absPath(c.dir));
            auto found = byDir.find(dir);
            result = found != byDir.end()
                         ? found->second
                         : addPackage(dir, *crateManifests[*pick], sourceOf(c), c.checksum, false);
        }
        depTargets[from][di] = result;
        return result;
    }

    // ---- Features: cargo's FeatureResolver ----------------------------------------------------

    using FKey = std::pair<std::size_t, bool>; // package, for the host (resolver 2 only)
    std::map<FKey, std::set<std::string>> activatedFeatures, activatedDeps;
    std::set<FKey> processedDeps;
    std::map<std::tuple<std::size_t, bool, std::string>, std::set<std::string>> deferredWeak;

    FKey key(std::size_t p, bool host) const { return {p, v2 && host}; }

    bool isProcMacro(std::size_t p) const {
        for (auto& t : g.packages[p].targets)
            if (t.kind == TargetKind::Lib) return t.procMacro();
        return false;
    }

    bool platformActive(const Dependency& d, bool forHost) const {
        if (d.target.empty()) return true;
        if (forHost) return targetApplies(d.target, o.hostTriple, o.hostCfg);
        return targetApplies(d.target, o.targetTriple, o.targetCfg);
    }

    bool devActive(std::size_t p) const { return o.tests && isMember(p); }

    // The dependencies of `p` as the feature resolver sees them (cargo's `deps`), by index in
    // its manifest, with each one's FeaturesFor.
    std::vector<std::pair<std::size_t, bool>> featureDeps(std::size_t p, bool fk) {
        std::vector<std::pair<std::size_t, bool>> out;
        auto& deps = g.packages[p].manifest.dependencies;
        for (std::size_t i = 0; i < deps.size(); i++) {
            const Dependency& d = deps[i];
            // Resolver 1 unifies the features dev-dependencies enable even when nothing is tested.
            if (d.kind == DepKind::Dev && !(isMember(p) && (o.tests || !v2))) continue;
            bool buildDep = d.kind == DepKind::Build;
            if (v2 && !d.target.empty() && !platformActive(d, buildDep || fk)) continue;
            out.emplace_back(i, fk);
        }
        return out;
    }

    // The FeaturesFor of dependency `di` of `p` once resolved.
    bool depFk(std::size_t p, std::size_t di, bool fk) {
        if (!v2) return false;
        if (fk) return true;
        const Dependency& d = g.packages[p].manifest.dependencies[di];
        return d.kind == DepKind::Build || isProcMacro(resolveDep(p, di));
    }

    // With tests, every dev-dependency of the members that applies to the target must resolve:
    // the ones that do not are named together, as the whole-package mode's configure names them
    // (MissingDevDependencies in phases.hh), rather than the first one the resolver meets.
    void checkDevDependencies() {
        if (!o.tests) return;
        std::vector<std::pair<std::string, Dependency>> missing;
        for (std::size_t m : members) {
            // Copies: resolving adds packages, which may move g.packages.
            const std::vector<Dependency> deps = g.packages[m].manifest.dependencies;
            const std::string file = g.packages[m].manifest.file;
            for (std::size_t di = 0; di < deps.size(); di++) {
                const Dependency& d = deps[di];
                if (d.kind != DepKind::Dev || !(d.target.empty() || platformActive(d, false)))
                    continue;
                try {
                    resolveDep(m, di);
                } catch (const UnitGraphError&) {
                    missing.push_back({file, d});
                }
            }
        }
        if (!missing.empty()) throw UnitGraphError(missingDevDependenciesMessage(missing));
    }

    // Resolves a dependency the feature resolver walks into; resolver 1 also walks the
    // dependencies of other platforms, and dev-dependencies when nothing is tested, which may be
    // missing: those are skipped (the whole-package mode prunes them likewise).
    std::optional<std::size_t> walk(std::size_t p, std::size_t di) {
        const Dependency& d = g.packages[p].manifest.dependencies[di];
        bool needed = (d.kind != DepKind::Dev || o.tests) &&
                      (d.target.empty() || platformActive(d, d.kind == DepKind::Build) ||
                       platformActive(d, true));
        if (needed) return resolveDep(p, di);
        try {
            return resolveDep(p, di);
        } catch (const UnitGraphError&) {
            return std::nullopt;
        }
    }

    std::vector<FeatureValue> fvsFromDependency(std::size_t dep, const Dependency& d) {
        std::vector<FeatureValue> out;
        for (auto& f : d.features)
            out.push_back(FeatureValue::parse(f));
        if (d.defaultFeatures && featureMaps[dep].count("default"))
            out.push_back(FeatureValue::parse("default"));
        return out;
    }

    void activatePkg(std::size_t p, bool fk, const std::vector<FeatureValue>& fvs) {
        activatedFeatures[key(p, fk)];
        for (auto& fv : fvs)
            activateFv(p, fk, fv);
        if (!processedDeps.insert({p, fk}).second) return;
        for (auto [di, f] : featureDeps(p, fk)) {
            const Dependency& d = g.packages[p].manifest.dependencies[di];
            if (d.optional) continue;
            auto dep = walk(p, di);
            if (!dep) continue;
            activatePkg(*dep, depFk(p, di, f), fvsFromDependency(*dep, d));
        }
    }

    void activateFv(std::size_t p, bool fk, const FeatureValue& fv) {
        switch (fv.kind) {
        case FeatureValue::Feature:
            activateRec(p, fk, fv.name);
            break;
        case FeatureValue::Dep:
            activateDependency(p, fk, fv.name);
            break;
        case FeatureValue::DepFeature:
            activateDepFeature(p, fk, fv.name, fv.depFeature, fv.weak);
            break;
        }
    }

    void activateRec(std::size_t p, bool fk, const std::string& feature) {
        if (!activatedFeatures[key(p, fk)].insert(feature).second) return;
        auto it = featureMaps[p].find(feature);
        if (it == featureMaps[p].end()) return;
        auto values = it->second;
        for (auto& fv : values)
            activateFv(p, fk, fv);
    }

    void activateDependency(std::size_t p, bool fk, const std::string& depName) {
        activatedDeps[key(p, fk)].insert(depName);
        std::set<std::string> toEnable;
        auto weak = deferredWeak.find({p, fk, depName});
        if (weak != deferredWeak.end()) {
            toEnable = weak->second;
            deferredWeak.erase(weak);
        }
        for (auto [di, f] : featureDeps(p, fk)) {
            const Dependency& d = g.packages[p].manifest.dependencies[di];
            if (d.key != depName) continue;
            auto dep = walk(p, di);
            if (!dep) continue;
            bool dfk = depFk(p, di, f);
            for (auto& feature : toEnable)
                activateFv(*dep, dfk, FeatureValue::parse(feature));
            activatePkg(*dep, dfk, fvsFromDependency(*dep, d));
        }
    }

    void activateDepFeature(std::size_t p, bool fk, const std::string& depName,
                            const std::string& depFeature, bool weak) {
        for (auto [di, f] : featureDeps(p, fk)) {
            const Dependency& d = g.packages[p].manifest.dependencies[di];
            if (d.key != depName) continue;
            if (d.optional) {
                auto& active = activatedDeps[key(p, fk)];
                if (weak && !active.count(depName)) {
                    deferredWeak[{p, fk, depName}].insert(depFeature);
                    continue;
                }
                activateFv(p, fk, FeatureValue{FeatureValue::Dep, depName, "", false});
                // "d/f" also enables the feature "d"; since 1.71 only when it exists (not
                // hidden by a `dep:d`).
                if (!weak && (cargoMinor < 71 || featureMaps[p].count(depName)))
                    activateRec(p, fk, depName);
            }
            auto dep = walk(p, di);
            if (!dep) continue;
            activateFv(*dep, depFk(p, di, f), FeatureValue::parse(depFeature));
        }
    }

    std::vector<FeatureValue> requested(std::size_t p) {
        std::vector<FeatureValue> out;
        const Package& pkg = g.packages[p];
        if (o.allFeatures)
            for (auto& [name, _] : featureMaps[p])
                out.push_back(FeatureValue::parse(name));
        for (auto& f : o.features) {
            std::string s = f;
            auto slash = s.find('/');
            if (slash != std::string::npos && s.substr(0, slash) == pkg.name)
                s = s.substr(slash + 1);
            else if (slash != std::string::npos &&
                     std::any_of(selected.begin(), selected.end(), [&](std::size_t m) {
                         return g.packages[m].name == s.substr(0, slash);
                     }))
                continue; // another member's feature
            FeatureValue fv = FeatureValue::parse(s);
            if (fv.kind == FeatureValue::Feature && !featureMaps[p].count(fv.name))
                throw UnitGraphError("package '" + pkg.name + "' (" + pkg.manifest.file +
                                     ") does not have the feature '" + fv.name + "'");
            out.push_back(fv);
        }
        if (!o.noDefaultFeatures && featureMaps[p].count("default"))
            out.push_back(FeatureValue::parse("default"));
        return out;
    }

    void resolveFeatures() {
        for (std::size_t m : selected) {
            auto fvs = requested(m);
            bool fk = false;
            if (v2 && isProcMacro(m)) {
                activatePkg(m, false, fvs);
                fk = true;
            }
            activatePkg(m, fk, fvs);
        }
    }

    std::vector<std::string> featuresOf(std::size_t p, bool hostFeatures) {
        auto it = activatedFeatures.find(key(p, hostFeatures));
        if (it == activatedFeatures.end()) return {};
        return {it->second.begin(), it->second.end()};
    }

    bool depActivated(std::size_t p, bool hostFeatures, const std::string& name) {
        auto it = activatedDeps.find(key(p, hostFeatures));
        return it != activatedDeps.end() && it->second.count(name);
    }

    // ---- Units: cargo's unit_dependencies.rs -------------------------------------------------

    std::vector<Unit> units;
    std::map<UnitKey, std::size_t> unitIndex;
    std::vector<bool> visiting;
    // Edges through dev-dependencies only (unit, dependency unit): no `links` edges from them.
    std::set<std::pair<std::size_t, std::size_t>> devEdges;

    // Path packages under the root whose directory o.packageDirs replaces.
    void movePackages() {
        for (auto& p : g.packages) {
            auto to = o.packageDirs.find(p.dir);
            if (!p.local || to == o.packageDirs.end()) continue;
            if (p.dir == root)
                p.workspacePath = ".";
            else if (p.dir.rfind(root + "/", 0) == 0)
                p.workspacePath = p.dir.substr(root.size() + 1);
            else
                continue;
            p.dir = to->second;
            p.source = "path+file://" + p.dir;
        }
    }

    // Named debug levels came with cargo 1.71: an older cargo refuses the manifest, and so does
    // ferrix rather than guess, at the first name in the file.
    void checkDebugNames() const {
        if (cargoMinor >= 71) return;
        std::optional<std::pair<SourcePos, std::string>> first;
        std::function<void(const std::string&, const ProfileTable&)> find =
            [&](const std::string& what, const ProfileTable& t) {
                auto before = [](SourcePos x, SourcePos y) {
                    return std::tie(x.line, x.column) < std::tie(y.line, y.column);
                };
                if (t.debugNamed && (!first || before(*t.debugNamed, first->first)))
                    first = {{*t.debugNamed, what + ".debug: cargo " + o.cargoVersion +
                                                 " takes only a boolean or 0, 1, 2 (named debug "
                                                 "levels such as \"" +
                                                 debugLevelName(*t.debug) +
                                                 "\" need cargo 1.71 or later)"}};
                for (auto& [spec, p] : t.packages)
                    find(what + ".package." + spec, p);
                for (auto& b : t.buildOverride)
                    find(what + ".build-override", b);
            };
        for (auto& [name, t] : rootManifest.profiles)
            find("profile." + name, t);
        if (first) throw UnitGraphError(locate(rootManifest.file, first->first) + first->second);
    }

    // The name a debug level is written with ("limited", "line-tables-only"...).
    static std::string debugLevelName(int level) {
        switch (level) {
        case 0:
            return "none";
        case 1:
            return "limited";
        case 2:
            return "full";
        default:
            return debuginfoValue(level);
        }
    }

    // Cargo's defaults for the built-in profile o.profile inherits from (release or dev).
    Profile baseProfile() const {
        Profile p;
        p.name = o.profile;
        std::string base = o.profile;
        for (int depth = 0;
             depth < 8 && base != "release" && base != "dev" && base != "test" && base != "bench";
             depth++) {
            auto it = rootManifest.profiles.find(base);
            if (it == rootManifest.profiles.end() || it->second.inherits.empty()) break;
            base = it->second.inherits;
        }
        if (base == "dev" || base == "test") {
            p.root = "debug";
            p.optLevel = "0";
            p.debuginfo = 2;
            p.debugAssertions = p.overflowChecks = true;
            p.incremental = true;
        }
        return p;
    }

    // The profile tables applying to units of profile o.profile, outermost (inherited) first.
    std::vector<const ProfileTable*> profileChain() const {
        std::vector<const ProfileTable*> chain;
        std::string base = o.profile;
        for (int depth = 0; depth < 8; depth++) {
            auto it = rootManifest.profiles.find(base);
            if (it == rootManifest.profiles.end()) break;
            chain.insert(chain.begin(), &it->second);
            if (it->second.inherits.empty() || base == "release" || base == "dev") break;
            base = it->second.inherits;
        }
        return chain;
    }

    Profile profileFor(std::size_t pkg, UnitFor uf, bool test) const {
        Profile p = baseProfile();
        bool stripSet = false;
        auto chain = profileChain();
        for (auto* t : chain)
            mergeProfile(p, *t, stripSet);
        if (uf.host) {
            p.optLevel = "0";
            p.codegenUnits.reset();
            // Since 1.64 build-time units carry no debuginfo unless asked for.
            if (cargoMinor >= 64 && !std::any_of(chain.begin(), chain.end(), [](auto* t) {
                    return !t->buildOverride.empty() && t->buildOverride.front().debug;
                }))
                p.debuginfo = 0;
        }
        const Package& package = g.packages[pkg];
        for (auto* t : chain) {
            if (uf.host && !t->buildOverride.empty())
                mergeProfile(p, t->buildOverride.front(), stripSet);
            if (!isMember(pkg))
                for (auto& [spec, table] : t->packages)
                    if (spec == "*") mergeProfile(p, table, stripSet);
            for (auto& [spec, table] : t->packages)
                if (spec != "*" && specMatches(spec, package)) {
                    mergeProfile(p, table, stripSet);
                    break;
                }
        }
        if (uf.unwind || test) p.panic = "unwind";
        if (!package.local) p.incremental = false;
        if (!stripSet && cargoMinor >= 77 && p.debuginfo == 0) p.strip = "debuginfo";
        return p;
    }

    std::optional<std::size_t> targetOf(std::size_t pkg, TargetKind kind) const {
        auto& ts = g.packages[pkg].targets;
        for (std::size_t i = 0; i < ts.size(); i++)
            if (ts[i].kind == kind) return i;
        return std::nullopt;
    }

    bool linkable(const Target& t) const {
        if (t.kind != TargetKind::Lib) return false;
        for (auto& c : t.crateTypes)
            if (c == "lib" || c == "rlib" || c == "dylib" || c == "proc-macro") return true;
        return false;
    }

    bool requiredFeaturesMet(std::size_t pkg, const Target& t) {
        auto features = featuresOf(pkg, false);
        for (auto& rf : t.requiredFeatures) {
            FeatureValue fv = FeatureValue::parse(rf);
            if (fv.kind == FeatureValue::Feature &&
                !std::binary_search(features.begin(), features.end(), fv.name))
                return false;
            if (fv.kind != FeatureValue::Feature && !depActivated(pkg, false, fv.name))
                return false;
        }
        return true;
    }

    std::size_t newUnit(std::size_t pkg, std::size_t target, UnitFor uf, bool hostPlatform,
                        CompileMode mode, std::optional<Profile> profile = std::nullopt,
                        std::optional<bool> ownHostFeatures = std::nullopt) {
        const Target& t = g.packages[pkg].targets[target];
        Unit u;
        u.package = pkg;
        u.target = t;
        u.mode = mode;
        u.host = hostPlatform;
        u.features = featuresOf(pkg, ownHostFeatures.value_or(uf.hostFeatures));
        u.profile = profile ? *profile : profileFor(pkg, uf, mode == CompileMode::Test);
        UnitKey k{
            pkg, target, mode, hostPlatform && o.crossCompile, u.features, profileKey(u.profile)};
        auto found = unitIndex.find(k);
        if (found != unitIndex.end()) {
            if (visiting[found->second])
                throw UnitGraphError("the units of " + g.packages[pkg].name + " " +
                                     g.packages[pkg].version + " depend on each other");
            return found->second;
        }
        std::size_t index = units.size();
        units.push_back(u);
        visiting.push_back(true);
        unitIndex[k] = index;
        auto deps = computeDeps(index, uf, hostPlatform);
        units[index].deps = std::move(deps);
        visiting[index] = false;
        return index;
    }

    UnitDep depOn(std::size_t unit, const std::string& externName) {
        UnitDep d;
        d.unit = unit;
        d.externName = crateName(externName);
        return d;
    }

    std::vector<UnitDep> computeDeps(std::size_t index, UnitFor uf, bool hostPlatform) {
        const Unit u = units[index];
        std::size_t pkg = u.package;
        std::vector<UnitDep> out;
        if (u.mode == CompileMode::RunCustomBuild) {
            // The script's compilation, for the host, with the same features.
            UnitFor scriptFor{true, uf.hostFeatures, true};
            auto t = *targetOf(pkg, TargetKind::CustomBuild);
            out.push_back(depOn(newUnit(pkg, t, scriptFor, true, CompileMode::Build),
                                g.packages[pkg].targets[t].crateName()));
            return out;
        }
        bool customBuild = u.target.kind == TargetKind::CustomBuild;
        bool anyTest = u.mode == CompileMode::Test || u.mode == CompileMode::Doctest;
        bool testLike = u.target.kind == TargetKind::Test || u.target.kind == TargetKind::Example;
        auto& deps = g.packages[pkg].manifest.dependencies;
        // Grouped by package, as the resolver's edges are, in manifest order of first use.
        std::vector<std::pair<std::size_t, std::vector<std::size_t>>> byPackage;
        for (std::size_t di = 0; di < deps.size(); di++) {
            const Dependency& d = deps[di];
            if (customBuild != (d.kind == DepKind::Build)) continue;
            if (d.kind == DepKind::Dev && (!devActive(pkg) || (!testLike && !anyTest))) continue;
            if (!d.target.empty() && !platformActive(d, hostPlatform)) continue;
            if (d.optional && !depActivated(pkg, uf.hostFeatures, d.key)) continue;
            std::size_t target = resolveDep(pkg, di);
            auto it = std::find_if(byPackage.begin(), byPackage.end(),
                                   [&](auto& e) { return e.first == target; });
            if (it == byPackage.end())
                byPackage.push_back({target, {di}});
            else
                it->second.push_back(di);
        }
        for (auto& [dp, dis] : byPackage) {
            auto lib = targetOf(dp, TargetKind::Lib);
            if (!lib) continue;
            const Target& lt = g.packages[dp].targets[*lib];
            bool forHost = lt.procMacro();
            UnitFor duf{uf.host || forHost, uf.hostFeatures || customBuild || forHost,
                        forHost ? true : uf.unwind};
            std::size_t du = newUnit(dp, *lib, duf, hostPlatform || forHost, CompileMode::Build);
            const Dependency& first = deps[dis.front()];
            std::string extern_ = first.key != first.package ? first.key : lt.crateName();
            out.push_back(depOn(du, extern_));
            if (std::all_of(dis.begin(), dis.end(),
                            [&](std::size_t di) { return deps[di].kind == DepKind::Dev; }))
                devEdges.insert({index, du});
        }
        if (customBuild) return out;
        if (auto script = targetOf(pkg, TargetKind::CustomBuild)) {
            UnitFor runFor{true, uf.hostFeatures, true};
            Profile lp = u.profile;
            Profile rp;
            rp.name = lp.name;
            rp.root = lp.root;
            rp.optLevel = lp.optLevel;
            rp.debuginfo = lp.debuginfo;
            rp.strip = lp.strip;
            std::size_t run =
                newUnit(pkg, *script, runFor, hostPlatform, CompileMode::RunCustomBuild, rp);
            out.push_back(depOn(run, g.packages[pkg].targets[*script].crateName()));
        }
        if (u.target.kind == TargetKind::Lib && u.mode != CompileMode::Doctest) return out;
        auto& ts = g.packages[pkg].targets;
        for (std::size_t i = 0; i < ts.size(); i++)
            if (linkable(ts[i])) {
                bool forHost = ts[i].procMacro();
                UnitFor luf{uf.host || forHost, uf.hostFeatures || forHost,
                            forHost ? true : uf.unwind};
                out.push_back(
                    depOn(newUnit(pkg, i, luf, hostPlatform || forHost, CompileMode::Build),
                          ts[i].crateName()));
                break;
            }
        if (anyTest && u.mode != CompileMode::Doctest &&
            (u.target.kind == TargetKind::Test || u.target.kind == TargetKind::Bench))
            for (std::size_t i = 0; i < ts.size(); i++)
                if (ts[i].kind == TargetKind::Bin && requiredFeaturesMet(pkg, ts[i]))
                    out.push_back(
                        depOn(newUnit(pkg, i, UnitFor{}, hostPlatform, CompileMode::Build),
                              ts[i].crateName()));
        return out;
    }

    // A build script's run also waits for the runs of the `links` packages its package's other
    // units depend on (cargo's connect_run_custom_build_deps).
    void connectLinks() {
        std::map<std::size_t, std::set<std::size_t>> parents;
        for (std::size_t u = 0; u < units.size(); u++)
            for (auto& d : units[u].deps)
                if (units[d.unit].mode == CompileMode::RunCustomBuild) parents[d.unit].insert(u);
        std::vector<std::pair<std::size_t, std::vector<UnitDep>>> added;
        for (auto& [run, ps] : parents) {
            std::set<std::size_t> seen;
            std::vector<UnitDep> add;
            for (std::size_t parent : ps)
                for (auto& sib : units[parent].deps) {
                    const Unit& s = units[sib.unit];
                    if (s.package == units[run].package || !linkable(s.target) ||
                        g.packages[s.package].manifest.links.empty() ||
                        devEdges.count({parent, sib.unit}))
                        continue;
                    for (auto& sd : s.deps)
                        if (units[sd.unit].mode == CompileMode::RunCustomBuild) {
                            if (seen.insert(sd.unit).second) add.push_back(sd);
                            break;
                        }
                }
            if (!add.empty()) added.push_back({run, add});
        }
        for (auto& [run, add] : added)
            for (auto& d : add)
                units[run].deps.push_back(d);
    }

    // The targets of member M that `cargo test` with o.testTargets selects (cargo's
    // CompileFilter::Only, each item mapped to an option as doc/cargo.md's #:test-target table
    // says): every one in test mode, "doc" the library's doctest alone. A target named but
    // absent, or named with its required features off, is an error, as in cargo; a kind asked
    // for as a whole skips the targets whose required features are off.
    std::vector<std::pair<std::size_t, CompileMode>> selectedTestTargets(std::size_t m) {
        const Package& pkg = g.packages[m];
        const auto& ts = pkg.targets;
        std::vector<std::pair<std::size_t, CompileMode>> out;
        auto add = [&](std::size_t i, CompileMode mode) {
            if (std::find(out.begin(), out.end(), std::pair{i, mode}) == out.end())
                out.push_back({i, mode});
        };
        auto every = [&](auto&& pred) {
            for (std::size_t i = 0; i < ts.size(); i++)
                if (ts[i].kind != TargetKind::CustomBuild && pred(ts[i]) &&
                    requiredFeaturesMet(m, ts[i]))
                    add(i, CompileMode::Test);
        };
        auto named = [&](TargetKind kind, const std::string& name) {
            for (std::size_t i = 0; i < ts.size(); i++)
                if (ts[i].kind == kind && ts[i].name == name) {
                    if (!requiredFeaturesMet(m, ts[i]))
                        throw UnitGraphError(
                            std::string(targetKindName(kind)) + " target '" + name + "' of " +
                            pkg.name + " " + pkg.version +
                            " requires the features: " + featureList(ts[i].requiredFeatures));
                    add(i, CompileMode::Test);
                    return;
                }
            throw UnitGraphError(pkg.name + " " + pkg.version + " (" + pkg.manifest.file +
                                 ") has no " + targetKindName(kind) + " target named '" + name +
                                 "' (#:test-target)");
        };
        auto lib = [&] {
            for (std::size_t i = 0; i < ts.size(); i++)
                if (ts[i].kind == TargetKind::Lib) return std::optional<std::size_t>(i);
            return std::optional<std::size_t>();
        };
        auto is = [](TargetKind k) { return [k](const Target& t) { return t.kind == k; }; };
        for (const std::string& item : o.testTargets) {
            auto colon = item.find(':');
            std::string kindName = colon == std::string::npos ? "" : item.substr(0, colon);
            std::string name = colon == std::string::npos ? item : item.substr(colon + 1);
            if (item == "lib" || item == "all-targets") {
                auto l = lib();
                if (l)
                    add(*l, CompileMode::Test);
                else if (item == "lib")
                    throw UnitGraphError(pkg.name + " " + pkg.version + " (" + pkg.manifest.file +
                                         ") has no library target (#:test-target \"lib\")");
            }
            if (item == "bins" || item == "all-targets") every(is(TargetKind::Bin));
            if (item == "examples" || item == "all-targets") every(is(TargetKind::Example));
            if (item == "tests" || item == "all-targets")
                every([](const Target& t) { return t.test; });
            if (item == "benches" || item == "all-targets")
                every([](const Target& t) { return t.bench; });
            if (item == "doc") {
                auto l = lib();
                if (l && doctestable(ts[*l])) add(*l, CompileMode::Doctest);
            } else if (kindName == "bin")
                named(TargetKind::Bin, name);
            else if (kindName == "example")
                named(TargetKind::Example, name);
            else if (kindName == "bench")
                named(TargetKind::Bench, name);
            else if (kindName == "test" ||
                     (item != "lib" && item != "bins" && item != "examples" && item != "tests" &&
                      item != "benches" && item != "all-targets"))
                named(TargetKind::Test, name);
        }
        return out;
    }

    static std::string featureList(const std::vector<std::string>& features) {
        std::string out;
        for (auto& f : features)
            out += (out.empty() ? "" : ", ") + f;
        return out;
    }

    static bool doctestable(const Target& t) {
        return t.kind == TargetKind::Lib && t.doctest &&
               std::any_of(t.crateTypes.begin(), t.crateTypes.end(),
                           [](auto& c) { return c == "lib" || c == "rlib" || c == "proc-macro"; });
    }

    // A root unit of member M's target I in MODE, with the UnitFor and profile cargo gives it.
    std::size_t rootUnit(std::size_t m, std::size_t i, CompileMode mode) {
        const Target& t = g.packages[m].targets[i];
        bool forHost = t.procMacro();
        if (mode == CompileMode::Doctest)
            return newUnit(m, i, UnitFor{forHost, forHost, true}, forHost, CompileMode::Doctest,
                           profileFor(m, UnitFor{false, false, true}, false), forHost);
        // A proc-macro root: its own features are the host's, its own profile not (cargo's
        // UnitFor::new_compiler, new_test); its dependencies are the host's, tested or not
        // (new_host, new_host_test).
        UnitFor uf;
        if (forHost)
            uf = UnitFor{true, true, true};
        else if (mode == CompileMode::Test)
            uf = UnitFor{false, false, true};
        std::optional<Profile> profile;
        if (forHost) profile = profileFor(m, UnitFor{false, true, true}, mode == CompileMode::Test);
        return newUnit(m, i, uf, forHost, mode, profile, forHost);
    }

    void makeUnits() {
        std::vector<std::size_t> roots;
        for (std::size_t m : selected) {
            auto& ts = g.packages[m].targets;
            if (o.tests && !o.testTargets.empty()) {
                for (auto& [i, mode] : selectedTestTargets(m))
                    roots.push_back(rootUnit(m, i, mode));
                continue;
            }
            for (std::size_t i = 0; i < ts.size(); i++) {
                const Target& t = ts[i];
                CompileMode mode;
                if (!o.tests) {
                    if (t.kind != TargetKind::Lib && t.kind != TargetKind::Bin) continue;
                    mode = CompileMode::Build;
                } else {
                    if (t.kind == TargetKind::CustomBuild) continue;
                    if (t.kind == TargetKind::Example)
                        mode = t.test ? CompileMode::Test : CompileMode::Build;
                    else if (t.test)
                        mode = CompileMode::Test;
                    else
                        continue;
                }
                if (!requiredFeaturesMet(m, t)) continue;
                roots.push_back(rootUnit(m, i, mode));
            }
            if (o.tests)
                for (std::size_t i = 0; i < ts.size(); i++)
                    if (doctestable(ts[i])) roots.push_back(rootUnit(m, i, CompileMode::Doctest));
        }
        connectLinks();
        // Dependencies first: a depth-first walk from the roots, in their order.
        std::vector<std::size_t> order, newIndex(units.size(), npos);
        std::vector<int> state(units.size(), 0);
        std::function<void(std::size_t)> visit = [&](std::size_t u) {
            if (state[u] == 2) return;
            if (state[u] == 1) throw UnitGraphError("the unit graph has a cycle");
            state[u] = 1;
            for (auto& d : units[u].deps)
                visit(d.unit);
            state[u] = 2;
            newIndex[u] = order.size();
            order.push_back(u);
        };
        for (std::size_t r : roots)
            visit(r);
        for (std::size_t u : order) {
            Unit unit = units[u];
            for (auto& d : unit.deps)
                d.unit = newIndex[d.unit];
            unit.root = std::find(roots.begin(), roots.end(), u) != roots.end();
            g.units.push_back(std::move(unit));
        }
        for (std::size_t r : roots)
            if (std::find(g.roots.begin(), g.roots.end(), newIndex[r]) == g.roots.end())
                g.roots.push_back(newIndex[r]);
        movePackages();
        for (std::size_t i = 0; i < g.units.size(); i++) {
            Unit& u = g.units[i];
            const Package& p = g.packages[u.package];
            std::string id = p.id() + "|" + targetKindName(u.target.kind) + "|" + u.target.name +
                             "|" + compileModeName(u.mode) + "|" + profileKey(u.profile) + "|" +
                             (o.crossCompile && !u.host ? o.targetTriple : "host:" + o.hostTriple) +
                             "|" + o.cargoVersion + "|" + p.checksum;
            for (auto& f : u.features)
                id += "|f:" + f;
            for (auto& d : u.deps)
                id += "|d:" + d.externName + "=" + g.units[d.unit].metadata;
            u.metadata = hashString(HashAlgo::SHA256, id).toBase16().substr(0, 16);
        }
        if (o.crossCompile) g.crossTarget = o.targetTriple;
        g.cargoVersion = o.cargoVersion;
    }
};

} // namespace

const char* compileModeName(CompileMode mode) {
    switch (mode) {
    case CompileMode::Build:
        return "build";
    case CompileMode::Test:
        return "test";
    case CompileMode::RunCustomBuild:
        return "run-custom-build";
    case CompileMode::Doctest:
        return "doctest";
    }
    return "build";
}

std::string Package::id() const {
    // PackageIdSpec's form: the name is left out when the URL's last segment is the name.
    std::string url = source;
    std::string last = url.substr(url.find_last_of('/') + 1);
    if (last == name) return url + "#" + version;
    return url + "#" + name + "@" + version;
}

std::string UnitGraph::toJson() const {
    using nlohmann::json;
    json units_ = json::array();
    for (std::size_t i = 0; i < units.size(); i++) {
        const Unit& u = units[i];
        const Package& p = packages[u.package];
        json target = {{"kind", json::array({u.target.kind == TargetKind::Lib
                                                 ? json(u.target.crateTypes)
                                                 : json(targetKindName(u.target.kind))})},
                       {"crate_types", u.target.crateTypes},
                       {"name", u.target.name},
                       {"src_path", p.dir + "/" + u.target.path},
                       {"edition", u.target.edition},
                       {"doctest", u.target.doctest},
                       {"test", u.target.test}};
        if (u.target.kind == TargetKind::Lib) target["kind"] = u.target.crateTypes;
        if (!u.target.requiredFeatures.empty())
            target["required-features"] = u.target.requiredFeatures;
        json profile = {{"name", u.profile.name},
                        {"opt_level", u.profile.optLevel},
                        {"lto", u.profile.lto},
                        {"codegen_units",
                         u.profile.codegenUnits ? json(*u.profile.codegenUnits) : json(nullptr)},
                        {"debuginfo", u.profile.debuginfo < 0
                                          ? json(debuginfoValue(u.profile.debuginfo))
                                          : json(u.profile.debuginfo)},
                        {"debug_assertions", u.profile.debugAssertions},
                        {"overflow_checks", u.profile.overflowChecks},
                        {"rpath", u.profile.rpath},
                        {"incremental", u.profile.incremental},
                        {"panic", u.profile.panic},
                        {"strip", u.profile.strip}};
        json deps = json::array();
        for (auto& d : u.deps)
            deps.push_back({{"index", d.unit},
                            {"extern_crate_name", d.externName},
                            {"public", d.isPublic},
                            {"noprelude", d.noprelude}});
        bool onTarget = !u.host && !crossTarget.empty();
        // Before 1.77 cargo printed package ids as "NAME VERSION (SOURCE)".
        std::string pkgId = majorMinor(cargoVersion) < std::pair<int, int>{1, 77}
                                ? p.name + " " + p.version + " (" + p.source + ")"
                                : p.id();
        units_.push_back({{"pkg_id", pkgId},
                          {"target", target},
                          {"profile", profile},
                          {"platform", onTarget ? json(crossTarget) : json(nullptr)},
                          {"mode", compileModeName(u.mode)},
                          {"features", u.features},
                          {"dependencies", deps}});
    }
    return json{{"version", 1}, {"units", units_}, {"roots", roots}}.dump();
}

UnitGraph unitGraph(const std::string& root, const std::vector<CrateSource>& crates,
                    const UnitGraphOptions& options) {
    return Builder(root, crates, options).build();
}

} // namespace ferrix::cargo
