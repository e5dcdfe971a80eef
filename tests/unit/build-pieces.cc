// The pieces of the builder through their own interfaces: events and their lines, the plain
// display, the log writer and tail, the builder's environment, output locks, checks and
// comparison, and downloadToStore's events and registration.
#include "ferrix/build-display.hh"
#include "ferrix/build-events.hh"
#include "ferrix/build-log.hh"
#include "ferrix/build-outputs.hh"
#include "ferrix/builtin-download.hh"
#include "ferrix/cores.hh"
#include "ferrix/derivation-builder.hh"
#include "ferrix/hash.hh"
#include "store-test-util.hh"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace ferrix;

namespace {

struct Recorder : BuildObserver {
    std::vector<BuildEvent> events;
    void event(const BuildEvent& e) override { events.push_back(e); }
};

std::string readAllFrom(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, size_t(n));
    return out;
}

} // namespace

TEST(BuildEvents, LinesPeopleRead) {
    using K = BuildEvent::Kind;
    EXPECT_EQ(describeEvent({.kind = K::Message, .text = "note: x"}), "note: x");
    EXPECT_EQ(describeEvent({.kind = K::Started, .drv = "/s/a.drv", .check = true}),
              "checking '/s/a.drv'...");
    EXPECT_EQ(describeEvent({.kind = K::Finished, .drv = "/s/a.drv", .seconds = 1.26}),
              "built '/s/a.drv' in 1.3 s");
    EXPECT_EQ(describeEvent({.kind = K::DownloadStarted, .url = "u", .via = "mirror of v"}),
              "downloading 'u' (mirror of v)...");
    EXPECT_EQ(
        describeEvent({.kind = K::DownloadRetry, .url = "u", .text = "HTTP 500", .seconds = 0.5}),
        "retrying 'u' in 0.50 s (HTTP 500)");
    EXPECT_EQ(describeEvent({.kind = K::Downloaded, .url = "u", .done = 2048, .seconds = 0.04}),
              "downloaded 'u' (2.0 KiB in 0.0 s)");
    EXPECT_EQ(describeEvent({.kind = K::Failed, .text = "boom", .logPath = "/l"}),
              "error: boom\nlog: /l");
    EXPECT_EQ(describeEvent({.kind = K::LogLine, .text = "quiet"}), "");
    EXPECT_EQ(describeEvent({.kind = K::Phase, .text = "build"}), "");
    EXPECT_STREQ(BuildEvent::kindName(K::DownloadsPlanned), "downloads-planned");
}

TEST(BuildDisplay, PlainLinesAndSilence) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    {
        auto display = makeDisplay(p[1]); // a pipe: plain lines
        display->event({.kind = BuildEvent::Kind::Started, .drv = "/s/a.drv"});
        display->event({.kind = BuildEvent::Kind::LogLine, .drv = "/s/a.drv", .text = "hidden"});
        display->event({.kind = BuildEvent::Kind::Message, .text = "note"});
    }
    ::close(p[1]);
    EXPECT_EQ(readAllFrom(p[0]), "building '/s/a.drv'...\nnote\n");
    ::close(p[0]);
    auto none = makeDisplay(-1);
    none->event({.kind = BuildEvent::Kind::Message, .text = "nowhere"});
}

TEST(BuildLog, WriterSplitsLinesAndFindsPhases) {
    test::ScratchDir dir("ferrix-build-log-");
    std::vector<BuildEvent> events;
    std::string path = dir.path + "/x.log";
    {
        BuildLogWriter log(path, "/s/x.drv", [&](const BuildEvent& e) { events.push_back(e); });
        log.append("starting phase `unp");
        log.append("ack'\nhello\nwor");
        log.append("ld");
        log.flush();
        log.line("ours");
    }
    EXPECT_EQ(readFile(path), "starting phase `unpack'\nhello\nworldours\n");
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].kind, BuildEvent::Kind::Phase);
    EXPECT_EQ(events[0].text, "unpack");
    EXPECT_EQ(events[0].drv, "/s/x.drv");
    EXPECT_EQ(events[1].text, "starting phase `unpack'");
    EXPECT_EQ(events[2].text, "hello");
    EXPECT_EQ(events[3].text, "world");
    EXPECT_EQ(logTail(path, 2), "hello\nworldours");
    EXPECT_EQ(logTail(path, 10), "starting phase `unpack'\nhello\nworldours");
    EXPECT_EQ(logTail(dir.path + "/missing", 3), "");
}

TEST(DerivationBuilder, Environment) {
    Derivation d;
    d.env = {{"PATH", "/mine"}, {"TMPDIR", "/not-used"}, {"name", "x"}};
    StoreDir sd("/gnu/store");
    auto env = builderEnvironment(d, sd, 3, "/b/build");
    EXPECT_EQ(env.at("PATH"), "/mine");      // the derivation's own win over the defaults...
    EXPECT_EQ(env.at("TMPDIR"), "/b/build"); // ...but not over the build directory's
    EXPECT_EQ(env.at("NIX_STORE"), "/gnu/store");
    EXPECT_EQ(env.at("FERRIX_BUILD_CORES"), "3");
    EXPECT_EQ(env.at("HOME"), "/homeless-shelter");
    EXPECT_EQ(env.at("NIX_LOG_FD"), "2");
    EXPECT_EQ(env.at("name"), "x");
    EXPECT_EQ(env.size(), 15u);
    auto all = builderEnvironment(d, sd, 0, "/b/build");
    EXPECT_EQ(all.at("NIX_BUILD_CORES"), std::to_string(usableCores()));
}

TEST(DerivationBuilder, PassAsFileWritesTheValueAndNamesItsFile) {
    test::ScratchDir dir{"ferrix-pass-as-file-"};
    Derivation d;
    // Larger than the kernel takes for one variable of execve's environment.
    std::string big(200 * 1024, 'x');
    d.env = {{"ferrixUnit", big}, {"small", "s"}, {"passAsFile", " ferrixUnit\tmissing "}};
    auto env = builderEnvironment(d, StoreDir("/gnu/store"), 1, "/build");
    // Readable by the build user even under a strict umask.
    mode_t mask = ::umask(077);
    passVariablesAsFiles(d, env, dir.path, "/build");
    ::umask(mask);
    // The name Nix 2.8 gives it: .attr- and the nix32 sha256 of "ferrixUnit" (nix-hash --flat
    // --base32 --type sha256 of a file holding the name).
    const std::string file = ".attr-02ca95sb7zhfw54q24ksj0k4w6i77nknrhpx53hq4pq9s7qr4gdr";
    EXPECT_EQ(env.count("ferrixUnit"), 0u);
    EXPECT_EQ(env.at("ferrixUnitPath"), "/build/" + file);
    EXPECT_EQ(readFile(dir.path + "/" + file), big);
    EXPECT_EQ(lstatPath(dir.path + "/" + file).st_mode & 0777, 0644u);
    EXPECT_EQ(env.count("missingPath"), 0u); // a name without a variable passes nothing
    EXPECT_EQ(env.at("small"), "s");
    EXPECT_EQ(test::listNames(dir.path), std::vector<std::string>{file});
}

class Outputs : public ::testing::Test {
protected:
    test::ScratchDir dir{"ferrix-build-outputs-"};
    LocalStore store{test::configAt(dir.path)};
};

TEST_F(Outputs, LocksAreTheStoresLockFiles) {
    StorePath p = store.storeDir().makeTextPath("x", hashString(HashAlgo::SHA256, "x"), {});
    std::vector<BuildEvent> events;
    {
        OutputLocks locks(store, {p}, [&](const BuildEvent& e) { events.push_back(e); });
        EXPECT_FALSE(PathLock::tryAcquire(store.outputLockPath(p)));
    }
    EXPECT_TRUE(PathLock::tryAcquire(store.outputLockPath(p)));
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(store.outputLockPath(p), dir.path + "/var/ferrix/locks/" + p.to_string() + ".lock");
    EXPECT_EQ(store.buildsDir(), dir.path + "/var/ferrix/builds");
}

TEST_F(Outputs, ChecksAndRegistration) {
    Hash h = hashString(HashAlgo::SHA256, "data");
    Derivation d;
    d.name = "f";
    d.builder = "builtin:download";
    d.platform = "x86_64-linux";
    fillFixedOutput(d, store.storeDir(), FileIngestion::Flat, h);
    StorePath p = *d.outputs.at("out").path;
    std::string built = dir.path + "/built";
    OutputPlaces places{{"out", {p, built}}};
    try {
        checkBuiltOutputs(d, "/s/f.drv", places, store);
        FAIL() << "no error";
    } catch (const BuildError& e) {
        EXPECT_NE(std::string(e.what()).find("failed to produce output 'out'"), std::string::npos);
    }
    writeFile(built, "other");
    try {
        checkBuiltOutputs(d, "/s/f.drv", places, store, "file:///u");
        FAIL() << "no error";
    } catch (const BuildError& e) {
        EXPECT_EQ(
            std::string(e.what()),
            hashMismatchMessage("/s/f.drv", "file:///u", h, hashString(HashAlgo::SHA256, "other")));
        EXPECT_NE(std::string(e.what()).find("(downloaded from file:///u):\n  expected: sha256:"),
                  std::string::npos);
    }
    writeFile(built, "data");
    std::string ca = checkBuiltOutputs(d, "/s/f.drv", places, store);
    EXPECT_EQ(ca, "fixed:" + h.to(HashFormat::Nix32, true));
    registerBuiltOutputs(store, places, ca, {}, std::nullopt);
    EXPECT_TRUE(store.isValid(p));
    EXPECT_EQ(store.queryPathInfo(p).ca, ca);

    // --check: the same bytes pass, others are named.
    writeFile(built, "data");
    EXPECT_NO_THROW(compareWithValidOutputs(store, "/s/f.drv", places));
    writeFile(built, "changed");
    try {
        compareWithValidOutputs(store, "/s/f.drv", places);
        FAIL() << "no error";
    } catch (const BuildError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("may not be deterministic"), std::string::npos) << msg;
        EXPECT_NE(msg.find("output 'out'"), std::string::npos) << msg;
    }
}

TEST_F(Outputs, DownloadToStoreReportsAndRegistersAsABuildWould) {
    writeFile(dir.path + "/f.txt", "downloaded\n");
    std::string url = "file://" + dir.path + "/f.txt";
    Recorder rec;
    DownloadedFile f = downloadToStore(store, url, "f.txt", false, FetchOptions{}, rec);
    Hash h = hashString(HashAlgo::SHA256, "downloaded\n");
    EXPECT_EQ(f.sha256, h);
    EXPECT_EQ(f.url, url);
    EXPECT_EQ(f.path, store.storeDir().makeFixedOutputPath("f.txt", FileIngestion::Flat, h));
    EXPECT_EQ(store.queryPathInfo(f.path).ca, "fixed:" + h.to(HashFormat::Nix32, true));
    ASSERT_EQ(rec.events.size(), 2u);
    EXPECT_EQ(describeEvent(rec.events[0]), "downloading '" + url + "'...");
    EXPECT_EQ(rec.events[1].kind, BuildEvent::Kind::Downloaded);
    EXPECT_EQ(rec.events[1].done, 11u);
    // Nothing left behind in the builds directory.
    EXPECT_TRUE(test::listNames(store.buildsDir()).empty());
}
