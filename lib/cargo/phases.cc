// The cargo phases' work (see phases.hh).
#include "ferrix/cargo/phases.hh"

#include "ferrix/archive.hh"
#include "ferrix/file.hh"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix::cargo {

namespace {

std::string absUnder(const std::string& top, const std::string& p) {
    return !p.empty() && p[0] == '/' ? p : top + "/" + p;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? sep : "") + v[i];
    return s;
}

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

std::vector<std::string> featureFlags(const Settings& s) {
    if (s.features.empty()) return {};
    return {"--features", join(s.features, ",")};
}

// The manifests cargo resolves for the source: the root's and, for a workspace, its members'.
std::vector<std::string> sourceCrateDirs(const Settings& s) {
    std::vector<std::string> dirs{s.sourceDir};
    Manifest m = readManifest(s.sourceDir + "/Cargo.toml");
    if (m.isWorkspace)
        for (auto& member : workspaceMembers(m, s.sourceDir))
            dirs.push_back(s.sourceDir + "/" + member);
    return dirs;
}

} // namespace

unsigned buildCores() {
    for (auto var : {"FERRIX_BUILD_CORES", "NIX_BUILD_CORES"}) {
        const char* v = getenv(var);
        if (v && *v) {
            char* end;
            unsigned long n = strtoul(v, &end, 10);
            if (*end == 0) {
                if (n > 0) return static_cast<unsigned>(n);
                break;
            }
        }
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

const Environment& sysCrateSwitches() {
    static const Environment switches = {
        {"LIBZ_SYS_STATIC", "0"},               // libz-sys: the system's zlib
        {"OPENSSL_NO_VENDOR", "1"},             // openssl-sys: never the bundled OpenSSL
        {"LIBSQLITE3_SYS_USE_PKG_CONFIG", "1"}, // libsqlite3-sys
        {"ZSTD_SYS_USE_PKG_CONFIG", "1"},       // zstd-sys
        {"LIBGIT2_NO_VENDOR", "1"},             // libgit2-sys
        {"LIBSSH2_SYS_USE_PKG_CONFIG", "1"},    // libssh2-sys
        {"LZMA_API_STATIC", ""},                // lzma-sys: dynamic (empty: unset)
        {"RUSTONIG_SYSTEM_LIBONIG", "1"},       // onig_sys
        {"SODIUM_USE_PKG_CONFIG", "1"},         // libsodium-sys
    };
    return switches;
}

ConfigureResult configure(const Settings& s) {
    ConfigureResult r;
    std::string vendor = absUnder(s.buildTop, s.vendorDir);
    std::string cargoHome = s.buildTop + "/.cargo";

    auto vendored = vendorInputs(s.inputs, vendor, s.cargoTarget, r.log);
    std::set<std::string> available;
    for (auto& v : vendored)
        available.insert(v.name);
    PruneOptions options;
    options.dev = !s.tests;
    options.optional = true; // cargo resolves them all for the package being built
    for (auto& dir : sourceCrateDirs(s)) {
        PruneResult pruned = pruneDependencies(dir, available, s.cargoTarget, options);
        for (size_t i = 0; i < pruned.removed.size(); i++) {
            auto why = pruned.reasons[i];
            r.log.push_back("pruned " +
                            std::string(why == PruneReason::Optional ? "optional " : "") +
                            pruned.removed[i] + " of " + dir + "/Cargo.toml (no input" +
                            (why == PruneReason::OtherPlatform ? ", not for " + s.cargoTarget
                             : why == PruneReason::TestsOff    ? std::string(", tests off")
                                                               : std::string()) +
                            ")");
        }
        if (dir != s.sourceDir) continue;
        // #:features asking for what a pruned optional dependency provides: say so here rather
        // than build without it (or have cargo say the feature does not exist).
        for (auto& list : s.features)
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

    std::string lockFile = s.sourceDir + "/Cargo.lock";
    std::optional<Lockfile> lock;
    if (pathExists(lockFile)) lock = readLockfile(lockFile);
    std::vector<std::string> gitSources;
    if (lock) gitSources = gitSourceIds(*lock);

    createDirs(cargoHome);
    writeFile(cargoHome + "/config.toml", cargoConfig(vendor, gitSources), 0644);
    r.log.push_back("crates.io replaced by " + vendor + " (" + std::to_string(vendored.size()) +
                    " crates) in " + cargoHome + "/config.toml");
    for (auto& g : gitSources)
        r.log.push_back("git source " + g + " replaced by " + vendor);

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
        r.locked = true;
        r.log.push_back("Cargo.lock matches the vendored crates: building --locked");
    } else {
        r.generateLockfile = {"cargo", "generate-lockfile", "--offline"};
        r.log.push_back("no Cargo.lock: generating one from the vendored crates");
    }

    unsigned jobs = s.parallelBuild ? buildCores() : 1;
    r.env.emplace_back("CARGO_HOME", cargoHome);
    r.env.emplace_back("CARGO_TARGET_DIR", s.buildTop + "/target");
    r.env.emplace_back("CARGO_BUILD_JOBS", std::to_string(jobs));
    r.env.emplace_back("CARGO_NET_OFFLINE", "true");
    r.env.emplace_back("CARGO_INCREMENTAL", "0");
    r.env.emplace_back("CARGO_TERM_COLOR", "never");
    // Cargo caps the lints of non-path dependencies (the vendored crates: they come through a
    // source replacing crates.io) itself with --cap-lints allow; putting it in the flags would
    // cap the package's own lints too, so it is not added here.
    // The build directory's name varies from build to build; file names under it end up in the
    // binaries (panic locations of the vendored crates): map it to a fixed name.
    std::vector<std::string> flags{"--remap-path-prefix=" + s.buildTop + "=/ferrix-build"};
    flags.insert(flags.end(), s.rustflags.begin(), s.rustflags.end());
    r.env.emplace_back("CARGO_ENCODED_RUSTFLAGS", join(flags, "\x1f"));
    if (s.cross) {
        r.env.emplace_back("CARGO_BUILD_TARGET", s.cargoTarget);
        r.env.emplace_back("PKG_CONFIG_ALLOW_CROSS", "1");
    }
    std::vector<std::string> pc;
    for (auto& in : s.nativeInputs)
        for (auto sub : {"/lib/pkgconfig", "/share/pkgconfig"})
            if (isDirectory(in + sub)) pc.push_back(in + sub);
    const char* old = getenv("PKG_CONFIG_PATH");
    if (old && *old) pc.push_back(old);
    r.env.emplace_back("PKG_CONFIG_PATH", join(pc, ":"));
    for (auto& sw : sysCrateSwitches())
        r.env.push_back(sw);
    // rustdoc (for doc tests) next to the toolchain's real rustc: a toolchain item links rustc
    // and cargo only.
    if (!getenv("RUSTDOC"))
        for (auto& in : s.nativeInputs) {
            std::string rustc = in + "/bin/rustc";
            if (!pathExists(rustc)) continue;
            char* real = realpath(rustc.c_str(), nullptr);
            if (!real) continue;
            std::string rustdoc = dirOf(real) + "/rustdoc";
            free(real);
            if (pathExists(rustdoc) && r.env.back().first != "RUSTDOC")
                r.env.emplace_back("RUSTDOC", rustdoc);
        }
    return r;
}

std::vector<std::string> buildCommand(const Settings& s) {
    std::vector<std::string> cmd{"cargo", "build", "--offline"};
    if (s.locked) cmd.push_back("--locked");
    cmd.insert(cmd.end(), s.buildFlags.begin(), s.buildFlags.end());
    auto f = featureFlags(s);
    cmd.insert(cmd.end(), f.begin(), f.end());
    return cmd;
}

std::vector<std::string> testTargetFlags(const std::vector<std::string>& targets) {
    static const std::set<std::string> kinds{"lib",      "bins", "tests",      "benches",
                                             "examples", "doc",  "all-targets"};
    std::vector<std::string> flags;
    for (auto& t : targets) {
        if (kinds.count(t)) {
            flags.push_back("--" + t);
        } else {
            flags.push_back("--test");
            flags.push_back(t);
        }
    }
    return flags;
}

std::vector<std::string> testCommand(const Settings& s) {
    if (!s.tests || s.skipBuild) return {};
    std::vector<std::string> cmd{"cargo", "test", "--offline"};
    if (s.locked) cmd.push_back("--locked");
    cmd.insert(cmd.end(), s.testFlags.begin(), s.testFlags.end());
    auto f = featureFlags(s);
    cmd.insert(cmd.end(), f.begin(), f.end());
    auto t = testTargetFlags(s.testTargets);
    cmd.insert(cmd.end(), t.begin(), t.end());
    if (!s.parallelTests) {
        cmd.push_back("--");
        cmd.push_back("--test-threads=1");
    }
    return cmd;
}

InstallResult install(const Settings& s) {
    InstallResult r;
    if (s.out.empty()) throw Error("install: no \"out\" output");
    createDirs(s.out);
    Manifest m = readManifest(s.sourceDir + "/Cargo.toml");

    if (s.installSource) {
        std::string id;
        if (m.hasPackage && !m.versionFromWorkspace) {
            id = m.name + "-" + m.version;
        } else {
            // A virtual workspace: named after the package.
            id = s.name;
        }
        std::string dest = s.out + "/share/rust-source/" + id;
        unpackSource(s.sourceDir, dest);
        std::string saved = savedManifest(s.sourceDir);
        if (!saved.empty()) {
            std::string copy = dest + "/" + baseNameOf(saved);
            std::string text = readFile(copy);
            unlink((dest + "/Cargo.toml").c_str());
            writeFile(dest + "/Cargo.toml", text, 0644);
            unlink(copy.c_str());
        }
        r.log.push_back("source installed in " + dest);
        if (m.hasPackage && !m.versionFromWorkspace) {
            std::string registry = s.out + "/share/cargo/registry";
            createDirs(registry);
            std::string crate = registry + "/" + id + ".crate";
            packTree(dest, id, crate, [](const std::string& rel, bool) {
                return rel != "target" && rel != ".cargo-checksum.json";
            });
            r.log.push_back("crate packed as " + crate);
        }
    }

    if (s.skipBuild) return r;
    std::vector<std::string> dirs;
    if (hasBinaryTargets(m, s.sourceDir)) dirs.push_back(".");
    if (!m.hasPackage)
        for (auto& member : workspaceMembers(m, s.sourceDir)) {
            std::string dir = s.sourceDir + "/" + member;
            if (pathExists(dir + "/Cargo.toml") &&
                hasBinaryTargets(readManifest(dir + "/Cargo.toml"), dir))
                dirs.push_back(member);
        }
    if (dirs.empty()) r.log.push_back("no binary targets: nothing for cargo install");
    for (auto& dir : dirs) {
        std::vector<std::string> cmd{"cargo", "install", "--offline", "--no-track"};
        if (s.locked) cmd.push_back("--locked");
        cmd.insert(cmd.end(), {"--path", dir, "--root", s.out});
        auto f = featureFlags(s);
        cmd.insert(cmd.end(), f.begin(), f.end());
        r.commands.push_back(std::move(cmd));
    }
    return r;
}

} // namespace ferrix::cargo
