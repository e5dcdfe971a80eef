// The outputs of a build: locks, checks and registration.
#include "ferrix/build-outputs.hh"

#include "ferrix/file.hh"
#include "ferrix/nar.hh"

#include <algorithm>
#include <dirent.h>
#include <iterator>
#include <sys/stat.h>

namespace ferrix {

namespace {

std::vector<std::string> listNames(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return names;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

// Files that differ between two trees, relative to their tops ("" is the top itself).
void diffTrees(const std::string& a, const std::string& b, const std::string& rel,
               std::vector<std::string>& out) {
    struct stat sa, sb;
    bool ha = ::lstat(a.c_str(), &sa) == 0, hb = ::lstat(b.c_str(), &sb) == 0;
    std::string name = rel.empty() ? "." : rel;
    if (!ha || !hb) {
        out.push_back(name + (ha ? " (only in the original)" : " (only in the rebuild)"));
        return;
    }
    if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
        out.push_back(name + " (file type)");
        return;
    }
    if (S_ISREG(sa.st_mode)) {
        if (((sa.st_mode ^ sb.st_mode) & S_IXUSR) != 0)
            out.push_back(name + " (executable bit)");
        else if (sa.st_size != sb.st_size || readFile(a) != readFile(b))
            out.push_back(name);
    } else if (S_ISLNK(sa.st_mode)) {
        if (readLink(a) != readLink(b)) out.push_back(name + " (symbolic link target)");
    } else if (S_ISDIR(sa.st_mode)) {
        auto na = listNames(a), nb = listNames(b);
        std::vector<std::string> all;
        std::set_union(na.begin(), na.end(), nb.begin(), nb.end(), std::back_inserter(all));
        for (auto& n : all)
            diffTrees(a + "/" + n, b + "/" + n, rel.empty() ? n : rel + "/" + n, out);
    }
}

} // namespace

OutputLocks::OutputLocks(LocalStore& store, std::vector<StorePath> paths,
                         const std::function<void(const BuildEvent&)>& report) {
    std::sort(paths.begin(), paths.end());
    locks.reserve(paths.size());
    for (auto& p : paths) {
        std::string file = store.outputLockPath(p);
        auto l = PathLock::tryAcquire(file);
        if (!l) {
            report({.kind = BuildEvent::Kind::Waiting, .path = store.printStorePath(p)});
            l.emplace(PathLock(file));
        }
        locks.push_back(std::move(*l));
    }
}

std::string hashMismatchMessage(const std::string& drvPath, const std::string& url,
                                const Hash& expected, const Hash& actual) {
    return "hash mismatch in fixed-output derivation '" + drvPath + "'" +
           (url.empty() ? "" : " (downloaded from " + url + ")") +
           ":\n  expected: " + expected.to(HashFormat::Nix32, true) +
           "\n  actual:   " + actual.to(HashFormat::Nix32, true) +
           "\nIf the new content is right, update the hash in the definition, e.g. "
           "(sha256 (base32 \"" +
           actual.to(HashFormat::Nix32) + "\"))";
}

FixedHash FixedHash::of(const DerivationOutput& out) {
    bool recursive = out.hashAlgo.starts_with("r:");
    HashAlgo algo = parseHashAlgo(recursive ? out.hashAlgo.substr(2) : out.hashAlgo);
    return {Hash::parse(out.hash, algo), recursive};
}

std::string FixedHash::contentAddress() const {
    return std::string("fixed:") + (recursive ? "r:" : "") + hash.to(HashFormat::Nix32, true);
}

std::string checkBuiltOutputs(const Derivation& drv, const std::string& drvPath,
                              const OutputPlaces& outputs, const LocalStore& store,
                              const std::string& url) {
    for (auto& [o, place] : outputs) {
        struct stat st;
        if (::lstat(place.builtAt.c_str(), &st) != 0)
            throw BuildError("builder for '" + drvPath + "' failed to produce output '" + o +
                             "' (" + store.printStorePath(place.path) + ")");
    }
    if (!drv.isFixedOutput()) return "";
    FixedHash expected = FixedHash::of(drv.outputs.at("out"));
    const std::string& path = outputs.at("out").builtAt;
    Hash actual = expected.recursive ? hashPath(expected.hash.algo, path).hash
                                     : hashFile(expected.hash.algo, path);
    if (actual != expected.hash)
        throw BuildError(hashMismatchMessage(drvPath, url, expected.hash, actual));
    return FixedHash{actual, expected.recursive}.contentAddress();
}

void compareWithValidOutputs(LocalStore& store, const std::string& drvPath,
                             const OutputPlaces& outputs) {
    std::string report;
    for (auto& [o, place] : outputs) {
        auto info = store.queryPathInfo(place.path);
        Hash got = hashPath(HashAlgo::SHA256, place.builtAt).hash;
        if (got == info.narHash) continue;
        std::vector<std::string> diffs;
        diffTrees(store.realPath(place.path), place.builtAt, "", diffs);
        report += "\n  output '" + o + "' (" + store.printStorePath(place.path) +
                  "): expected NAR hash " + info.narHash.to(HashFormat::Nix32, true) + ", got " +
                  got.to(HashFormat::Nix32, true);
        if (!diffs.empty()) {
            report += "; files that differ:";
            for (auto& d : diffs)
                report += "\n    " + d;
        }
    }
    if (!report.empty())
        throw BuildError("derivation '" + drvPath +
                         "' may not be deterministic: a rebuild differs" + report);
}

void registerBuiltOutputs(LocalStore& store, const OutputPlaces& outputs, const std::string& ca,
                          const StorePathSet& closure, const std::optional<StorePath>& deriver) {
    std::vector<LocalStore::BuiltOutput> outs;
    std::map<std::string, StorePath> mapping;
    for (auto& [o, place] : outputs) {
        outs.push_back({place.builtAt, place.path, ca});
        mapping.emplace(o, place.path);
    }
    store.registerOutputs(outs, closure, deriver);
    if (deriver) store.registerDerivationOutputs(*deriver, mapping);
}

} // namespace ferrix
