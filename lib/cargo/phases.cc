// The cargo phases' work (see phases.hh).
#include "ferrix/cargo/phases.hh"

#include "ferrix/archive.hh"
#include "ferrix/cargo/config.hh"
#include "ferrix/file.hh"

#include <optional>
#include <set>
#include <unistd.h>

namespace ferrix::cargo {

namespace {

// "a,b c" -> {"a", "b", "c"}: cargo's --features takes commas and spaces.
std::vector<std::string> splitFeatures(const std::string& list) {
    std::vector<std::string> out;
    std::string word;
    for (char c : list + ",") {
        if (c == ',' || c == ' ') {
            if (!word.empty()) out.push_back(word);
            word.clear();
        } else
            word += c;
    }
    return out;
}

// The manifests cargo resolves for the source: the root's and, for a workspace, its members'.
std::vector<std::string> sourceCrateDirs(const std::string& sourceDir) {
    std::vector<std::string> dirs{sourceDir};
    Manifest m = readManifest(sourceDir + "/Cargo.toml");
    if (m.isWorkspace)
        for (auto& member : workspaceMembers(m, sourceDir))
            dirs.push_back(sourceDir + "/" + member);
    return dirs;
}

} // namespace

OfflineSource prepareOfflineSource(const std::string& sourceDir,
                                   const std::vector<std::string>& inputs,
                                   const std::string& vendorDir, const std::string& cargoHome,
                                   const std::string& triple, bool tests,
                                   const std::vector<std::string>& features,
                                   const BuildPlatforms* platforms) {
    OfflineSource r;
    auto vendored = vendorInputs(inputs, vendorDir, triple, r.log, platforms);
    std::set<std::string> available;
    for (auto& v : vendored)
        available.insert(v.name);
    PruneOptions options;
    options.dev = !tests;
    options.optional = true; // cargo resolves them all for the package being built
    options.platforms = platforms;
    std::vector<std::pair<std::string, Dependency>> missingDev;
    for (auto& dir : sourceCrateDirs(sourceDir))
        for (auto& ignored : ignoreSourceReplacement(dir)) {
            std::string keys, kept;
            for (auto& k : ignored.keys)
                keys += (keys.empty() ? "" : ", ") + k;
            for (auto& k : ignored.kept)
                kept += (kept.empty() ? "" : ", ") + k;
            r.log.push_back("ignored " + keys + " of " + ignored.file +
                            ": crates come from the vendor directory, offline" +
                            (kept.empty() ? "" : " (kept: " + kept + ")"));
        }
    for (auto& dir : sourceCrateDirs(sourceDir)) {
        PruneResult pruned = pruneDependencies(dir, available, triple, options);
        for (auto& key : pruned.undecided)
            r.log.push_back("kept [target." + key + "] of " + dir +
                            "/Cargo.toml: undecidable from the triple " + triple + " alone");
        if (tests && platforms)
            for (auto& d : missingDevDependencies(dir, available, *platforms))
                missingDev.push_back({dir + "/Cargo.toml", d});
        for (size_t i = 0; i < pruned.removed.size(); i++) {
            auto why = pruned.reasons[i];
            r.log.push_back("pruned " +
                            std::string(why == PruneReason::Optional ? "optional " : "") +
                            pruned.removed[i] + " of " + dir + "/Cargo.toml (no input" +
                            (why == PruneReason::OtherPlatform ? ", not for " + triple
                             : why == PruneReason::TestsOff    ? std::string(", tests off")
                                                               : std::string()) +
                            ")");
        }
        if (dir != sourceDir) continue;
        // #:features asking for what a pruned optional dependency provides: say so here rather
        // than build without it (or have cargo say the feature does not exist).
        for (auto& list : features)
            for (auto& f : splitFeatures(list)) {
                std::string missing;
                auto slash = f.find('/');
                if (slash == std::string::npos && f.rfind("dep:", 0) != 0) {
                    auto it = pruned.weakened.find(f);
                    if (it != pruned.weakened.end()) missing = it->second;
                } else {
                    std::string dep = slash == std::string::npos ? f.substr(4) : f.substr(0, slash);
                    if (!dep.empty() && dep.back() == '?') dep.pop_back();
                    if (pruned.optionalPruned.count(dep)) missing = dep;
                }
                if (!missing.empty())
                    throw Error("feature '" + f + "' (#:features) needs the optional dependency " +
                                missing + " of " + dir + "/Cargo.toml, which no input provides " +
                                "(add its crate to the inputs, or leave the feature out)");
            }
    }

    if (!missingDev.empty())
        throw MissingDevDependencies(missingDevDependenciesMessage(missingDev));

    std::string lockFile = sourceDir + "/Cargo.lock";
    std::optional<Lockfile> lock;
    if (pathExists(lockFile)) lock = readLockfile(lockFile);
    std::vector<std::string> gitSources;
    if (lock) gitSources = gitSourceIds(*lock);

    createDirs(cargoHome);
    writeFile(cargoHome + "/config.toml", cargoConfig(vendorDir, gitSources), 0644);
    r.log.push_back("crates.io replaced by " + vendorDir + " (" + std::to_string(vendored.size()) +
                    " crates) in " + cargoHome + "/config.toml");
    for (auto& g : gitSources)
        r.log.push_back("git source " + g + " replaced by " + vendorDir);

    if (lock) {
        auto problems = lockMismatches(*lock, vendored);
        if (!problems.empty()) {
            std::string msg = lockFile + " does not match the crate inputs:";
            for (auto& p : problems)
                msg += "\n  " + p;
            msg += "\n(give the inputs the lock file names, or leave Cargo.lock out of the source "
                   "to have one generated from the inputs)";
            throw Error(msg);
        }
        r.lockFile = true;
    }
    return r;
}

std::vector<std::string> installSource(const std::string& sourceDir, const std::string& out,
                                       const std::string& name) {
    std::vector<std::string> log;
    Manifest m = readManifest(sourceDir + "/Cargo.toml");
    bool package = m.hasPackage && !m.versionFromWorkspace;
    std::string id = package ? m.name + "-" + m.version : name;
    std::string dest = out + "/share/rust-source/" + id;
    unpackSource(sourceDir, dest);
    for (auto& dir : sourceCrateDirs(dest))
        restoreSourceConfigs(dir);
    std::string saved = savedManifest(sourceDir);
    if (!saved.empty()) {
        std::string copy = dest + "/" + baseNameOf(saved);
        std::string text = readFile(copy);
        unlink((dest + "/Cargo.toml").c_str());
        writeFile(dest + "/Cargo.toml", text, 0644);
        unlink(copy.c_str());
    }
    log.push_back("source installed in " + dest);
    if (package) {
        std::string registry = out + "/share/cargo/registry";
        createDirs(registry);
        std::string crate = registry + "/" + id + ".crate";
        packTree(dest, id, crate, [](const std::string& rel, bool) {
            return rel != "target" && rel != ".cargo-checksum.json";
        });
        log.push_back("crate packed as " + crate);
    }
    return log;
}

std::vector<std::string> binaryCrateDirs(const std::string& sourceDir) {
    Manifest m = readManifest(sourceDir + "/Cargo.toml");
    std::vector<std::string> dirs;
    if (hasBinaryTargets(m, sourceDir)) dirs.push_back(".");
    if (!m.hasPackage)
        for (auto& member : workspaceMembers(m, sourceDir)) {
            std::string dir = sourceDir + "/" + member;
            if (pathExists(dir + "/Cargo.toml") &&
                hasBinaryTargets(readManifest(dir + "/Cargo.toml"), dir))
                dirs.push_back(member);
        }
    return dirs;
}

} // namespace ferrix::cargo
