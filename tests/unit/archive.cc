// archive.hh: safe unpacking (each kind of refused entry, named) and reproducible packing.
#include "ferrix/archive.hh"
#include "ferrix/file.hh"
#include "store-test-util.hh"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <string>
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
    if (filter == "xz") archive_write_add_filter_xz(a);
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
