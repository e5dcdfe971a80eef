// archive.hh: safe unpacking (each kind of refused entry, named) and reproducible packing.
#include "ferrix/archive.hh"
#include "ferrix/file.hh"
#include "store-test-util.hh"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

using namespace ferrix;
using ferrix::test::ScratchDir;

namespace {

struct TarEntry {
    std::string name;
    mode_t type = AE_IFREG;
    std::string data;     // regular files
    std::string link;     // symlink target
    std::string hardlink; // hard link target
    mode_t perm = 0644;
};

// Writes a tar (with `filter`: "gzip", "xz" or "") holding `entries`, in order.
void writeTar(const std::string& file, const std::vector<TarEntry>& entries,
              const std::string& filter = "gzip") {
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (filter == "gzip") archive_write_add_filter_gzip(a);
    if (filter == "xz") {
        archive_write_add_filter_xz(a);
        archive_write_set_filter_option(a, "xz", "compression-level", "0"); // fast for big zeros
    }
    ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
    for (auto& e : entries) {
        archive_entry* en = archive_entry_new();
        archive_entry_set_pathname(en, e.name.c_str());
        archive_entry_set_filetype(en, e.type);
        archive_entry_set_perm(en, e.perm);
        if (!e.link.empty()) archive_entry_set_symlink(en, e.link.c_str());
        if (!e.hardlink.empty()) archive_entry_set_hardlink(en, e.hardlink.c_str());
        archive_entry_set_size(en, e.type == AE_IFREG && e.hardlink.empty() ? e.data.size() : 0);
        ASSERT_EQ(archive_write_header(a, en), ARCHIVE_OK) << archive_error_string(a);
        if (e.type == AE_IFREG && e.hardlink.empty() && !e.data.empty())
            archive_write_data(a, e.data.data(), e.data.size());
        archive_entry_free(en);
    }
    archive_write_close(a);
    archive_write_free(a);
}

TarEntry entry(const std::string& n, mode_t type, const std::string& data = "",
               const std::string& link = "", const std::string& hard = "", mode_t perm = 0644) {
    TarEntry e;
    e.name = n;
    e.type = type;
    e.data = data;
    e.link = link;
    e.hardlink = hard;
    e.perm = perm;
    return e;
}
TarEntry tDir(const std::string& n) {
    return entry(n, AE_IFDIR, "", "", "", 0755);
}
TarEntry tFile(const std::string& n, const std::string& data = "x") {
    return entry(n, AE_IFREG, data);
}
TarEntry tLink(const std::string& n, const std::string& t) {
    return entry(n, AE_IFLNK, "", t);
}
TarEntry tHard(const std::string& n, const std::string& t) {
    return entry(n, AE_IFREG, "", "", t);
}

// Unpacking `entries` must fail with UnsafeArchive naming `named`, and leave nothing behind.
void expectRefused(const std::vector<TarEntry>& entries, const std::string& named,
                   const std::string& why) {
    ScratchDir d("ferrix-archive-test-");
    std::string tar = d.path + "/bad.tar.gz";
    writeTar(tar, entries);
    std::string dest = d.path + "/out";
    try {
        unpackSource(tar, dest);
        FAIL() << "unpacking succeeded; expected a refusal of '" << named << "'";
    } catch (const UnsafeArchive& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("'" + named + "'"), std::string::npos) << msg;
        EXPECT_NE(msg.find(why), std::string::npos) << msg;
    }
    EXPECT_FALSE(pathExists(dest));
    // Nothing but the archive is left in the directory.
    EXPECT_EQ(ferrix::test::listNames(d.path), std::vector<std::string>{"bad.tar.gz"});
}

} // namespace

TEST(Archive, UnpacksAndStripsTheTopDirectory) {
    ScratchDir d("ferrix-archive-test-");
    std::string tar = d.path + "/foo-1.0.crate";
    writeTar(tar,
             {tDir("foo-1.0"), tFile("foo-1.0/Cargo.toml", "[package]\n"),
              entry("foo-1.0/run.sh", AE_IFREG, "#!/bin/sh\n", "", "", 0700), tDir("foo-1.0/src"),
              tFile("foo-1.0/src/lib.rs", "pub fn f() {}\n"), tLink("foo-1.0/link", "src/lib.rs"),
              tHard("foo-1.0/hard", "foo-1.0/Cargo.toml")});
    unpackSource(tar, d.path + "/src");
    EXPECT_EQ(readFile(d.path + "/src/src/lib.rs"), "pub fn f() {}\n");
    EXPECT_EQ(readLink(d.path + "/src/link"), "src/lib.rs");
    EXPECT_EQ(readFile(d.path + "/src/hard"), "[package]\n");
    EXPECT_EQ(lstatPath(d.path + "/src/run.sh").st_mode & 07777, 0755u);
    EXPECT_EQ(lstatPath(d.path + "/src/Cargo.toml").st_mode & 07777, 0644u);
}

TEST(Archive, UnpacksXzAndKeepsSeveralTopLevelEntries) {
    ScratchDir d("ferrix-archive-test-");
    std::string tar = d.path + "/x.tar.xz";
    writeTar(tar, {tFile("a", "1"), tFile("./b", "2")}, "xz");
    unpackSource(tar, d.path + "/out");
    EXPECT_EQ(readFile(d.path + "/out/a"), "1");
    EXPECT_EQ(readFile(d.path + "/out/b"), "2");
}

TEST(Archive, RefusesAbsolutePaths) {
    expectRefused({tDir("x"), tFile("/tmp/evil")}, "/tmp/evil", "absolute path");
}

TEST(Archive, RefusesDotDot) {
    expectRefused({tDir("x"), tFile("x/../../evil")}, "x/../../evil", "'..' component");
}

TEST(Archive, RefusesSymlinksLeavingTheTree) {
    expectRefused({tDir("x"), tLink("x/abs", "/etc/passwd")}, "x/abs", "absolute path");
    expectRefused({tDir("x"), tLink("x/up", "../../etc")}, "x/up", "outside the tree");
}

TEST(Archive, RefusesEntriesThroughSymlinks) {
    expectRefused({tDir("x"), tLink("x/l", "."), tFile("x/l/f")}, "x/l/f",
                  "goes through the symlink 'x/l'");
}

TEST(Archive, RefusesHardLinksLeavingTheTree) {
    expectRefused({tDir("x"), tHard("x/h", "/etc/passwd")}, "/etc/passwd", "absolute path");
    expectRefused({tDir("x"), tHard("x/h", "../outside")}, "../outside", "'..' component");
    expectRefused({tDir("x"), tHard("x/h", "x/missing")}, "x/h", "not a file of the archive");
}

TEST(Archive, RefusesDevicesAndFifos) {
    expectRefused({tDir("x"), entry("x/null", AE_IFCHR)}, "x/null", "character device");
    expectRefused({tDir("x"), entry("x/disk", AE_IFBLK)}, "x/disk", "block device");
    expectRefused({tDir("x"), entry("x/pipe", AE_IFIFO)}, "x/pipe", "FIFO");
}

TEST(Archive, CopiesDirectoriesAndChecksTheirSymlinks) {
    ScratchDir d("ferrix-archive-test-");
    createDirs(d.path + "/tree/sub");
    writeFile(d.path + "/tree/sub/f", "data", 0444);
    ASSERT_EQ(::symlink("sub/f", (d.path + "/tree/ok").c_str()), 0);
    unpackSource(d.path + "/tree", d.path + "/copy");
    EXPECT_EQ(readFile(d.path + "/copy/ok"), "data");
    EXPECT_EQ(lstatPath(d.path + "/copy/sub/f").st_mode & 0200, 0200u); // writable copy

    ASSERT_EQ(::symlink("../../etc", (d.path + "/tree/sub/bad").c_str()), 0);
    try {
        unpackSource(d.path + "/tree", d.path + "/copy2");
        FAIL() << "copied a tree with an escaping symlink";
    } catch (const UnsafeArchive& e) {
        EXPECT_NE(std::string(e.what()).find("'sub/bad'"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(pathExists(d.path + "/copy2"));
}

namespace {

void makeTree(const std::string& root, time_t mtime, mode_t fileMode) {
    createDirs(root + "/src/bin");
    writeFile(root + "/Cargo.toml", "[package]\nname = \"t\"\nversion = \"1.0.0\"\n", fileMode);
    writeFile(root + "/src/lib.rs", "pub fn f() {}\n", fileMode);
    writeFile(root + "/src/bin/x.rs", "fn main() {}\n", fileMode);
    writeFile(root + "/build.sh", "#!/bin/sh\n", 0755);
    for (auto f :
         {"/Cargo.toml", "/src/lib.rs", "/src/bin/x.rs", "/build.sh", "/src/bin", "/src", ""}) {
        struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};
        utimes((root + f).c_str(), tv);
    }
}

} // namespace

TEST(Archive, PacksReproducibly) {
    ScratchDir d("ferrix-archive-test-");
    makeTree(d.path + "/a", 1000000, 0644);
    makeTree(d.path + "/b", 1700000000, 0600);
    packTree(d.path + "/a", "t-1.0.0", d.path + "/a.crate");
    packTree(d.path + "/a", "t-1.0.0", d.path + "/a2.crate");
    packTree(d.path + "/b", "t-1.0.0", d.path + "/b.crate");
    std::string a = readFile(d.path + "/a.crate");
    EXPECT_EQ(a, readFile(d.path + "/a2.crate"));
    EXPECT_EQ(a, readFile(d.path + "/b.crate")) << "times and modes of the tree leaked in";
    // gzip header: no time stamp (bytes 4-7), no file name flag.
    ASSERT_GT(a.size(), 10u);
    EXPECT_EQ(a.substr(4, 4), std::string(4, '\0'));
    EXPECT_EQ(a[3] & 0x08, 0);

    // Entries sorted, mtime 0, owned by root, fixed modes.
    archive* r = archive_read_new();
    archive_read_support_filter_all(r);
    archive_read_support_format_all(r);
    ASSERT_EQ(archive_read_open_filename(r, (d.path + "/a.crate").c_str(), 10240), ARCHIVE_OK);
    std::vector<std::string> names;
    archive_entry* e;
    while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
        names.push_back(archive_entry_pathname(e));
        EXPECT_EQ(archive_entry_mtime(e), 0);
        EXPECT_EQ(archive_entry_uid(e), 0);
        EXPECT_EQ(archive_entry_gid(e), 0);
        EXPECT_STREQ(archive_entry_uname(e), "root");
        mode_t want = archive_entry_filetype(e) == AE_IFDIR ? 0755
                      : names.back() == "t-1.0.0/build.sh"  ? 0755
                                                            : 0644;
        EXPECT_EQ(archive_entry_perm(e), want) << names.back();
    }
    archive_read_free(r);
    std::vector<std::string> want{"t-1.0.0/",          "t-1.0.0/Cargo.toml", "t-1.0.0/build.sh",
                                  "t-1.0.0/src/",      "t-1.0.0/src/bin/",   "t-1.0.0/src/bin/x.rs",
                                  "t-1.0.0/src/lib.rs"};
    EXPECT_EQ(names, want);

    // And it unpacks back to the tree.
    unpackSource(d.path + "/a.crate", d.path + "/back");
    EXPECT_EQ(readFile(d.path + "/back/src/lib.rs"), "pub fn f() {}\n");
}

TEST(Archive, PackSelectLeavesOut) {
    ScratchDir d("ferrix-archive-test-");
    makeTree(d.path + "/a", 0, 0644);
    createDirs(d.path + "/a/target/release");
    writeFile(d.path + "/a/target/release/big", "junk");
    packTree(d.path + "/a", "t-1.0.0", d.path + "/a.crate",
             [](const std::string& rel, bool) { return rel != "target"; });
    unpackSource(d.path + "/a.crate", d.path + "/back");
    EXPECT_FALSE(pathExists(d.path + "/back/target"));
    EXPECT_TRUE(pathExists(d.path + "/back/Cargo.toml"));
}

// --- Unpacking that cannot be fooled: write errors, symlink chains, limits.

namespace {

// Sets an environment variable for a scope (FERRIX_NO_OPENAT2, the FERRIX_MAX_* limits).
struct ScopedEnv {
    std::string name;
    ScopedEnv(const std::string& name, const char* value) : name(name) {
        if (value)
            setenv(name.c_str(), value, 1);
        else
            unsetenv(name.c_str());
    }
    ~ScopedEnv() { unsetenv(name.c_str()); }
};

// Runs `test` once with openat2 and once with the walk that replaces it on older kernels.
void bothResolvers(const std::function<void()>& test) {
    {
        SCOPED_TRACE("with openat2");
        ScopedEnv env("FERRIX_NO_OPENAT2", nullptr);
        test();
    }
    {
        SCOPED_TRACE("with the walk (FERRIX_NO_OPENAT2)");
        ScopedEnv env("FERRIX_NO_OPENAT2", "1");
        test();
    }
}

// x/d0/d1/.../d11/up -> ../../.. (12 levels: back to x) and x/esc -> d0/.../d11/up/../host: each
// stays in the tree read alone, but esc leads to the file `host` next to the unpacked tree (the
// tree without x; `above` more levels up for the tree with it).
std::vector<TarEntry> twelveLevelChain(const std::string& above = "") {
    std::vector<TarEntry> entries{tDir("x")};
    std::string dir = "x", up, through;
    for (int i = 0; i < 12; ++i) {
        dir += "/d" + std::to_string(i);
        through += "d" + std::to_string(i) + "/";
        up += i ? "/.." : "..";
        entries.push_back(tDir(dir));
    }
    entries.push_back(tLink(dir + "/up", up));
    entries.push_back(tLink("x/esc", through + "up/../" + above + "host"));
    return entries;
}

// The tar bytes of `entries`, uncompressed.
std::string tarBytes(const std::vector<TarEntry>& entries, const std::string& filter = "") {
    ScratchDir d("ferrix-archive-test-");
    writeTar(d.path + "/t", entries, filter);
    return readFile(d.path + "/t");
}

// `data` as one gzip member.
std::string gzip(const std::string& data) {
    std::string out(data.size() + 65536, '\0');
    size_t used = 0;
    archive* a = archive_write_new();
    archive_write_set_format_raw(a);
    archive_write_add_filter_gzip(a);
    archive_write_open_memory(a, out.data(), out.size(), &used);
    archive_entry* e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, la_int64_t(data.size()));
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_write_close(a);
    archive_write_free(a);
    archive_entry_free(e);
    out.resize(used);
    return out;
}

// Expects `f` to throw E with every one of `words` in its message.
template <class E>
void expectThrow(const std::function<void()>& f, const std::vector<std::string>& words) {
    try {
        f();
        ADD_FAILURE() << "no error; expected one saying '" << words.front() << "'";
    } catch (const E& e) {
        for (auto& w : words)
            EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what();
    }
}

} // namespace

TEST(Archive, RefusesASymlinkChainLeavingTheTree) {
    bothResolvers([] {
        expectRefused(twelveLevelChain(), "x/esc", "outside the tree");
        // Simpler: x/sub/l -> .. (x) and x/esc -> sub/l/../host.
        expectRefused(
            {tDir("x"), tDir("x/sub"), tLink("x/sub/l", ".."), tLink("x/esc", "sub/l/../host")},
            "x/esc", "outside the tree");
        // x/up -> ../x is in the archive's tree, but the destination has no x above it.
        expectRefused({tDir("x"), tDir("x/src"), tLink("x/up", "../x/src")}, "x/up",
                      "outside the tree");
        // Dangling: would leave the tree once `missing` appeared.
        expectRefused({tDir("x"), tDir("x/s"), tLink("x/s/l", "../missing/../..")}, "x/s/l",
                      "outside the tree");
        expectRefused({tDir("x"), tLink("x/a", "b"), tLink("x/b", "a")}, "x/a", "loop");
    });
}

TEST(Archive, KeepsSymlinkChainsInsideTheTree) {
    bothResolvers([] {
        ScratchDir d("ferrix-archive-test-");
        auto entries = twelveLevelChain();
        entries.back() = tLink("x/in", "d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/up/f");
        entries.push_back(tFile("x/f", "inside"));
        entries.push_back(tLink("x/dangling", "missing/file"));
        writeTar(d.path + "/ok.tar.gz", entries);
        unpackSource(d.path + "/ok.tar.gz", d.path + "/out");
        EXPECT_EQ(readFile(d.path + "/out/in"), "inside");
    });
}

TEST(Archive, MakesMissingParentsAndLetsLaterEntriesReplaceFiles) {
    bothResolvers([] {
        ScratchDir d("ferrix-archive-test-");
        writeTar(d.path + "/p.tar.gz",
                 {tFile("p/q/r/f", "1"), tFile("p/q/g", "old"), tFile("p/q/g", "new"),
                  tLink("p/l", "q/g"), tLink("p/l", "q/r/f"), tDir("p/q")});
        unpackSource(d.path + "/p.tar.gz", d.path + "/out");
        EXPECT_EQ(readFile(d.path + "/out/q/r/f"), "1");
        EXPECT_EQ(readFile(d.path + "/out/q/g"), "new");
        EXPECT_EQ(readLink(d.path + "/out/l"), "q/r/f");
        EXPECT_EQ(lstatPath(d.path + "/out/q/r").st_mode & 07777, 0755u);
        expectRefused({tDir("x"), tDir("x/d"), tFile("x/d/f"), tFile("x/d")}, "x/d",
                      "would replace a directory");
    });
}

TEST(Archive, RefusesTheSymlinkChainFromADirectoryAndFromMemory) {
    bothResolvers([] {
        ScratchDir d("ferrix-archive-test-");
        writeFile(d.path + "/host", "host secret");
        std::string tar = tarBytes(twelveLevelChain("../"), "gzip");
        expectThrow<UnsafeArchive>([&] { unpackArchiveFromMemory(tar, "mem.tar", d.path + "/m"); },
                                   {"mem.tar", "'x/esc'", "outside the tree"});
        EXPECT_FALSE(pathExists(d.path + "/m"));

        // The same chain in a source directory (the links made on disk).
        std::string dir = d.path + "/tree", through;
        for (int i = 0; i < 12; ++i) {
            dir += "/d" + std::to_string(i);
            through += "d" + std::to_string(i) + "/";
        }
        createDirs(dir);
        std::string up = "..";
        for (int i = 1; i < 12; ++i)
            up += "/..";
        ASSERT_EQ(::symlink(up.c_str(), (dir + "/up").c_str()), 0);
        ASSERT_EQ(::symlink((through + "up/../host").c_str(), (d.path + "/tree/esc").c_str()), 0);
        expectThrow<UnsafeArchive>([&] { unpackSource(d.path + "/tree", d.path + "/copy"); },
                                   {"'esc'", "outside the tree"});
        EXPECT_FALSE(pathExists(d.path + "/copy"));
    });
}

TEST(Archive, NeverWritesThroughASymlink) {
    bothResolvers([] {
        // x/esc leads to the directory holding the destination; x/esc/pwned would land there.
        ScratchDir d("ferrix-archive-test-");
        std::string tar = d.path + "/t.tar.gz";
        writeTar(tar, {tDir("x"), tDir("x/sub"), tLink("x/sub/up", ".."),
                       tLink("x/esc", "sub/up/../../.."), tFile("x/esc/pwned", "gotcha")});
        expectThrow<UnsafeArchive>([&] { unpackArchive(tar, d.path + "/out"); },
                                   {"'x/esc/pwned'", "goes through the symlink 'x/esc'"});
        EXPECT_FALSE(pathExists(d.path + "/pwned"));
        EXPECT_FALSE(pathExists(d.path + "/out"));
        // A directory entry and a hard link through a symlink inside the tree.
        expectRefused({tDir("x"), tDir("x/sub"), tLink("x/l", "sub"), tDir("x/l/d")}, "x/l/d/",
                      "goes through the symlink 'x/l'");
        expectRefused({tDir("x"), tFile("x/f"), tLink("x/l", "."), tHard("x/h", "x/l/f")}, "x/h",
                      "not a file of the archive");
    });
}

TEST(Archive, RefusesHardLinksLeavingTheTreeThroughSymlinks) {
    // x/up -> .. is the archive's root: x/up/x/f names x/f only through the link.
    expectRefused({tDir("x"), tFile("x/f"), tLink("x/up", ".."), tHard("x/h", "x/up/x/f")}, "x/h",
                  "not a file of the archive");
    // A file replaced by a symlink is no longer a file to link to.
    expectRefused({tDir("x"), tFile("x/f"), tLink("x/f", "../../etc/passwd")}, "x/f",
                  "outside the tree");
    expectRefused({tDir("x"), tFile("x/f"), tLink("x/f", "g"), tHard("x/h", "x/f")}, "x/h",
                  "not a file of the archive");
}

namespace {

// Mounts a tmpfs of `size` on `dir` for a scope.
struct Tmpfs {
    std::string dir;
    bool mounted = false;
    Tmpfs(const std::string& dir, const char* size) : dir(dir) {
        createDirs(dir);
        mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, size) == 0;
    }
    ~Tmpfs() {
        if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
    }
};

} // namespace

TEST(Archive, AFullFileSystemFailsTheUnpackAndLeavesNothing) {
    if (geteuid() != 0) GTEST_SKIP() << "mounting a full tmpfs needs root";
    ScratchDir d("ferrix-archive-test-");
    Tmpfs fs(d.path + "/small", "size=1m");
    if (!fs.mounted)
        GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno)
                     << "): the write-error test needs one";
    std::string big(2 << 20, 'z');
    writeTar(d.path + "/c.crate",
             {tDir("c-1.0"), tFile("c-1.0/Cargo.toml", "[package]\n"), tFile("c-1.0/big", big)});
    std::string dest = fs.dir + "/source";
    expectThrow<UnpackWriteError>(
        [&] { unpackSource(d.path + "/c.crate", dest); },
        {"no space left on device while writing 'c-1.0/big' to '" + dest + "'"});
    EXPECT_EQ(ferrix::test::listNames(fs.dir), std::vector<std::string>{});

    expectThrow<UnpackWriteError>([&] { unpackArchive(d.path + "/c.crate", fs.dir + "/a"); },
                                  {"no space left on device while writing 'c-1.0/big'"});
    EXPECT_EQ(ferrix::test::listNames(fs.dir), std::vector<std::string>{});

    // A source directory too.
    createDirs(d.path + "/tree");
    writeFile(d.path + "/tree/big", big);
    expectThrow<UnpackWriteError>(
        [&] { unpackSource(d.path + "/tree", dest); },
        {"no space left on device while writing 'big' to '" + dest + "'"});
    EXPECT_EQ(ferrix::test::listNames(fs.dir), std::vector<std::string>{});

    // What fits still unpacks.
    writeTar(d.path + "/s.crate", {tDir("s-1.0"), tFile("s-1.0/f", std::string(4096, 's'))});
    unpackSource(d.path + "/s.crate", dest);
    EXPECT_EQ(readFile(dest + "/f"), std::string(4096, 's'));
}

TEST(Archive, RefusesADecompressionBombBySize) {
    // A gzip of 5 GiB of zeros, 5 MB: a tar header, then one gzip member of 1 MiB of zeros,
    // repeated (gzip allows several members in a row).
    ScratchDir d("ferrix-archive-test-");
    std::string header(65536, '\0');
    size_t used = 0;
    archive* a = archive_write_new();
    archive_write_set_format_ustar(a);
    archive_write_set_bytes_per_block(a, 0);
    archive_write_open_memory(a, header.data(), header.size(), &used);
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "bomb-1.0/zeros");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, la_int64_t(5) << 30);
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    header.resize(used);
    archive_entry_free(e);
    archive_write_free(a);
    ASSERT_EQ(header.size(), 512u);
    std::string bomb = gzip(header), zeros = gzip(std::string(1 << 20, '\0'));
    for (int i = 0; i < 5 * 1024 + 1; ++i)
        bomb += zeros;
    writeFile(d.path + "/bomb.crate", bomb);

    ScopedEnv noSize("FERRIX_MAX_UNPACKED_SIZE", nullptr);
    auto start = std::chrono::steady_clock::now();
    expectThrow<ArchiveTooLarge>([&] { unpackSource(d.path + "/bomb.crate", d.path + "/out"); },
                                 {"bomb.crate", "'bomb-1.0/zeros'",
                                  "4294967296 bytes, the limit on unpacked size",
                                  "#:max-unpacked-size", "FERRIX_MAX_UNPACKED_SIZE"});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    EXPECT_EQ(ferrix::test::listNames(d.path), std::vector<std::string>{"bomb.crate"});

    UnpackLimits small;
    small.maxSize = 1000;
    expectThrow<ArchiveTooLarge>(
        [&] { unpackSource(d.path + "/bomb.crate", d.path + "/out", small); }, {"past 1000 bytes"});
}

TEST(Archive, RefusesADecompressionBombByRatio) {
    // 40 MiB of zeros in xz: some 6 KB, far beyond 1000 to 1 once past the 16 MiB allowance.
    ScratchDir d("ferrix-archive-test-");
    writeTar(d.path + "/z.tar.xz", {tDir("z"), tFile("z/zeros", std::string(40 << 20, '\0'))},
             "xz");
    ScopedEnv noRatio("FERRIX_MAX_COMPRESSION_RATIO", nullptr);
    expectThrow<ArchiveTooLarge>([&] { unpackSource(d.path + "/z.tar.xz", d.path + "/out"); },
                                 {"z.tar.xz", "more than 1000 times its compressed size",
                                  "'z/zeros'", "the limit on the compression ratio",
                                  "#:max-compression-ratio", "FERRIX_MAX_COMPRESSION_RATIO"});
    EXPECT_EQ(ferrix::test::listNames(d.path), std::vector<std::string>{"z.tar.xz"});

    // 0: no limit.
    ScopedEnv off("FERRIX_MAX_COMPRESSION_RATIO", "0");
    unpackSource(d.path + "/z.tar.xz", d.path + "/out");
    EXPECT_EQ(lstatPath(d.path + "/out/zeros").st_size, 40 << 20);
}

TEST(Archive, RefusesTooManyEntries) {
    ScratchDir d("ferrix-archive-test-");
    std::vector<TarEntry> entries{tDir("many")};
    for (int i = 0; i < 20; ++i)
        entries.push_back(tFile("many/f" + std::to_string(i)));
    writeTar(d.path + "/many.tar.gz", entries);
    UnpackLimits l;
    l.maxEntries = 10;
    expectThrow<ArchiveTooLarge>([&] { unpackSource(d.path + "/many.tar.gz", d.path + "/out", l); },
                                 {"many.tar.gz", "more than 10 entries, the limit on entries",
                                  "#:max-unpacked-entries", "FERRIX_MAX_UNPACKED_ENTRIES"});
    EXPECT_FALSE(pathExists(d.path + "/out"));
    {
        ScopedEnv env("FERRIX_MAX_UNPACKED_ENTRIES", "10");
        expectThrow<ArchiveTooLarge>(
            [&] { unpackSource(d.path + "/many.tar.gz", d.path + "/out"); },
            {"more than 10 entries"});
        EXPECT_EQ(UnpackLimits::fromEnvironment().maxEntries, 10u);
    }
    {
        ScopedEnv env("FERRIX_MAX_UNPACKED_ENTRIES", "ten");
        expectThrow<UsageError>([&] { UnpackLimits::fromEnvironment(); },
                                {"FERRIX_MAX_UNPACKED_ENTRIES='ten': expected a number"});
    }
    l.maxEntries = 21;
    unpackSource(d.path + "/many.tar.gz", d.path + "/out", l);
    EXPECT_EQ(ferrix::test::listNames(d.path + "/out").size(), 20u);
}

TEST(Archive, RefusesALinkToDotAndALinkToItsParent) {
    // Found by the archive fuzz target before the unpacking rework: a -> . and b -> a/.. each
    // stay in the tree read lexically, but b is the destination's parent.
    bothResolvers([] {
        expectRefused({tLink("a", "."), tLink("b", "a/..")}, "b", "outside the tree");
        ScratchDir d("ferrix-archive-test-");
        expectThrow<UnsafeArchive>(
            [&] {
                unpackArchiveFromMemory(tarBytes({tLink("a", "."), tLink("b", "a/..")}), "mem.tar",
                                        d.path + "/m");
            },
            {"mem.tar", "'b'", "outside the tree"});
        EXPECT_FALSE(pathExists(d.path + "/m"));
    });
}

namespace {

// A ustar header for the regular file `name` claiming `size` bytes (in base 256, GNU's form for
// sizes of 8 GiB and more).
std::string ustarHeader(const std::string& name, uint64_t size) {
    std::string h(512, '\0');
    auto put = [&](size_t at, const std::string& v) { h.replace(at, v.size(), v); };
    char octal[16];
    put(0, name);
    put(100, "0000644");
    put(108, "0000000");
    put(116, "0000000");
    h[124] = char(0x80);
    for (int i = 0; i < 8; ++i) // the 11 bytes big-endian; the 3 above the 64 bits stay 0
        h[135 - i] = char((size >> (8 * i)) & 0xff);
    put(136, "00000000000");
    h[156] = '0';
    put(257, std::string("ustar") + '\0' + "00");
    put(148, "        ");
    unsigned sum = 0;
    for (unsigned char c : h)
        sum += c;
    std::snprintf(octal, sizeof octal, "%06o", sum);
    put(148, std::string(octal, 7)); // six digits, then NUL; the space after stays
    return h;
}

} // namespace

TEST(Archive, ReadArchiveReadsOnlyWhatAnEntryHolds) {
    ScratchDir d("ferrix-archive-test-");
    writeTar(d.path + "/ok.tar",
             {tDir("p"), tFile("p/a", "alpha"), tFile("p/big", std::string(300000, 'z'))}, "");
    std::vector<std::string> seen;
    readArchive(d.path + "/ok.tar", [&](const ArchiveEntry& e, const auto& contents) {
        seen.push_back(e.path + (e.regular ? "=" + std::to_string(contents().size()) : ""));
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"p/", "p/a=5", "p/big=300000"}));

    // 1.5 KB claiming 1 TiB (more than the machine's memory, which reading the claim at once
    // would ask for): refused once the data runs out.
    std::string huge = ustarHeader("huge", uint64_t(1) << 40) + std::string(1024, 'x');
    writeFile(d.path + "/huge.tar", huge);
    bool visited = false;
    expectThrow<FormatError>(
        [&] {
            readArchive(d.path + "/huge.tar", [&](const ArchiveEntry& e, const auto& contents) {
                visited = true;
                EXPECT_EQ(e.size, uint64_t(1) << 40);
                contents();
            });
        },
        {"huge.tar", "'huge'"});
    EXPECT_TRUE(visited);
}

namespace {

// Expects the trees `a` and `b` to hold the same names, types, file bytes, executable bits and
// link targets.
void expectSameTree(const std::string& a, const std::string& b, const std::string& rel = "") {
    auto names = readDirectory(rel.empty() ? a : a + "/" + rel);
    EXPECT_EQ(names, readDirectory(rel.empty() ? b : b + "/" + rel)) << rel;
    for (auto& n : names) {
        std::string r = rel.empty() ? n : rel + "/" + n;
        struct stat sa = lstatPath(a + "/" + r), sb = lstatPath(b + "/" + r);
        ASSERT_EQ(sa.st_mode & S_IFMT, sb.st_mode & S_IFMT) << r;
        if (S_ISDIR(sa.st_mode)) {
            expectSameTree(a, b, r);
        } else if (S_ISLNK(sa.st_mode)) {
            EXPECT_EQ(readLink(a + "/" + r), readLink(b + "/" + r)) << r;
        } else {
            EXPECT_EQ(readFile(a + "/" + r), readFile(b + "/" + r)) << r;
            EXPECT_EQ(sa.st_mode & 0100, sb.st_mode & 0100) << r;
        }
    }
}

} // namespace

TEST(Archive, UnpacksARealCrateByteIdentical) {
    const std::string crate = "/usr/share/cargo/registry/aho-corasick-0.7.19";
    if (!isDirectory(crate))
        GTEST_SKIP() << crate << " is not installed (librust-aho-corasick-dev)";
    ScratchDir d("ferrix-archive-test-");
    packTree(crate, "aho-corasick-0.7.19", d.path + "/a.crate");
    bothResolvers([&] {
        deletePath(d.path + "/out");
        deletePath(d.path + "/mem");
        unpackSource(d.path + "/a.crate", d.path + "/out");
        expectSameTree(crate, d.path + "/out");
        unpackArchiveFromMemory(readFile(d.path + "/a.crate"), "a.crate", d.path + "/mem");
        expectSameTree(crate, d.path + "/mem/aho-corasick-0.7.19");
    });
}
