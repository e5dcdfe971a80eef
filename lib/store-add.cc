// LocalStore: adding items. Every add follows the same steps so that a crash at any point leaves
// either nothing, a leftover that gc removes, or a whole registered item:
//   1. under a shared gc.lock (held until the temporary root is written), copy/restore/write into
//      this instance's flock'ed temporary directory inside the physical store directory;
//   2. canonicalise, hash and scan it there, which yields the final path;
//   3. in ONE database write transaction (BEGIN IMMEDIATE): check that the references are valid;
//      if the path is valid already, drop the copy; otherwise insert its rows, rename() the copy
//      into place (replacing whatever unregistered leftover is there) and commit.
// A batch (addTexts) does step 1 for all its items, then step 3 once for all of them.
//
// The database's write lock, not a lock per path, is what serialises adders (threads and
// processes alike), which saves creating and unlinking a lock file on every add. It suffices
// because only its holder renames anything into a final path, and it commits before letting go:
//   - holding it, an unregistered item at a final path can only be a leftover (a crash between
//     rename and commit, or a failed add that could not remove it), never another add in
//     progress, so replacing it is safe;
//   - an add that fails after renaming removes what it renamed BEFORE rolling back, i.e. still
//     holding the lock; an adder of the same path waiting for the lock then finds the path
//     unregistered and renames its own copy. If SQLite itself ended the transaction (a failed
//     COMMIT), the lock is gone and the items are left as leftovers, as after a crash;
//   - two adders of the same path: the second to get the lock finds it valid and drops its copy;
//   - gc holds gc.lock exclusively, adders hold it shared from step 1 until the temporary root is
//     written, so gc sees no add half done and cannot collect a path found valid in step 3.
#include "ferrix/nar.hh"
#include "ferrix/references.hh"
#include "store-impl.hh"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <optional>
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

static void chownToRoot(const std::string& path, const struct stat& st) {
    if ((st.st_uid != 0 || st.st_gid != 0) && ::geteuid() == 0 && ::lchown(path.c_str(), 0, 0) != 0)
        throw SysError("changing the owner of '" + path + "'");
}

// Returns whether path is a directory.
static bool canonicalise(const std::string& path, bool top) {
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
        // A build user's file becomes root's, as every other item's (when ferrix is root); a
        // hard link was replaced above, so no other name's owner changes.
        chownToRoot(path, st);
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
        chownToRoot(path, st);
        // The top directory must stay writable for rename() to update its ".." entry.
        if (::chmod(path.c_str(), top ? 0755 : 0555) != 0)
            throw SysError("changing mode of '" + path + "'");
    } else if (S_ISLNK(st.st_mode)) {
        chownToRoot(path, st);
    } else {
        throw StoreError("'" + path +
                         "' is not a regular file, directory or symbolic link; such files "
                         "cannot be stored");
    }
    setMtimeOne(path);
    return S_ISDIR(st.st_mode);
}

bool canonicalisePath(const std::string& path) {
    return canonicalise(path, true);
}

void finishTopDir(const std::string& path) {
    if (::chmod(path.c_str(), 0555) != 0) throw SysError("changing mode of '" + path + "'");
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

// --- The temporary area.

namespace {

// Where one item is built before it is renamed into place: a fresh path in the instance's
// temporary directory. Whatever is still there on destruction (the add failed, or the item was
// already valid) is deleted; an item moved into place is marked consumed instead, which spares a
// failing look-up.
class TempItem {
public:
    explicit TempItem(LocalStore::Impl& s) : path(s.newTempPath()) {}
    TempItem(TempItem&& o) noexcept : path(std::move(o.path)) { o.path.clear(); }
    TempItem& operator=(TempItem&&) = delete;
    ~TempItem() {
        if (path.empty()) return;
        try {
            deletePath(path);
        } catch (...) {
            // Left for gc once this process is gone.
        }
    }
    const std::string& item() const { return path; }
    void consumed() { path.clear(); }

private:
    std::string path;
};

// An item whose temporary copy is ready, with what to register for it.
struct PendingAdd {
    ValidPathInfo info;
    TempItem temp;
    bool dir; // the top is a directory: its mode and mtime need fixing after the rename
};

} // namespace

// Renames a temporary item to its final path. The caller holds the database's write lock and
// the path is not valid, so anything already there is an unregistered leftover: rename()
// replaces a file or an empty directory by itself, anything else is removed first. Trying the
// rename first spares a look-up in the usual case, where nothing is there.
static void moveIntoPlace(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) == 0) return;
    if (errno != EEXIST && errno != ENOTEMPTY && errno != EISDIR && errno != ENOTDIR)
        throw SysError("moving '" + from + "' to '" + to + "'");
    deletePath(to);
    if (::rename(from.c_str(), to.c_str()) != 0)
        throw SysError("moving '" + from + "' to '" + to + "'");
}

// Step 3 for any number of items, all or nothing (see the top of this file). Items whose path is
// valid already keep their temporary copy for its destructor to drop, except that an item
// registered but missing on disk is put back from it. A path may appear more than once; one
// copy is used. The caller holds gc.lock shared and then adds the temporary roots.
static void commitAdds(LocalStore::Impl& s, std::vector<PendingAdd>& adds) {
    std::lock_guard lk(s.dbMutex);
    SQLiteTxn txn(*s.db);
    std::map<StorePath, int64_t> ids; // valid paths, then also those registered here
    std::map<StorePath, PendingAdd*> fresh;
    std::vector<PendingAdd*> order, restore; // fresh ones in the order given; ones to put back
    for (auto& a : adds) {
        const StorePath& p = a.info.path;
        if (ids.contains(p) || fresh.contains(p)) continue;
        if (auto id = s.pathId(p)) {
            ids.emplace(p, *id);
            if (pathExists(s.realPath(p))) continue;
            // Registered but deleted behind our back: the same NAR is at hand, so put it back.
            auto known = s.pathInfo(p, false);
            if (known->narHash == a.info.narHash && known->narSize == a.info.narSize)
                restore.push_back(&a);
            continue;
        }
        fresh.emplace(p, &a);
        order.push_back(&a);
    }
    for (auto* a : order)
        for (auto& r : a->info.references) {
            if (r == a->info.path || fresh.contains(r) || ids.contains(r)) continue;
            auto id = s.pathId(r);
            if (!id)
                throw InvalidPath("cannot add '" + s.print(a->info.path) + "': its reference '" +
                                  s.print(r) + "' is not a valid path");
            ids.emplace(r, *id);
        }
    // Rows first: if the database refuses anything, nothing has been moved yet.
    for (auto* a : order) {
        auto& info = a->info;
        std::optional<std::string> deriver, ca;
        if (info.deriver) deriver = s.print(*info.deriver);
        if (!info.ca.empty()) ca = info.ca;
        s.st->insertPath
            .use(s.print(info.path), info.narHash.to(HashFormat::Nix32, true),
                 int64_t(info.narSize), int64_t(info.registrationTime), deriver, ca)
            .exec();
        ids.emplace(info.path, s.db->lastInsertRowId());
    }
    for (auto* a : order) {
        int64_t id = ids.at(a->info.path);
        for (auto& r : a->info.references)
            s.st->insertRef.use(id, ids.at(r)).exec();
    }

    std::vector<std::string> moved;
    try {
        for (auto* a : restore) {
            std::string final = s.realPath(a->info.path);
            moveIntoPlace(a->temp.item(), final);
            a->temp.consumed();
            if (a->dir) finishTopDir(final);
        }
        for (auto* a : order) {
            std::string final = s.realPath(a->info.path);
            moveIntoPlace(a->temp.item(), final);
            a->temp.consumed();
            moved.push_back(final);
            if (a->dir) finishTopDir(final);
        }
        txn.commit();
    } catch (...) {
        // Only while we still hold the write lock: nobody else can be registering these paths,
        // and an adder waiting for one will move its own copy into place after us.
        if (s.db->inTransaction())
            for (auto& m : moved)
                try {
                    deletePath(m);
                } catch (...) {
                    // An unregistered leftover, replaced by the next adder or removed by gc.
                }
        throw;
    }
}

// Registers one item from its temporary copy, then makes it a temporary root.
static void commitOne(LocalStore::Impl& s, ValidPathInfo info, TempItem temp, bool dir) {
    std::vector<PendingAdd> adds;
    adds.push_back(PendingAdd{std::move(info), std::move(temp), dir});
    commitAdds(s, adds);
    s.addTempRootLocked(adds.front().info.path);
}

static std::string fixedCa(FileIngestion method, const Hash& h) {
    return std::string("fixed:") + (method == FileIngestion::Recursive ? "r:" : "") +
           h.to(HashFormat::Nix32, true);
}

// --- Text items.

namespace {
struct TextView {
    std::string_view name, contents;
    const StorePathSet& references;
};
} // namespace

// A text item is a single regular file, created directly in canonical form (0444, mtime 1). The
// fchmod is there because the creation mode is subject to the umask.
static void writeTextItem(const std::string& path, std::string_view contents) {
    AutoCloseFD fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!fd) throw SysError("creating '" + path + "'");
    for (size_t done = 0; done < contents.size();) {
        ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError("writing '" + path + "'");
        done += size_t(n);
    }
    struct timespec times[2] = {{1, 0}, {1, 0}};
    if (::fchmod(fd.get(), 0444) != 0 || ::futimens(fd.get(), times) != 0)
        throw SysError("canonicalising '" + path + "'");
}

static std::vector<StorePath> addTextItems(LocalStore::Impl& s,
                                           const std::vector<TextView>& items) {
    // Every name and path first: a bad name anywhere writes nothing.
    std::vector<StorePath> paths;
    std::vector<Hash> hashes;
    paths.reserve(items.size());
    hashes.reserve(items.size());
    for (auto& t : items) {
        checkStorePathName(t.name);
        hashes.push_back(hashString(HashAlgo::SHA256, t.contents));
        paths.push_back(s.storeDir->makeTextPath(t.name, hashes.back(), t.references));
    }
    if (items.empty()) return paths;

    auto gcLock = s.gcLockShared();
    // Items valid and present already need no copy, so re-writing a graph creates no file. The
    // path is known before any copy (unlike addPath's), so this can come first. Whatever is not
    // on disk needs a copy whether registered or not, which a look-up in the directory tells
    // more cheaply than a read transaction; the database is asked only about the others, in one
    // transaction for the batch.
    std::vector<bool> needed(items.size(), true);
    std::vector<size_t> present;
    StorePathSet seen;
    for (size_t i = 0; i < items.size(); i++) {
        if (!seen.insert(paths[i]).second)
            needed[i] = false; // one copy per path
        else if (pathExists(s.realPath(paths[i])))
            present.push_back(i);
    }
    if (!present.empty()) {
        std::lock_guard lk(s.dbMutex);
        std::optional<SQLiteTxn> txn;
        if (present.size() > 1) txn.emplace(*s.db, SQLiteTxn::Mode::Read);
        for (auto i : present)
            needed[i] = !s.pathId(paths[i]);
        if (txn) txn->commit();
    }

    std::vector<PendingAdd> adds;
    time_t now = std::time(nullptr);
    for (size_t i = 0; i < items.size(); i++) {
        if (!needed[i]) continue;
        adds.push_back(PendingAdd{ValidPathInfo(paths[i]), TempItem(s), false});
        auto& a = adds.back();
        writeTextItem(a.temp.item(), items[i].contents);
        HashSink narSink(HashAlgo::SHA256);
        dumpString(items[i].contents, narSink);
        a.info.narSize = narSink.bytesHashed();
        a.info.narHash = narSink.finish();
        a.info.references = items[i].references;
        a.info.registrationTime = now;
        a.info.ca = "text:" + hashes[i].to(HashFormat::Nix32, true);
    }
    if (!adds.empty()) commitAdds(s, adds);
    s.addTempRootsLocked(paths);
    return paths;
}

StorePath LocalStore::addText(std::string_view name, std::string_view contents,
                              const StorePathSet& references) {
    return addTextItems(*impl, {TextView{name, contents, references}}).front();
}

std::vector<StorePath> LocalStore::addTexts(const std::vector<TextItem>& items) {
    std::vector<TextView> views;
    views.reserve(items.size());
    for (auto& t : items)
        views.push_back(TextView{t.name, t.contents, t.references});
    return addTextItems(*impl, views);
}

// --- The source hash cache.
//
// A source lowered on every evaluation (a registry crate, a local-file) would be read and hashed
// whole each time. Its NAR sha256 is kept under var/ferrix/cache/source-hashes, one file per
// source path, next to a signature of the tree's metadata: every entry's relative name, type and
// mode, size, device and inode, mtime and ctime (nanoseconds). A later look-up walks the tree
// with lstat only and uses the hash if the signature is the same; any write, rename, chmod or
// replacement changes a ctime or an inode, so it is noticed. Git's "racy" case is avoided: an
// entry whose times are less than two seconds older than the walk makes the result uncacheable
// (a write within the same clock tick could otherwise go unnoticed).

namespace {

struct TreeSignature {
    Hash sig;
    bool racy = false;
};

void signEntry(HashSink& sink, const std::string& path, const std::string& rel,
               const struct timespec& now, TreeSignature& out) {
    struct stat st = lstatPath(path);
    auto ns = [](const struct timespec& t) {
        return int64_t(t.tv_sec) * 1000000000 + int64_t(t.tv_nsec);
    };
    int64_t limit = ns(now) - int64_t(2) * 1000000000;
    if (ns(st.st_mtim) >= limit || ns(st.st_ctim) >= limit) out.racy = true;
    std::string rec = rel;
    rec += '\0';
    rec += std::to_string(st.st_mode) + ' ' + std::to_string(st.st_size) + ' ' +
           std::to_string(st.st_dev) + ' ' + std::to_string(st.st_ino) + ' ' +
           std::to_string(ns(st.st_mtim)) + ' ' + std::to_string(ns(st.st_ctim)) + '\n';
    sink(rec);
    if (!S_ISDIR(st.st_mode)) return;
    std::vector<std::string> names;
    {
        std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(path.c_str()), ::closedir);
        if (!d) throw SysError("opening directory '" + path + "'");
        while (dirent* e = ::readdir(d.get())) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(std::move(n));
        }
    }
    std::sort(names.begin(), names.end());
    for (auto& n : names)
        signEntry(sink, path + "/" + n, rel + "/" + n, now, out);
}

TreeSignature treeSignature(const std::string& path) {
    struct timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    TreeSignature out;
    HashSink sink(HashAlgo::SHA256);
    signEntry(sink, path, ".", now, out);
    out.sig = sink.finish();
    return out;
}

const char cacheMagic[] = "ferrix-source-hash 1";

// One source's cache entry, its signature taken now: the content hashed later, if the entry
// misses, is at least as new as the signature, so a change in between only makes a later look-up
// miss.
struct SourceCacheEntry {
    std::string dir, file, head;
    bool racy;

    SourceCacheEntry(const std::string& varDir, const std::string& path) {
        dir = varDir + "/cache/source-hashes";
        file = dir + "/" + hashString(HashAlgo::SHA256, path).toBase16().substr(0, 40);
        TreeSignature sig = treeSignature(path);
        head = std::string(cacheMagic) + "\n" + path + "\n" + sig.sig.toBase16() + "\n";
        racy = sig.racy;
    }

    std::optional<NarHash> lookup() const {
        if (racy) return std::nullopt;
        // A missing, unreadable or stale entry is just a miss.
        std::string text;
        try {
            text = readFile(file);
        } catch (const SysError&) {
        }
        if (text.size() <= head.size() || text.compare(0, head.size(), head) != 0)
            return std::nullopt;
        std::string rest = text.substr(head.size());
        auto nl = rest.find('\n');
        try {
            NarHash r;
            r.hash = Hash::parse(rest.substr(0, nl), HashAlgo::SHA256);
            r.size = std::stoull(rest.substr(nl + 1));
            return r;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

    void record(const NarHash& r) const {
        if (racy) return;
        // Best effort: a store whose cache cannot be written (read-only) just hashes every time.
        try {
            createDirs(dir);
            std::string tmp = file + ".tmp-" + std::to_string(::getpid());
            writeFile(tmp, head + r.hash.toBase16() + "\n" + std::to_string(r.size) + "\n", 0644);
            if (::rename(tmp.c_str(), file.c_str()) != 0) ::unlink(tmp.c_str());
        } catch (const std::exception&) {
        }
    }
};

} // namespace

NarHash LocalStore::hashSource(const std::string& srcPath) {
    SourceCacheEntry entry(impl->varDir, absPath(srcPath));
    if (auto cached = entry.lookup()) return *cached;
    NarHash r = hashPath(HashAlgo::SHA256, srcPath);
    entry.record(r);
    return r;
}

// --- Files, trees and NARs.

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

    auto gcLock = s.gcLockShared();
    auto isValid = [&](const StorePath& path) {
        if (!pathExists(s.realPath(path))) return false;
        std::lock_guard lk(s.dbMutex);
        if (!s.pathId(path)) return false;
        s.addTempRootLocked(path);
        return true;
    };
    // A source without references to look for (a local-file, a registry crate): its hash is
    // usually in the source-hash cache, and then a valid item costs no read at all. Otherwise it
    // is read once, copied in canonical form and hashed in the same pass; the hash is of the
    // bytes copied, so a source changing meanwhile cannot register wrong content.
    if (source && candidates.empty()) {
        SourceCacheEntry entry(s.varDir, absPath(srcPath));
        if (auto cached = entry.lookup()) {
            StorePath path = s.storeDir->makeFixedOutputPath(name, method, cached->hash, {});
            if (isValid(path)) return path;
        }
        TempItem tmp(s);
        NarScan scan = copyAndScan(srcPath, tmp.item(), {});
        entry.record(scan.nar);
        StorePath path = s.storeDir->makeFixedOutputPath(name, method, scan.nar.hash, {});
        if (isValid(path)) return path;
        ValidPathInfo info(path);
        info.narHash = scan.nar.hash;
        info.narSize = scan.nar.size;
        info.registrationTime = std::time(nullptr);
        info.ca = fixedCa(method, scan.nar.hash);
        bool dir = S_ISDIR(lstatPath(tmp.item()).st_mode); // not a symlink's target
        commitOne(s, std::move(info), std::move(tmp), dir);
        return path;
    }
    // Otherwise hash the source where it stands first, so that a valid item is not copied; a
    // missing one is copied and hashed again below.
    {
        StorePathSet refs;
        Hash h;
        if (source) {
            NarScan scan = hashAndScan(srcPath, candidates);
            h = scan.nar.hash;
            refs = std::move(scan.references);
        } else {
            h = method == FileIngestion::Flat ? hashFile(algo, srcPath)
                                              : hashPath(algo, srcPath).hash;
        }
        StorePath path = s.storeDir->makeFixedOutputPath(name, method, h, refs);
        if (isValid(path)) return path;
    }
    TempItem tmp(s);
    if (method == FileIngestion::Flat)
        copyFileContents(srcPath, tmp.item(), 0600); // flat items are never executable
    else
        copyTree(srcPath, tmp.item());
    bool dir = canonicalisePath(tmp.item());

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
    commitOne(s, std::move(info), std::move(tmp), dir);
    return path;
}

StorePath LocalStore::addNar(std::string_view name, Source& nar,
                             const std::optional<Hash>& expected, const StorePathSet& candidates) {
    auto& s = *impl;
    checkStorePathName(name);
    bool source = !expected || expected->algo == HashAlgo::SHA256;

    auto gcLock = s.gcLockShared();
    TempItem tmp(s);
    restorePath(tmp.item(), nar);
    bool dir = canonicalisePath(tmp.item());

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
    commitOne(s, std::move(info), std::move(tmp), dir);
    return path;
}

void LocalStore::importNar(const ValidPathInfo& given, Source& nar) {
    auto& s = *impl;
    auto gcLock = s.gcLockShared();
    TempItem tmp(s);
    restorePath(tmp.item(), nar);
    bool dir = canonicalisePath(tmp.item());
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
    commitOne(s, std::move(info), std::move(tmp), dir);
}

// Input-addressed, yet no per-path lock either: registration is the same check-rename-commit
// under the write lock, and the first registration wins (a later one finds the path valid and
// discards its build, as documented). Building an output only once is the scheduler's business:
// it holds the output's PathLock for the whole build, so taking it here too would deadlock
// against the caller (flock excludes another description even in the same process).
ValidPathInfo LocalStore::registerOutput(const std::string& builtPath, const StorePath& target,
                                         const StorePathSet& candidates,
                                         const std::optional<StorePath>& deriver) {
    auto& s = *impl;
    struct stat st = lstatPath(builtPath);
    auto gcLock = s.gcLockShared();
    TempItem tmp(s);
    // The top directory needs u+w for rename() (its ".." changes).
    if (S_ISDIR(st.st_mode) && (st.st_mode & S_IWUSR) == 0)
        ::chmod(builtPath.c_str(), st.st_mode | S_IWUSR);
    if (::rename(builtPath.c_str(), tmp.item().c_str()) != 0) {
        if (errno != EXDEV) throw SysError("moving '" + builtPath + "' into the store");
        copyTree(builtPath, tmp.item());
        deletePath(builtPath);
    }
    bool dir = canonicalisePath(tmp.item());
    StorePathSet cands = candidates;
    cands.insert(target);
    NarScan scan = hashAndScan(tmp.item(), cands);
    ValidPathInfo info(target);
    info.narHash = scan.nar.hash;
    info.narSize = scan.nar.size;
    info.references = scan.references;
    info.deriver = deriver;
    info.registrationTime = std::time(nullptr);
    commitOne(s, std::move(info), std::move(tmp), dir);
    return queryPathInfo(target);
}

std::vector<ValidPathInfo> LocalStore::registerOutputs(const std::vector<BuiltOutput>& outputs,
                                                       const StorePathSet& candidates,
                                                       const std::optional<StorePath>& deriver) {
    auto& s = *impl;
    StorePathSet cands = candidates;
    for (auto& o : outputs)
        cands.insert(o.target);
    auto gcLock = s.gcLockShared();
    std::vector<PendingAdd> adds;
    adds.reserve(outputs.size());
    time_t now = std::time(nullptr);
    for (auto& o : outputs) {
        struct stat st = lstatPath(o.builtPath);
        adds.push_back(PendingAdd{ValidPathInfo(o.target), TempItem(s), false});
        auto& a = adds.back();
        if (S_ISDIR(st.st_mode) && (st.st_mode & S_IWUSR) == 0)
            ::chmod(o.builtPath.c_str(), st.st_mode | S_IWUSR);
        if (::rename(o.builtPath.c_str(), a.temp.item().c_str()) != 0) {
            if (errno != EXDEV) throw SysError("moving '" + o.builtPath + "' into the store");
            copyTree(o.builtPath, a.temp.item());
            deletePath(o.builtPath);
        }
        a.dir = canonicalisePath(a.temp.item());
        NarScan scan = hashAndScan(a.temp.item(), cands);
        a.info.narHash = scan.nar.hash;
        a.info.narSize = scan.nar.size;
        a.info.references = scan.references;
        a.info.deriver = deriver;
        a.info.registrationTime = now;
        a.info.ca = o.ca;
    }
    // A cycle between outputs (a refers to b, b to a) would make the closure invariant
    // impossible to keep while deleting either (gc deletes referrers first): refused, as Nix does.
    std::map<StorePath, const StorePathSet*> batch;
    for (auto& a : adds)
        batch.emplace(a.info.path, &a.info.references);
    std::map<StorePath, int> state; // 1: on the current path, 2: done
    std::function<void(const StorePath&)> visit = [&](const StorePath& p) {
        state[p] = 1;
        for (auto& r : *batch.at(p)) {
            if (r == p || !batch.contains(r)) continue;
            if (state[r] == 1)
                throw StoreError("cycle detected in the references of '" + s.print(p) +
                                 "': it refers to '" + s.print(r) + "', which refers back to it");
            if (state[r] == 0) visit(r);
        }
        state[p] = 2;
    };
    for (auto& [p, refs] : batch)
        if (state[p] == 0) visit(p);
    commitAdds(s, adds);
    std::vector<StorePath> paths;
    for (auto& o : outputs)
        paths.push_back(o.target);
    s.addTempRootsLocked(paths);
    std::vector<ValidPathInfo> infos;
    for (auto& o : outputs)
        infos.push_back(queryPathInfo(o.target));
    return infos;
}

} // namespace ferrix
