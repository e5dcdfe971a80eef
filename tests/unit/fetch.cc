// The downloader against a real HTTP server on 127.0.0.1 (tests/lib/httpd.py) with injected
// faults, the order of mirrors, and the configuration file's parser.
#include "../lib/httpd.hh"
#include "store-test-util.hh"

#include "ferrix/config.hh"
#include "ferrix/fetch.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

using namespace ferrix;
using ferrix::test::ScratchDir;
using ferrix::test::TestServer;

namespace {

// Quick retries so that the tests do not wait.
FetchOptions quick(unsigned attempts = 3) {
    FetchOptions o;
    o.attempts = attempts;
    o.retryDelay = 0.05;
    o.maxRetryDelay = 0.2;
    o.connectTimeout = 5;
    return o;
}

struct FetchTest : ::testing::Test {
    ScratchDir dir{"ferrix-fetch-test-"};
    std::string www = dir.path + "/www";
    std::string state = dir.path + "/state";
    void SetUp() override {
        createDirs(www);
        createDirs(state);
        writeFile(www + "/a.txt", "contents of a\n");
        std::string big;
        for (int i = 0; i < 20000; i++)
            big += "line " + std::to_string(i) + "\n";
        writeFile(www + "/big.txt", big);
    }
    std::string get(const std::string& name) { return readFile(www + "/" + name); }
};

TEST_F(FetchTest, GetsAFile) {
    TestServer s(www, state);
    EXPECT_EQ(fetchToString(s.url + "/a.txt", quick()), "contents of a\n");
    EXPECT_EQ(s.count("GET /a.txt 200"), 1u);
}

TEST_F(FetchTest, NotFoundIsNotRetried) {
    TestServer s(www, state);
    try {
        fetchToString(s.url + "/missing", quick(5));
        FAIL() << "no error";
    } catch (const FetchError& e) {
        EXPECT_EQ(e.httpStatus(), 404);
        EXPECT_NE(std::string(e.what()).find("HTTP 404 Not Found"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(s.url + "/missing"), std::string::npos);
    }
    EXPECT_EQ(s.count("GET /missing 404"), 1u);
}

TEST_F(FetchTest, RetriesAfter500s) {
    TestServer s(www, state, {"--fault", "/a.txt=status:500:2"});
    EXPECT_EQ(fetchToString(s.url + "/a.txt", quick(3)), "contents of a\n");
    EXPECT_EQ(s.count("GET /a.txt 500"), 2u);
    EXPECT_EQ(s.count("GET /a.txt 200"), 1u);
}

TEST_F(FetchTest, RetriesOn429And408But403IsFinal) {
    TestServer s(www, state,
                 {"--fault", "/a.txt=status:429:1", "--fault", "/big.txt=status:408:1", "--fault",
                  "/forbidden=status:403"});
    EXPECT_EQ(fetchToString(s.url + "/a.txt", quick()), "contents of a\n");
    EXPECT_EQ(fetchToString(s.url + "/big.txt", quick()), get("big.txt"));
    EXPECT_THROW(fetchToString(s.url + "/forbidden", quick()), FetchError);
    EXPECT_EQ(s.count("GET /forbidden 403"), 1u);
}

TEST_F(FetchTest, Persistent500GivesUpAfterTheConfiguredAttempts) {
    TestServer s(www, state, {"--fault", "/a.txt=status:500"});
    try {
        fetchToString(s.url + "/a.txt", quick(4));
        FAIL() << "no error";
    } catch (const FetchError& e) {
        std::string msg = e.what();
        EXPECT_EQ(e.httpStatus(), 500);
        EXPECT_NE(msg.find("HTTP 500 Internal Server Error (4 attempts)"), std::string::npos)
            << msg;
        EXPECT_NE(msg.find("every URL failed (4 attempts)"), std::string::npos) << msg;
    }
    EXPECT_EQ(s.count("GET /a.txt 500"), 4u);
}

TEST_F(FetchTest, ResetAndEmptyRepliesAreRetried) {
    TestServer s(www, state, {"--fault", "/a.txt=reset:2"});
    EXPECT_EQ(fetchToString(s.url + "/a.txt", quick()), "contents of a\n");
    EXPECT_EQ(s.count("GET /a.txt reset"), 2u);
}

TEST_F(FetchTest, ConnectionResetsAreRetried) {
    TestServer s(www, state, {"--fault", "/a.txt=rst:2", "--fault", "/big.txt=rst"});
    EXPECT_EQ(fetchToString(s.url + "/a.txt", quick()), "contents of a\n");
    EXPECT_EQ(s.count("GET /a.txt rst"), 2u);
    try {
        fetchToString(s.url + "/big.txt", quick(2));
        FAIL() << "no error";
    } catch (const FetchError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("(2 attempts)"), std::string::npos) << msg;
        EXPECT_NE(msg.find("reset"), std::string::npos) << msg;
    }
}

TEST_F(FetchTest, TruncatedBodiesAreRetried) {
    TestServer s(www, state, {"--fault", "/big.txt=truncate:1000:2"});
    EXPECT_EQ(fetchToString(s.url + "/big.txt", quick()), get("big.txt"));
    EXPECT_EQ(s.count("GET /big.txt truncate"), 2u);
    // No hash known: no resuming (a file changed meanwhile would be spliced), whole bodies.
    EXPECT_EQ(s.count("GET /big.txt 200"), 1u);
    EXPECT_EQ(s.count("GET /big.txt 206"), 0u);
}

TEST_F(FetchTest, TruncatedBodiesAreResumedWithRange) {
    TestServer s(www, state, {"--fault", "/big.txt=truncate:1000:1"});
    Downloader d(quick());
    DownloadRequest r;
    r.urls = {{s.url + "/big.txt", ""}};
    r.dest = dir.path + "/out";
    r.expected = hashString(HashAlgo::SHA256, get("big.txt"));
    auto res = d.download(r);
    ASSERT_TRUE(res.ok) << res.error;
    EXPECT_EQ(readFile(r.dest), get("big.txt"));
    EXPECT_EQ(res.size, get("big.txt").size());
    EXPECT_EQ(s.count("GET /big.txt truncate"), 1u);
    EXPECT_EQ(s.count("GET /big.txt 206"), 1u); // the rest only, hashed on from byte 1000
    EXPECT_EQ(s.count("GET /big.txt 200"), 0u);
}

TEST_F(FetchTest, ResumeFallsBackToTheWholeBody) {
    // A server that ignores Range answers 200 with everything: the body starts again.
    TestServer s(www, state, {"--fault", "/big.txt=truncate:1000:2", "--no-ranges"});
    Downloader d(quick());
    DownloadRequest r;
    r.urls = {{s.url + "/big.txt", ""}};
    r.dest = dir.path + "/out";
    r.expected = hashString(HashAlgo::SHA256, get("big.txt"));
    auto res = d.download(r);
    ASSERT_TRUE(res.ok) << res.error;
    EXPECT_EQ(readFile(r.dest), get("big.txt"));
    EXPECT_EQ(s.count("GET /big.txt 200"), 1u);
    // In memory too.
    EXPECT_EQ(fetchToString(s.url + "/big.txt", quick()), get("big.txt"));
    EXPECT_EQ(s.count("GET /big.txt 200"), 2u);
    EXPECT_EQ(s.count("GET /big.txt truncate"), 2u);
}

TEST_F(FetchTest, PersistentTruncationFailsAndLeavesNoFile) {
    TestServer s(www, state, {"--fault", "/big.txt=truncate:1000"});
    Downloader d(quick(2));
    DownloadRequest r;
    r.urls = {{s.url + "/big.txt", ""}};
    r.dest = dir.path + "/out";
    auto res = d.download(r);
    EXPECT_FALSE(res.ok);
    EXPECT_NE(res.error.find("2 attempts"), std::string::npos) << res.error;
    EXPECT_FALSE(pathExists(r.dest));
}

TEST_F(FetchTest, SlowAnswersTimeOutThenRetry) {
    // The first answer takes 3 s, over the 1 s budget; the second is on time.
    TestServer s(www, state, {"--fault", "/a.txt=slow:3:1"});
    FetchOptions o = quick(2);
    o.timeout = 1;
    EXPECT_EQ(fetchToString(s.url + "/a.txt", o), "contents of a\n");
    // Both requests reach the log (the slow one once its sleep is over).
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_EQ(s.count("GET /a.txt 200"), 2u);
}

TEST_F(FetchTest, LowSpeedTimeoutIsAnError) {
    TestServer s(www, state, {"--fault", "/a.txt=slow:4"});
    FetchOptions o = quick(2);
    o.lowSpeedLimit = 1000;
    o.lowSpeedTime = 1;
    try {
        fetchToString(s.url + "/a.txt", o);
        FAIL() << "no error";
    } catch (const FetchError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("(2 attempts)"), std::string::npos) << msg;
        EXPECT_NE(msg.find("too slow"), std::string::npos) << msg;
        EXPECT_EQ(e.httpStatus(), 0);
    }
}

TEST_F(FetchTest, CorruptBodyIsAHashMismatchAndTheNextUrlIsTried) {
    TestServer s(www, state, {"--fault", "/a.txt=corrupt"});
    writeFile(dir.path + "/good.txt", "contents of a\n");
    Hash expected = hashString(HashAlgo::SHA256, "contents of a\n");
    Downloader d(quick());
    DownloadRequest r;
    r.urls = {{s.url + "/a.txt", ""}};
    r.dest = dir.path + "/out";
    r.expected = expected;
    auto res = d.download(r);
    EXPECT_FALSE(res.ok);
    EXPECT_TRUE(res.hashMismatch);
    EXPECT_EQ(res.mismatchUrl, s.url + "/a.txt");
    ASSERT_TRUE(res.actual);
    EXPECT_NE(*res.actual, expected);
    EXPECT_NE(res.error.find("hash mismatch: expected " + expected.to(HashFormat::Nix32, true)),
              std::string::npos)
        << res.error;
    EXPECT_FALSE(pathExists(r.dest));
    EXPECT_EQ(s.count("GET /a.txt"), 1u); // a wrong body is not fetched again

    // With a second, good URL: that one is used.
    r.urls.push_back({"file://" + dir.path + "/good.txt", ""});
    res = d.download(r);
    EXPECT_TRUE(res.ok) << res.error;
    EXPECT_EQ(res.url, "file://" + dir.path + "/good.txt");
    EXPECT_EQ(readFile(r.dest), "contents of a\n");
}

TEST_F(FetchTest, NextUrlAfter404) {
    TestServer s(www, state);
    Downloader d(quick());
    DownloadRequest r;
    r.urls = {{s.url + "/nope", "mirror of x"}, {s.url + "/a.txt", ""}};
    auto res = d.download(r);
    ASSERT_TRUE(res.ok) << res.error;
    EXPECT_EQ(res.data, "contents of a\n");
    EXPECT_EQ(res.url, s.url + "/a.txt");
    ASSERT_EQ(res.attempts.size(), 2u);
    EXPECT_EQ(res.attempts[0].httpStatus, 404);
    EXPECT_EQ(res.attempts[0].via, "mirror of x");
}

TEST_F(FetchTest, FileUrls) {
    Downloader d(quick());
    DownloadRequest r;
    r.urls = {{"file://" + www + "/a.txt", ""}};
    auto res = d.download(r);
    ASSERT_TRUE(res.ok) << res.error;
    EXPECT_EQ(res.data, "contents of a\n");
    r.urls = {{"file://" + www + "/none", ""}};
    res = d.download(r);
    EXPECT_FALSE(res.ok);
    EXPECT_EQ(res.attempts.size(), 1u); // a missing file is not retried
}

TEST_F(FetchTest, ManyAtOnceOverFewReusedConnections) {
    for (int i = 0; i < 60; i++)
        writeFile(www + "/f" + std::to_string(i), "file number " + std::to_string(i) + "\n");
    TestServer s(www, state, {"--latency", "20"});
    FetchOptions o = quick();
    o.maxHostConnections = 4;
    o.maxDownloads = 16;
    Downloader d(o);
    std::mutex m;
    std::condition_variable cv;
    int left = 60, failed = 0;
    for (int i = 0; i < 60; i++) {
        DownloadRequest r;
        r.urls = {{s.url + "/f" + std::to_string(i), ""}};
        r.dest = dir.path + "/out-" + std::to_string(i);
        r.expected = hashString(HashAlgo::SHA256, "file number " + std::to_string(i) + "\n");
        d.enqueue(r, [&](DownloadResult res) {
            std::lock_guard lk(m);
            if (!res.ok) failed++;
            left--;
            cv.notify_all();
        });
    }
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return left == 0; });
    EXPECT_EQ(failed, 0);
    for (int i = 0; i < 60; i++)
        EXPECT_EQ(readFile(dir.path + "/out-" + std::to_string(i)),
                  "file number " + std::to_string(i) + "\n");
    // At most 4 connections, kept alive and reused.
    std::set<std::string> ports;
    for (auto& l : s.requests())
        ports.insert(l.substr(l.rfind(' ') + 1));
    EXPECT_EQ(s.requests().size(), 60u);
    EXPECT_LE(ports.size(), 4u);
    EXPECT_GE(ports.size(), 1u);
}

TEST(FetchMirrors, CandidateOrder) {
    FetchOptions o;
    o.prefixMirrors = {{"https://crates.io/api/v1/crates/", "http://127.0.0.1:8000/crates/"},
                       {"https://crates.io/", "http://m2/"},
                       {"https://other/", "http://m3/"}};
    Hash h = hashString(HashAlgo::SHA256, "x");
    o.contentMirrors = {"http://cas/{sha256}", "http://cas2/{algo}/{hash}",
                        "http://cas3/{sha256-nix32}", "http://only-512/{sha512}"};
    auto c =
        candidateUrls({"https://crates.io/api/v1/crates/foo/1.0/download", "https://b/x"}, o, h);
    std::vector<std::string> urls;
    for (auto& u : c)
        urls.push_back(u.url);
    std::vector<std::string> want = {
        "http://127.0.0.1:8000/crates/foo/1.0/download",
        "http://m2/api/v1/crates/foo/1.0/download",
        "https://crates.io/api/v1/crates/foo/1.0/download",
        "https://b/x",
        "http://cas/" + h.toBase16(),
        "http://cas2/sha256/" + h.toBase16(),
        "http://cas3/" + h.toNix32(),
    };
    EXPECT_EQ(urls, want);
    EXPECT_EQ(c[0].via, "mirror of https://crates.io/api/v1/crates/");
    EXPECT_EQ(c[2].via, "");
    EXPECT_EQ(c[4].via, "content-addressed mirror");
    // Without a hash, no content-addressed mirror.
    EXPECT_EQ(candidateUrls({"https://b/x"}, o).size(), 1u);
}

TEST(FetchConfig, ParsesTheFile) {
    auto c = parseUserConfig(R"(
[fetch]
attempts = 7
retry-delay = 0.25
timeout = 10
max-downloads = 40

[[mirror]]
prefix = "https://crates.io/api/v1/crates/"
url = "http://127.0.0.1:8000/api/v1/crates/"

[[mirror]]
prefix = "https://crates.io/api/v1/crates/"
urls = ["http://a/", "http://b/"]

[content-mirrors]
urls = ["http://cas/{sha256}"]
hashed = ["http://tarballs"]
)",
                             "/x/config.toml");
    EXPECT_EQ(c.fetch.attempts, 7u);
    EXPECT_DOUBLE_EQ(c.fetch.retryDelay, 0.25);
    EXPECT_EQ(c.fetch.timeout, 10);
    EXPECT_EQ(c.fetch.maxDownloads, 40u);
    ASSERT_EQ(c.fetch.prefixMirrors.size(), 3u);
    EXPECT_EQ(c.fetch.prefixMirrors[0].url, "http://127.0.0.1:8000/api/v1/crates/");
    EXPECT_EQ(c.fetch.prefixMirrors[2].url, "http://b/");
    EXPECT_EQ(c.fetch.contentMirrors,
              (std::vector<std::string>{"http://cas/{sha256}", "http://tarballs/{algo}/{hash}"}));
}

TEST(FetchConfig, CratesFrom) {
    EXPECT_EQ(parseUserConfig("", "/x/config.toml").cratesFrom, "");
    for (std::string from : {"crates.io", "dir:/usr/share/cargo/registry",
                             "sparse+http://127.0.0.1:8000/index/", "https://mirror/api/v1/crates"})
        EXPECT_EQ(
            parseUserConfig("[crates]\nfrom = \"" + from + "\"\n", "/x/config.toml").cratesFrom,
            from);
    for (auto [text, want] :
         {std::pair{"[crates]\nfrom = \"ftp://x\"\n", "/x/config.toml:2:8: crates.from 'ftp://x'"},
          std::pair{"[crates]\nfrom = \"dir:\"\n", "crates.from 'dir:' is not"},
          std::pair{"[crates]\nform = \"crates.io\"\n", "unknown key 'crates.form'"}}) {
        try {
            parseUserConfig(text, "/x/config.toml");
            ADD_FAILURE() << "no error for: " << text;
        } catch (const FormatError& e) {
            EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
        }
    }
}

TEST(FetchConfig, ErrorsNameFileLineColumn) {
    auto expectError = [](const std::string& text, const std::string& want) {
        try {
            parseUserConfig(text, "/x/config.toml");
            ADD_FAILURE() << "no error for: " << text;
        } catch (const FormatError& e) {
            EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
        }
    };
    expectError("[fetch]\nattempts = \"many\"\n", "/x/config.toml:2:12: fetch.attempts must be");
    expectError("[fetch]\nretries = 3\n", "/x/config.toml:2:11: unknown key 'fetch.retries'");
    expectError("[fetch]\nattempts = 0\n", "/x/config.toml:2:12: fetch.attempts must be between");
    expectError("[fetch\n", "/x/config.toml:1:");
    expectError("[[mirror]]\nprefix = \"https://x/\"\n", "[[mirror]] needs a 'url'");
    expectError("[[mirror]]\nprefix = \"x\"\nurl = \"http://y/\"\n",
                "/x/config.toml:2:10: mirror.prefix 'x' is not an http");
    expectError("[content-mirrors]\nurls = [\"http://cas/\"]\n", "has no placeholder");
    expectError("mirrors = 1\n", "/x/config.toml:1:11: unknown key 'mirrors'");
}

TEST(FetchConfig, PathFromTheEnvironment) {
    ::setenv("FERRIX_CONFIG", "/some/where.toml", 1);
    EXPECT_EQ(userConfigPath(), "/some/where.toml");
    ::unsetenv("FERRIX_CONFIG");
    ::setenv("XDG_CONFIG_HOME", "/xdg", 1);
    EXPECT_EQ(userConfigPath(), "/xdg/ferrix/config.toml");
    ::unsetenv("XDG_CONFIG_HOME");
}

} // namespace
