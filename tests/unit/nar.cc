#include "ferrix/nar.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace ferrix;

namespace {

// A fresh directory per test, removed afterwards.
class NarTest : public ::testing::Test {
protected:
    std::string tmp;
    void SetUp() override {
        const char* t = std::getenv("TMPDIR");
        tmp = makeTempDir(t && *t ? t : "/tmp", "ferrix-nar-test-");
    }
    void TearDown() override { deletePath(tmp); }

    std::string dump(const std::string& path) {
        StringSink s;
        dumpPath(path, s);
        return s.s;
    }

    void symlinkTo(const std::string& target, const std::string& path) {
        ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0) << std::strerror(errno);
    }

    void mkdirP(const std::string& path) { ASSERT_EQ(::mkdir(path.c_str(), 0755), 0); }
};

std::string padded(std::string_view s) {
    StringSink out;
    writePadded(out, s);
    return out.s;
}

// Builds a NAR token by token, so bad NARs can be written by hand.
std::string nar(std::initializer_list<std::string_view> toks) {
    std::string out;
    for (auto t : toks)
        out += padded(t);
    return out;
}

std::string md5Hex(std::string_view s) {
    return hashString(HashAlgo::MD5, s).toBase16();
}

} // namespace

// Row 6: the exact bytes of the NAR of a one-byte file "x".
TEST_F(NarTest, SingleFileExactBytes) {
    static const unsigned char expected[] = {
        0x0d, 0,   0,   0, 0,   0, 0,   0, 'n', 'i', 'x', '-', 'a', 'r', 'c', 'h', 'i', 'v',
        'e',  '-', '1', 0, 0,   0, 1,   0, 0,   0,   0,   0,   0,   0,   '(', 0,   0,   0,
        0,    0,   0,   0, 4,   0, 0,   0, 0,   0,   0,   0,   't', 'y', 'p', 'e', 0,   0,
        0,    0,   7,   0, 0,   0, 0,   0, 0,   0,   'r', 'e', 'g', 'u', 'l', 'a', 'r', 0,
        8,    0,   0,   0, 0,   0, 0,   0, 'c', 'o', 'n', 't', 'e', 'n', 't', 's', 1,   0,
        0,    0,   0,   0, 0,   0, 'x', 0, 0,   0,   0,   0,   0,   0,   1,   0,   0,   0,
        0,    0,   0,   0, ')', 0, 0,   0, 0,   0,   0,   0};
    std::string want(reinterpret_cast<const char*>(expected), sizeof expected);
    ASSERT_EQ(want.size(), 120u);

    writeFile(tmp + "/x", "x");
    EXPECT_EQ(dump(tmp + "/x"), want);

    StringSink s;
    dumpString("x", s);
    EXPECT_EQ(s.s, want);
}

// Row 7: dir{hello="Hello World\n"}, the same executable, and hello as a symlink to "x".
TEST_F(NarTest, Md5OfThreeDirectories) {
    std::string d = tmp + "/d";
    mkdirP(d);
    writeFile(d + "/hello", "Hello World\n");
    EXPECT_EQ(md5Hex(dump(d)), "ea9b55537dd4c7e104515b2ccfaf4100");
    ASSERT_EQ(::chmod((d + "/hello").c_str(), 0755), 0);
    EXPECT_EQ(md5Hex(dump(d)), "20f3ffe011d4cfa7d72bfabef7882836");
    ::unlink((d + "/hello").c_str());
    symlinkTo("x", d + "/hello");
    EXPECT_EQ(md5Hex(dump(d)), "f78b733a68f5edbdf9413899339eaa4a");
}

// Row 8: dir{world="hello\n"}.
TEST_F(NarTest, Md5AndSha1OfDirectory) {
    std::string d = tmp + "/d";
    mkdirP(d);
    writeFile(d + "/world", "hello\n");
    EXPECT_EQ(hashPath(HashAlgo::MD5, d).hash.toBase16(), "8179d3caeff1869b5ba1744e5a245c04");
    EXPECT_EQ(hashPath(HashAlgo::SHA1, d).hash.toBase16(),
              "e4fd8ba5f7bbeaea5ace89fe10255536cd60dab6");
}

static void makeRow9Tree(const std::string& d) {
    ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
    ASSERT_EQ(::symlink("foo", (d + "/bar").c_str()), 0);
    ASSERT_EQ(::mkdir((d + "/bla").c_str(), 0755), 0);
    writeFile(d + "/foo", "Hello World!\n");
}

// Rows 9 and 10: dir{bar->foo, bla/ empty, foo="Hello World!\n"}.
TEST_F(NarTest, Sha256AndSizeOfDirectory) {
    std::string d = tmp + "/d";
    makeRow9Tree(d);
    NarHash h = hashPath(HashAlgo::SHA256, d);
    EXPECT_EQ(h.hash.toNix32(), "1ixr6yd3297ciyp9im522dfxpqbkhcw0pylkb2aab915278fqaik");
    EXPECT_EQ(h.size, 656u);
    EXPECT_EQ(dump(d).size(), 656u);
}

TEST_F(NarTest, EntriesAreSortedBytewise) {
    std::string d = tmp + "/d";
    mkdirP(d);
    // Created out of order; 0xc3 sorts after ASCII, "B" before "a", "a" before "a.b" and "ab".
    for (const char* n : {"ab", "\xc3\xa9", "a.b", "B", "a", "-x"})
        writeFile(d + "/" + n, n);
    std::string out = dump(d);
    std::vector<size_t> pos;
    for (const char* n : {"-x", "B", "a", "a.b", "ab", "\xc3\xa9"})
        pos.push_back(out.find(padded("name") + padded(n)));
    for (size_t i = 0; i < pos.size(); i++) {
        ASSERT_NE(pos[i], std::string::npos) << i;
        if (i) {
            EXPECT_LT(pos[i - 1], pos[i]) << i;
        }
    }
}

TEST_F(NarTest, OnlyOwnerExecuteMatters) {
    std::string f = tmp + "/f";
    writeFile(f, "data");
    std::string plain = dump(f);
    ::chmod(f.c_str(), 0611); // group/other execute only: still not executable
    EXPECT_EQ(dump(f), plain);
    ::chmod(f.c_str(), 0500);
    std::string exec = dump(f);
    EXPECT_NE(exec, plain);
    EXPECT_NE(exec.find(padded("executable") + padded("")), std::string::npos);
}

TEST_F(NarTest, TopLevelSymlinkIsNotFollowed) {
    writeFile(tmp + "/target", "content");
    symlinkTo("target", tmp + "/link");
    EXPECT_EQ(dump(tmp + "/link"),
              nar({"nix-archive-1", "(", "type", "symlink", "target", "target", ")"}));
}

TEST_F(NarTest, FifoIsRefused) {
    std::string f = tmp + "/d";
    mkdirP(f);
    ASSERT_EQ(::mkfifo((f + "/fifo").c_str(), 0644), 0);
    try {
        dump(f);
        FAIL() << "no exception";
    } catch (Error& e) {
        EXPECT_NE(std::string(e.what()).find("/d/fifo"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("FIFO"), std::string::npos) << e.what();
    }
    EXPECT_THROW(dump(f + "/fifo"), Error);
}

TEST_F(NarTest, SocketIsRefused) {
    std::string path = tmp + "/sock";
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path.size(), sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
    try {
        dump(tmp);
        FAIL() << "no exception";
    } catch (Error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("socket"), std::string::npos) << e.what();
    }
}

TEST_F(NarTest, MissingPath) {
    EXPECT_THROW(dump(tmp + "/nope"), SysError);
}

namespace {
struct ThrowingSink : Sink {
    size_t left;
    explicit ThrowingSink(size_t limit) : left(limit) {}
    void operator()(std::string_view data) override {
        if (data.size() >= left) throw Error("sink is full");
        left -= data.size();
    }
};
} // namespace

// A failing sink stops the dump (which may be reading on another thread) and its error
// propagates, for trees and big single files alike.
TEST_F(NarTest, SinkErrorPropagates) {
    std::string d = tmp + "/d";
    mkdirP(d);
    std::string chunk(700 * 1024, 'q');
    for (int i = 0; i < 8; i++)
        writeFile(d + "/f" + std::to_string(i), chunk);
    for (size_t limit : {size_t(0), size_t(1000), size_t(300 * 1024), size_t(3 << 20)}) {
        ThrowingSink s(limit);
        EXPECT_THROW(dumpPath(d, s), Error) << limit;
        if (limit < chunk.size()) {
            ThrowingSink s2(limit);
            EXPECT_THROW(dumpPath(d + "/f0", s2), Error) << limit;
        }
    }
    NullSink n;
    dumpPath(d, n);
    EXPECT_EQ(n.written, dump(d).size());
}

TEST_F(NarTest, ErrorDeepInsideATreeNamesThePath) {
    std::string d = tmp + "/d";
    createDirs(d + "/a/b/c");
    std::string chunk(600 * 1024, 'q'); // enough data that the walk is ahead of the sink
    writeFile(d + "/a/0", chunk);
    writeFile(d + "/a/1", chunk);
    ASSERT_EQ(::mkfifo((d + "/a/b/c/pipe").c_str(), 0644), 0);
    NullSink n;
    try {
        dumpPath(d, n);
        FAIL() << "no exception";
    } catch (Error& e) {
        EXPECT_NE(std::string(e.what()).find(d + "/a/b/c/pipe"), std::string::npos) << e.what();
    }
}

TEST_F(NarTest, LargeFileMatchesDumpString) {
    std::string big(5 * 1024 * 1024 + 3, '\0');
    for (size_t i = 0; i < big.size(); i++)
        big[i] = char(i % 253);
    writeFile(tmp + "/big", big);
    StringSink s;
    dumpString(big, s);
    EXPECT_TRUE(dump(tmp + "/big") == s.s);
    writeFile(tmp + "/empty", "");
    StringSink e;
    dumpString("", e);
    EXPECT_EQ(dump(tmp + "/empty"), e.s);
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_F(NarTest, RoundTrip) {
    std::string d = tmp + "/d";
    makeRow9Tree(d);
    mkdirP(d + "/bla/deeper");
    writeFile(d + "/bla/deeper/exe", "#!/bin/sh\n", 0755);
    writeFile(d + "/empty", "");
    symlinkTo("/absolute/dangling", d + "/abs");
    symlinkTo("../../foo", d + "/bla/deeper/rel");
    std::string big(3 * 1024 * 1024 + 5, '\0');
    for (size_t i = 0; i < big.size(); i++)
        big[i] = char(i * 7919 % 251);
    writeFile(d + "/big", big);

    std::string original = dump(d);
    StringSource src(original);
    restorePath(tmp + "/r", src);
    EXPECT_EQ(src.pos, original.size());
    EXPECT_EQ(dump(tmp + "/r"), original);
    EXPECT_EQ(readFile(tmp + "/r/big"), big);
    EXPECT_EQ(readLink(tmp + "/r/abs"), "/absolute/dangling");
    EXPECT_TRUE(lstatPath(tmp + "/r/bla/deeper/exe").st_mode & S_IXUSR);
    EXPECT_FALSE(lstatPath(tmp + "/r/foo").st_mode & S_IXUSR);
}

TEST_F(NarTest, DumpPathCopyRecreatesTheTreeInCanonicalForm) {
    std::string d = tmp + "/d";
    makeRow9Tree(d);
    mkdirP(d + "/bla/deeper");
    mkdirP(d + "/emptydir");
    writeFile(d + "/bla/deeper/exe", "#!/bin/sh\n", 0755);
    writeFile(d + "/empty", "");
    symlinkTo("../../foo", d + "/bla/deeper/rel");
    std::string big(3 * 1024 * 1024 + 5, '\0'); // read on the helper thread, in chunks
    for (size_t i = 0; i < big.size(); i++)
        big[i] = char(i * 7919 % 251);
    writeFile(d + "/big", big);

    StringSink s;
    dumpPathCopy(d, tmp + "/c", s);
    EXPECT_EQ(s.s, dump(d));
    EXPECT_EQ(dump(tmp + "/c"), s.s);
    EXPECT_EQ(readFile(tmp + "/c/big"), big);
    EXPECT_EQ(readLink(tmp + "/c/bla/deeper/rel"), "../../foo");
    EXPECT_EQ(lstatPath(tmp + "/c").st_mode & 07777, 0755u); // the top stays renamable
    EXPECT_EQ(lstatPath(tmp + "/c/bla").st_mode & 07777, 0555u);
    EXPECT_EQ(lstatPath(tmp + "/c/emptydir").st_mode & 07777, 0555u);
    EXPECT_EQ(lstatPath(tmp + "/c/bla/deeper/exe").st_mode & 07777, 0555u);
    EXPECT_EQ(lstatPath(tmp + "/c/big").st_mode & 07777, 0444u);
    for (auto f : {"", "/bla", "/bla/deeper", "/bla/deeper/exe", "/bla/deeper/rel", "/big",
                   "/empty", "/emptydir"})
        EXPECT_EQ(lstatPath(tmp + "/c" + f).st_mtime, 1) << f;
}

TEST_F(NarTest, DumpPathCopyOfAFileAndASymlink) {
    writeFile(tmp + "/f", "contents", 0755);
    StringSink s;
    dumpPathCopy(tmp + "/f", tmp + "/g", s);
    EXPECT_EQ(s.s, dump(tmp + "/f"));
    EXPECT_EQ(readFile(tmp + "/g"), "contents");
    EXPECT_EQ(lstatPath(tmp + "/g").st_mode & 07777, 0555u);

    symlinkTo("nowhere", tmp + "/l");
    StringSink t;
    dumpPathCopy(tmp + "/l", tmp + "/m", t);
    EXPECT_EQ(t.s, dump(tmp + "/l"));
    EXPECT_EQ(readLink(tmp + "/m"), "nowhere");
    EXPECT_EQ(lstatPath(tmp + "/m").st_mtime, 1);
}

TEST_F(NarTest, DumpPathCopyRefusesAnExistingDestinationAndFifos) {
    writeFile(tmp + "/f", "x");
    writeFile(tmp + "/g", "y");
    StringSink s;
    EXPECT_THROW(dumpPathCopy(tmp + "/f", tmp + "/g", s), SysError);
    EXPECT_EQ(readFile(tmp + "/g"), "y");

    mkdirP(tmp + "/d");
    ASSERT_EQ(::mkfifo((tmp + "/d/pipe").c_str(), 0644), 0);
    StringSink t;
    try {
        dumpPathCopy(tmp + "/d", tmp + "/c", t);
        FAIL() << "a FIFO was copied";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/d/pipe"), std::string::npos) << e.what();
    }
}

TEST_F(NarTest, RestoreSingleFileAndSymlink) {
    StringSink s;
    dumpString("hello", s);
    StringSource src(s.s);
    restorePath(tmp + "/f", src);
    EXPECT_EQ(readFile(tmp + "/f"), "hello");

    std::string link = nar({"nix-archive-1", "(", "type", "symlink", "target", "a b", ")"});
    StringSource src2(link);
    restorePath(tmp + "/l", src2);
    EXPECT_EQ(readLink(tmp + "/l"), "a b");
}

TEST_F(NarTest, RestoreRefusesExistingPath) {
    writeFile(tmp + "/exists", "keep me");
    StringSink s;
    dumpString("new", s);
    StringSource src(s.s);
    EXPECT_THROW(restorePath(tmp + "/exists", src), Error);
    EXPECT_EQ(readFile(tmp + "/exists"), "keep me");
}

TEST_F(NarTest, ParseReadsExactlyTheNar) {
    std::string d = tmp + "/d";
    makeRow9Tree(d);
    std::string n = dump(d);
    std::string stream = n + "TRAILING";
    StringSource src(stream);
    StringSink copy;
    copyNar(src, copy);
    EXPECT_EQ(copy.s, n);
    EXPECT_EQ(src.pos, n.size());
}

namespace {
struct Recorder : NarVisitor {
    std::vector<std::string> events;
    void createDirectory(const std::string& p) override { events.push_back("dir " + p); }
    void createRegularFile(const std::string& p, bool x, uint64_t size) override {
        events.push_back((x ? "exe " : "file ") + p + " " + std::to_string(size));
    }
    void receiveContents(std::string_view) override {}
    void closeRegularFile() override {}
    void createSymlink(const std::string& p, const std::string& t) override {
        events.push_back("link " + p + " -> " + t);
    }
};
} // namespace

TEST_F(NarTest, VisitorPaths) {
    std::string d = tmp + "/d";
    makeRow9Tree(d);
    writeFile(d + "/bla/x", "12", 0755);
    std::string n = dump(d);
    StringSource src(n);
    Recorder r;
    parseNar(src, r);
    std::vector<std::string> want = {"dir ", "link bar -> foo", "dir bla", "exe bla/x 2",
                                     "file foo 13"};
    EXPECT_EQ(r.events, want);
}

TEST_F(NarTest, DeepNesting) {
    std::string d = tmp + "/d", p = d;
    for (int i = 0; i < 100; i++)
        p += "/n";
    createDirs(p);
    writeFile(p + "/leaf", "leaf");
    std::string original = dump(d);
    StringSource src(original);
    restorePath(tmp + "/r", src);
    EXPECT_EQ(dump(tmp + "/r"), original);

    // The parser keeps no C++ recursion per level: a NAR nested far deeper than any file system
    // allows is parsed (and refused only by the visitor, here not at all).
    std::string deep = padded("nix-archive-1");
    const int levels = 100000;
    for (int i = 0; i < levels; i++)
        deep += nar({"(", "type", "directory", "entry", "(", "name", "n", "node"});
    deep += nar({"(", "type", "directory", ")"});
    for (int i = 0; i < levels; i++)
        deep += nar({")", ")"});
    struct Count : Recorder {
        size_t dirs = 0, longest = 0;
        void createDirectory(const std::string& p) override {
            dirs++;
            longest = std::max(longest, p.size());
        }
    } count;
    StringSource src2(deep);
    parseNar(src2, count);
    EXPECT_EQ(count.dirs, size_t(levels + 1));
    EXPECT_EQ(count.longest, size_t(2 * levels - 1));
    EXPECT_EQ(src2.pos, deep.size());
}

// ---------------------------------------------------------------------------------------------
// Bad input: every case must throw BadNar naming the problem, and restorePath must leave nothing.

namespace {
std::string fileNar(std::string_view contents) {
    StringSink s;
    dumpString(contents, s);
    return s.s;
}

// A directory NAR whose entries are files named `names`, in the order given.
std::string dirNar(std::initializer_list<std::string_view> names) {
    std::string out = nar({"nix-archive-1", "(", "type", "directory"});
    for (auto n : names)
        out += nar({"entry", "(", "name"}) + padded(n) +
               nar({"node", "(", "type", "regular", "contents", "", ")", ")"});
    return out + padded(")");
}
} // namespace

class BadNarTest : public NarTest {
protected:
    // Asserts that parsing, copying and restoring `bad` each fail with BadNar mentioning `what`,
    // and that the restore target does not exist afterwards.
    void expectBad(const std::string& bad, const std::string& what) {
        auto check = [&](const char* op, const std::function<void()>& f) {
            try {
                f();
                ADD_FAILURE() << op << ": no exception; expected '" << what << "'";
            } catch (BadNar& e) {
                EXPECT_NE(std::string(e.what()).find(what), std::string::npos)
                    << op << ": '" << e.what() << "' does not mention '" << what << "'";
                EXPECT_NE(std::string(e.what()).find("bad NAR at byte "), std::string::npos)
                    << e.what();
            }
        };
        check("parseNar", [&] {
            StringSource src(bad);
            Recorder r;
            parseNar(src, r);
        });
        check("copyNar", [&] {
            StringSource src(bad);
            StringSink s;
            copyNar(src, s);
        });
        std::string target = tmp + "/restored";
        check("restorePath", [&] {
            StringSource src(bad);
            restorePath(target, src);
        });
        EXPECT_FALSE(pathExists(target)) << "restorePath left " << target << " behind";
    }
};

TEST_F(BadNarTest, GoodNarsAreAccepted) {
    // The helpers build valid NARs; the bad ones below differ by one rule each.
    for (const std::string& good : {fileNar("x"), dirNar({"a", "b"}), dirNar({})}) {
        StringSource src(good);
        Recorder r;
        EXPECT_NO_THROW(parseNar(src, r));
    }
}

TEST_F(BadNarTest, TruncatedAtEveryOffset) {
    std::string d = tmp + "/d";
    makeRow9Tree(d);
    writeFile(d + "/bla/exe", "0123456789", 0755);
    std::string good = dump(d);
    for (size_t len = 0; len < good.size(); len++) {
        SCOPED_TRACE("truncated to " + std::to_string(len) + " bytes");
        expectBad(good.substr(0, len), "bad NAR at byte " + std::to_string(len) + ": truncated");
    }
}

TEST_F(BadNarTest, WrongMagic) {
    std::string n = fileNar("x");
    n[8] = 'N';
    expectBad(n, "wrong magic");
    expectBad(nar({"nix-archive-2", "(", "type", "regular", "contents", "", ")"}), "wrong magic");
    expectBad(nar({"nix-archive", "(", "type", "regular", "contents", "", ")"}), "wrong magic");
    expectBad(std::string(200, '\xff'), "wrong magic");
}

TEST_F(BadNarTest, NonZeroPadding) {
    std::string n = fileNar("x");
    // The byte after the contents "x": offset 8 * 12 + 1 = 97.
    ASSERT_EQ(n[96], 'x');
    n[97] = 1;
    expectBad(n, "bad NAR at byte 97: non-zero padding");
    std::string m = fileNar("x");
    m[21] = ' '; // inside the magic's padding
    expectBad(m, "bad NAR at byte 21: non-zero padding");
}

TEST_F(BadNarTest, UnsortedEntries) {
    std::string bad = dirNar({"a", "c", "b"});
    expectBad(bad, "entry 'b' is not after 'c'");
    expectBad(dirNar({"b", "B"}), "entry 'B' is not after 'b'");
    // 0xe9 must sort after 'z' (unsigned bytes).
    expectBad(dirNar({"\xe9", "z"}), "entry 'z' is not after '\\xe9'");
}

TEST_F(BadNarTest, UnsortedEntryOffset) {
    // header 4 tokens = 80 bytes; each file entry is 13 tokens = 13*16 bytes... compute instead.
    std::string prefix = dirNar({"a", "c"});
    prefix.resize(prefix.size() - 16); // drop the directory's ")"
    size_t at = prefix.size() + nar({"entry", "(", "name"}).size();
    expectBad(dirNar({"a", "c", "b"}),
              "bad NAR at byte " + std::to_string(at) + ": entry 'b' is not after 'c'");
}

TEST_F(BadNarTest, DuplicateEntries) {
    expectBad(dirNar({"a", "a"}), "duplicate entry 'a'");
}

TEST_F(BadNarTest, BadNames) {
    expectBad(dirNar({""}), "entry name is empty");
    expectBad(dirNar({"."}), "entry name '.' is not allowed");
    expectBad(dirNar({".."}), "entry name '..' is not allowed");
    expectBad(dirNar({"a/b"}), "entry name 'a/b' contains '/'");
    expectBad(dirNar({std::string_view("a\0b", 3)}), "entry name 'a\\x00b' contains a NUL byte");
    expectBad(dirNar({"/"}), "contains '/'");
}

TEST_F(BadNarTest, ExecutableWithValue) {
    expectBad(
        nar({"nix-archive-1", "(", "type", "regular", "executable", "yes", "contents", "x", ")"}),
        "'executable' has a non-empty value 'yes'");
}

TEST_F(BadNarTest, ExecutableAfterContents) {
    expectBad(
        nar({"nix-archive-1", "(", "type", "regular", "contents", "x", "executable", "", ")"}),
        "'executable' must come before 'contents'");
    expectBad(nar({"nix-archive-1", "(", "type", "regular", "executable", "", "executable", "",
                   "contents", "x", ")"}),
              "'executable' given twice");
}

TEST_F(BadNarTest, UnknownTags) {
    expectBad(nar({"nix-archive-1", "(", "type", "fifo", ")"}), "unknown file type 'fifo'");
    expectBad(nar({"nix-archive-1", "(", "type", "regular", "mtime", "0", "contents", "", ")"}),
              "unknown tag 'mtime' in a regular file");
    expectBad(nar({"nix-archive-1", "(", "type", "directory", "xattr", ")"}),
              "unknown tag 'xattr' in a directory");
    expectBad(nar({"nix-archive-1", "(", "type", "symlink", "link", "x", ")"}),
              "expected 'target', found 'link'");
    expectBad(nar({"nix-archive-1", "(", "kind", "regular", "contents", "", ")"}),
              "expected 'type', found 'kind'");
    expectBad(nar({"nix-archive-1", "[", "type", "regular", "contents", "", ")"}),
              "expected '(', found '['");
    expectBad(nar({"nix-archive-1", "(", "type", "directory", "entry", "(", "nom", "a"}),
              "expected 'name', found 'nom'");
    expectBad(nar({"nix-archive-1", "(", "type", "regular", "contents", "", "]"}),
              "expected ')', found ']'");
}

TEST_F(BadNarTest, AbsurdLength) {
    std::string n = nar({"nix-archive-1", "(", "type"});
    StringSink len;
    writeU64(len, uint64_t(1) << 40);
    expectBad(n + len.s, "bad NAR at byte " + std::to_string(n.size()) + ": type of " +
                             std::to_string(uint64_t(1) << 40) + " bytes is too long");
}

TEST_F(BadNarTest, TrailingGarbageInDirectoryRestoreCleansUp) {
    // A valid first entry is restored before the error; everything must still be removed.
    std::string bad = dirNar({"a", "b"});
    bad.resize(bad.size() - 16);
    bad += padded("garbage");
    expectBad(bad, "unknown tag 'garbage' in a directory");
}

namespace {
std::string symlinkNar(std::string_view target) {
    return nar({"nix-archive-1", "(", "type", "symlink", "target"}) + padded(target) + padded(")");
}

// A directory NAR holding one directory `dir` whose entries are files named `names`.
std::string nestedDirNar(std::string_view dir, std::initializer_list<std::string_view> names) {
    std::string inner = dirNar(names);
    inner.erase(0, padded("nix-archive-1").size());
    return nar({"nix-archive-1", "(", "type", "directory", "entry", "(", "name"}) + padded(dir) +
           padded("node") + inner + nar({")", ")"});
}
} // namespace

TEST_F(BadNarTest, SymlinkTargetWithNul) {
    // Restore would cut the target at the NUL: "a\0b" and "a" would give the same tree.
    expectBad(symlinkNar(std::string_view("a\0b", 3)),
              "the top symlink has a target containing a NUL byte (at position 1): 'a\\x00b'");
    std::string n = nar({"nix-archive-1", "(", "type", "directory", "entry", "(", "name", "sub",
                         "node", "(", "type", "symlink", "target"});
    size_t at = n.size();
    n += padded(std::string_view("x\0", 2)) + nar({")", ")", ")"});
    expectBad(n, "bad NAR at byte " + std::to_string(at) +
                     ": symlink 'sub' has a target containing a NUL byte (at position 1)");
}

TEST_F(BadNarTest, EmptySymlinkTarget) {
    expectBad(symlinkNar(""), "the top symlink has an empty target");
}

TEST_F(BadNarTest, SymlinkTargetLongerThanPathMax) {
    expectBad(symlinkNar(std::string(PATH_MAX, 'a')),
              "the top symlink has a target of " + std::to_string(PATH_MAX) + " bytes (at most " +
                  std::to_string(PATH_MAX - 1) + " are allowed)");
}

TEST_F(BadNarTest, BadNamesNameTheirDirectory) {
    expectBad(nestedDirNar("sub", {"a/b"}), "entry name 'a/b' contains '/' in directory 'sub'");
    expectBad(nestedDirNar("sub", {"."}), "entry name '.' is not allowed in directory 'sub'");
    expectBad(nestedDirNar("sub", {""}), "entry name is empty in directory 'sub'");
    expectBad(nestedDirNar("sub", {"b", "a"}), "entry 'a' is not after 'b' in directory 'sub'");
    expectBad(nestedDirNar("sub", {"a", "a"}), "duplicate entry 'a' in directory 'sub'");
    expectBad(dirNar({"a", "a"}), "duplicate entry 'a' in the top directory");
    expectBad(nestedDirNar("s\xe9", {"a/b"}), "contains '/' in directory 's\\xe9'");
}

// Whatever the parser accepts, restore then dump gives back byte for byte: the tree holds all
// that the NAR says, so no two accepted NARs restore to the same tree.
TEST_F(NarTest, RestoreThenDumpGivesTheInputBack) {
    std::string longTarget(PATH_MAX - 1, 'x');
    for (size_t i = 0; i < longTarget.size(); i += 100)
        longTarget[i] = '/';
    std::vector<std::string> accepted = {
        symlinkNar("x"),
        symlinkNar(longTarget),
        symlinkNar("\x01\xff weird target \n"),
        symlinkNar("/"),
        symlinkNar(".."),
        dirNar({}),
        dirNar({"\x01", "...", "A", "a", "\x7f", "\xe9", "\xff"}),
        nestedDirNar("d", {"-", "x y"}),
        nar({"nix-archive-1", "(", "type", "regular", "executable", "", "contents", "#!", ")"}),
        nar({"nix-archive-1", "(", "type", "regular", "contents", "", ")"}),
    };
    for (size_t i = 0; i < accepted.size(); i++) {
        SCOPED_TRACE("NAR " + std::to_string(i));
        std::string target = tmp + "/r" + std::to_string(i);
        StringSource src(accepted[i]);
        ASSERT_NO_THROW(restorePath(target, src));
        EXPECT_EQ(src.pos, accepted[i].size());
        EXPECT_EQ(dump(target), accepted[i]);
    }
}
