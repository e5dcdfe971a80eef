// Running one derivation's builder in isolation.
#include "ferrix/derivation-builder.hh"

#include "ferrix/build-events.hh"
#include "ferrix/build-root.hh"
#include "ferrix/cores.hh"
#include "ferrix/hash.hh"
#include "ferrix/jobserver.hh"
#include "ferrix/sandbox.hh"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace ferrix {

WorkDirectory::WorkDirectory(LocalStore& store, const std::string& prefix) {
    std::string builds = store.buildsDir();
    createDirs(builds);
    path = makeTempDir(builds, prefix);
    lock = AutoCloseFD(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lock || !lockFd(lock.get(), LockMode::Exclusive, false))
        throw SysError("locking '" + path + "'");
}

std::string hostSystem() {
    struct utsname u;
    if (::uname(&u) != 0) throw SysError("uname");
    std::string machine = u.machine;
    if (machine == "i386" || machine == "i486" || machine == "i586") machine = "i686";
    if (machine == "armv7l") machine = "armhf";
    return machine + "-linux";
}

const std::vector<std::string>& runnableSystems() {
    static const std::vector<std::string> systems = [] {
        // Only the host's own: even where the kernel runs another system's programs (i686 on
        // x86_64), the toolchains in the store build for the host unless cross-compiling, so a
        // derivation for that system would get the host's binaries.
        return std::vector<std::string>{hostSystem()};
    }();
    return systems;
}

OutputPlaces builderOutputPlaces(const LocalStore& store, const Derivation& drv,
                                 const std::string& drvPath, const std::string& top, bool check) {
    const auto& sandbox = sandboxSupport();
    if (drv.builder.starts_with("builtin:"))
        throw BuildError("derivation '" + drvPath + "': unsupported builder '" + drv.builder + "'");
    if (sandbox.mode == SandboxMode::Refused)
        throw BuildError("cannot build '" + drvPath + "' contained: " + sandbox.why +
                         ", and ferrix is not root, so there is no other user to run it as; run "
                         "ferrix as root, or let unprivileged users create user namespaces");
    bool inStore = sandbox.mode == SandboxMode::BuildUser; // outputs written in place
    if (inStore && check)
        throw BuildError("cannot check '" + drvPath +
                         "': --check needs a private mount namespace (" + sandbox.why + ")");
    if (inStore && store.realStoreDir() != store.storeDir().dir())
        throw BuildError("cannot build '" + drvPath +
                         "' without a private mount "
                         "namespace: the store directory '" +
                         store.storeDir().dir() + "' is not where its items are ('" +
                         store.realStoreDir() + "')");
    OutputPlaces places;
    for (auto& [o, out] : drv.outputs) {
        const StorePath& p = *out.path;
        std::string at = inStore ? store.realPath(p) : top + "/store/" + p.to_string();
        places.emplace(o, OutputPlace{p, std::move(at)});
    }
    return places;
}

std::map<std::string, std::string> builderEnvironment(const Derivation& drv, const StoreDir& dir,
                                                      unsigned cores, const std::string& buildDir) {
    if (cores == 0) cores = usableCores();
    const std::string& sd = dir.dir();
    std::map<std::string, std::string> env;
    env["PATH"] = "/usr/bin:/bin";
    env["HOME"] = "/homeless-shelter";
    env["NIX_STORE"] = sd;
    env["FERRIX_STORE_DIR"] = sd;
    env["NIX_BUILD_CORES"] = env["FERRIX_BUILD_CORES"] = std::to_string(cores);
    env["SOURCE_DATE_EPOCH"] = "1";
    for (auto& [k, v] : drv.env)
        env[k] = v;
    env["NIX_BUILD_TOP"] = env["TMPDIR"] = env["TEMPDIR"] = env["TMP"] = env["TEMP"] = buildDir;
    env["PWD"] = buildDir;
    env["NIX_LOG_FD"] = "2";
    return env;
}

void passVariablesAsFiles(const Derivation& drv, std::map<std::string, std::string>& env,
                          const std::string& hostBuildDir, const std::string& buildDir) {
    auto names = drv.env.find("passAsFile");
    if (names == drv.env.end()) return;
    std::istringstream words(names->second);
    for (std::string name; words >> name;) {
        auto value = drv.env.find(name);
        if (value == drv.env.end()) continue; // as Nix: nothing to pass
        std::string file = ".attr-" + hashString(HashAlgo::SHA256, name).toNix32();
        std::string path = hostBuildDir + "/" + file;
        writeFile(path, value->second, 0644);
        // Readable by the build user whatever ferrix's umask: the file is root's.
        if (::chmod(path.c_str(), 0644) != 0) throw SysError("changing the mode of '" + path + "'");
        env.erase(name);
        env[name + "Path"] = buildDir + "/" + file;
    }
}

void makeScratchStore(const LocalStore& store, const StorePathSet& closure,
                      const std::string& top) {
    std::string scratch = top + "/store";
    if (::mkdir(scratch.c_str(), 0755) != 0) throw SysError("creating '" + scratch + "'");
    for (auto& p : closure) {
        std::string real = store.realPath(p);
        std::string point = scratch + "/" + p.to_string();
        struct stat st = lstatPath(real);
        if (S_ISLNK(st.st_mode)) {
            if (::symlink(readLink(real).c_str(), point.c_str()) != 0)
                throw SysError("creating '" + point + "'");
        } else if (S_ISDIR(st.st_mode)) {
            if (::mkdir(point.c_str(), 0555) != 0) throw SysError("creating '" + point + "'");
        } else {
            AutoCloseFD f(::open(point.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
            if (!f) throw SysError("creating '" + point + "'");
        }
    }
}

namespace {

// BuildUser mode: every output, where the builder wrote it in place, must be the build user's
// own (not something another user planted at that path).
void checkOwnership(const OutputPlaces& outputs, const BuildUser& user,
                    const std::string& drvPath) {
    for (auto& [o, place] : outputs) {
        struct stat st;
        if (::lstat(place.builtAt.c_str(), &st) == 0 && st.st_uid != user.uid())
            throw BuildError("output '" + o + "' of '" + drvPath + "' (" + place.builtAt +
                             ") is owned by user " + std::to_string(st.st_uid) +
                             ", not by the build's user " + std::to_string(user.uid()));
    }
}

// BuildUser mode: the build user must reach its build directory and the store through every
// directory above them.
void checkSearchable(const std::string& path, const std::string& drvPath) {
    for (std::string dir = dirOf(path);; dir = dirOf(dir)) {
        struct stat st = lstatPath(dir);
        if (S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH))
            throw BuildError(
                "cannot build '" + drvPath + "' as a build user: '" + dir +
                "' is not searchable by other users, so the build user cannot reach '" + path +
                "'; make it so (chmod o+x) or use namespaces");
        if (dir == "/") break;
    }
}

// A process of the build may have handed a writable descriptor on an output to someone who
// outlives it (a fixed-output build shares the host's network, so its abstract sockets; build
// users share /tmp): each output is copied into new inodes before it is checked or registered,
// and the old ones are left to whoever holds them (as Nix does since CVE-2024-27297).
void moveIntoFreshInodes(const OutputPlaces& outputs) {
    for (auto& [o, place] : outputs) {
        if (::access(place.builtAt.c_str(), F_OK) != 0 && errno == ENOENT) continue;
        std::string fresh = place.builtAt + ".ferrix-fresh";
        deletePath(fresh);
        copyTree(place.builtAt, fresh);
        deletePath(place.builtAt);
        if (::rename(fresh.c_str(), place.builtAt.c_str()) != 0)
            throw SysError("moving '" + fresh + "' to '" + place.builtAt + "'");
    }
}

} // namespace

void runBuilder(LocalStore& store, const Derivation& drv, const std::string& drvPath,
                const std::string& top, const StorePathSet& closure, const OutputPlaces& outputs,
                const BuilderLimits& limits, BuildLogWriter& log, BuilderHold& hold) {
    const auto& support = sandboxSupport();
    bool root = ::geteuid() == 0;
    std::string buildDir = top + "/build";
    if (::mkdir(buildDir.c_str(), 0700) != 0) throw SysError("creating '" + buildDir + "'");
    if (root) hold.user = BuildUser::acquire();
    uid_t uid = root ? hold.user->uid() : ::getuid();
    gid_t gid = root ? hold.user->gid() : ::getgid();

    bool inPlace = support.mode == SandboxMode::BuildUser;
    SpawnOptions so;
    so.program = drv.builder;
    so.args = drv.args;
    so.cwd = inPlace ? buildDir : sandboxBuildDir;
    so.timeout = limits.timeout;
    so.maxSilentTime = limits.maxSilentTime;
    so.env = builderEnvironment(drv, store.storeDir(), limits.cores, so.cwd);
    passVariablesAsFiles(drv, so.env, buildDir, so.cwd);
    if (limits.jobserverFd >= 0) {
        // Scheduling, not content: not in the derivation, which may still set its own.
        so.sharedFd = limits.jobserverFd;
        so.env.emplace("CARGO_MAKEFLAGS", Jobserver::makeflagsForDescriptors());
    }
    SandboxPlan plan;
    if (inPlace) {
        // Outputs are written in place: a concurrent gc must not take them for leftovers, until
        // they are registered (the caller keeps the lock that long).
        hold.gcShared.emplace(store.gcLockPath(), LockMode::Shared);
        for (auto& [o, place] : outputs)
            if (pathExists(place.builtAt)) deletePath(place.builtAt);
        openStoreToBuildUsers(store, gid);
        if (::chmod(top.c_str(), 0711) != 0) throw SysError("changing the mode of '" + top + "'");
        checkSearchable(buildDir, drvPath);
        checkSearchable(store.realStoreDir() + "/.", drvPath);
        impureHostDeps(store, drv, drvPath, closure); // checked as in the other modes
        if (::chown(buildDir.c_str(), uid, gid) != 0)
            throw SysError("changing the owner of '" + buildDir + "'");
        plan.mode = SandboxMode::BuildUser;
        plan.hostUid = uid;
        plan.hostGid = gid;
    } else {
        makeScratchStore(store, closure, top);
        plan = makeBuildRoot(store, drv, drvPath, top, closure, support.mode, uid, gid);
    }
    so.sandbox = &plan;
    so.onOutput = [&](std::string_view chunk) { log.append(chunk); };
    ProcessResult r;
    try {
        r = runProcess(so);
    } catch (...) {
        if (hold.user) hold.user->killAll(); // before anything is deleted
        throw;
    }
    log.flush();
    // In a PID namespace, the builder's exit took every process of the build with it; a build
    // user's are killed by id, before anything of the outputs is read.
    if (hold.user) hold.user->killAll();
    if (!r.success()) throw BuildError("builder for '" + drvPath + "' " + r.describe(so));
    if (inPlace) checkOwnership(outputs, *hold.user, drvPath);
    if (inPlace || drv.isFixedOutput()) moveIntoFreshInodes(outputs);
}

} // namespace ferrix
