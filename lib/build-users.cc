// The pool of build users. See build-users.hh.
#include "ferrix/build-users.hh"

#include "ferrix/build-events.hh"
#include "ferrix/error.hh"
#include "ferrix/lock.hh"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sstream>
#include <unistd.h>

namespace ferrix {

BuildUserPool BuildUserPool::fromEnvironment() {
    BuildUserPool pool{872415232, 128, "/run/ferrix/userpool"};
    if (const char* v = std::getenv("FERRIX_USER_POOL_DIR"); v && *v) pool.lockDir = v;
    if (const char* v = std::getenv("FERRIX_BUILD_USERS_BASE"); v && *v) {
        char* end;
        unsigned long n = std::strtoul(v, &end, 10);
        if (*end || n == 0 || n > 0xfffffff0UL - pool.count)
            throw Error("FERRIX_BUILD_USERS_BASE must be a user id above 0, not '" +
                        std::string(v) + "'");
        pool.base = uid_t(n);
    }
    return pool;
}

BuildUser BuildUser::acquire() {
    BuildUserPool pool = BuildUserPool::fromEnvironment();
    std::string dir = pool.lockDir;
    createDirs(dir);
    for (unsigned i = 0; i < pool.count; i++) {
        uid_t uid = pool.base + i;
        std::string file = dir + "/" + std::to_string(uid);
        AutoCloseFD fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd) throw SysError("opening '" + file + "'");
        if (!lockFd(fd.get(), LockMode::Exclusive, false)) continue;
        BuildUser user;
        user.uid_ = uid;
        user.gid_ = pool.base;
        user.lock = std::move(fd);
        user.killAll();
        return user;
    }
    throw BuildError("all " + std::to_string(pool.count) + " build users (ids " +
                     std::to_string(pool.base) + " to " +
                     std::to_string(pool.base + pool.count - 1) +
                     ") are busy; build fewer derivations at once (-M)");
}

// The real, effective, saved and file-system user ids of a live process, and whether it is a
// zombie (already dead, waiting for its parent).
static bool runsAs(const std::string& pid, uid_t uid, bool& zombie) {
    std::string status;
    try {
        status = readFile("/proc/" + pid + "/status");
    } catch (const SysError&) {
        return false; // gone meanwhile
    }
    zombie = status.find("\nState:\tZ") != std::string::npos;
    size_t at = status.find("\nUid:");
    if (at == std::string::npos) return false;
    std::istringstream ids(status.substr(at + 5, status.find('\n', at + 1) - at - 5));
    unsigned long id;
    while (ids >> id)
        if (id == uid) return true;
    return false;
}

void BuildUser::killAll() const {
    // kill(-1) as the user cannot tell when none is left (it succeeds while any process exists,
    // signalled or not): look for them in /proc instead, until a round finds none alive. Each
    // round kills what it found, so a process that forks meanwhile is caught in the next.
    for (int round = 0; round < 1000; round++) {
        unsigned alive = 0;
        for (auto& name : readDirectory("/proc")) {
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            bool zombie = false;
            if (!runsAs(name, uid_, zombie) || zombie) continue;
            alive++;
            ::kill(pid_t(std::stol(name)), SIGKILL);
        }
        if (alive == 0) return;
        ::usleep(round < 10 ? 1000 : 10000);
    }
    throw Error("could not kill the processes of build user " + std::to_string(uid_) +
                ": some are still running after 1000 rounds of SIGKILL");
}

} // namespace ferrix
