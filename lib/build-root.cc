// The file system a contained build sees. See build-root.hh.
#include "ferrix/build-root.hh"

#include "ferrix/build-events.hh"
#include "ferrix/error.hh"
#include "ferrix/file.hh"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix {

namespace {

using Kind = SandboxMount::Kind;

// Whether `inner` is `outer` or below it (both absolute, normal).
bool within(const std::string& inner, const std::string& outer) {
    if (outer == "/") return true;
    return inner == outer || (inner.starts_with(outer) && inner[outer.size()] == '/');
}

bool isNormalAbsolute(const std::string& p) {
    if (p.empty() || p[0] != '/' || (p.size() > 1 && p.back() == '/')) return false;
    size_t i = 1;
    while (i < p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        std::string_view c(p.data() + i, j - i);
        if (c.empty() || c == "." || c == "..") return false;
        i = j + 1;
    }
    return true;
}

// mkdir -p of `path` (absolute) under `root`, every new directory 0755.
void mkdirsUnder(const std::string& root, const std::string& path) {
    std::string at = root;
    size_t i = 1;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        if (j > i) {
            at += "/" + path.substr(i, j - i);
            if (::mkdir(at.c_str(), 0755) != 0 && errno != EEXIST)
                throw SysError("creating '" + at + "'");
            // Never through a link of the new root (an absolute /bin -> /usr/bin would lead to
            // the host's).
            struct stat st;
            if (::lstat(at.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
                throw BuildError("cannot show '" + path + "' to the build: '" +
                                 at.substr(root.size()) + "' is not a directory in its root");
        }
        i = j + 1;
    }
}

// A mount point like `source` (a directory or an empty file) at root + target.
void mountPoint(const std::string& root, const std::string& source, const std::string& target) {
    mkdirsUnder(root, dirOf(target));
    std::string at = root + target;
    if (isDirectory(source)) {
        if (::mkdir(at.c_str(), 0755) != 0 && errno != EEXIST)
            throw SysError("creating '" + at + "'");
    } else {
        AutoCloseFD f(::open(at.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        if (!f) throw SysError("creating '" + at + "'");
    }
}

void chownPath(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
    if (::geteuid() == 0 && ::chown(path.c_str(), uid, gid) != 0)
        throw SysError("changing the owner of '" + path + "'");
    if (::chmod(path.c_str(), mode) != 0) throw SysError("changing the mode of '" + path + "'");
}

} // namespace

namespace {

std::string realPathOf(const std::string& p) {
    char buf[PATH_MAX];
    return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

// What may be declared: the sysroots of the host toolchains among the inputs (a toolchain item
// whose bin/rustc or bin/cargo is a link out of the store, see (ferrix toolchain)), and what
// the user allows in FERRIX_ALLOWED_IMPURE_HOST_DEPS (space- or colon-separated), resolved.
std::vector<std::string> allowedHostPaths(const LocalStore& store, const StorePathSet& closure) {
    std::vector<std::string> allowed;
    const std::string& storeDir = store.storeDir().dir();
    for (auto& p : closure)
        for (const char* program : {"/bin/rustc", "/bin/cargo"}) {
            std::string link = store.realPath(p) + program;
            struct stat st;
            if (::lstat(link.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) continue;
            std::string target = readLink(link);
            if (!target.starts_with("/") || within(target, storeDir)) continue;
            std::string root = realPathOf(dirOf(dirOf(target)));
            if (!root.empty()) allowed.push_back(root);
        }
    if (const char* v = std::getenv("FERRIX_ALLOWED_IMPURE_HOST_DEPS")) {
        std::string list = v;
        size_t i = 0;
        while (i <= list.size()) {
            size_t j = list.find_first_of(" :", i);
            if (j == std::string::npos) j = list.size();
            std::string r = realPathOf(list.substr(i, j - i));
            if (j > i && !r.empty()) allowed.push_back(r);
            i = j + 1;
        }
    }
    return allowed;
}

} // namespace

std::vector<HostPath> impureHostDeps(const LocalStore& store, const Derivation& drv,
                                     const std::string& drvPath, const StorePathSet& closure) {
    std::vector<HostPath> paths;
    auto it = drv.env.find("impureHostDeps");
    if (it == drv.env.end()) return paths;
    std::vector<std::string> hidden = {
        store.storeDir().dir(), store.realStoreDir(), store.stateDir(), "/proc", "/sys", "/dev"};
    for (auto& h : std::vector<std::string>(hidden))
        if (auto r = realPathOf(h); !r.empty()) hidden.push_back(r);
    std::vector<std::string> allowed = allowedHostPaths(store, closure);
    const std::string& v = it->second;
    size_t i = 0;
    while (i < v.size()) {
        size_t j = v.find_first_of(" \t\n", i);
        if (j == std::string::npos) j = v.size();
        std::string p = v.substr(i, j - i);
        i = j + 1;
        if (p.empty()) continue;
        auto refuse = [&](const std::string& why) {
            throw BuildError("derivation '" + drvPath + "' declares the host path '" + p +
                             "' in impureHostDeps, which " + why);
        };
        if (!isNormalAbsolute(p)) refuse("is not an absolute path without '.', '..' or '//'");
        std::string real = realPathOf(p);
        if (real.empty()) refuse("does not exist on this machine");
        for (auto& h : hidden)
            if (within(p, h) || within(h, p) || within(real, h) || within(h, real))
                refuse("would show '" + h + "' to the builder; a build may not see it");
        if (std::none_of(allowed.begin(), allowed.end(),
                         [&](const std::string& a) { return within(real, a); }))
            refuse("is neither a host toolchain among its inputs nor allowed by "
                   "FERRIX_ALLOWED_IMPURE_HOST_DEPS");
        paths.push_back({std::move(p), std::move(real)});
    }
    return paths;
}

SandboxPlan makeBuildRoot(const LocalStore& store, const Derivation& drv,
                          const std::string& drvPath, const std::string& top,
                          const StorePathSet& closure, SandboxMode mode, uid_t uid, gid_t gid) {
    SandboxPlan plan;
    plan.mode = mode;
    plan.hostUid = uid;
    plan.hostGid = gid;
    plan.hostRoot = ::geteuid() == 0;
    plan.privateNetwork = !drv.isFixedOutput();
    std::string root = plan.root = top + "/root";
    if (::mkdir(root.c_str(), 0755) != 0) throw SysError("creating '" + root + "'");
    auto add = [&](Kind kind, const std::string& source, const std::string& target) {
        plan.mounts.push_back({kind, source, root + target});
    };

    // The host's programs and libraries, read-only; merged-/usr links stay links.
    for (const char* d : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
        struct stat st;
        if (::lstat(d, &st) != 0) continue;
        if (S_ISLNK(st.st_mode)) {
            if (::symlink(readLink(d).c_str(), (root + d).c_str()) != 0)
                throw SysError("creating '" + root + d + "'");
        } else if (S_ISDIR(st.st_mode)) {
            mountPoint(root, d, d);
            add(Kind::ReadOnly, d, d);
        }
    }

    // /etc: who the builder is, localhost, and what the toolchain needs (the dynamic linker's
    // cache, Debian's alternatives such as cc, certificates); a fixed-output build, which has
    // the network, also gets name resolution.
    mkdirsUnder(root, "/etc");
    std::string user = std::to_string(plan.uid()), group = std::to_string(plan.gid());
    writeFile(root + "/etc/passwd",
              "root:x:0:0:root:/build:/noshell\n"
              "ferrixbld:x:" +
                  user + ":" + group +
                  ":ferrix build user:/homeless-shelter:/noshell\n"
                  "nobody:x:65534:65534:nobody:/:/noshell\n",
              0644);
    writeFile(root + "/etc/group", "root:x:0:\nferrixbld:!:" + group + ":\nnogroup:x:65534:\n",
              0644);
    writeFile(root + "/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n", 0644);
    std::vector<const char*> etc = {"ld.so.cache",
                                    "ld.so.conf",
                                    "ld.so.conf.d",
                                    "alternatives",
                                    "ssl",
                                    "ca-certificates",
                                    "ca-certificates.conf",
                                    "nsswitch.conf",
                                    "services",
                                    "protocols",
                                    "localtime",
                                    "timezone",
                                    "mime.types"};
    if (!plan.privateNetwork)
        for (const char* f : {"resolv.conf", "host.conf", "gai.conf"})
            etc.push_back(f);
    for (const char* f : etc) {
        std::string host = std::string("/etc/") + f;
        if (!pathExists(host)) continue; // also a dangling link
        mountPoint(root, host, host);
        add(Kind::ReadOnly, host, host);
    }

    // /dev: the harmless devices, shared memory, pseudo-terminals.
    mkdirsUnder(root, "/dev");
    for (const char* d : {"null", "zero", "full", "random", "urandom", "tty"}) {
        std::string host = std::string("/dev/") + d;
        if (!pathExists(host)) continue;
        AutoCloseFD f(::open((root + host).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        if (!f) throw SysError("creating '" + root + host + "'");
        add(Kind::Device, host, host);
    }
    mkdirsUnder(root, "/dev/shm");
    add(Kind::Tmpfs, "", "/dev/shm");
    mkdirsUnder(root, "/dev/pts");
    add(Kind::Devpts, "", "/dev/pts");
    for (auto [link, to] : {std::pair{"ptmx", "pts/ptmx"},
                            {"fd", "/proc/self/fd"},
                            {"stdin", "/proc/self/fd/0"},
                            {"stdout", "/proc/self/fd/1"},
                            {"stderr", "/proc/self/fd/2"}})
        if (::symlink(to, (root + "/dev/" + link).c_str()) != 0)
            throw SysError("creating '" + root + "/dev/" + link + "'");
    mkdirsUnder(root, "/proc");
    add(Kind::Proc, "", "/proc");
    // /tmp: on disk in the work directory (a tmpfs would hide a store or work directory under
    // /tmp), and its own mount so that it stays writable when / is made read-only.
    mkdirsUnder(root, "/tmp");
    chownPath(root + "/tmp", 0, 0, 01777);
    add(Kind::Writable, root + "/tmp", "/tmp");

    // The store: the scratch directory top/store, where the outputs appear and where the
    // closure's mount points are (see makeStoreView), then each item, read-only. The build
    // group may create entries but not remove the mount points (sticky).
    const std::string& storeDir = store.storeDir().dir();
    std::string scratch = top + "/store";
    chownPath(scratch, 0, gid, plan.hostRoot ? 01775 : 0755);
    mkdirsUnder(root, storeDir);
    add(Kind::Writable, scratch, storeDir);
    for (auto& p : closure) {
        std::string real = store.realPath(p);
        if (S_ISLNK(lstatPath(real).st_mode)) continue; // copied as a link into the scratch
        add(Kind::ReadOnly, real, storeDir + "/" + p.to_string());
    }

    // The build directory, the builder's own, at /build as in Nix: nothing of the host's
    // layout (where the store's state is) shows, and outputs that record it do not vary.
    std::string buildDir = top + "/build";
    chownPath(buildDir, uid, gid, 0700);
    mkdirsUnder(root, sandboxBuildDir);
    add(Kind::Writable, buildDir, sandboxBuildDir);

    for (auto& p : impureHostDeps(store, drv, drvPath, closure)) {
        mountPoint(root, p.real, p.declared);
        add(Kind::ReadOnly, p.real, p.declared);
    }
    return plan;
}

void openStoreToBuildUsers(const LocalStore& store, gid_t gid) {
    const std::string& storeDir = store.realStoreDir();
    struct stat st = lstatPath(storeDir);
    if (st.st_uid != 0 || st.st_gid != gid || (st.st_mode & 07777) != 01775)
        chownPath(storeDir, 0, gid, 01775);
    // The state directory: traversable (the builds are under it), nothing else readable.
    const std::string& state = store.stateDir();
    chownPath(state, 0, 0, 0711);
    for (auto& name : readDirectory(state)) {
        std::string p = state + "/" + name;
        struct stat e = lstatPath(p);
        if (S_ISLNK(e.st_mode)) continue;
        mode_t want = name == "builds" ? 0711 : S_ISDIR(e.st_mode) ? 0700 : 0600;
        if ((e.st_mode & 07777) != want && ::chmod(p.c_str(), want) != 0)
            throw SysError("changing the mode of '" + p + "'");
    }
}

} // namespace ferrix
