// LocalStore: GC roots, garbage collection and verification. Both gc and repair take gc.lock
// exclusively, so no add is half done while they look at the store, and both invalidate a
// path (referrers first, in its own transaction) BEFORE deleting its files: a crash can leave an
// unregistered leftover, never a registered item with missing files.
#include "ferrix/nar.hh"
#include "store-impl.hh"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix {

static std::vector<std::string> listDir(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return names;
        throw SysError("opening directory '" + dir + "'");
    }
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    return names;
}

StoreGraph LocalStore::Impl::loadGraph() {
    StoreGraph g;
    {
        auto q = st->allIds.use();
        while (q.next()) {
            StorePath p = storeDir->parse(q.getStr(1));
            g.ids.emplace(p, q.getInt(0));
            g.paths.emplace(q.getInt(0), std::move(p));
        }
    }
    auto q = st->allRefs.use();
    while (q.next()) {
        g.refs[q.getInt(0)].insert(q.getInt(1));
        g.referrers[q.getInt(1)].insert(q.getInt(0));
    }
    return g;
}

// Orders `ids` so every path comes after all its referrers within the set: deleting in this
// order never removes a path something valid still refers to.
static std::vector<int64_t> referrersFirst(const StoreGraph& g, const std::set<int64_t>& ids) {
    std::vector<int64_t> order;
    std::set<int64_t> seen;
    std::function<void(int64_t)> visit = [&](int64_t id) {
        if (!seen.insert(id).second) return;
        if (auto it = g.referrers.find(id); it != g.referrers.end())
            for (auto r : it->second)
                if (ids.contains(r)) visit(r);
        order.push_back(id);
    };
    for (auto id : ids)
        visit(id);
    return order;
}

// --- Roots.

static std::string absoluteTarget(const std::string& link) {
    std::string t = readLink(link);
    return t.starts_with("/") ? t : dirOf(link) + "/" + t;
}

static void createSymlinkAtomic(const std::string& link, const std::string& target) {
    static std::atomic<unsigned> counter{0};
    std::string tmp = link + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    ::unlink(tmp.c_str());
    if (::symlink(target.c_str(), tmp.c_str()) != 0)
        throw SysError("creating symbolic link '" + tmp + "'");
    if (::rename(tmp.c_str(), link.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw SysError(err, "moving symbolic link to '" + link + "'");
    }
}

static std::string indirectRootName(const std::string& link) {
    return compressHash(hashString(HashAlgo::SHA256, link), 20).toNix32();
}

std::string LocalStore::addRoot(const StorePath& p, const std::string& rootNameOrLink) {
    auto& s = *impl;
    if (rootNameOrLink.empty() || rootNameOrLink == "." || rootNameOrLink == "..")
        throw UsageError("invalid GC root name '" + rootNameOrLink + "'");
    // Shared gc lock: gc cannot run between the validity check and the root appearing.
    auto lock = s.gcLockShared();
    if (!isValid(p)) throw InvalidPath("path '" + s.print(p) + "' is not valid");
    if (rootNameOrLink.find('/') == std::string::npos) {
        std::string link = s.gcRootsDir + "/" + rootNameOrLink;
        createSymlinkAtomic(link, s.print(p));
        return link;
    }
    std::string link = absPath(rootNameOrLink);
    struct stat st;
    if (::lstat(link.c_str(), &st) == 0 && !S_ISLNK(st.st_mode))
        throw StoreError("cannot create GC root '" + link + "': it exists and is not a symlink");
    createSymlinkAtomic(link, s.print(p));
    createDirs(s.gcRootsDir + "/auto");
    createSymlinkAtomic(s.gcRootsDir + "/auto/" + indirectRootName(link), link);
    return link;
}

void LocalStore::removeRoot(const std::string& rootNameOrLink) {
    auto& s = *impl;
    if (rootNameOrLink.find('/') == std::string::npos) {
        std::string link = s.gcRootsDir + "/" + rootNameOrLink;
        if (::unlink(link.c_str()) != 0) {
            if (errno == ENOENT)
                throw StoreError("there is no GC root named '" + rootNameOrLink + "'");
            throw SysError("removing GC root '" + link + "'");
        }
        return;
    }
    std::string link = absPath(rootNameOrLink);
    std::string indirect = s.gcRootsDir + "/auto/" + indirectRootName(link);
    bool had = ::unlink(indirect.c_str()) == 0;
    struct stat st;
    if (::lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && s.inStore(absoluteTarget(link))) {
        if (::unlink(link.c_str()) != 0) throw SysError("removing '" + link + "'");
        had = true;
    }
    if (!had) throw StoreError("'" + link + "' is not a GC root");
}

static void findRootsIn(LocalStore::Impl& s, const std::string& dir,
                        std::map<std::string, StorePath>& out) {
    for (auto& name : listDir(dir)) {
        std::string p = dir + "/" + name;
        struct stat st;
        if (::lstat(p.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            findRootsIn(s, p, out);
            continue;
        }
        if (!S_ISLNK(st.st_mode)) continue;
        std::string t = absoluteTarget(p);
        try {
            if (s.inStore(t)) {
                out.emplace(p, s.storeDir->toStorePath(t));
                continue;
            }
            // An indirect root: a symlink elsewhere that points into the store.
            struct stat tst;
            if (::lstat(t.c_str(), &tst) != 0) {
                if (errno == ENOENT) ::unlink(p.c_str()); // dangling: its target is gone
                continue;
            }
            if (!S_ISLNK(tst.st_mode)) continue;
            std::string t2 = absoluteTarget(t);
            // Named by the link people made (`ferrix build -r`), as Nix lists it.
            if (s.inStore(t2)) out.emplace(t, s.storeDir->toStorePath(t2));
        } catch (BadStorePath&) {
            // Points into the store directory but not at an item: not a root.
        }
    }
}

std::map<std::string, StorePath> LocalStore::findRoots() {
    std::map<std::string, StorePath> out;
    findRootsIn(*impl, impl->gcRootsDir, out);
    return out;
}

// What `lstat` says `path` is, for a message about something that should not be there.
static std::string kindOf(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return "gone";
    if (S_ISREG(st.st_mode)) return "a file";
    if (S_ISDIR(st.st_mode)) return "a directory";
    if (S_ISLNK(st.st_mode)) return "a symbolic link";
    if (S_ISFIFO(st.st_mode)) return "a FIFO";
    if (S_ISSOCK(st.st_mode)) return "a socket";
    return "a device";
}

// Files that only ferrix writes (temporary roots, locks) may meet junk left by anything with
// access to the state directory; gc skips it with a warning rather than failing every time.
static void skip(GcResult& res, const std::string& path, const std::string& why) {
    res.warnings.push_back("ignoring '" + path + "': " + why);
}

// Temporary roots of live processes; files whose lock we can take belong to dead ones and go.
static StorePathSet readTempRoots(LocalStore::Impl& s, GcResult& res) {
    StorePathSet out;
    for (auto& name : listDir(s.tempRootsDir)) {
        std::string p = s.tempRootsDir + "/" + name;
        // O_NONBLOCK: a FIFO must not hang gc.
        AutoCloseFD fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        if (!fd) {
            if (errno != ENOENT) skip(res, p, std::string("cannot open it: ") + strerror(errno));
            continue;
        }
        // A live process's roots are a regular file it holds open, never anything else.
        struct stat st;
        if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
            skip(res, p, "it is " + kindOf(p) + ", not a temporary roots file");
            continue;
        }
        if (lockFd(fd.get(), LockMode::Exclusive, false)) {
            ::unlink(p.c_str());
            continue;
        }
        // Held by a live process: its roots cannot be skipped, so an error here stops gc.
        std::string contents = readFile(p);
        size_t pos = 0;
        while (pos < contents.size()) {
            size_t nl = contents.find('\n', pos);
            if (nl == std::string::npos) break; // a line being written by a dying process
            std::string line = contents.substr(pos, nl - pos);
            pos = nl + 1;
            if (s.inStore(line)) try {
                    out.insert(s.storeDir->parse(line));
                } catch (BadStorePath&) {
                }
        }
    }
    return out;
}

// Deletes `p`, a leftover; one that cannot be deleted is reported and left for next time.
static void removeLeftover(const std::string& p, GcResult& res) {
    uint64_t size = diskUsage(p);
    try {
        deletePath(p);
    } catch (Error& e) {
        skip(res, p, std::string("cannot remove it: ") + e.what());
        return;
    }
    res.bytesFreed += size;
    res.leftoversRemoved.push_back(p);
}

// Removes what a crashed process left: temporary directories nobody holds, unregistered items,
// and lock files nobody holds.

static void removeLeftovers(LocalStore::Impl& s, const StoreGraph& g, GcResult& res) {
    for (auto& name : listDir(s.tmpArea)) {
        std::string p = s.tmpArea + "/" + name;
        // O_NONBLOCK: junk that is a FIFO must not hang gc. Anything that is not a directory
        // (or cannot be opened) is no live process's area, and goes.
        AutoCloseFD fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        if (fd && !lockFd(fd.get(), LockMode::Exclusive, false)) continue; // still in use
        removeLeftover(p, res);
    }
    for (auto& name : listDir(s.realStoreDir)) {
        if (name.starts_with(".")) continue;
        std::optional<StorePath> sp;
        try {
            sp.emplace(name);
        } catch (BadStorePath&) {
            continue; // not ours to judge
        }
        if (g.ids.contains(*sp)) continue;
        removeLeftover(s.realPath(*sp), res);
    }
    // Stale lock files go: one we can take is held by nobody. Anything else is not ours.
    for (auto& name : listDir(s.locksDir)) {
        std::string p = s.locksDir + "/" + name;
        struct stat st;
        if (::lstat(p.c_str(), &st) != 0) continue; // removed meanwhile
        if (!S_ISREG(st.st_mode)) {
            skip(res, p, "it is " + kindOf(p) + ", not a lock file");
            continue;
        }
        try {
            PathLock::tryAcquire(p); // released (and unlinked) at once
        } catch (Error& e) {
            skip(res, p, e.what());
        }
    }
    // Build and download directories of processes that died: a live one is flock'ed by its
    // process (derivation-builder.cc's WorkDirectory), one kept by `ferrix build -K` is marked.
    std::string builds = s.buildsDir();
    time_t now = std::time(nullptr);
    for (auto& name : listDir(builds)) {
        std::string p = builds + "/" + name;
        struct stat st;
        if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (now - st.st_mtime < 10) continue; // made just now: its lock may not be taken yet
        if (pathExists(p + "/.ferrix-kept")) continue;
        AutoCloseFD fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd || !lockFd(fd.get(), LockMode::Exclusive, false)) continue; // in use
        // A process the dead one started may still write there: then it goes next time.
        removeLeftover(p, res);
    }
}

// Invalidates then deletes each path, in the given (referrers-first) order.
static void invalidateAndDelete(LocalStore::Impl& s, const StoreGraph& g,
                                const std::vector<int64_t>& order, uint64_t maxFreed,
                                StorePathSet& done, uint64_t& bytesFreed) {
    for (auto id : order) {
        if (bytesFreed >= maxFreed) break;
        const StorePath& p = g.paths.at(id);
        {
            std::lock_guard lk(s.dbMutex);
            s.invalidate(id);
        }
        std::string real = s.realPath(p);
        bytesFreed += diskUsage(real);
        deletePath(real);
        done.insert(p);
    }
}

// What keeps a path alive besides its references, as Nix's keep-derivations and keep-outputs
// (both on, as Guix's daemon keeps derivations and the per-crate mode needs outputs): a live
// output keeps its deriver, a live derivation its valid outputs. So a root on a per-crate
// package keeps its units (outputs of the derivations its own derivation's closure holds), the
// units of a superseded version go with it, and the next edit rebuilds only what changed.
struct KeptEdges {
    std::map<int64_t, std::set<int64_t>> deriver; // output -> its derivation
    std::map<int64_t, std::set<int64_t>> outputs; // derivation -> its outputs
};

static KeptEdges loadKeptEdges(SQLite& db) {
    KeptEdges k;
    SQLiteStmt derivers(db, "select v.id, d.id from ValidPaths v join ValidPaths d "
                            "on d.path = v.deriver where v.deriver is not null");
    for (auto q = derivers.use(); q.next();)
        k.deriver[q.getInt(0)].insert(q.getInt(1));
    SQLiteStmt outputs(db, "select o.drv, v.id from DerivationOutputs o join ValidPaths v "
                           "on v.path = o.path");
    for (auto q = outputs.use(); q.next();)
        k.outputs[q.getInt(0)].insert(q.getInt(1));
    return k;
}

GcResult LocalStore::collectGarbage(const GcOptions& opts) {
    auto& s = *impl;
    auto lock = s.gcLockExclusive();
    StoreGraph g;
    {
        std::lock_guard lk(s.dbMutex);
        g = s.loadGraph();
    }

    GcResult res;
    StorePathSet roots = readTempRoots(s, res);
    for (auto& [link, p] : findRoots())
        roots.insert(p);
    KeptEdges kept;
    {
        std::lock_guard lk(s.dbMutex);
        kept = loadKeptEdges(*s.db);
    }
    std::set<int64_t> live;
    std::vector<int64_t> todo;
    for (auto& r : roots)
        if (auto it = g.ids.find(r); it != g.ids.end()) todo.push_back(it->second);
    auto follow = [&](const std::map<int64_t, std::set<int64_t>>& edges, int64_t id) {
        if (auto it = edges.find(id); it != edges.end())
            for (auto r : it->second)
                if (!live.contains(r)) todo.push_back(r);
    };
    while (!todo.empty()) {
        int64_t id = todo.back();
        todo.pop_back();
        if (!live.insert(id).second) continue;
        follow(g.refs, id);
        follow(kept.deriver, id);
        follow(kept.outputs, id);
    }

    using A = GcOptions::Action;
    if (opts.action == A::PrintLive || opts.action == A::PrintDead) {
        for (auto& [id, p] : g.paths)
            if (live.contains(id) == (opts.action == A::PrintLive)) res.paths.insert(p);
        return res;
    }

    std::set<int64_t> dead;
    std::vector<StorePath> strays; // requested, unregistered but present
    if (opts.action == A::DeleteSpecific) {
        // Check everything first: either all requested paths can go, or nothing is touched.
        for (auto& p : opts.paths) {
            auto it = g.ids.find(p);
            if (it == g.ids.end()) {
                if (!pathExists(s.realPath(p)))
                    throw InvalidPath("path '" + s.print(p) + "' is not valid");
                strays.push_back(p);
                continue;
            }
            if (live.contains(it->second))
                throw StoreError("cannot delete path '" + s.print(p) +
                                 "' since it is still alive (reachable from a GC root or in use "
                                 "by a running process)");
            dead.insert(it->second);
        }
        for (auto id : dead)
            if (auto it = g.referrers.find(id); it != g.referrers.end())
                for (auto r : it->second)
                    if (!dead.contains(r))
                        throw StoreError("cannot delete path '" + s.print(g.paths.at(id)) +
                                         "' since it is still referenced by '" +
                                         s.print(g.paths.at(r)) + "'");
    } else {
        for (auto& [id, p] : g.paths)
            if (!live.contains(id)) dead.insert(id);
    }

    invalidateAndDelete(s, g, referrersFirst(g, dead), opts.maxFreed, res.paths, res.bytesFreed);
    for (auto& p : strays) {
        std::string real = s.realPath(p);
        res.bytesFreed += diskUsage(real);
        deletePath(real);
        res.leftoversRemoved.push_back(real);
    }
    if (opts.action == A::DeleteDead) {
        // The graph minus what was just deleted is exactly what is still registered.
        for (auto& p : res.paths)
            g.ids.erase(p);
        removeLeftovers(s, g, res);
    }
    return res;
}

// --- Verification.

VerifyResult LocalStore::verify(bool repair) {
    auto& s = *impl;
    std::optional<FileLock> exclusive;
    std::optional<SharedFileLock::Guard> shared;
    if (repair)
        exclusive.emplace(s.gcLockExclusive());
    else
        shared.emplace(s.gcLockShared());
    struct Row {
        int64_t id;
        StorePath path;
        std::string hash;
        uint64_t size;
    };
    std::vector<Row> rows;
    VerifyResult res;
    std::set<int64_t> bad;
    {
        std::lock_guard lk(s.dbMutex);
        auto q = s.st->allInfo.use();
        while (q.next())
            rows.push_back(
                {q.getInt(0), s.storeDir->parse(q.getStr(1)), q.getStr(2), uint64_t(q.getInt(3))});
        auto d = s.st->danglingRefs.use();
        while (d.next()) {
            auto name = [&](int col) {
                return d.isNull(col + 1) ? "#" + std::to_string(d.getInt(col)) : d.getStr(col + 1);
            };
            res.badReferences.emplace_back(name(0), name(2));
            if (!d.isNull(1)) bad.insert(d.getInt(0));
        }
    }

    for (auto& r : rows) {
        res.checked++;
        std::string real = s.realPath(r.path);
        struct stat st;
        if (::lstat(real.c_str(), &st) != 0) {
            if (errno != ENOENT) throw SysError("getting status of '" + real + "'");
            res.missing.insert(r.path);
            bad.insert(r.id);
            continue;
        }
        VerifyResult::Corrupt c{r.path, {}, {}, r.size, 0, {}};
        try {
            c.expectedHash = Hash::parse(r.hash);
            NarHash got = hashPath(c.expectedHash.algo, real);
            c.actualHash = got.hash;
            c.actualSize = got.size;
            if (got.hash == c.expectedHash && got.size == r.size) continue;
        } catch (Error& e) {
            c.error = e.what();
        }
        res.corrupt.push_back(std::move(c));
        bad.insert(r.id);
    }

    if (repair && !res.ok()) {
        StoreGraph g;
        std::set<int64_t> doomed;
        {
            std::lock_guard lk(s.dbMutex);
            g = s.loadGraph();
            SQLiteTxn txn(*s.db);
            s.st->deleteDanglingRefs.use().exec();
            txn.commit();
        }
        // The closure invariant: whatever refers to a bad path, transitively, must go too.
        std::vector<int64_t> todo(bad.begin(), bad.end());
        while (!todo.empty()) {
            int64_t id = todo.back();
            todo.pop_back();
            if (!g.paths.contains(id) || !doomed.insert(id).second) continue;
            if (auto it = g.referrers.find(id); it != g.referrers.end())
                for (auto r : it->second)
                    todo.push_back(r);
        }
        uint64_t freed = 0;
        invalidateAndDelete(s, g, referrersFirst(g, doomed), UINT64_MAX, res.invalidated, freed);
    }
    return res;
}

} // namespace ferrix
