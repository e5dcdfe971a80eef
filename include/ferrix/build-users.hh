// The pool of build users: unprivileged user ids that builders run as when ferrix is root, one
// per running build, as Nix's nixbld users (ids need no entry in /etc/passwd). An id is held
// through a flock'ed file in one directory for the whole machine (ids are the machine's, not a
// store's: builds into two stores must not share one), so concurrent ferrix processes share
// the pool.
#pragma once

#include "ferrix/file.hh"

#include <optional>
#include <string>
#include <sys/types.h>

namespace ferrix {

// The pool's ids: FERRIX_BUILD_USERS_BASE (default 872415232, above any distribution's range)
// and the 127 ids after it; the group of every build user is the base id. Its lock files are in
// FERRIX_USER_POOL_DIR (default /run/ferrix/userpool).
struct BuildUserPool {
    uid_t base;
    unsigned count;
    std::string lockDir;
    static BuildUserPool fromEnvironment();
};

class BuildUser {
public:
    // A free id of the pool, after killing whatever processes a dead build left running under
    // it. Throws BuildError when every id is taken.
    static BuildUser acquire();

    uid_t uid() const { return uid_; }
    gid_t gid() const { return gid_; }
    // Kills every process running as this user (a build's stragglers), and waits until there
    // is none. Throws SysError.
    void killAll() const;

private:
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    AutoCloseFD lock;
};

} // namespace ferrix
