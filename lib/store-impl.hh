// Private to lib/store*.cc: the state behind LocalStore and helpers shared by its parts.
#pragma once

#include "ferrix/file.hh"
#include "ferrix/lock.hh"
#include "ferrix/sqlite.hh"
#include "ferrix/store.hh"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ferrix {

// A whole-store view loaded under the gc lock: paths, ids and the reference graph.
struct StoreGraph {
    std::map<StorePath, int64_t> ids;
    std::map<int64_t, StorePath> paths;
    std::map<int64_t, std::set<int64_t>> refs, referrers;
};

struct LocalStore::Impl {
    std::string root;
    std::optional<StoreDir> storeDir; // set once the database told us
    std::string realStoreDir;
    std::string varDir, dbFile, gcRootsDir, tempRootsDir, locksDir, gcLockPath, tmpArea;

    // One connection per LocalStore; the mutex makes a LocalStore usable from several threads.
    // Never held while waiting for a file lock.
    std::mutex dbMutex;
    std::unique_ptr<SQLite> db;
    struct Stmts;
    std::unique_ptr<Stmts> st;

    // This instance's directory for items being added, under tmpArea (so rename() into the
    // store is atomic): created on first use and flock'ed for the instance's life, so gc can
    // tell it from one left by a dead process. One directory per instance rather than per add
    // saves a directory creation and removal on every add.
    std::mutex tmpDirMutex;
    AutoCloseFD tmpDirFd;
    std::string tmpDir;
    uint64_t tmpCounter = 0;
    // A fresh, unused path in that directory; the caller holds gc.lock.
    std::string newTempPath();

    // This instance's temporary roots file, created on first use and held with flock so gc can
    // tell a live process's roots from a dead one's.
    std::mutex tempRootsMutex;
    AutoCloseFD tempRootsFd;
    std::string tempRootsPath;
    StorePathSet tempRoots;

    Impl();
    ~Impl();

    std::string print(const StorePath& p) const { return storeDir->print(p); }
    std::string realPath(const StorePath& p) const { return realStoreDir + "/" + p.to_string(); }
    std::string buildsDir() const { return varDir + "/builds"; }
    bool inStore(std::string_view path) const;

    // gc.lock: shared while adding or reading items, exclusive while collecting or repairing.
    // The shared side goes through a descriptor kept open for the instance's life (opened by the
    // constructor), locked only while in use: holding it for the instance's life would keep every
    // other process's gc waiting.
    std::unique_ptr<SharedFileLock> gcShared;
    SharedFileLock::Guard gcLockShared() { return gcShared->acquire(); }
    // Its own description, so it conflicts with this instance's shared holders too.
    FileLock gcLockExclusive() { return FileLock(gcLockPath, LockMode::Exclusive); }

    // --- Database; the caller holds dbMutex.
    std::optional<int64_t> pathId(const StorePath& p);
    std::optional<ValidPathInfo> pathInfo(const StorePath& p, bool withReferrers);
    StorePathSet refsOf(int64_t id);
    // Removes the row and its outgoing references; fails if a valid path still refers to it.
    void invalidate(int64_t id);

    // Appends to this instance's temporary roots (one write for all); the caller holds gc.lock
    // (shared or more).
    void addTempRootsLocked(const std::vector<StorePath>& ps);
    void addTempRootLocked(const StorePath& p) { addTempRootsLocked({p}); }
    // Throws the "registered but missing on disk" error when the item is absent.
    void checkPresent(const StorePath& p) const;
    // Paths, ids and the reference graph; the caller holds dbMutex.
    StoreGraph loadGraph();
};

// Statements prepared once per connection.
struct LocalStore::Impl::Stmts {
    SQLiteStmt pathId, pathInfo, refs, referrers, insertPath, insertRef, deleteRefs,
        deleteDrvOutputs, deletePath, allPaths, insertDrvOutput, drvOutputs, allIds, allRefs,
        allInfo, danglingRefs, deleteDanglingRefs;
    explicit Stmts(SQLite& db)
        : pathId(db, "select id from ValidPaths where path = ?"),
          pathInfo(db, "select id, hash, narSize, registrationTime, deriver, ca from ValidPaths "
                       "where path = ?"),
          refs(db, "select path from Refs join ValidPaths on reference = id where referrer = ?"),
          referrers(db, "select path from Refs join ValidPaths on referrer = id "
                        "where reference = ?"),
          insertPath(db, "insert into ValidPaths (path, hash, narSize, registrationTime, "
                         "deriver, ca) values (?, ?, ?, ?, ?, ?)"),
          insertRef(db, "insert or ignore into Refs (referrer, reference) values (?, ?)"),
          deleteRefs(db, "delete from Refs where referrer = ?"),
          deleteDrvOutputs(db, "delete from DerivationOutputs where drv = ?"),
          deletePath(db, "delete from ValidPaths where id = ?"),
          allPaths(db, "select path from ValidPaths"),
          insertDrvOutput(db, "insert or replace into DerivationOutputs (drv, id, path) "
                              "values (?, ?, ?)"),
          drvOutputs(db, "select id, path from DerivationOutputs where drv = ?"),
          allIds(db, "select id, path from ValidPaths"),
          allRefs(db, "select referrer, reference from Refs"),
          allInfo(db, "select id, path, hash, narSize from ValidPaths"),
          // Only possible if the database was edited with foreign keys off.
          danglingRefs(db, "select r.referrer, a.path, r.reference, b.path from Refs r "
                           "left join ValidPaths a on a.id = r.referrer "
                           "left join ValidPaths b on b.id = r.reference "
                           "where a.id is null or b.id is null"),
          deleteDanglingRefs(db, "delete from Refs where referrer not in "
                                 "(select id from ValidPaths) or reference not in "
                                 "(select id from ValidPaths)") {}
};

// Canonicalises a freshly created item: regular files 0444/0555, directories 0555 (the top one
// keeps u+w so it can still be renamed into place; see finishTopDir), mtime 1, hard links broken,
// anything but files, directories and symlinks refused. Returns whether the top is a directory.
bool canonicalisePath(const std::string& path);
// After renaming a directory into place: it loses u+w, and its mtime (touched by rename, which
// rewrites its ".." entry) is reset. A file's or symlink's mtime is not touched by rename.
void finishTopDir(const std::string& path);
// Sum of st_blocks*512 over a tree, as du would count it.
uint64_t diskUsage(const std::string& path);

} // namespace ferrix
