// LocalStore: adding items. Every add follows the same steps so that a crash at any point leaves
// either nothing, a leftover that gc removes, or a whole registered item:
//   1. under a shared gc.lock, copy/restore/write into this instance's flock'ed temporary
//      directory inside the physical store directory;
//   2. canonicalise, hash and scan it there, which yields the final path;
//   3. under the item's PathLock: if it became valid meanwhile, drop the copy; otherwise remove
//      any unregistered leftover at the final path, rename() into place, and register the path
//      with its references in one transaction.
#include "ferrix/nar.hh"
#include "ferrix/references.hh"
#include "store-impl.hh"

#include <cerrno>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix {

// --- Canonicalisation.

static void setMtimeOne(const std::string& path) {
    struct timespec times[2] = {{1, 0}, {1, 0}};
    if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        throw SysError("setting the modification time of '" + path + "'");
}

static void copyFileContents(const std::string& from, const std::string& to, mode_t mode) {
    AutoCloseFD in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!in) throw SysError("opening '" + from + "'");
    AutoCloseFD out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!out) throw SysError("creating '" + to + "'");
    FdSink sink(out.get());
    FdSource source(in.get());
    source.drainInto(sink);
    sink.flush();
}

static void canonicalise(const std::string& path, bool top) {
    struct stat st = lstatPath(path);
    if (S_ISREG(st.st_mode)) {
        mode_t mode = (st.st_mode & S_IXUSR) ? 0555 : 0444;
        if (st.st_nlink > 1) {
            // A hard link would tie the item to a file outside it (or alias two entries): store
            // a private copy instead.
            std::string copy = path + ".ferrix-unlink";
            copyFileContents(path, copy, 0600);
            if (::rename(copy.c_str(), path.c_str()) != 0)
                throw SysError("replacing hard link '" + path + "'");
        }
        if (::chmod(path.c_str(), mode) != 0) throw SysError("changing mode of '" + path + "'");
    } else if (S_ISDIR(st.st_mode)) {
        // Children first: replacing a hard link needs the directory still writable.
        std::vector<std::string> names;
        {
            DIR* d = ::opendir(path.c_str());
            if (!d) throw SysError("opening directory '" + path + "'");
            while (struct dirent* e = ::readdir(d)) {
                std::string n = e->d_name;
                if (n != "." && n != "..") names.push_back(std::move(n));
            }
            ::closedir(d);
        }
        for (auto& n : names)
            canonicalise(path + "/" + n, false);
        // The top directory must stay writable for rename() to update its ".." entry.
        if (::chmod(path.c_str(), top ? 0755 : 0555) != 0)
            throw SysError("changing mode of '" + path + "'");
    } else if (!S_ISLNK(st.st_mode)) {
        throw StoreError("'" + path +
                         "' is not a regular file, directory or symbolic link; such files "
                         "cannot be stored");
    }
    setMtimeOne(path);
}

void canonicalisePath(const std::string& path) {
    canonicalise(path, true);
}

void finishTop(const std::string& path) {
    struct stat st = lstatPath(path);
    if (S_ISDIR(st.st_mode) && ::chmod(path.c_str(), 0555) != 0)
        throw SysError("changing mode of '" + path + "'");
    setMtimeOne(path);
}

uint64_t diskUsage(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return 0;
    uint64_t n = uint64_t(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
        DIR* d = ::opendir(path.c_str());
        if (!d) return n;
        std::vector<std::string> names;
        while (struct dirent* e = ::readdir(d)) {
            std::string s = e->d_name;
            if (s != "." && s != "..") names.push_back(std::move(s));
        }
        ::closedir(d);
        for (auto& s : names)
            n += diskUsage(path + "/" + s);
    }
    return n;
}

// Copies a tree from outside the store. Hard links become separate files; only files,
// directories and symlinks are accepted.
static void copyTree(const std::string& from, const std::string& to) {
    struct stat st = lstatPath(from);
    if (S_ISREG(st.st_mode)) {
        copyFileContents(from, to, (st.st_mode & S_IXUSR) ? 0700 : 0600);
    } else if (S_ISDIR(st.st_mode)) {
        if (::mkdir(to.c_str(), 0700) != 0) throw SysError("creating directory '" + to + "'");
        std::vector<std::string> names;
        DIR* d = ::opendir(from.c_str());
        if (!d) throw SysError("opening directory '" + from + "'");
        while (struct dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(std::move(n));
        }
        ::closedir(d);
        for (auto& n : names)
            copyTree(from + "/" + n, to + "/" + n);
    } else if (S_ISLNK(st.st_mode)) {
        if (::symlink(readLink(from).c_str(), to.c_str()) != 0)
            throw SysError("creating symbolic link '" + to + "'");
    } else {
        throw StoreError("'" + from +
                         "' is not a regular file, directory or symbolic link; such files "
                         "cannot be stored");
    }
}

// --- The temporary area.

namespace {

// Where one item is built before it is renamed into place: a fresh path in the instance's
// temporary directory. Whatever is still there on destruction (the add failed, or the item was
// already valid) is deleted.
class TempItem {
public:
    explicit TempItem(LocalStore::Impl& s) : path(s.newTempPath()) {}
    ~TempItem() {
        try {
            deletePath(path);
        } catch (...) {
            // Left for gc once this process is gone.
        }
    }
    TempItem(const TempItem&) = delete;
    TempItem& operator=(const TempItem&) = delete;
    std::string item() const { return path; }

private:
    std::string path;
};

} // namespace

// Steps 3 of the protocol; the caller holds gc.lock shared. The temporary item is consumed on
// success (renamed) or left for TempItem to delete.
static void finishAdd(LocalStore::Impl& s, const std::string& tempItem, const ValidPathInfo& info) {
    auto lock = s.lockPath(info.path);
    std::string final = s.realPath(info.path);
    std::optional<ValidPathInfo> existing;
    {
        std::lock_guard lk(s.dbMutex);
        existing = s.pathInfo(info.path, false);
    }
    if (existing) {
        // Registered but deleted behind our back: the same NAR is at hand, so put it back.
        if (!pathExists(final) && existing->narHash == info.narHash &&
            existing->narSize == info.narSize) {
            if (::rename(tempItem.c_str(), final.c_str()) != 0)
                throw SysError("moving '" + tempItem + "' to '" + final + "'");
            finishTop(final);
        }
        s.addTempRootLocked(info.path);
        return;
    }
    // Nobody else can be adding this path (we hold its lock) and it is not registered: whatever
    // is at the final path is a leftover of a crash.
    deletePath(final);
    if (::rename(tempItem.c_str(), final.c_str()) != 0)
        throw SysError("moving '" + tempItem + "' to '" + final + "'");
    try {
        finishTop(final);
        std::lock_guard lk(s.dbMutex);
        s.registerPath(info);
    } catch (...) {
        try {
            deletePath(final);
        } catch (...) {
        }
        throw;
    }
    s.addTempRootLocked(info.path);
}

static void checkReferencesValid(LocalStore::Impl& s, std::string_view what,
                                 const StorePathSet& refs, const std::optional<StorePath>& self) {
    std::lock_guard lk(s.dbMutex);
    for (auto& r : refs)
        if ((!self || r != *self) && !s.pathId(r))
            throw InvalidPath("cannot add '" + std::string(what) + "': its reference '" +
                              s.print(r) + "' is not a valid path");
}

static std::string fixedCa(FileIngestion method, const Hash& h) {
    return std::string("fixed:") + (method == FileIngestion::Recursive ? "r:" : "") +
           h.to(HashFormat::Nix32, true);
}

StorePath LocalStore::addText(std::string_view name, std::string_view contents,
                              const StorePathSet& references) {
    auto& s = *impl;
    checkStorePathName(name);
    Hash h = hashString(HashAlgo::SHA256, contents);
    StorePath path = s.storeDir->makeTextPath(name, h, references);
    auto gcLock = s.gcLock(LockMode::Shared);
    checkReferencesValid(s, s.print(path), references, std::nullopt);
    {
        std::lock_guard lk(s.dbMutex);
        if (s.pathId(path) && pathExists(s.realPath(path))) {
            s.addTempRootLocked(path);
            return path;
        }
    }
    TempItem tmp(s);
    writeFile(tmp.item(), contents, 0600);
    canonicalisePath(tmp.item());
    ValidPathInfo info(path);
    HashSink narSink(HashAlgo::SHA256);
    dumpString(contents, narSink);
    info.narSize = narSink.bytesHashed();
    info.narHash = narSink.finish();
    info.references = references;
    info.registrationTime = std::time(nullptr);
    info.ca = "text:" + h.to(HashFormat::Nix32, true);
    finishAdd(s, tmp.item(), info);
    return path;
}

StorePath LocalStore::addPath(const std::string& srcPath, std::string_view name,
                              FileIngestion method, HashAlgo algo, const StorePathSet& candidates) {
    auto& s = *impl;
    checkStorePathName(name);
    struct stat st;
    if ((method == FileIngestion::Flat ? ::stat : ::lstat)(srcPath.c_str(), &st) != 0)
        throw SysError("getting status of '" + srcPath + "'");
    if (method == FileIngestion::Flat && !S_ISREG(st.st_mode))
        throw StoreError("'" + srcPath + "' is not a regular file; it cannot be added flat");
    bool source = method == FileIngestion::Recursive && algo == HashAlgo::SHA256;

    auto gcLock = s.gcLock(LockMode::Shared);
    TempItem tmp(s);
    if (method == FileIngestion::Flat)
        copyFileContents(srcPath, tmp.item(), 0600); // flat items are never executable
    else
        copyTree(srcPath, tmp.item());
    canonicalisePath(tmp.item());

    NarScan scan = hashAndScan(tmp.item(), source ? candidates : StorePathSet{});
    Hash h = source                          ? scan.nar.hash
             : method == FileIngestion::Flat ? hashFile(algo, tmp.item())
                                             : hashPath(algo, tmp.item()).hash;
    StorePath path =
        s.storeDir->makeFixedOutputPath(name, method, h, source ? scan.references : StorePathSet{});
    ValidPathInfo info(path);
    info.narHash = scan.nar.hash;
    info.narSize = scan.nar.size;
    if (source) info.references = scan.references;
    info.registrationTime = std::time(nullptr);
    info.ca = fixedCa(method, h);
    checkReferencesValid(s, s.print(path), info.references, std::nullopt);
    finishAdd(s, tmp.item(), info);
    return path;
}

StorePath LocalStore::addNar(std::string_view name, Source& nar,
                             const std::optional<Hash>& expected, const StorePathSet& candidates) {
    auto& s = *impl;
    checkStorePathName(name);
    bool source = !expected || expected->algo == HashAlgo::SHA256;

    auto gcLock = s.gcLock(LockMode::Shared);
    TempItem tmp(s);
    restorePath(tmp.item(), nar);
    canonicalisePath(tmp.item());

    NarScan scan = hashAndScan(tmp.item(), source ? candidates : StorePathSet{});
    Hash h = source ? scan.nar.hash : hashPath(expected->algo, tmp.item()).hash;
    if (expected && h != *expected)
        throw StoreError("hash mismatch in NAR for '" + std::string(name) + "': expected " +
                         expected->to(HashFormat::Nix32, true) + ", got " +
                         h.to(HashFormat::Nix32, true));
    StorePath path = s.storeDir->makeFixedOutputPath(name, FileIngestion::Recursive, h,
                                                     source ? scan.references : StorePathSet{});
    ValidPathInfo info(path);
    info.narHash = scan.nar.hash;
    info.narSize = scan.nar.size;
    if (source) info.references = scan.references;
    info.registrationTime = std::time(nullptr);
    info.ca = fixedCa(FileIngestion::Recursive, h);
    checkReferencesValid(s, s.print(path), info.references, std::nullopt);
    finishAdd(s, tmp.item(), info);
    return path;
}

void LocalStore::importNar(const ValidPathInfo& given, Source& nar) {
    auto& s = *impl;
    auto gcLock = s.gcLock(LockMode::Shared);
    checkReferencesValid(s, s.print(given.path), given.references, given.path);
    TempItem tmp(s);
    restorePath(tmp.item(), nar);
    canonicalisePath(tmp.item());
    NarHash got = hashPath(given.narHash.algo, tmp.item());
    if (got.hash != given.narHash || got.size != given.narSize)
        throw StoreError(
            "NAR for '" + s.print(given.path) + "' does not match its info: expected " +
            given.narHash.to(HashFormat::Nix32, true) + " (" + std::to_string(given.narSize) +
            " bytes), got " + got.hash.to(HashFormat::Nix32, true) + " (" +
            std::to_string(got.size) + " bytes)");
    ValidPathInfo info = given;
    info.referrers.clear();
    if (info.narHash.algo != HashAlgo::SHA256) {
        NarHash sha = hashPath(HashAlgo::SHA256, tmp.item());
        info.narHash = sha.hash;
    }
    if (!info.registrationTime) info.registrationTime = std::time(nullptr);
    finishAdd(s, tmp.item(), info);
}

ValidPathInfo LocalStore::registerOutput(const std::string& builtPath, const StorePath& target,
                                         const StorePathSet& candidates,
                                         const std::optional<StorePath>& deriver) {
    auto& s = *impl;
    struct stat st = lstatPath(builtPath);
    auto gcLock = s.gcLock(LockMode::Shared);
    TempItem tmp(s);
    // The top directory needs u+w for rename() (its ".." changes).
    if (S_ISDIR(st.st_mode) && (st.st_mode & S_IWUSR) == 0)
        ::chmod(builtPath.c_str(), st.st_mode | S_IWUSR);
    if (::rename(builtPath.c_str(), tmp.item().c_str()) != 0) {
        if (errno != EXDEV) throw SysError("moving '" + builtPath + "' into the store");
        copyTree(builtPath, tmp.item());
        deletePath(builtPath);
    }
    canonicalisePath(tmp.item());
    StorePathSet cands = candidates;
    cands.insert(target);
    NarScan scan = hashAndScan(tmp.item(), cands);
    ValidPathInfo info(target);
    info.narHash = scan.nar.hash;
    info.narSize = scan.nar.size;
    info.references = scan.references;
    info.deriver = deriver;
    info.registrationTime = std::time(nullptr);
    checkReferencesValid(s, s.print(target), info.references, target);
    finishAdd(s, tmp.item(), info);
    return queryPathInfo(target);
}

} // namespace ferrix
