// Running one derivation's builder in isolation.
#include "ferrix/derivation-builder.hh"

#include "ferrix/build-events.hh"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
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

OutputPlaces builderOutputPlaces(const LocalStore& store, const Derivation& drv,
                                 const std::string& drvPath, const std::string& top, bool check) {
    const auto& ns = namespaceSupport();
    if (drv.builder.starts_with("builtin:"))
        throw BuildError("derivation '" + drvPath + "': unsupported builder '" + drv.builder + "'");
    bool inStore = !ns.mount; // the fallback: outputs written in place
    if (inStore && check)
        throw BuildError("cannot check '" + drvPath +
                         "': --check needs a private mount namespace (" + ns.why + ")");
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
    if (cores == 0) cores = std::max(1u, std::thread::hardware_concurrency());
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

StoreView makeStoreView(const LocalStore& store, const StorePathSet& closure,
                        const std::string& top) {
    StoreView view;
    view.storeDir = store.storeDir().dir();
    view.scratch = top + "/store";
    if (::mkdir(view.scratch.c_str(), 0755) != 0) throw SysError("creating '" + view.scratch + "'");
    createDirs(view.storeDir);
    for (auto& p : closure) {
        std::string real = store.realPath(p);
        std::string point = view.scratch + "/" + p.to_string();
        struct stat st = lstatPath(real);
        if (S_ISLNK(st.st_mode)) {
            if (::symlink(readLink(real).c_str(), point.c_str()) != 0)
                throw SysError("creating '" + point + "'");
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (::mkdir(point.c_str(), 0555) != 0) throw SysError("creating '" + point + "'");
        } else {
            AutoCloseFD f(::open(point.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
            if (!f) throw SysError("creating '" + point + "'");
        }
        view.readOnly.emplace_back(real, p.to_string());
    }
    return view;
}

void runBuilder(LocalStore& store, const Derivation& drv, const std::string& drvPath,
                const std::string& top, const StorePathSet& closure, const OutputPlaces& outputs,
                const BuilderLimits& limits, BuildLogWriter& log,
                std::optional<FileLock>& gcShared) {
    const auto& ns = namespaceSupport();
    std::string buildDir = top + "/build";
    if (::mkdir(buildDir.c_str(), 0700) != 0) throw SysError("creating '" + buildDir + "'");

    SpawnOptions so;
    so.program = drv.builder;
    so.args = drv.args;
    so.cwd = buildDir;
    so.timeout = limits.timeout;
    so.maxSilentTime = limits.maxSilentTime;
    so.env = builderEnvironment(drv, store.storeDir(), limits.cores, buildDir);
    // A fixed-output derivation may reach the network (its result is checked by hash).
    so.privateNetwork = ns.network && !drv.isFixedOutput();
    if (ns.mount) {
        so.storeView = makeStoreView(store, closure, top);
    } else {
        // Outputs are written in place: a concurrent gc must not take them for leftovers, until
        // they are registered (the caller keeps the lock that long).
        gcShared.emplace(store.gcLockPath(), LockMode::Shared);
        for (auto& [o, place] : outputs)
            if (pathExists(place.builtAt)) deletePath(place.builtAt);
    }
    so.onOutput = [&](std::string_view chunk) { log.append(chunk); };
    ProcessResult r = runProcess(so);
    log.flush();
    if (!r.success()) throw BuildError("builder for '" + drvPath + "' " + r.describe(so));
}

} // namespace ferrix
