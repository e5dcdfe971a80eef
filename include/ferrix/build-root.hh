// The file system a contained build sees, made under its work directory before it starts: a
// new root holding the host's /usr (and /bin, /lib…), a few files of /etc, a minimal /dev, its
// own /proc and /tmp, the store directory with only the input closure in it (read-only), the
// build directory, and the host paths the derivation declares in `impureHostDeps` (a host
// toolchain), read-only. See doc/build.md, "Containment".
#pragma once

#include "ferrix/derivation.hh"
#include "ferrix/sandbox.hh"
#include "ferrix/store.hh"

#include <string>
#include <vector>

namespace ferrix {

// A host path a derivation declares, and where it really is (links resolved).
struct HostPath {
    std::string declared, real;
};

// The host paths `drv` declares in its `impureHostDeps` variable (space-separated absolute
// paths, as in Nix). Each must resolve (links followed) inside the sysroot of a host toolchain
// among the inputs `closure` or inside a path of FERRIX_ALLOWED_IMPURE_HOST_DEPS, and must not
// show the store or ferrix's state (the store directory, ROOT/var/ferrix, /proc, /sys, /dev,
// their parents). Throws BuildError naming the path and why.
std::vector<HostPath> impureHostDeps(const LocalStore& store, const Derivation& drv,
                                     const std::string& drvPath, const StorePathSet& closure);

// The plan of a build in `top` (which holds build/ and store/ already; see derivation-builder),
// in `mode` (UserNamespace or Namespaces), as host ids `uid`/`gid`: creates top/root and every
// mount point, and sets the modes and owners the builder needs.
SandboxPlan makeBuildRoot(const LocalStore& store, const Derivation& drv,
                          const std::string& drvPath, const std::string& top,
                          const StorePathSet& closure, SandboxMode mode, uid_t uid, gid_t gid);

// BuildUser mode, in place: the store directory writable by the build group (01775, as Nix
// does for nixbld) and ferrix's state directory closed to it, except the builds directory.
void openStoreToBuildUsers(const LocalStore& store, gid_t gid);

} // namespace ferrix
