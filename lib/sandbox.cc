// Entering a builder's sandbox. See sandbox.hh.
#include "ferrix/sandbox.hh"

#include "ferrix/error.hh"
#include "ferrix/file.hh"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <mutex>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ferrix {

namespace {

bool envSet(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
}

// Can a child create these namespaces (and, for a mount namespace, make / private)?
bool probe(int flags) {
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
        if (::unshare(flags) != 0) ::_exit(1);
        if ((flags & CLONE_NEWNS) && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
            ::_exit(1);
        ::_exit(0);
    }
    int status;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

constexpr int otherNamespaces =
    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;

// The flags a bind mount must keep when remounted: in a user namespace the kernel refuses to
// clear those of the mount it came from (they are locked).
unsigned long lockedFlags(const char* path) {
    struct statfs st;
    if (::statfs(path, &st) != 0) return 0;
    unsigned long f = 0;
    if (st.f_flags & ST_NOSUID) f |= MS_NOSUID;
    if (st.f_flags & ST_NODEV) f |= MS_NODEV;
    if (st.f_flags & ST_NOEXEC) f |= MS_NOEXEC;
    if (st.f_flags & ST_NOATIME) f |= MS_NOATIME;
    if (st.f_flags & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (st.f_flags & ST_RELATIME) f |= MS_RELATIME;
    if (st.f_flags & ST_RDONLY) f |= MS_RDONLY;
    return f;
}

const char* mountOne(const SandboxMount& m) {
    const char* dst = m.target.c_str();
    using K = SandboxMount::Kind;
    switch (m.kind) {
    case K::ReadOnly:
    case K::Writable:
    case K::Device: {
        // Recursive: a user namespace may not bind a tree without the mounts under it (they
        // are locked); those keep their own flags, read-only or not.
        if (::mount(m.source.c_str(), dst, nullptr, MS_BIND | MS_REC, nullptr) != 0) return dst;
        unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | lockedFlags(dst);
        if (m.kind == K::ReadOnly) flags |= MS_RDONLY;
        if (m.kind == K::Device)
            flags = (flags & ~MS_NODEV) | MS_NOEXEC;
        else
            flags |= MS_NODEV;
        if (::mount(nullptr, dst, nullptr, flags, nullptr) != 0) return dst;
        return nullptr;
    }
    case K::Proc:
        return ::mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) ? dst
                                                                                       : nullptr;
    case K::Tmpfs:
        return ::mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") ? dst : nullptr;
    case K::Devpts:
        // Not every kernel lets a user namespace mount one; builds rarely need a terminal.
        ::mount("devpts", dst, "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620");
        return nullptr;
    }
    return dst;
}

} // namespace

const SandboxSupport& sandboxSupport() {
    static SandboxSupport support;
    static std::once_flag once;
    std::call_once(once, [] {
        bool root = ::geteuid() == 0;
        auto fallback = [&](std::string why) {
            support.why = std::move(why);
            support.mode = root ? SandboxMode::BuildUser : SandboxMode::Refused;
        };
        if (envSet("FERRIX_NO_NAMESPACES")) {
            fallback("FERRIX_NO_NAMESPACES is set");
        } else if (!envSet("FERRIX_NO_USER_NAMESPACES") && probe(CLONE_NEWUSER | otherNamespaces)) {
            support.mode = SandboxMode::UserNamespace;
        } else {
            std::string why = envSet("FERRIX_NO_USER_NAMESPACES")
                                  ? "FERRIX_NO_USER_NAMESPACES is set"
                                  : "the kernel refuses user namespaces (see "
                                    "/proc/sys/user/max_user_namespaces)";
            if (root && probe(otherNamespaces)) {
                support.mode = SandboxMode::Namespaces;
                support.why = why;
            } else {
                fallback(root ? why + ", and the kernel refuses mount, PID and network namespaces"
                              : why);
            }
        }
        switch (support.mode) {
        case SandboxMode::UserNamespace:
            break;
        case SandboxMode::Namespaces:
            std::fprintf(stderr,
                         "ferrix: note: builds run as build users, without a user namespace: %s\n",
                         support.why.c_str());
            break;
        case SandboxMode::BuildUser:
            std::fprintf(stderr,
                         "ferrix: warning: builds run as build users without namespaces (%s): "
                         "they cannot change the store or ferrix's state, but they have the "
                         "network and can write world-writable directories such as /tmp\n",
                         support.why.c_str());
            break;
        case SandboxMode::Refused:
            break; // said by each build that is refused
        }
    });
    return support;
}

int SandboxPlan::cloneFlags() const {
    if (!namespaces()) return 0;
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (privateNetwork) flags |= CLONE_NEWNET;
    if (mode == SandboxMode::UserNamespace) flags |= CLONE_NEWUSER;
    return flags;
}

void writeIdMaps(pid_t child, const SandboxPlan& plan) {
    std::string proc = "/proc/" + std::to_string(child);
    // Only root may let the child call setgroups() (to drop root's supplementary groups); an
    // unprivileged user must deny it before writing a gid map, and keeps its own groups.
    if (plan.setgroupsDenied()) writeFile(proc + "/setgroups", "deny");
    writeFile(proc + "/uid_map",
              std::to_string(sandboxUid) + " " + std::to_string(plan.hostUid) + " 1\n");
    writeFile(proc + "/gid_map",
              std::to_string(sandboxGid) + " " + std::to_string(plan.hostGid) + " 1\n");
}

const char* enterSandbox(const SandboxPlan& plan) {
    if (plan.namespaces()) {
        static const char hostname[] = "localhost";
        if (::sethostname(hostname, sizeof hostname - 1) != 0) return "sethostname";
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return "making / private";
        const char* root = plan.root.c_str();
        // pivot_root needs the new root to be a mount point.
        if (::mount(root, root, nullptr, MS_BIND, nullptr) != 0) return root;
        for (auto& m : plan.mounts)
            if (const char* failed = mountOne(m)) return failed;
        if (::chdir(root) != 0) return root;
        if (::syscall(SYS_pivot_root, ".", ".") != 0) return "pivot_root";
        if (::umount2(".", MNT_DETACH) != 0) return "detaching the old root";
        if (::chdir("/") != 0) return "/";
        if (::mount(nullptr, "/", nullptr,
                    MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | lockedFlags("/"),
                    nullptr) != 0)
            return "making / read-only";
    }
    // No capability can come back: none in the bounding set, none ambient, no set-user-ID.
    for (int cap = 0; cap <= 63; cap++)
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) break;
    // An unprivileged user's namespace denies setgroups(); its groups are that user's own.
    // Raw system calls: glibc's wrappers would signal every thread of the parent (copied, but
    // not running, in this child) to change its ids too, and wait for them forever.
    if (!plan.setgroupsDenied() && ::syscall(SYS_setgroups, 0, nullptr) != 0) return "setgroups";
    if (::syscall(SYS_setresgid, plan.gid(), plan.gid(), plan.gid()) != 0) return "setresgid";
    if (::syscall(SYS_setresuid, plan.uid(), plan.uid(), plan.uid()) != 0) return "setresuid";
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return "clearing ambient capabilities";
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &header, data) != 0) return "dropping capabilities";
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "PR_SET_NO_NEW_PRIVS";
    return nullptr;
}

} // namespace ferrix
