// What a builder can see and do: the namespaces it runs in, the user it runs as, and the root
// file system it gets (its inputs, the host's /usr and declared host paths, read-only; its
// build directory and output scratch writable; nothing else). See doc/build.md, "Containment".
//
// The plan is made in the parent; the child enters it with system calls only on memory
// prepared before fork (see process.hh), as Nix's sandbox does.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace ferrix {

enum class SandboxMode {
    // A user namespace maps the builder to one unprivileged host id; it also gets its own PID,
    // mount, network, IPC and UTS namespaces and a root file system of its own.
    UserNamespace,
    // Root, but the kernel refuses user namespaces: the same namespaces and root file system,
    // the builder running as a build user (an unprivileged id from a pool).
    Namespaces,
    // Root, and the kernel refuses namespaces (or FERRIX_NO_NAMESPACES=1): a build user,
    // outputs written in place in the store, its processes killed by user id.
    BuildUser,
    // Neither root nor user namespaces: there is nobody to run the builder as; builds refused.
    Refused,
};

struct SandboxSupport {
    SandboxMode mode = SandboxMode::Refused;
    std::string why; // why not a better mode; empty for UserNamespace
};

// Probed once per process by forked children. FERRIX_NO_USER_NAMESPACES=1 skips user
// namespaces and FERRIX_NO_NAMESPACES=1 every namespace (to exercise those modes). The first
// call whose answer is not UserNamespace says so once on stderr.
const SandboxSupport& sandboxSupport();

// Who the builder is inside a user namespace (as in Nix's sandbox).
constexpr uid_t sandboxUid = 1000;
constexpr gid_t sandboxGid = 100;
// Where the build directory is inside the new root.
constexpr const char* sandboxBuildDir = "/build";

struct SandboxMount {
    enum class Kind {
        ReadOnly, // bind, read-only, nosuid, nodev
        Writable, // bind, nosuid, nodev
        Device,   // bind of a device node, nosuid, noexec
        Proc,     // a new proc (of the build's PID namespace)
        Tmpfs,    // a new tmpfs, mode 1777
        Devpts,   // a new devpts instance; skipped if the kernel refuses
    };
    Kind kind;
    std::string source; // host path, for binds
    std::string target; // host path under the new root
};

// Everything the child needs, made before fork.
struct SandboxPlan {
    SandboxMode mode = SandboxMode::Refused;
    std::string root; // the new root (host path); empty in BuildUser mode
    std::vector<SandboxMount> mounts;
    bool privateNetwork = true;
    uid_t hostUid = 0; // the builder's ids on the host
    gid_t hostGid = 0;
    bool hostRoot = true; // whether ferrix runs as root

    bool namespaces() const {
        return mode == SandboxMode::UserNamespace || mode == SandboxMode::Namespaces;
    }
    // The clone() flags of the builder's namespaces.
    int cloneFlags() const;
    uid_t uid() const { return mode == SandboxMode::UserNamespace ? sandboxUid : hostUid; }
    gid_t gid() const { return mode == SandboxMode::UserNamespace ? sandboxGid : hostGid; }
    // An unprivileged user's namespace must deny setgroups() before its gid map is written.
    bool setgroupsDenied() const { return mode == SandboxMode::UserNamespace && !hostRoot; }
};

// Child side, after clone() (and, with a user namespace, after the parent wrote its id maps):
// the hostname, mounts, pivot_root into plan.root, the identity and no capabilities at all.
// Returns nullptr, or the step that failed with errno set. Async-signal-safe.
const char* enterSandbox(const SandboxPlan& plan);

// Parent side, with a user namespace: map the child's ids (plan.uid() -> hostUid, likewise the
// group). Throws SysError.
void writeIdMaps(pid_t child, const SandboxPlan& plan);

} // namespace ferrix
