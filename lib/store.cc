// LocalStore: configuration, opening, the database and the read-only queries.
#include "ferrix/nar.hh"
#include "store-impl.hh"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix {

static constexpr int schemaVersion = 1;

static std::string normalise(std::string p, const char* what) {
    if (p.empty()) throw UsageError(std::string(what) + " must not be empty");
    p = absPath(p);
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    return p;
}

static std::optional<std::string> getEnvNonEmpty(const char* name) {
    const char* v = std::getenv(name);
    if (v && *v) return std::string(v);
    return std::nullopt;
}

StoreConfig StoreConfig::resolve(std::optional<std::string> rootFlag,
                                 std::optional<std::string> storeDirFlag) {
    StoreConfig c;
    if (rootFlag) {
        c.root = *rootFlag;
    } else if (auto e = getEnvNonEmpty("FERRIX_STORE")) {
        c.root = *e;
    } else if (auto x = getEnvNonEmpty("XDG_DATA_HOME")) {
        c.root = *x + "/ferrix";
    } else if (auto h = getEnvNonEmpty("HOME")) {
        c.root = *h + "/.local/share/ferrix";
    } else {
        throw UsageError("cannot choose a store root: none of --store, $FERRIX_STORE, "
                         "$XDG_DATA_HOME and $HOME is set");
    }
    c.root = normalise(c.root, "the store root");
    if (!storeDirFlag) storeDirFlag = getEnvNonEmpty("FERRIX_STORE_DIR");
    if (storeDirFlag) c.storeDir = normalise(*storeDirFlag, "the store directory");
    return c;
}

// The layout under a store's root that opening a store creates.
static std::string stateDirOf(const std::string& root) {
    return root + "/var/ferrix";
}
static std::string databaseFileOf(const std::string& root) {
    return stateDirOf(root) + "/db/db.sqlite";
}

bool StoreConfig::exists() const {
    return pathExists(databaseFileOf(root));
}

// Instances that have a temporary directory. A store still open when the process exits is
// never destroyed (Guile's exit runs no finalizers, and `ferrix build` exits on an error with
// its store open), so exit removes their directories: nothing is left for gc to find.
static std::mutex withTmpDirMutex;
static std::set<LocalStore::Impl*> withTmpDir;
// A forked child that calls exit() must not remove them (nor wait for a mutex that another
// thread of its parent held when it forked).
static std::atomic<pid_t> withTmpDirPid{0};

static void removeTmpDirsAtExit() {
    if (::getpid() != withTmpDirPid.load()) return;
    std::lock_guard lk(withTmpDirMutex);
    // tmpDir is set before registration and never changes: no need for tmpDirMutex, which a
    // thread in newTempPath holds while it waits for withTmpDirMutex.
    for (auto* s : withTmpDir) {
        try {
            deletePath(s->tmpDir);
        } catch (...) {
            // Left for gc, which sees nobody holds it once this process is gone.
        }
    }
    withTmpDir.clear();
}

static void registerTmpDir(LocalStore::Impl* s) {
    static bool atExit = [] { return std::atexit(removeTmpDirsAtExit) == 0; }();
    (void)atExit;
    std::lock_guard lk(withTmpDirMutex);
    withTmpDirPid = ::getpid();
    withTmpDir.insert(s);
}

LocalStore::Impl::Impl() = default;

LocalStore::Impl::~Impl() {
    if (tmpDirFd) {
        {
            std::lock_guard lk(withTmpDirMutex);
            withTmpDir.erase(this);
        }
        try {
            deletePath(tmpDir);
        } catch (...) {
            // Left for gc, which sees nobody holds it any more.
        }
        tmpDirFd.close();
    }
    if (tempRootsFd) {
        // Unlink while still holding the lock, so gc never reads a half-removed file.
        ::unlink(tempRootsPath.c_str());
        tempRootsFd.close();
    }
    st.reset();
    db.reset();
}

bool LocalStore::Impl::inStore(std::string_view path) const {
    const auto& d = storeDir->dir();
    return path.size() > d.size() + 1 && path.starts_with(d) && path[d.size()] == '/';
}

static const char* schemaSql = R"(
create table if not exists Config (
    key   text primary key not null,
    value text not null
);
create table if not exists ValidPaths (
    id               integer primary key autoincrement not null,
    path             text unique not null,
    hash             text not null,
    narSize          integer not null,
    registrationTime integer not null,
    deriver          text,
    ca               text
);
create table if not exists Refs (
    referrer  integer not null,
    reference integer not null,
    primary key (referrer, reference),
    foreign key (referrer) references ValidPaths(id) on delete cascade,
    foreign key (reference) references ValidPaths(id) on delete restrict
);
create index if not exists IndexReferrer on Refs(referrer);
create index if not exists IndexReference on Refs(reference);
create table if not exists DerivationOutputs (
    drv  integer not null,
    id   text not null,
    path text not null,
    primary key (drv, id),
    foreign key (drv) references ValidPaths(id) on delete cascade
);
create index if not exists IndexDerivationOutputs on DerivationOutputs(path);
)";

LocalStore::LocalStore(const StoreConfig& config) : impl(std::make_unique<Impl>()) {
    auto& s = *impl;
    s.root = normalise(config.root, "the store root");
    s.varDir = stateDirOf(s.root);
    s.gcRootsDir = s.varDir + "/gcroots";
    s.tempRootsDir = s.varDir + "/temproots";
    s.locksDir = s.varDir + "/locks";
    s.gcLockPath = s.varDir + "/gc.lock";
    s.dbFile = databaseFileOf(s.root);
    for (auto& d : {s.varDir + "/db", s.gcRootsDir, s.tempRootsDir, s.locksDir})
        createDirs(d);
    s.gcShared = std::make_unique<SharedFileLock>(s.gcLockPath);

    s.db = std::make_unique<SQLite>(s.dbFile);
    auto& db = *s.db;
    db.exec("pragma foreign_keys = on");
    // WAL: readers never block the writer; NORMAL sync keeps commits atomic across crashes.
    db.exec("pragma journal_mode = wal");
    db.exec("pragma synchronous = normal");

    auto readConfig = [&](const char* key) -> std::optional<std::string> {
        SQLiteStmt hasTable(db, "select count(*) from sqlite_master where name = 'Config'");
        auto t = hasTable.use();
        if (!t.next() || t.getInt(0) == 0) return std::nullopt;
        SQLiteStmt get(db, "select value from Config where key = ?");
        auto q = get.use(key);
        if (!q.next()) return std::nullopt;
        return q.getStr(0);
    };
    // Only a new (or half-created) database needs the write lock: opening an existing store
    // must not queue behind other writers.
    auto version = readConfig("schemaVersion");
    auto recordedOpt = readConfig("storeDir");
    if (!version || !recordedOpt) {
        SQLiteTxn txn(db);
        db.exec(schemaSql);
        SQLiteStmt put(db, "insert or ignore into Config (key, value) values (?, ?)");
        put.use("schemaVersion", std::to_string(schemaVersion)).exec();
        std::string dir = config.storeDir ? normalise(*config.storeDir, "the store directory")
                                          : s.root + "/store";
        StoreDir check(dir); // refuse a malformed directory before recording it
        put.use("storeDir", dir).exec();
        txn.commit();
        version = readConfig("schemaVersion");
        recordedOpt = readConfig("storeDir");
    }
    if (!version || !recordedOpt || version->empty() || version->size() > 9 ||
        version->find_first_not_of("0123456789") != std::string::npos)
        throw StoreError("database '" + s.dbFile + "' has a malformed Config table");
    if (std::stoll(*version) > schemaVersion)
        throw StoreError("database '" + s.dbFile + "' has schema version " + *version +
                         "; this ferrix supports up to " + std::to_string(schemaVersion));
    std::string recorded = *recordedOpt;
    if (config.storeDir && normalise(*config.storeDir, "the store directory") != recorded)
        throw StoreError("the store at '" + s.root + "' uses store directory '" + recorded +
                         "', not '" + *config.storeDir + "' (recorded in '" + s.dbFile + "')");
    s.storeDir.emplace(recorded);

    // A store directory under the root is used as is; any other is placed under the root
    // chroot-style, so /nix/store paths can be built without owning /nix/store.
    if (recorded == s.root || recorded.starts_with(s.root + "/"))
        s.realStoreDir = recorded;
    else
        s.realStoreDir = s.root + recorded;
    s.tmpArea = s.realStoreDir + "/.ferrix-tmp";
    createDirs(s.tmpArea);

    s.st = std::make_unique<Impl::Stmts>(db);
}

LocalStore::~LocalStore() = default;

const StoreDir& LocalStore::storeDir() const {
    return *impl->storeDir;
}
const std::string& LocalStore::root() const {
    return impl->root;
}
const std::string& LocalStore::realStoreDir() const {
    return impl->realStoreDir;
}
std::string LocalStore::outputLockPath(const StorePath& p) const {
    return impl->locksDir + "/" + p.to_string() + ".lock";
}
const std::string& LocalStore::gcLockPath() const {
    return impl->gcLockPath;
}
std::string LocalStore::buildsDir() const {
    return impl->buildsDir();
}
const std::string& LocalStore::stateDir() const {
    return impl->varDir;
}
std::string LocalStore::dbPath() const {
    return impl->dbFile;
}
std::string LocalStore::realPath(const StorePath& p) const {
    return impl->realPath(p);
}

// --- Database helpers.

std::optional<int64_t> LocalStore::Impl::pathId(const StorePath& p) {
    auto q = st->pathId.use(print(p));
    if (!q.next()) return std::nullopt;
    return q.getInt(0);
}

StorePathSet LocalStore::Impl::refsOf(int64_t id) {
    StorePathSet out;
    auto q = st->refs.use(id);
    while (q.next())
        out.insert(storeDir->parse(q.getStr(0)));
    return out;
}

std::optional<ValidPathInfo> LocalStore::Impl::pathInfo(const StorePath& p, bool withReferrers) {
    int64_t id;
    ValidPathInfo info(p);
    {
        auto q = st->pathInfo.use(print(p));
        if (!q.next()) return std::nullopt;
        id = q.getInt(0);
        try {
            info.narHash = Hash::parse(q.getStr(1));
        } catch (BadHash& e) {
            throw StoreError("database '" + dbFile + "' has a bad hash for '" + print(p) +
                             "': " + e.what());
        }
        info.narSize = uint64_t(q.getInt(2));
        info.registrationTime = time_t(q.getInt(3));
        if (!q.isNull(4) && !q.getStr(4).empty()) info.deriver = storeDir->parse(q.getStr(4));
        if (!q.isNull(5)) info.ca = q.getStr(5);
    }
    info.references = refsOf(id);
    if (withReferrers) {
        auto q = st->referrers.use(id);
        while (q.next())
            info.referrers.insert(storeDir->parse(q.getStr(0)));
    }
    return info;
}

void LocalStore::Impl::invalidate(int64_t id) {
    SQLiteTxn txn(*db);
    st->deleteRefs.use(id).exec();
    st->deleteDrvOutputs.use(id).exec();
    st->deletePath.use(id).exec();
    txn.commit();
}

void LocalStore::Impl::checkPresent(const StorePath& p) const {
    struct stat stBuf;
    if (::lstat(realPath(p).c_str(), &stBuf) == 0) return;
    if (errno != ENOENT) throw SysError("getting status of '" + realPath(p) + "'");
    throw StoreError("store item " + print(p) +
                     " is registered but missing on disk; run `ferrix store verify --repair`");
}

std::string LocalStore::Impl::newTempPath() {
    std::lock_guard lk(tmpDirMutex);
    if (!tmpDirFd) {
        std::string dir = makeTempDir(tmpArea, std::to_string(::getpid()) + "-");
        AutoCloseFD fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) {
            int err = errno;
            ::rmdir(dir.c_str());
            throw SysError(err, "opening '" + dir + "'");
        }
        // gc cannot take it first: it needs gc.lock exclusively and our caller holds it shared.
        lockFd(fd.get(), LockMode::Exclusive, true);
        tmpDir = dir;
        tmpDirFd = std::move(fd);
        registerTmpDir(this);
    }
    return tmpDir + "/" + std::to_string(tmpCounter++);
}

// --- Temporary roots.

void LocalStore::Impl::addTempRootsLocked(const std::vector<StorePath>& ps) {
    std::lock_guard lk(tempRootsMutex);
    StorePathSet fresh;
    std::string lines;
    for (auto& p : ps)
        if (!tempRoots.contains(p) && fresh.insert(p).second) lines += print(p) + "\n";
    if (lines.empty()) return;
    static std::atomic<unsigned> counter{0};
    while (!tempRootsFd) {
        tempRootsPath =
            tempRootsDir + "/" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
        AutoCloseFD fd(
            ::open(tempRootsPath.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        if (!fd) throw SysError("creating temporary roots file '" + tempRootsPath + "'");
        lockFd(fd.get(), LockMode::Exclusive, true);
        // gc removes files it can lock; if it took this one before we locked it, start over.
        struct stat stBuf;
        if (::fstat(fd.get(), &stBuf) != 0)
            throw SysError("getting status of '" + tempRootsPath + "'");
        if (stBuf.st_nlink == 0) continue;
        if (::ftruncate(fd.get(), 0) != 0) throw SysError("truncating '" + tempRootsPath + "'");
        tempRootsFd = std::move(fd);
    }
    if (::write(tempRootsFd.get(), lines.data(), lines.size()) != ssize_t(lines.size()))
        throw SysError("writing temporary roots file '" + tempRootsPath + "'");
    tempRoots.merge(fresh);
}

void LocalStore::addTempRoot(const StorePath& p) {
    auto gcLock = impl->gcLockShared();
    impl->addTempRootLocked(p);
}

// --- Queries.

bool LocalStore::isValid(const StorePath& p) {
    std::lock_guard lk(impl->dbMutex);
    return impl->pathId(p).has_value();
}

std::optional<ValidPathInfo> LocalStore::queryPathInfoOpt(const StorePath& p) {
    std::lock_guard lk(impl->dbMutex);
    return impl->pathInfo(p, true);
}

ValidPathInfo LocalStore::queryPathInfo(const StorePath& p) {
    auto info = queryPathInfoOpt(p);
    if (!info) throw InvalidPath("path '" + printStorePath(p) + "' is not valid");
    return std::move(*info);
}

StorePathSet LocalStore::queryReferences(const StorePath& p) {
    std::lock_guard lk(impl->dbMutex);
    auto id = impl->pathId(p);
    if (!id) throw InvalidPath("path '" + printStorePath(p) + "' is not valid");
    return impl->refsOf(*id);
}

StorePathSet LocalStore::queryReferrers(const StorePath& p) {
    std::lock_guard lk(impl->dbMutex);
    auto id = impl->pathId(p);
    if (!id) throw InvalidPath("path '" + printStorePath(p) + "' is not valid");
    StorePathSet out;
    auto q = impl->st->referrers.use(*id);
    while (q.next())
        out.insert(impl->storeDir->parse(q.getStr(0)));
    return out;
}

StorePathSet LocalStore::computeClosure(const StorePathSet& paths) {
    std::lock_guard lk(impl->dbMutex);
    StorePathSet done;
    std::vector<StorePath> todo(paths.begin(), paths.end());
    while (!todo.empty()) {
        StorePath p = std::move(todo.back());
        todo.pop_back();
        if (done.contains(p)) continue;
        auto id = impl->pathId(p);
        if (!id) throw InvalidPath("path '" + printStorePath(p) + "' is not valid");
        for (auto& r : impl->refsOf(*id))
            if (!done.contains(r)) todo.push_back(r);
        done.insert(std::move(p));
    }
    return done;
}

StorePathSet LocalStore::queryAllValidPaths() {
    std::lock_guard lk(impl->dbMutex);
    StorePathSet out;
    auto q = impl->st->allPaths.use();
    while (q.next())
        out.insert(impl->storeDir->parse(q.getStr(0)));
    return out;
}

void LocalStore::registerDerivationOutputs(const StorePath& drv,
                                           const std::map<std::string, StorePath>& outputs) {
    std::lock_guard lk(impl->dbMutex);
    SQLiteTxn txn(*impl->db);
    auto id = impl->pathId(drv);
    if (!id) throw InvalidPath("derivation '" + printStorePath(drv) + "' is not valid");
    for (auto& [name, path] : outputs)
        impl->st->insertDrvOutput.use(*id, name, printStorePath(path)).exec();
    txn.commit();
}

std::map<std::string, StorePath> LocalStore::queryDerivationOutputs(const StorePath& drv) {
    std::lock_guard lk(impl->dbMutex);
    auto id = impl->pathId(drv);
    if (!id) throw InvalidPath("derivation '" + printStorePath(drv) + "' is not valid");
    std::map<std::string, StorePath> out;
    auto q = impl->st->drvOutputs.use(*id);
    while (q.next())
        out.emplace(q.getStr(0), impl->storeDir->parse(q.getStr(1)));
    return out;
}

void LocalStore::dump(const StorePath& p, Sink& sink) {
    // Shared gc lock: the item cannot be collected while it is being read.
    auto gcLock = impl->gcLockShared();
    if (!isValid(p)) throw InvalidPath("path '" + printStorePath(p) + "' is not valid");
    impl->checkPresent(p);
    dumpPath(impl->realPath(p), sink);
}

std::string LocalStore::readText(const StorePath& p) {
    auto gcLock = impl->gcLockShared();
    if (!isValid(p)) throw InvalidPath("path '" + printStorePath(p) + "' is not valid");
    impl->checkPresent(p);
    auto real = impl->realPath(p);
    if (!S_ISREG(lstatPath(real).st_mode))
        throw StoreError("store item " + printStorePath(p) + " is not a regular file");
    return readFile(real);
}

} // namespace ferrix
