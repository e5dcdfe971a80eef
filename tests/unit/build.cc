// The scheduler on tiny /bin/sh derivations: dependencies, registration with references, a
// failure that leaves nothing, outputs referring to one another, fixed outputs (builtin:download
// from file://, right and wrong hash, mirrors, a build using a download), --check, the build
// log, and the events an observer hears, in their order.
#include "ferrix/build.hh"

#include "ferrix/derivation.hh"
#include "ferrix/hash.hh"
#include "ferrix/process.hh"
#include "store-test-util.hh"

#include <condition_variable>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace ferrix;

namespace {

// Keeps every event, and lets a test wait for one.
struct Recorder : BuildObserver {
    std::mutex m;
    std::condition_variable cv;
    std::vector<BuildEvent> events;
    void event(const BuildEvent& e) override {
        std::lock_guard lk(m);
        events.push_back(e);
        cv.notify_all();
    }
    // "KIND [NAME [TEXT]]" per event (NAME: the derivation's), byte counts left out.
    std::vector<std::string> summary() {
        std::lock_guard lk(m);
        std::vector<std::string> out;
        for (auto& e : events) {
            if (e.kind == BuildEvent::Kind::DownloadProgress) continue;
            std::string s = BuildEvent::kindName(e.kind);
            if (!e.drv.empty()) {
                std::string base = baseNameOf(e.drv);
                s += " " + base.substr(base.find('-') + 1, base.size() - base.find('-') - 5);
            }
            if (e.kind == BuildEvent::Kind::Phase || e.kind == BuildEvent::Kind::LogLine)
                s += " " + e.text;
            out.push_back(s);
        }
        return out;
    }
    bool waitFor(BuildEvent::Kind k) {
        std::unique_lock lk(m);
        return cv.wait_for(lk, std::chrono::seconds(20), [&] {
            for (auto& e : events)
                if (e.kind == k) return true;
            return false;
        });
    }
};

class Build : public ::testing::Test {
protected:
    test::ScratchDir dir{"ferrix-build-test-"};
    LocalStore store{test::configAt(dir.path)};
    DrvHashes hashes{[this](const std::string& p) {
        StorePath sp = store.parseStorePath(p);
        return parseDerivation(store.readText(sp), "", &store.storeDir());
    }};
    BuildOptions opts;

    void SetUp() override {
        // Progress lines go nowhere.
        opts.progressFd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        // Not the user's configuration file.
        opts.fetch = FetchOptions{};
    }
    void TearDown() override { ::close(opts.progressFd); }

    // A /bin/sh derivation with the given outputs and input derivations (all their outputs).
    std::string shDrv(const std::string& name, const std::string& script,
                      const std::vector<std::string>& inputs = {},
                      const std::vector<std::string>& outputs = {"out"}) {
        Derivation d;
        d.name = name;
        d.platform = "x86_64-linux";
        d.builder = "/bin/sh";
        d.args = {"-c", script};
        d.env = {{"name", name}, {"builder", "/bin/sh"}, {"system", "x86_64-linux"}};
        for (auto& o : outputs)
            d.outputs[o] = {};
        for (auto& i : inputs) {
            auto dep =
                parseDerivation(store.readText(store.parseStorePath(i)), "", &store.storeDir());
            for (auto& [o, _] : dep.outputs)
                d.inputDrvs[store.parseStorePath(i)].insert(o);
        }
        fillInputAddressedOutputs(d, store.storeDir(), hashes);
        return write(d);
    }
    std::string write(const Derivation& d) {
        return store.printStorePath(store.addText(d.name + ".drv",
                                                  unparse(store.storeDir(), d, false),
                                                  derivationReferences(store.storeDir(), d)));
    }
    std::string downloadDrv(const std::string& name, const std::string& url, const Hash& h) {
        Derivation d;
        d.name = name;
        d.platform = "x86_64-linux";
        d.builder = "builtin:download";
        d.env = {{"name", name},
                 {"builder", "builtin:download"},
                 {"system", "x86_64-linux"},
                 {"url", url}};
        fillFixedOutput(d, store.storeDir(), FileIngestion::Flat, h);
        return write(d);
    }
    std::map<std::string, std::string> build(const std::string& drv) {
        return buildDerivations(store, {{drv, {}}}, opts).at(0);
    }
    StorePath sp(const std::string& p) { return store.parseStorePath(p); }
    std::string derivationOutput(const std::string& drv) {
        return store.printStorePath(*parseDerivation(store.readText(sp(drv)), "", &store.storeDir())
                                         .outputs.at("out")
                                         .path);
    }
};

} // namespace

TEST_F(Build, DependencyFirstThenReferencesRegistered) {
    auto dep = shDrv("dep", "mkdir $out; echo dep > $out/data");
    auto depOut = derivationOutput(dep);
    auto top = shDrv(
        "top", "mkdir $out; cat " + depOut + "/data > $out/copy; echo " + depOut + " > $out/ref",
        {dep});
    auto outs = build(top);
    ASSERT_EQ(outs.size(), 1u);
    EXPECT_EQ(readFile(outs["out"] + "/copy"), "dep\n");
    auto info = store.queryPathInfo(sp(outs["out"]));
    EXPECT_TRUE(info.references.contains(sp(depOut)));
    EXPECT_EQ(info.deriver, sp(top));
    EXPECT_EQ(store.queryDerivationOutputs(sp(top)).at("out"), sp(outs["out"]));
    EXPECT_TRUE(pathExists(buildLogPath(store, sp(top))));
    EXPECT_EQ(findBuildLog(store, outs["out"]), buildLogPath(store, sp(top)));
    // Built: a second run builds nothing (the log is not rewritten).
    ::unlink(buildLogPath(store, sp(top)).c_str());
    build(top);
    EXPECT_FALSE(pathExists(buildLogPath(store, sp(top))));
}

TEST_F(Build, FailureLeavesNothingButTheLog) {
    auto drv = shDrv("fails", "mkdir $out; echo half > $out/f; echo oops; exit 4");
    auto out = derivationOutput(drv);
    try {
        build(drv);
        FAIL() << "no error";
    } catch (const BuildError& e) {
        EXPECT_NE(std::string(e.what()).find("exited with status 4"), std::string::npos);
    }
    EXPECT_FALSE(store.isValid(sp(out)));
    EXPECT_FALSE(pathExists(store.realPath(sp(out))));
    EXPECT_EQ(readFile(buildLogPath(store, sp(drv))), "oops\n");
    EXPECT_TRUE(test::listNames(dir.path + "/var/ferrix/builds").empty());
    EXPECT_TRUE(store.verify().ok());
}

TEST_F(Build, OneOutputReferringToAnother) {
    auto drv = shDrv("two", "mkdir $out $dev; echo $dev > $out/dev-path; echo x > $dev/x", {},
                     {"out", "dev"});
    auto outs = build(drv);
    ASSERT_EQ(outs.size(), 2u);
    EXPECT_TRUE(store.queryPathInfo(sp(outs["out"])).references.contains(sp(outs["dev"])));
    EXPECT_TRUE(store.queryPathInfo(sp(outs["dev"])).references.empty());
}

TEST_F(Build, OutputsInACycleAreRefused) {
    auto drv =
        shDrv("cyc", "mkdir $out $dev; echo $dev > $out/d; echo $out > $dev/o", {}, {"out", "dev"});
    EXPECT_THROW(build(drv), BuildError);
    auto d = parseDerivation(store.readText(sp(drv)), "", &store.storeDir());
    for (auto& [o, out] : d.outputs)
        EXPECT_FALSE(store.isValid(*out.path));
}

TEST_F(Build, DownloadFromFileUrl) {
    writeFile(dir.path + "/src.txt", "contents\n");
    Hash h = hashString(HashAlgo::SHA256, "contents\n");
    auto drv = downloadDrv("src.txt", "file://" + dir.path + "/src.txt", h);
    auto outs = build(drv);
    EXPECT_EQ(readFile(outs["out"]), "contents\n");
    EXPECT_EQ(store.queryPathInfo(sp(outs["out"])).ca, "fixed:" + h.to(HashFormat::Nix32, true));

    Hash wrong = hashString(HashAlgo::SHA256, "something else");
    auto bad = downloadDrv("other.txt", "file://" + dir.path + "/src.txt", wrong);
    try {
        build(bad);
        FAIL() << "no error";
    } catch (const BuildError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("hash mismatch"), std::string::npos) << msg;
    }
    auto d = parseDerivation(store.readText(sp(bad)), "", &store.storeDir());
    EXPECT_FALSE(store.isValid(*d.outputs.at("out").path));
}

TEST_F(Build, CheckComparesRebuilds) {
    if (sandboxSupport().mode == SandboxMode::BuildUser)
        GTEST_SKIP() << "--check needs a mount namespace";
    auto same = shDrv("same", "mkdir $out; echo same > $out/f");
    build(same);
    opts.check = true;
    EXPECT_NO_THROW(build(same));
    opts.check = false;
    auto differs = shDrv("differs", "mkdir $out; cat /proc/sys/kernel/random/uuid > $out/r");
    auto outs = build(differs);
    std::string before = readFile(outs["out"] + "/r");
    opts.check = true;
    try {
        build(differs);
        FAIL() << "no error";
    } catch (const BuildError& e) {
        EXPECT_NE(std::string(e.what()).find("may not be deterministic"), std::string::npos);
    }
    EXPECT_EQ(readFile(outs["out"] + "/r"), before);
}

TEST_F(Build, PrivateNetworkHasOnlyItsOwnLoopbackUp) {
    if (sandboxSupport().mode == SandboxMode::BuildUser) GTEST_SKIP() << "no namespaces here";
    // Only lo, and it is up: a connection to a closed port is refused, not unreachable (a test
    // suite may serve itself on 127.0.0.1); nothing else is reachable.
    auto drv = shDrv("net", "{ tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; echo --; "
                            "bash -c 'exec 3<>/dev/tcp/127.0.0.1/1' 2>&1; "
                            "bash -c 'exec 3<>/dev/tcp/192.0.2.1/80' 2>&1; } > $out; true");
    std::string out = readFile(build(drv).at("out"));
    EXPECT_EQ(out.substr(0, out.find("--\n")), "lo\n") << out;
    EXPECT_NE(out.find("127.0.0.1/1: Connection refused"), std::string::npos) << out;
    EXPECT_NE(out.find("192.0.2.1/80: Network is unreachable"), std::string::npos) << out;
}

TEST_F(Build, ParallelBuildsWithMaxJobs) {
    // Contained builds cannot see each other: each records when it ran. One at a time, their
    // two-second runs could not overlap.
    auto a = shDrv("a", "date +%s%N > $out; sleep 2; date +%s%N >> $out");
    auto b = shDrv("b", "date +%s%N > $out; sleep 2; date +%s%N >> $out; echo b >> $out");
    auto top = shDrv("ab", "echo > $out", {a, b});
    opts.maxJobs = 2;
    opts.cores = 2; // two jobserver tokens, whatever the machine has
    ASSERT_NO_THROW(build(top));
    auto ta = build(a), tb = build(b); // valid already: their paths
    auto times = [](const std::string& file) {
        std::istringstream in(readFile(file));
        long long start = 0, end = 0;
        in >> start >> end;
        return std::pair{start, end};
    };
    auto [aStart, aEnd] = times(ta["out"]);
    auto [bStart, bEnd] = times(tb["out"]);
    EXPECT_TRUE(aStart < bEnd && bStart < aEnd)
        << aStart << "-" << aEnd << ", " << bStart << "-" << bEnd;
}

TEST_F(Build, DownloadsThroughMirrorsAndABuildUsingThem) {
    createDirs(dir.path + "/mirror/pkg");
    createDirs(dir.path + "/cas");
    writeFile(dir.path + "/mirror/pkg/a.txt", "from the prefix mirror\n");
    Hash ha = hashString(HashAlgo::SHA256, "from the prefix mirror\n");
    Hash hb = hashString(HashAlgo::SHA256, "from the content mirror\n");
    writeFile(dir.path + "/cas/" + hb.toBase16(), "from the content mirror\n");
    opts.fetch->prefixMirrors = {{"https://example.invalid/", "file://" + dir.path + "/mirror/"}};
    opts.fetch->contentMirrors = {"file://" + dir.path + "/cas/{sha256}"};
    opts.maxJobs = 1;
    auto a = downloadDrv("a.txt", "https://example.invalid/pkg/a.txt", ha);
    auto b = downloadDrv("b.txt", "file://" + dir.path + "/gone.txt", hb);
    auto use =
        shDrv("use", "cat " + derivationOutput(a) + " " + derivationOutput(b) + " > $out", {a, b});
    auto outs = build(use);
    EXPECT_EQ(readFile(outs["out"]), "from the prefix mirror\nfrom the content mirror\n");
    // The mirrors are not in the derivations, and the log says where each came from.
    EXPECT_EQ(store.readText(sp(a)).find("/mirror/"), std::string::npos);
    std::string log = readFile(buildLogPath(store, sp(a)));
    EXPECT_NE(log.find("(mirror of https://example.invalid/)"), std::string::npos) << log;
    EXPECT_NE(log.find("downloaded 'file://" + dir.path + "/mirror/pkg/a.txt'"), std::string::npos)
        << log;
    std::string logB = readFile(buildLogPath(store, sp(b)));
    EXPECT_NE(logB.find("(content-addressed mirror)"), std::string::npos) << logB;
}

TEST_F(Build, ObserverHearsEachBuildInOrder) {
    Recorder rec;
    opts.observer = &rec;
    auto dep = shDrv("dep", "echo \"starting phase \\`unpack'\"; echo one; mkdir $out; "
                            "printf 'no newline'");
    auto top = shDrv("top", "echo two; echo > $out", {dep});
    build(top);
    std::vector<std::string> expected = {
        "downloads-planned", "started dep",
        "phase dep unpack",  "log-line dep starting phase `unpack'",
        "log-line dep one",  "log-line dep no newline",
        "finished dep",      "started top",
        "log-line top two",  "finished top"};
    EXPECT_EQ(rec.summary(), expected);
    auto& started = rec.events.at(1);
    EXPECT_EQ(started.drv, dep);
    EXPECT_FALSE(started.check);
    EXPECT_EQ(describeEvent(started), "building '" + dep + "'...");
    auto& finished = rec.events.back();
    EXPECT_EQ(finished.drv, top);
    EXPECT_EQ(describeEvent(finished).rfind("built '" + top + "' in ", 0), 0u);
    // Valid: nothing is built and nothing but the plan is said.
    rec.events.clear();
    build(top);
    ASSERT_EQ(rec.events.size(), 1u);
    EXPECT_EQ(rec.events[0].kind, BuildEvent::Kind::DownloadsPlanned);
}

TEST_F(Build, ObserverHearsAFailureWithTheLogsTail) {
    Recorder rec;
    opts.observer = &rec;
    opts.logTailLines = 2;
    auto drv = shDrv("fails", "echo a; echo b; echo c; exit 3");
    EXPECT_THROW(build(drv), BuildError);
    std::vector<std::string> expected = {"downloads-planned", "started fails",
                                         "log-line fails a",  "log-line fails b",
                                         "log-line fails c",  "failed fails"};
    EXPECT_EQ(rec.summary(), expected);
    auto& failed = rec.events.back();
    EXPECT_EQ(failed.logTail, "b\nc");
    EXPECT_EQ(failed.logPath, buildLogPath(store, sp(drv)));
    EXPECT_EQ(describeEvent(failed), "error: builder for '" + drv +
                                         "' exited with status 3\nlast lines of the log:\n"
                                         "  b\n  c\nlog: " +
                                         failed.logPath);
}

TEST_F(Build, ObserverHearsADownload) {
    Recorder rec;
    opts.observer = &rec;
    writeFile(dir.path + "/f.txt", "file\n");
    Hash h = hashString(HashAlgo::SHA256, "file\n");
    std::string url = "file://" + dir.path + "/f.txt";
    auto drv = downloadDrv("f.txt", url, h);
    build(drv);
    std::vector<std::string> expected = {"downloads-planned", "started f.txt",
                                         "download-started f.txt", "downloaded f.txt",
                                         "finished f.txt"};
    EXPECT_EQ(rec.summary(), expected);
    EXPECT_EQ(rec.events[0].total, 1u);
    EXPECT_TRUE(rec.events[1].download);
    EXPECT_EQ(describeEvent(rec.events[1]), "");
    EXPECT_EQ(describeEvent(rec.events[2]), "downloading '" + url + "'...");
    EXPECT_EQ(rec.events[3].done, 5u);
    EXPECT_EQ(describeEvent(rec.events[3]).rfind("downloaded '" + url + "' (5 B in ", 0), 0u);
    EXPECT_EQ(describeEvent(rec.events[4]), "");
}

TEST_F(Build, ObserverHearsTheWaitForAnotherBuildsLock) {
    Recorder rec;
    opts.observer = &rec;
    auto drv = shDrv("locked", "echo > $out");
    StorePath out = sp(derivationOutput(drv));
    std::optional<PathLock> held(PathLock(store.outputLockPath(out)));
    std::thread t([&] { build(drv); });
    ASSERT_TRUE(rec.waitFor(BuildEvent::Kind::Waiting));
    {
        std::lock_guard lk(rec.m);
        EXPECT_EQ(rec.events.back().path, store.printStorePath(out));
        EXPECT_EQ(describeEvent(rec.events.back()),
                  "waiting for another process to finish building '" + store.printStorePath(out) +
                      "'");
    }
    held.reset();
    t.join();
    EXPECT_TRUE(store.isValid(out));
}
