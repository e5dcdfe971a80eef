#include "ferrix/store.hh"
#include "ferrix/lock.hh"
#include "ferrix/nar.hh"
#include "ferrix/sqlite.hh"
#include "store-test-util.hh"

#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ferrix;
using namespace ferrix::test;

namespace {

struct StoreTest : ::testing::Test {
    ScratchDir scratch;
    std::string root = scratch.path + "/root";
    std::string src = scratch.path + "/src"; // where inputs are prepared, outside the store

    void SetUp() override { createDirs(src); }

    std::unique_ptr<LocalStore> open(std::optional<std::string> storeDir = std::nullopt) {
        return std::make_unique<LocalStore>(configAt(root, storeDir));
    }

    // A directory tree with a bit of everything.
    std::string makeTree(const std::string& name, const std::string& salt = "") {
        std::string d = src + "/" + name;
        createDirs(d + "/sub/empty");
        writeFile(d + "/file", "contents " + salt + "\n", 0644);
        writeFile(d + "/sub/tool", "#!/bin/sh\necho " + salt + "\n", 0755);
        if (::symlink("sub/tool", (d + "/link").c_str()) != 0) throw SysError("symlink");
        return d;
    }
};

// Counts database rows directly, not through the store, to check what is really registered.
int64_t countRows(LocalStore& store, const std::string& table) {
    SQLite db(store.dbPath());
    SQLiteStmt q(db, "select count(*) from " + table);
    auto u = q.use();
    u.next();
    return u.getInt(0);
}

struct stat statOf(const std::string& p) {
    return lstatPath(p);
}

} // namespace

// --- Configuration.

namespace {

// Sets (or, with nullopt, unsets) an environment variable until the end of the scope.
struct EnvVar {
    std::string name;
    std::optional<std::string> old;
    EnvVar(std::string n, std::optional<std::string> v) : name(std::move(n)) {
        if (const char* o = std::getenv(name.c_str())) old = o;
        set(v);
    }
    ~EnvVar() { set(old); }
    void set(const std::optional<std::string>& v) {
        if (v)
            ::setenv(name.c_str(), v->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
};

} // namespace

TEST(StoreConfig, ResolveFlagsEnvironmentAndDefaults) {
    EnvVar store("FERRIX_STORE", "/env/root"), dir("FERRIX_STORE_DIR", "/env/store");
    EnvVar xdg("XDG_DATA_HOME", std::nullopt), home("HOME", "/home/someone");
    auto c = StoreConfig::resolve("/flag/root/", "/flag/store");
    EXPECT_EQ(c.root, "/flag/root");
    EXPECT_EQ(c.storeDir, "/flag/store");
    c = StoreConfig::resolve(std::nullopt, std::nullopt);
    EXPECT_EQ(c.root, "/env/root");
    EXPECT_EQ(c.storeDir, "/env/store");
    store.set(std::nullopt);
    dir.set(std::nullopt);
    xdg.set("/xdg");
    c = StoreConfig::resolve(std::nullopt, std::nullopt);
    EXPECT_EQ(c.root, "/xdg/ferrix");
    EXPECT_FALSE(c.storeDir);
    xdg.set(std::nullopt);
    EXPECT_EQ(StoreConfig::resolve(std::nullopt, std::nullopt).root,
              "/home/someone/.local/share/ferrix");
    home.set(std::nullopt);
    EXPECT_THROW(StoreConfig::resolve(std::nullopt, std::nullopt), UsageError);
}

TEST_F(StoreTest, DefaultLayout) {
    auto store = open();
    EXPECT_EQ(store->storeDir().dir(), root + "/store");
    EXPECT_EQ(store->realStoreDir(), root + "/store");
    EXPECT_EQ(store->dbPath(), root + "/var/ferrix/db/db.sqlite");
    EXPECT_TRUE(pathExists(root + "/var/ferrix/gcroots"));
}

TEST_F(StoreTest, ForeignStoreDirIsChrootStyleAndRecorded) {
    {
        auto store = open("/nix/store");
        EXPECT_EQ(store->realStoreDir(), root + "/nix/store");
        auto p = store->addText("foo", "bar", {});
        EXPECT_EQ(store->printStorePath(p), "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo");
        EXPECT_TRUE(pathExists(root + "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"));
    }
    // Reopened without saying: the recorded directory is used.
    auto store = open();
    EXPECT_EQ(store->storeDir().dir(), "/nix/store");
}

TEST_F(StoreTest, MismatchedStoreDirIsAnError) {
    open("/gnu/store");
    try {
        open("/nix/store");
        FAIL() << "expected StoreError";
    } catch (StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("/gnu/store"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("/nix/store"), std::string::npos) << e.what();
    }
}

// --- Adding.

TEST_F(StoreTest, AddTextMatchesSpecVectors) {
    auto store = open("/nix/store");
    auto foo = store->addText("foo", "bar", {});
    EXPECT_EQ(store->printStorePath(foo), "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo");
    auto baz = store->addText("baz", store->printStorePath(foo), {foo});
    EXPECT_EQ(store->printStorePath(baz), "/nix/store/5xd714cbfnkz02h2vbsj4fm03x3f15nf-baz");
    EXPECT_EQ(store->readText(foo), "bar");
    EXPECT_EQ(store->queryReferences(baz), StorePathSet{foo});
    EXPECT_EQ(store->queryReferrers(foo), StorePathSet{baz});
    EXPECT_EQ(store->computeClosure({baz}), (StorePathSet{foo, baz}));

    auto info = store->queryPathInfo(foo);
    auto nar = hashPath(HashAlgo::SHA256, store->realPath(foo));
    EXPECT_EQ(info.narHash, nar.hash);
    EXPECT_EQ(info.narSize, nar.size);
    EXPECT_EQ(info.ca, "text:" + hashString(HashAlgo::SHA256, "bar").to(HashFormat::Nix32, true));
    EXPECT_GT(info.registrationTime, 0);
    EXPECT_EQ(info.referrers, StorePathSet{baz});
}

TEST_F(StoreTest, AddTextWithGuixStoreDir) {
    auto store = open("/gnu/store");
    EXPECT_EQ(store->printStorePath(store->addText("foo", "bar", {})),
              "/gnu/store/798sxvdgr0680czdggbls7rd3sfwk2yx-foo");
}

TEST_F(StoreTest, AddFlatFile) {
    auto store = open();
    std::string f = src + "/hello";
    writeFile(f, "test\n", 0755);
    auto p = store->addPath(f, "hello", FileIngestion::Flat, HashAlgo::SHA256);
    Hash h = hashString(HashAlgo::SHA256, "test\n");
    EXPECT_EQ(h.toNix32(), "1lkgqb6fclns49861dwk9rzb6xnfkxbpws74mxnx01z9qyv1pjpj");
    EXPECT_EQ(p, store->storeDir().makeFixedOutputPath("hello", FileIngestion::Flat, h));
    auto st = statOf(store->realPath(p));
    EXPECT_EQ(st.st_mode & 07777, 0444u); // flat items are never executable
    EXPECT_EQ(st.st_mtime, 1);
    EXPECT_EQ(store->queryPathInfo(p).ca, "fixed:sha256:" + h.toNix32());
    EXPECT_EQ(store->readText(p), "test\n");
}

TEST_F(StoreTest, AddRecursiveCanonicalises) {
    auto store = open();
    std::string d = makeTree("tree");
    writeFile(d + "/setuid", "s", 0644);
    ASSERT_EQ(::chmod((d + "/setuid").c_str(), 06755), 0);
    ASSERT_EQ(::chmod((d + "/sub").c_str(), 01777), 0);
    auto p = store->addPath(d, "tree");
    auto nar = hashPath(HashAlgo::SHA256, d); // modes aside from +x do not enter the NAR
    EXPECT_EQ(p, store->storeDir().makeSourcePath("tree", nar.hash, {}));
    EXPECT_EQ(store->queryPathInfo(p).narHash, nar.hash);
    EXPECT_EQ(store->queryPathInfo(p).ca, "fixed:r:sha256:" + nar.hash.toNix32());

    std::string r = store->realPath(p);
    EXPECT_EQ(statOf(r).st_mode & 07777, 0555u);
    EXPECT_EQ(statOf(r + "/file").st_mode & 07777, 0444u);
    EXPECT_EQ(statOf(r + "/sub").st_mode & 07777, 0555u);
    EXPECT_EQ(statOf(r + "/sub/tool").st_mode & 07777, 0555u);
    EXPECT_EQ(statOf(r + "/setuid").st_mode & 07777, 0555u);
    for (auto f : {"", "/file", "/sub", "/sub/tool", "/sub/empty", "/link", "/setuid"})
        EXPECT_EQ(statOf(r + f).st_mtime, 1) << f;
    EXPECT_TRUE(S_ISLNK(statOf(r + "/link").st_mode));
    EXPECT_EQ(readLink(r + "/link"), "sub/tool");
    EXPECT_TRUE(tempEntries(*store).empty());
}

TEST_F(StoreTest, SpecDirectoryVector) {
    auto store = open();
    std::string d = src + "/v";
    createDirs(d + "/bla");
    writeFile(d + "/foo", "Hello World!\n");
    ASSERT_EQ(::symlink("foo", (d + "/bar").c_str()), 0);
    auto info = store->queryPathInfo(store->addPath(d, "v"));
    EXPECT_EQ(info.narHash.toNix32(), "1ixr6yd3297ciyp9im522dfxpqbkhcw0pylkb2aab915278fqaik");
    EXPECT_EQ(info.narSize, 656u);
}

TEST_F(StoreTest, HardLinksBecomeSeparateFiles) {
    auto store = open();
    std::string d = src + "/hl";
    createDirs(d);
    writeFile(d + "/a", "same");
    ASSERT_EQ(::link((d + "/a").c_str(), (d + "/b").c_str()), 0);
    auto p = store->addPath(d, "hl");
    EXPECT_EQ(statOf(store->realPath(p) + "/a").st_nlink, 1u);
    EXPECT_EQ(statOf(store->realPath(p) + "/b").st_nlink, 1u);
    EXPECT_EQ(statOf(d + "/a").st_nlink, 2u); // the source is left alone
}

TEST_F(StoreTest, UnsupportedFileTypeIsRefused) {
    auto store = open();
    std::string d = src + "/fifo";
    createDirs(d);
    ASSERT_EQ(::mkfifo((d + "/pipe").c_str(), 0644), 0);
    EXPECT_THROW(store->addPath(d, "fifo"), Error);
    EXPECT_TRUE(storeEntries(*store).empty());
    EXPECT_TRUE(tempEntries(*store).empty());
}

TEST_F(StoreTest, FixedOutputNonSha256) {
    auto store = open();
    std::string d = makeTree("fx");
    auto p = store->addPath(d, "fx", FileIngestion::Recursive, HashAlgo::SHA1);
    Hash h = hashPath(HashAlgo::SHA1, d).hash;
    EXPECT_EQ(p, store->storeDir().makeFixedOutputPath("fx", FileIngestion::Recursive, h));
    EXPECT_EQ(store->queryPathInfo(p).ca, "fixed:r:sha1:" + h.toNix32());
}

TEST_F(StoreTest, ReferencesAreScannedAndRegistered) {
    auto store = open();
    auto a = store->addText("a", "alpha", {});
    auto b = store->addText("b", "beta", {});
    std::string d = src + "/user";
    createDirs(d + "/bin");
    writeFile(d + "/bin/prog", "#!" + store->printStorePath(a) + "/bin/sh\n", 0755);
    auto p = store->addPath(d, "user", FileIngestion::Recursive, HashAlgo::SHA256, {a, b});
    EXPECT_EQ(store->queryReferences(p), StorePathSet{a});
    EXPECT_EQ(store->queryReferrers(a), StorePathSet{p});
    EXPECT_TRUE(store->queryReferrers(b).empty());
    EXPECT_EQ(p, store->storeDir().makeSourcePath("user", hashPath(HashAlgo::SHA256, d).hash,
                                                  StorePathSet{a}));
    EXPECT_EQ(store->computeClosure({p}), (StorePathSet{a, p}));
}

TEST_F(StoreTest, ReAddIsIdempotent) {
    auto store = open();
    std::string d = makeTree("again");
    auto p1 = store->addPath(d, "again");
    auto t1 = store->queryPathInfo(p1).registrationTime;
    auto p2 = store->addPath(d, "again");
    auto p3 = store->addText("t", "x", {});
    auto p4 = store->addText("t", "x", {});
    EXPECT_EQ(p1, p2);
    EXPECT_EQ(p3, p4);
    EXPECT_EQ(store->queryPathInfo(p2).registrationTime, t1);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 2);
    EXPECT_EQ(store->queryAllValidPaths(), (StorePathSet{p1, p3}));
    EXPECT_TRUE(tempEntries(*store).empty());
}

TEST_F(StoreTest, ReAddRestoresAnItemMissingOnDisk) {
    auto store = open();
    std::string d = makeTree("heal");
    auto p = store->addPath(d, "heal");
    auto t = store->addText("heal-text", "t", {});
    deletePath(store->realPath(p));
    deletePath(store->realPath(t));
    EXPECT_FALSE(store->verify().ok());
    EXPECT_EQ(store->addPath(d, "heal"), p);
    EXPECT_EQ(store->addText("heal-text", "t", {}), t);
    EXPECT_TRUE(store->verify().ok());
    EXPECT_EQ(statOf(store->realPath(p)).st_mode & 07777, 0555u);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 2);
}

TEST_F(StoreTest, AddNarEqualsAddPath) {
    auto store = open();
    std::string d = makeTree("nar");
    StringSink nar;
    dumpPath(d, nar);
    StringSource source(nar.s);
    auto p = store->addNar("nar", source);
    EXPECT_EQ(p, store->addPath(d, "nar"));
    EXPECT_EQ(countRows(*store, "ValidPaths"), 1);

    StringSink back;
    store->dump(p, back);
    EXPECT_EQ(back.s, nar.s);

    // A fixed-output hash in another algorithm picks the fixed-output path.
    Hash sha1 = hashPath(HashAlgo::SHA1, d).hash;
    StringSource again(nar.s);
    EXPECT_EQ(store->addNar("nar", again, sha1),
              store->storeDir().makeFixedOutputPath("nar", FileIngestion::Recursive, sha1));
}

TEST_F(StoreTest, AddNarRejectsWrongHashAndBadNar) {
    auto store = open();
    StringSink nar;
    dumpString("hello", nar);
    StringSource source(nar.s);
    EXPECT_THROW(store->addNar("x", source, hashString(HashAlgo::SHA256, "other")), StoreError);
    std::string bad = nar.s;
    bad[8] = 'X'; // corrupt the magic
    StringSource badSource(bad);
    EXPECT_THROW(store->addNar("x", badSource), BadNar);
    std::string truncated = nar.s.substr(0, nar.s.size() - 16);
    StringSource truncSource(truncated);
    EXPECT_THROW(store->addNar("x", truncSource), Error);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 0);
    EXPECT_TRUE(storeEntries(*store).empty());
    EXPECT_TRUE(tempEntries(*store).empty());
}

TEST_F(StoreTest, ImportNarWithKnownInfo) {
    auto store = open();
    auto dep = store->addText("dep", "d", {});
    std::string contents = "uses " + store->printStorePath(dep);
    StringSink nar;
    dumpString(contents, nar);
    ValidPathInfo info(StorePath("0123456789abcdfghijklmnpqrsvwxyz-imported"));
    info.narHash = hashString(HashAlgo::SHA256, nar.s);
    info.narSize = nar.s.size();
    info.references = {dep};

    ValidPathInfo wrong = info;
    wrong.narSize++;
    StringSource s1(nar.s);
    EXPECT_THROW(store->importNar(wrong, s1), StoreError);
    EXPECT_FALSE(store->isValid(info.path));

    StringSource s2(nar.s);
    store->importNar(info, s2);
    EXPECT_EQ(store->readText(info.path), contents);
    EXPECT_EQ(store->queryReferences(info.path), StorePathSet{dep});
}

TEST_F(StoreTest, RegisterOutputMovesBuildIntoPlace) {
    auto store = open();
    auto input = store->addText("input", "in", {});
    auto drv = store->addText("thing.drv", "Derive(...)", {input});
    StorePath target = store->storeDir().makeOutputPath(
        "out", hashString(HashAlgo::SHA256, "some derivation"), "thing");
    std::string built = scratch.path + "/build-out";
    createDirs(built + "/bin");
    writeFile(built + "/bin/thing",
              "self=" + store->printStorePath(target) + " in=" + store->printStorePath(input),
              0755);
    auto info = store->registerOutput(built, target, {input, drv}, drv);
    EXPECT_FALSE(pathExists(built));
    EXPECT_EQ(info.path, target);
    EXPECT_EQ(info.references, (StorePathSet{input, target}));
    EXPECT_EQ(info.deriver, drv);
    EXPECT_TRUE(info.ca.empty());
    EXPECT_EQ(statOf(store->realPath(target) + "/bin/thing").st_mode & 07777, 0555u);
    EXPECT_EQ(info.narHash, hashPath(HashAlgo::SHA256, store->realPath(target)).hash);

    store->registerDerivationOutputs(drv, {{"out", target}});
    EXPECT_EQ(store->queryDerivationOutputs(drv).at("out"), target);
}

// --- Batches of text items.

namespace {

StorePath textPath(LocalStore& store, const TextItem& t) {
    return store.storeDir().makeTextPath(t.name, hashString(HashAlgo::SHA256, t.contents),
                                         t.references);
}

} // namespace

TEST_F(StoreTest, AddTextsWithReferencesWithinTheBatch) {
    auto store = open("/nix/store");
    auto base = store->addText("base", "b", {});
    StorePath foo = textPath(*store, {"foo", "bar", {}});
    std::string bazText = store->printStorePath(foo);
    std::string quxText = bazText + " " + store->printStorePath(base);
    // A referrer may come before its reference: the batch is registered as a whole.
    std::vector<TextItem> items{
        {"baz", bazText, {foo}}, {"foo", "bar", {}}, {"qux", quxText, {foo, base}}};
    auto paths = store->addTexts(items);
    ASSERT_EQ(paths.size(), 3u);
    EXPECT_EQ(store->printStorePath(paths[0]), "/nix/store/5xd714cbfnkz02h2vbsj4fm03x3f15nf-baz");
    EXPECT_EQ(store->printStorePath(paths[1]), "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo");
    EXPECT_EQ(paths[2], textPath(*store, items[2]));
    EXPECT_EQ(store->queryReferences(paths[0]), StorePathSet{foo});
    EXPECT_EQ(store->queryReferences(paths[2]), (StorePathSet{foo, base}));
    EXPECT_EQ(store->queryReferrers(foo), (StorePathSet{paths[0], paths[2]}));
    EXPECT_EQ(store->readText(paths[2]), quxText);
    for (auto& p : paths) {
        auto st = statOf(store->realPath(p));
        EXPECT_EQ(st.st_mode & 07777, 0444u);
        EXPECT_EQ(st.st_mtime, 1);
        auto info = store->queryPathInfo(p);
        auto nar = hashPath(HashAlgo::SHA256, store->realPath(p));
        EXPECT_EQ(info.narHash, nar.hash);
        EXPECT_EQ(info.narSize, nar.size);
        EXPECT_EQ(info.ca.substr(0, 12), "text:sha256:");
    }
    // The same as adding them one at a time, referenced items first.
    EXPECT_EQ(store->addText("qux", quxText, {foo, base}), paths[2]);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 4);
    EXPECT_EQ(countRows(*store, "Refs"), 3);
    EXPECT_TRUE(store->verify().ok());
    EXPECT_TRUE(tempEntries(*store).empty());
    EXPECT_TRUE(listNames(root + "/var/ferrix/locks").empty()); // adds create no lock files
}

TEST_F(StoreTest, AddTextsIsIdempotent) {
    auto store = open();
    EXPECT_TRUE(store->addTexts({}).empty());
    std::vector<TextItem> items{{"a", "alpha", {}}, {"b", "beta", {}}, {"a", "alpha", {}}};
    auto first = store->addTexts(items);
    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first[0], first[2]); // a duplicate within the batch is registered once
    EXPECT_EQ(countRows(*store, "ValidPaths"), 2);
    auto t = store->queryPathInfo(first[0]).registrationTime;

    // Re-run, in another instance, with a new item that refers to an old one.
    auto other = open();
    items.push_back({"c", other->printStorePath(first[1]), {first[1]}});
    auto again = other->addTexts(items);
    ASSERT_EQ(again.size(), 4u);
    EXPECT_TRUE(std::equal(first.begin(), first.end(), again.begin()));
    EXPECT_EQ(other->queryReferences(again[3]), StorePathSet{first[1]});
    EXPECT_EQ(other->queryPathInfo(first[0]).registrationTime, t);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 3);
    EXPECT_TRUE(tempEntries(*store).empty());

    // An item registered but deleted behind our back is put back.
    deletePath(store->realPath(first[1]));
    EXPECT_EQ(store->addTexts(items), again);
    EXPECT_EQ(store->readText(first[1]), "beta");
    EXPECT_TRUE(store->verify().ok());
    EXPECT_EQ(countRows(*store, "ValidPaths"), 3);
}

TEST_F(StoreTest, AddTextsBadNameWritesNothing) {
    auto store = open();
    std::vector<TextItem> items{{"good", "1", {}}, {"bad name", "2", {}}, {"fine", "3", {}}};
    EXPECT_THROW(store->addTexts(items), BadStorePath);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 0);
    EXPECT_TRUE(storeEntries(*store).empty());
    EXPECT_TRUE(tempEntries(*store).empty());
}

TEST_F(StoreTest, AddTextsReferenceToInvalidPathWritesNothing) {
    auto store = open();
    auto valid = store->addText("valid", "v", {});
    StorePath nowhere("0123456789abcdfghijklmnpqrsvwxyz-nowhere");
    TextItem a{"a", "alpha", {valid}};
    StorePath pa = textPath(*store, a);
    std::vector<TextItem> items{a,
                                {"b", store->printStorePath(pa), {pa}},
                                {"c", store->printStorePath(nowhere), {nowhere, pa}}};
    EXPECT_THROW(store->addTexts(items), InvalidPath);
    // Also when the culprit comes first.
    std::swap(items[0], items[2]);
    EXPECT_THROW(store->addTexts(items), InvalidPath);
    EXPECT_EQ(store->queryAllValidPaths(), StorePathSet{valid});
    EXPECT_EQ(storeEntries(*store).size(), 1u);
    EXPECT_TRUE(tempEntries(*store).empty());
    EXPECT_EQ(countRows(*store, "Refs"), 0);
}

namespace {

// Sets or clears the immutable attribute, which even root cannot unlink through; false where
// the file system or the privileges do not allow it.
bool setImmutable(const std::string& path, bool on) {
    AutoCloseFD fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    int flags = 0;
    if (!fd || ::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) != 0) return false;
    flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
    return ::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags) == 0;
}

} // namespace

// The second item's final path holds a leftover that cannot be removed, so the batch fails after
// the first item was renamed into place: that one must be removed again, nothing registered.
TEST_F(StoreTest, AddTextsFailingAfterARenameUndoesIt) {
    auto store = open();
    std::vector<TextItem> items{{"first", "1", {}}, {"second", "2", {}}};
    std::string stuck = store->realPath(textPath(*store, items[1]));
    createDirs(stuck);
    writeFile(stuck + "/file", "leftover");
    if (!setImmutable(stuck + "/file", true)) GTEST_SKIP() << "cannot make a file immutable here";
    EXPECT_THROW(store->addTexts(items), SysError);
    setImmutable(stuck + "/file", false);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 0);
    EXPECT_FALSE(pathExists(store->realPath(textPath(*store, items[0]))));
    EXPECT_TRUE(tempEntries(*store).empty());
    // The leftover no longer resists: the same batch now replaces it.
    auto paths = store->addTexts(items);
    EXPECT_EQ(store->readText(paths[1]), "2");
    EXPECT_TRUE(store->verify().ok());
}

// --- Concurrency.

TEST_F(StoreTest, TwoThreadsAddTheSameItem) {
    open();
    for (int round = 0; round < 5; round++) {
        std::string d = makeTree("t" + std::to_string(round), std::string(100000, 'a' + round));
        auto shared = open();
        std::optional<StorePath> results[4];
        std::string errors[4];
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; i++)
            threads.emplace_back([&, i] {
                try {
                    // Half share one LocalStore, half have their own.
                    if (i < 2) {
                        results[i] = shared->addPath(d, "same");
                    } else {
                        auto own = open();
                        results[i] = own->addPath(d, "same");
                    }
                } catch (std::exception& e) {
                    errors[i] = e.what();
                }
            });
        for (auto& t : threads)
            t.join();
        for (int i = 0; i < 4; i++) {
            EXPECT_EQ(errors[i], "");
            EXPECT_EQ(results[i], results[0]);
        }
    }
    auto store = open();
    EXPECT_EQ(countRows(*store, "ValidPaths"), 5);
    EXPECT_TRUE(tempEntries(*store).empty());
    EXPECT_TRUE(store->verify().ok());
}

// Reachable to the end, so that LeakSanitizer does not report the store left open on purpose.
static LocalStore* storeLeftOpen = nullptr;

// A process that exits with its store still open (as `ferrix build` does on an error: Guile's
// exit runs no finalizers) leaves no temporary directory; a forked child that calls exit()
// does not remove its parent's.
TEST_F(StoreTest, ExitWithAnOpenStoreLeavesNoTemporaryDirectory) {
    open();
    std::string area = root + "/store/.ferrix-tmp";
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int rc = 0;
        try {
            auto* store = storeLeftOpen = new LocalStore(configAt(root)); // never destroyed
            store->addText("added-before-exit", "x", {});
            if (listNames(area).size() != 1) rc = 10;
            pid_t child = ::fork();
            if (child == 0) std::exit(0); // runs the exit handlers of a copy
            int status = 0;
            if (child < 0 || ::waitpid(child, &status, 0) != child) rc = 11;
            if (listNames(area).size() != 1) rc = 12; // still ours
        } catch (...) {
            rc = 13;
        }
        std::exit(rc);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_TRUE(listNames(area).empty());
}

TEST_F(StoreTest, TwoProcessesAddTheSameItem) {
    open();
    std::string d = makeTree("p", std::string(300000, 'p'));
    std::vector<pid_t> kids;
    for (int i = 0; i < 4; i++) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int rc = 0;
            try {
                auto store = open();
                store->addPath(d, "same");
                store->addText("same-text", "hello", {});
                // Overlapping batches: items shared by all, and one of each child's own.
                std::vector<TextItem> batch;
                for (int k = 0; k < 20; k++)
                    batch.push_back({"shared-" + std::to_string(k), "s" + std::to_string(k), {}});
                batch.push_back({"own-" + std::to_string(i), "mine", {}});
                store->addTexts(batch);
            } catch (...) {
                rc = 1;
            }
            ::_exit(rc);
        }
        kids.push_back(pid);
    }
    for (auto pid : kids) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto store = open();
    EXPECT_EQ(countRows(*store, "ValidPaths"), 2 + 20 + 4);
    EXPECT_TRUE(store->verify().ok());
    EXPECT_TRUE(tempEntries(*store).empty());
}

TEST_F(StoreTest, ThreadsAddOverlappingBatches) {
    auto shared = open();
    std::vector<std::vector<StorePath>> results(4);
    std::string errors[4];
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++)
        threads.emplace_back([&, i] {
            try {
                auto own = i % 2 ? open() : nullptr;
                LocalStore& store = own ? *own : *shared;
                // A chain: item k refers to item k-1, whose path every thread computes alike.
                std::vector<TextItem> batch;
                for (int k = 0; k < 30; k++) {
                    StorePathSet refs;
                    std::string text = "link " + std::to_string(k);
                    if (k > 0) {
                        StorePath prev = textPath(store, batch.back());
                        refs.insert(prev);
                        text += " " + store.printStorePath(prev);
                    }
                    batch.push_back({"chain-" + std::to_string(k), text, refs});
                }
                batch.push_back({"thread-" + std::to_string(i), "own", {}});
                for (int round = 0; round < 3; round++)
                    results[i] = store.addTexts(batch);
            } catch (std::exception& e) {
                errors[i] = e.what();
            }
        });
    for (auto& t : threads)
        t.join();
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(errors[i], "");
        ASSERT_EQ(results[i].size(), 31u);
        EXPECT_TRUE(std::equal(results[i].begin(), results[i].end() - 1, results[0].begin()));
    }
    EXPECT_EQ(countRows(*shared, "ValidPaths"), 30 + 4);
    EXPECT_EQ(countRows(*shared, "Refs"), 29);
    EXPECT_TRUE(shared->verify().ok());
    EXPECT_TRUE(tempEntries(*shared).empty());
}

TEST_F(StoreTest, GcDuringAddsKeepsWhatWasAdded) {
    auto adder = open();
    auto collector = open();
    std::vector<StorePath> added;
    std::string error;
    std::atomic<bool> done = false;
    std::thread t([&] {
        try {
            StorePathSet prev;
            for (int i = 0; i < 30; i++) {
                std::string text = "item " + std::to_string(i);
                for (auto& p : prev)
                    text += " " + adder->printStorePath(p);
                added.push_back(adder->addText("chain-" + std::to_string(i), text, prev));
                prev = {added.back()}; // must stay valid although no root protects it
            }
        } catch (std::exception& e) {
            error = e.what();
        }
        done = true;
    });
    int gcs = 0;
    for (; !done || gcs < 3; gcs++)
        collector->collectGarbage();
    t.join();
    EXPECT_EQ(error, "");
    EXPECT_EQ(added.size(), 30u);
    for (auto& p : added)
        EXPECT_TRUE(collector->isValid(p));
    EXPECT_TRUE(collector->verify().ok());
}

TEST_F(StoreTest, GcDuringBatchedAddsKeepsWhatWasAdded) {
    auto adder = open();
    auto collector = open();
    std::vector<StorePath> added;
    std::string error;
    std::atomic<bool> done = false;
    std::thread t([&] {
        try {
            std::optional<StorePath> prev;
            for (int i = 0; i < 15; i++) {
                // Two items, the second referring to the first and to the last batch's.
                std::vector<TextItem> batch{
                    {"b-" + std::to_string(i), "first " + std::to_string(i), {}}};
                StorePathSet refs{textPath(*adder, batch[0])};
                if (prev) refs.insert(*prev);
                std::string text;
                for (auto& r : refs)
                    text += adder->printStorePath(r) + " ";
                batch.push_back({"c-" + std::to_string(i), text, refs});
                auto paths = adder->addTexts(batch);
                added.insert(added.end(), paths.begin(), paths.end());
                prev = paths[1]; // must stay valid although no root protects it
            }
        } catch (std::exception& e) {
            error = e.what();
        }
        done = true;
    });
    int gcs = 0;
    for (; !done || gcs < 3; gcs++)
        collector->collectGarbage();
    t.join();
    EXPECT_EQ(error, "");
    EXPECT_EQ(added.size(), 30u);
    for (auto& p : added)
        EXPECT_TRUE(collector->isValid(p));
    EXPECT_TRUE(collector->verify().ok());
}

TEST(SharedFileLock, CountsHoldersAndExcludesExclusiveLockers) {
    ScratchDir dir;
    std::string f = dir.path + "/gc.lock";
    SharedFileLock lock(f);
    {
        auto g1 = lock.acquire();
        auto g2 = lock.acquire();
        EXPECT_FALSE(FileLock::tryAcquire(f, LockMode::Exclusive));
        EXPECT_TRUE(FileLock::tryAcquire(f, LockMode::Shared));
        { auto gone = std::move(g1); }
        EXPECT_FALSE(FileLock::tryAcquire(f, LockMode::Exclusive)); // g2 still holds it
    }
    EXPECT_TRUE(FileLock::tryAcquire(f, LockMode::Exclusive));

    // Held exclusively elsewhere: acquiring waits until it is released.
    auto exclusive = FileLock::tryAcquire(f, LockMode::Exclusive);
    ASSERT_TRUE(exclusive);
    std::atomic<bool> got{false};
    std::thread waiter([&] {
        auto g = lock.acquire();
        got = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(got);
    exclusive.reset();
    waiter.join();
    EXPECT_TRUE(got);
}

TEST(PathLock, ExcludesAndUnlinksOnRelease) {
    ScratchDir dir;
    std::string f = dir.path + "/x.lock";
    {
        PathLock held(f);
        EXPECT_TRUE(pathExists(f));
        EXPECT_FALSE(PathLock::tryAcquire(f)); // another description, same process: excluded
        std::atomic<bool> got{false};
        std::thread waiter([&] {
            PathLock l(f);
            got = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        EXPECT_FALSE(got);
        // Released below: the waiter finds the file unlinked, starts over on a fresh one.
        std::thread([h = std::move(held)]() mutable {}).join();
        waiter.join();
        EXPECT_TRUE(got);
    }
    EXPECT_FALSE(pathExists(f));
    EXPECT_TRUE(PathLock::tryAcquire(f).has_value());
    EXPECT_FALSE(pathExists(f));
}

TEST(PathLock, SerialisesThreads) {
    ScratchDir dir;
    std::string f = dir.path + "/y.lock";
    std::atomic<int> inside = 0, maxInside = 0, total = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; i++)
        ts.emplace_back([&] {
            for (int k = 0; k < 50; k++) {
                PathLock l(f);
                int now = ++inside;
                if (now > maxInside) maxInside = now;
                total++;
                --inside;
            }
        });
    for (auto& t : ts)
        t.join();
    EXPECT_EQ(maxInside, 1);
    EXPECT_EQ(total, 200);
    EXPECT_FALSE(pathExists(f));
}

// --- Roots and garbage collection.

TEST_F(StoreTest, GcKeepsRootsAndTheirClosure) {
    StorePath a("00000000000000000000000000000000-x"), b = a, c = a, d = a, e = a, f = a;
    std::string link = scratch.path + "/result";
    std::string gone = scratch.path + "/gone";
    {
        auto store = open();
        a = store->addText("a", "a", {});
        b = store->addText("b", store->printStorePath(a), {a});
        c = store->addText("c", "dead", {});
        d = store->addText("d", "indirect", {});
        e = store->addText("e", "dangling", {});
        f = store->addText("f", store->printStorePath(c), {c}); // dead too, refers to c
        EXPECT_EQ(store->addRoot(b, "keep-b"), root + "/var/ferrix/gcroots/keep-b");
        EXPECT_EQ(store->addRoot(d, link), link);
        EXPECT_EQ(readLink(link), store->printStorePath(d));
        store->addRoot(e, gone);
        ::unlink(gone.c_str()); // the user removed the link: the indirect root dangles
    }
    auto store = open();
    auto roots = store->findRoots();
    EXPECT_EQ(roots.size(), 2u);
    EXPECT_EQ(roots.at(root + "/var/ferrix/gcroots/keep-b"), b);

    GcOptions print;
    print.action = GcOptions::Action::PrintDead;
    EXPECT_EQ(store->collectGarbage(print).paths, (StorePathSet{c, e, f}));
    print.action = GcOptions::Action::PrintLive;
    EXPECT_EQ(store->collectGarbage(print).paths, (StorePathSet{a, b, d}));
    EXPECT_TRUE(pathExists(store->realPath(c))); // printing deletes nothing

    auto res = store->collectGarbage();
    EXPECT_EQ(res.paths, (StorePathSet{c, e, f}));
    EXPECT_GT(res.bytesFreed, 0u);
    for (auto& p : {a, b, d})
        EXPECT_TRUE(store->isValid(p) && pathExists(store->realPath(p)));
    for (auto& p : {c, e, f})
        EXPECT_FALSE(store->isValid(p) || pathExists(store->realPath(p)));
    EXPECT_EQ(listNames(root + "/var/ferrix/gcroots/auto").size(), 1u); // dangling one removed
    EXPECT_TRUE(store->verify().ok());

    // Removing the roots makes everything collectable.
    store->removeRoot("keep-b");
    store->removeRoot(link);
    EXPECT_FALSE(pathExists(link));
    EXPECT_EQ(store->collectGarbage().paths, (StorePathSet{a, b, d}));
    EXPECT_TRUE(storeEntries(*store).empty());
    EXPECT_EQ(countRows(*store, "ValidPaths"), 0);
    EXPECT_EQ(countRows(*store, "Refs"), 0);
}

TEST_F(StoreTest, TempRootsOfLiveStoresAreKept) {
    auto adder = open();
    auto p = adder->addText("busy", "in use", {});
    auto gcer = open();
    EXPECT_TRUE(gcer->collectGarbage().paths.empty());
    EXPECT_TRUE(gcer->isValid(p));
    adder.reset();
    EXPECT_EQ(gcer->collectGarbage().paths, StorePathSet{p});
    EXPECT_TRUE(listNames(root + "/var/ferrix/temproots").empty());
}

TEST_F(StoreTest, DeleteSpecific) {
    StorePath a("00000000000000000000000000000000-x"), b = a, c = a;
    {
        auto store = open();
        a = store->addText("a", "a", {});
        b = store->addText("b", store->printStorePath(a), {a});
        c = store->addText("c", "c", {});
        store->addRoot(c, "c");
    }
    auto store = open();
    GcOptions del;
    del.action = GcOptions::Action::DeleteSpecific;
    del.paths = {a, c};
    try {
        store->collectGarbage(del);
        FAIL() << "deleting a live path must fail";
    } catch (StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("still alive"), std::string::npos) << e.what();
    }
    del.paths = {a}; // b still refers to it
    EXPECT_THROW(store->collectGarbage(del), StoreError);
    for (auto& p : {a, b, c})
        EXPECT_TRUE(store->isValid(p));
    del.paths = {a, b};
    EXPECT_EQ(store->collectGarbage(del).paths, (StorePathSet{a, b}));
    EXPECT_FALSE(pathExists(store->realPath(a)));
    EXPECT_TRUE(store->isValid(c));
}

TEST_F(StoreTest, GcRemovesLeftoversButNotLiveTempDirs) {
    auto store = open();
    auto keep = store->addText("keep", "k", {});
    store->addRoot(keep, "keep");
    std::string stray = store->realStoreDir() + "/0123456789abcdfghijklmnpqrsvwxyz-stray";
    createDirs(stray + "/half");
    writeFile(stray + "/half/file", "partial");
    std::string staleTmp = store->realStoreDir() + "/.ferrix-tmp/add-stale";
    createDirs(staleTmp + "/x");
    std::string liveTmp = store->realStoreDir() + "/.ferrix-tmp/add-live";
    createDirs(liveTmp);
    AutoCloseFD held(::open(liveTmp.c_str(), O_RDONLY | O_DIRECTORY));
    ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
    std::string other = store->realStoreDir() + "/not-a-store-path";
    writeFile(other, "mine");

    auto res = store->collectGarbage();
    EXPECT_FALSE(pathExists(stray));
    EXPECT_FALSE(pathExists(staleTmp));
    EXPECT_TRUE(pathExists(liveTmp));
    EXPECT_TRUE(pathExists(other));
    EXPECT_TRUE(pathExists(store->realPath(keep)));
    EXPECT_EQ(res.leftoversRemoved.size(), 2u);
}

// Junk in the directories gc walks (a build could make some) is reported, never fatal, and
// never hangs gc (a FIFO opened for reading would).
TEST_F(StoreTest, GcSkipsJunkInItsDirectories) {
    StorePath keep("00000000000000000000000000000000-x"), dead = keep, again = keep;
    {
        auto adder = open(); // closed before gc, so its temporary roots go
        keep = adder->addText("keep", "k", {});
        adder->addRoot(keep, "keep");
        dead = adder->addText("dead", "d", {});
        again = adder->addText("again", "a", {});
    }
    auto store = open();
    std::string var = store->root() + "/var/ferrix";
    auto fifo = [](const std::string& p) { ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0) << p; };
    createDirs(var + "/locks/x.lock/inside");
    fifo(var + "/locks/fifo.lock");
    std::string stale = var + "/locks/stale.lock";
    writeFile(stale, "");
    createDirs(var + "/temproots/junk-dir");
    fifo(var + "/temproots/junk-fifo");
    std::string tmpArea = store->realStoreDir() + "/.ferrix-tmp";
    fifo(tmpArea + "/junk-fifo");
    writeFile(tmpArea + "/junk-file", "x");
    createDirs(var + "/builds");
    fifo(var + "/builds/junk-fifo");
    writeFile(var + "/builds/junk-file", "x");

    GcResult res;
    ASSERT_NO_THROW(res = store->collectGarbage());
    EXPECT_EQ(res.paths, (StorePathSet{dead, again}));
    EXPECT_FALSE(pathExists(store->realPath(dead)));
    EXPECT_TRUE(pathExists(store->realPath(keep)));
    EXPECT_FALSE(pathExists(stale)) << "a stale lock file is still removed";
    EXPECT_FALSE(pathExists(tmpArea + "/junk-fifo"));
    EXPECT_FALSE(pathExists(tmpArea + "/junk-file"));
    auto warned = [&](const std::string& what) {
        for (auto& w : res.warnings)
            if (w == what) return true;
        ADD_FAILURE() << "no warning '" << what << "' among " << res.warnings.size();
        return false;
    };
    warned("ignoring '" + var + "/locks/x.lock': it is a directory, not a lock file");
    warned("ignoring '" + var + "/locks/fifo.lock': it is a FIFO, not a lock file");
    warned("ignoring '" + var +
           "/temproots/junk-dir': it is a directory, not a temporary roots file");
    warned("ignoring '" + var + "/temproots/junk-fifo': it is a FIFO, not a temporary roots file");
    EXPECT_EQ(res.warnings.size(), 4u);
    EXPECT_TRUE(pathExists(var + "/locks/x.lock/inside")) << "junk is not gc's to delete";

    // The junk is still there, and gc still works.
    res = store->collectGarbage();
    EXPECT_TRUE(res.paths.empty());
    EXPECT_EQ(res.warnings.size(), 4u);
}

// --- Verification.

TEST_F(StoreTest, GcRemovesBuildDirectoriesOfDeadProcessesOnly) {
    auto store = open();
    std::string builds = store->root() + "/var/ferrix/builds";
    auto make = [&](const std::string& name, bool old) {
        std::string d = builds + "/" + name;
        createDirs(d + "/build/target");
        writeFile(d + "/build/target/big", std::string(4096, 'x'));
        if (old) {
            struct timespec t[2] = {{std::time(nullptr) - 3600, 0}, {std::time(nullptr) - 3600, 0}};
            EXPECT_EQ(::utimensat(AT_FDCWD, d.c_str(), t, 0), 0);
        }
        return d;
    };
    std::string dead = make("app-0.1.0-dead00", true);
    std::string live = make("app-0.1.0-live00", true);
    AutoCloseFD held(::open(live.c_str(), O_RDONLY | O_DIRECTORY));
    ASSERT_EQ(::flock(held.get(), LOCK_EX), 0); // as a running `ferrix build` holds it
    std::string kept = make("app-0.1.0-kept00", false);
    writeFile(kept + "/.ferrix-kept", "");
    struct timespec t[2] = {{std::time(nullptr) - 3600, 0}, {std::time(nullptr) - 3600, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, kept.c_str(), t, 0), 0);
    std::string young = make("downloads-young0", false); // its maker may not have locked it yet

    auto res = store->collectGarbage();
    EXPECT_FALSE(pathExists(dead));
    EXPECT_TRUE(pathExists(live + "/build/target/big"));
    EXPECT_TRUE(pathExists(kept + "/build/target/big"));
    EXPECT_TRUE(pathExists(young + "/build/target/big"));
    EXPECT_EQ(res.leftoversRemoved, std::vector<std::string>{dead});
    EXPECT_GE(res.bytesFreed, 4096u);
}

TEST_F(StoreTest, VerifyDetectsAndRepairs) {
    StorePath base("00000000000000000000000000000000-x"), mid = base, top = base, other = base,
                                                          gone = base, ghost = base;
    {
        auto store = open();
        std::string d = makeTree("base");
        base = store->addPath(d, "base");
        mid = store->addText("mid", store->printStorePath(base), {base});
        top = store->addText("top", store->printStorePath(mid), {mid});
        other = store->addText("other", "fine", {});
        gone = store->addText("gone", "deleted", {});
        EXPECT_TRUE(store->verify().ok());
        // A registered file is modified, another item is deleted, and a row is made up.
        std::string f = store->realPath(base) + "/file";
        ::chmod(f.c_str(), 0644);
        writeFile(f, "tampered\n");
        deletePath(store->realPath(gone));
        ghost = StorePath("0123456789abcdfghijklmnpqrsvwxyz-ghost");
        SQLite db(store->dbPath());
        db.exec("insert into ValidPaths (path, hash, narSize, registrationTime) values ('" +
                store->printStorePath(ghost) + "', '" +
                hashString(HashAlgo::SHA256, "").to(HashFormat::Nix32, true) + "', 8, 1)");
    }
    auto store = open();
    auto res = store->verify();
    EXPECT_FALSE(res.ok());
    EXPECT_EQ(res.checked, 6u);
    EXPECT_EQ(res.missing, (StorePathSet{gone, ghost}));
    ASSERT_EQ(res.corrupt.size(), 1u);
    EXPECT_EQ(res.corrupt[0].path, base);
    EXPECT_NE(res.corrupt[0].expectedHash, res.corrupt[0].actualHash);
    EXPECT_TRUE(res.invalidated.empty());
    EXPECT_TRUE(store->isValid(base)); // no repair: nothing changes

    try {
        StringSink s;
        store->dump(gone, s);
        FAIL() << "dump of a missing item must fail";
    } catch (StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("registered but missing on disk"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("ferrix store verify --repair"), std::string::npos);
    }

    res = store->verify(true);
    EXPECT_EQ(res.invalidated, (StorePathSet{base, mid, top, gone, ghost}));
    for (auto& p : res.invalidated) {
        EXPECT_FALSE(store->isValid(p));
        EXPECT_FALSE(pathExists(store->realPath(p)));
    }
    EXPECT_TRUE(store->isValid(other));
    EXPECT_TRUE(store->verify().ok());
}

TEST_F(StoreTest, VerifyReportsReferencesToInvalidPaths) {
    StorePath a("00000000000000000000000000000000-x"), b = a;
    {
        auto store = open();
        a = store->addText("a", "a", {});
        b = store->addText("b", store->printStorePath(a), {a});
        SQLite db(store->dbPath()); // foreign keys are off on this connection
        db.exec("delete from ValidPaths where path = '" + store->printStorePath(a) + "'");
    }
    auto store = open();
    auto res = store->verify();
    ASSERT_EQ(res.badReferences.size(), 1u);
    EXPECT_EQ(res.badReferences[0].first, store->printStorePath(b));
    res = store->verify(true);
    EXPECT_EQ(res.invalidated, StorePathSet{b});
    EXPECT_TRUE(store->verify().ok());
    EXPECT_EQ(countRows(*store, "Refs"), 0);
}

// --- Bad input writes nothing.

TEST_F(StoreTest, InvalidNameWritesNothing) {
    auto store = open();
    std::string d = makeTree("ok");
    EXPECT_THROW(store->addText("bad name", "x", {}), BadStorePath);
    EXPECT_THROW(store->addText(".hidden", "x", {}), BadStorePath);
    EXPECT_THROW(store->addPath(d, "bad/name"), BadStorePath);
    StringSink nar;
    dumpString("x", nar);
    StringSource source(nar.s);
    EXPECT_THROW(store->addNar("", source), BadStorePath);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 0);
    EXPECT_TRUE(storeEntries(*store).empty());
    EXPECT_TRUE(tempEntries(*store).empty());
}

TEST_F(StoreTest, ReferenceToInvalidPathWritesNothing) {
    auto store = open();
    StorePath nowhere("0123456789abcdfghijklmnpqrsvwxyz-nowhere");
    EXPECT_THROW(store->addText("t", store->printStorePath(nowhere), {nowhere}), InvalidPath);
    // Found by scanning but not valid.
    std::string d = src + "/r";
    createDirs(d);
    writeFile(d + "/f", store->printStorePath(nowhere));
    EXPECT_THROW(store->addPath(d, "r", FileIngestion::Recursive, HashAlgo::SHA256, {nowhere}),
                 InvalidPath);
    EXPECT_EQ(countRows(*store, "ValidPaths"), 0);
    EXPECT_TRUE(storeEntries(*store).empty());
    EXPECT_TRUE(tempEntries(*store).empty());
    EXPECT_THROW(store->queryPathInfo(nowhere), InvalidPath);
    EXPECT_THROW(store->addRoot(nowhere, "r"), InvalidPath);
}
