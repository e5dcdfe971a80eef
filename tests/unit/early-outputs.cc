// Early outputs and per-output dependencies, on small /bin/sh derivations: a builder declares an
// output complete while it runs ("@ferrix output-complete NAME"), the scheduler registers it then
// and starts what needs only it; a failure after that keeps it; a derivation with that output
// valid and another missing is built again without registering it twice. See doc/build.md,
// "Early outputs".
#include "ferrix/build.hh"

#include "ferrix/derivation.hh"
#include "store-test-util.hh"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mutex>
#include <unistd.h>

using namespace ferrix;

namespace {

// Keeps the events; when the line `signal` of a build's log comes (or, with `finished`, when the
// build named so has finished), creates `file` in the build directory of the running derivation
// named `waiter` (builds cannot reach each other, the test can).
struct Relay : BuildObserver {
    std::mutex m;
    std::vector<BuildEvent> events;
    std::string buildsDir, waiter, signal, finished, file = "go";
    void event(const BuildEvent& e) override {
        std::lock_guard lk(m);
        events.push_back(e);
        bool go = finished.empty() ? e.kind == BuildEvent::Kind::LogLine && e.text == signal
                                   : e.kind == BuildEvent::Kind::Finished && e.name == finished;
        if (!go) return;
        DIR* d = ::opendir(buildsDir.c_str());
        if (!d) return;
        while (struct dirent* ent = ::readdir(d)) {
            std::string n = ent->d_name;
            if (n.starts_with(waiter + "-"))
                writeFile(buildsDir + "/" + n + "/build/" + file, "", 0644);
        }
        ::closedir(d);
    }
    // "KIND NAME" per event of these kinds, in order.
    std::vector<std::string> summary(std::set<BuildEvent::Kind> kinds) {
        std::lock_guard lk(m);
        std::vector<std::string> out;
        for (auto& e : events)
            if (kinds.contains(e.kind))
                out.push_back(std::string(BuildEvent::kindName(e.kind)) + " " + e.name +
                              (e.text.empty() ? "" : " " + e.text));
        return out;
    }
};

class EarlyOutputs : public ::testing::Test {
protected:
    test::ScratchDir dir{"ferrix-early-test-"};
    LocalStore store{test::configAt(dir.path)};
    DrvHashes hashes{[this](const std::string& p) {
        StorePath sp = store.parseStorePath(p);
        return parseDerivation(store.readText(sp), "", &store.storeDir());
    }};
    BuildOptions opts;
    Relay relay;

    void SetUp() override {
        opts.fetch = FetchOptions{};
        opts.observer = &relay;
        opts.maxJobs = 2;
        relay.buildsDir = store.buildsDir();
    }

    // A /bin/sh derivation with `outputs`, taking the named outputs of its input derivations.
    std::string shDrv(const std::string& name, const std::string& script,
                      const std::map<std::string, std::set<std::string>>& inputs = {},
                      const std::vector<std::string>& outputs = {"out"}) {
        Derivation d;
        d.name = name;
        d.platform = "x86_64-linux";
        d.builder = "/bin/sh";
        d.args = {"-c", script};
        d.env = {{"name", name}, {"builder", "/bin/sh"}, {"system", "x86_64-linux"}};
        for (auto& o : outputs)
            d.outputs[o] = {};
        for (auto& [i, outs] : inputs)
            d.inputDrvs[store.parseStorePath(i)] = outs;
        fillInputAddressedOutputs(d, store.storeDir(), hashes);
        return store.printStorePath(store.addText(d.name + ".drv",
                                                  unparse(store.storeDir(), d, false),
                                                  derivationReferences(store.storeDir(), d)));
    }
    std::string output(const std::string& drv, const std::string& o) {
        return store.printStorePath(
            *parseDerivation(store.readText(store.parseStorePath(drv)), "", &store.storeDir())
                 .outputs.at(o)
                 .path);
    }
    bool valid(const std::string& path) { return store.isValid(store.parseStorePath(path)); }
    std::map<std::string, std::string> build(const std::string& drv,
                                             std::set<std::string> outputs = {}) {
        return buildDerivations(store, {{drv, std::move(outputs)}}, opts).at(0);
    }
};

// A library-like derivation: `meta` first (content that differs at each build), declared
// complete; then it waits (at most 60 s) for the file "go" in its build directory and runs
// `then`, or fails if "stop" comes instead.
std::string libScript(const std::string& then) {
    return "mkdir $meta; cat /proc/sys/kernel/random/uuid > $meta/m; "
           "echo '@ferrix output-complete meta'; echo meta-declared; "
           "i=0; while [ ! -e go ] && [ ! -e stop ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); "
           "done; [ -e go ] || { echo 'not going on'; exit 1; }; " +
           then;
}

} // namespace

TEST_F(EarlyOutputs, DependentOfAnEarlyOutputStartsBeforeItsDependencyFinishes) {
    auto lib = shDrv("lib", libScript("mkdir $out; echo rlib > $out/r"), {}, {"meta", "out"});
    std::string meta = output(lib, "meta");
    // Needs only lib's meta: it runs while lib waits, and tells lib to go on.
    auto user = shDrv("user", "cat " + meta + "/m > $out; echo user-has-meta", {{lib, {"meta"}}});
    // Links: needs lib's out, so it starts only when lib is done.
    auto link =
        shDrv("link", "cat " + output(lib, "out") + "/r > $out", {{lib, {"out"}}, {user, {"out"}}});
    // Lib goes on once user has finished, not at user's last line: its finish is then ordered
    // after user's even on a loaded machine.
    relay.waiter = "lib";
    relay.finished = "user";
    auto outs = build(link);
    EXPECT_EQ(readFile(outs.at("out")), "rlib\n");
    EXPECT_EQ(readFile(store.realPath(store.parseStorePath(output(user, "out")))),
              readFile(store.realPath(store.parseStorePath(meta)) + "/m"));
    using K = BuildEvent::Kind;
    EXPECT_EQ(relay.summary({K::Started, K::OutputValid, K::Finished}),
              (std::vector<std::string>{"started lib", "output-valid lib meta", "started user",
                                        "finished user", "finished lib", "started link",
                                        "finished link"}));
    // Both of lib's outputs are recorded as its own, meta registered once with lib as deriver.
    auto info = store.queryPathInfo(store.parseStorePath(meta));
    ASSERT_TRUE(info.deriver);
    EXPECT_EQ(store.printStorePath(*info.deriver), lib);
    auto recorded = store.queryDerivationOutputs(store.parseStorePath(lib));
    EXPECT_EQ(recorded.size(), 2u);
}

TEST_F(EarlyOutputs, AFailureAfterAnEarlyOutputKeepsItAndBuildsWhatNeedsOnlyIt) {
    auto lib = shDrv("lib", libScript("echo failing after meta; exit 1"), {}, {"meta", "out"});
    auto user = shDrv("user", "cat " + output(lib, "meta") + "/m > $out; echo user-has-meta",
                      {{lib, {"meta"}}});
    auto link = shDrv("link", "cat " + output(lib, "out") + "/r > $out", {{lib, {"out"}}});
    auto top = shDrv("top", "mkdir $out", {{user, {"out"}}, {link, {"out"}}});
    relay.waiter = "lib";
    relay.signal = "user-has-meta";
    opts.keepGoing = true;
    try {
        build(top);
        FAIL() << "lib fails";
    } catch (const BuildError& e) {
        EXPECT_NE(std::string(e.what()).find("lib"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(valid(output(lib, "meta")));
    EXPECT_FALSE(valid(output(lib, "out")));
    EXPECT_TRUE(valid(output(user, "out")));
    EXPECT_FALSE(valid(output(link, "out")));
    EXPECT_FALSE(valid(output(top, "out")));
}

TEST_F(EarlyOutputs, OutputValidAndAnotherMissingIsBuiltAgainWithoutRegisteringItTwice) {
    auto lib = shDrv("lib", libScript("mkdir $out; echo rlib > $out/r"), {}, {"meta", "out"});
    std::string meta = output(lib, "meta"), out = output(lib, "out");
    relay.waiter = "lib";
    relay.signal = "meta-declared";
    relay.file = "stop";
    EXPECT_THROW(build(lib), BuildError);
    ASSERT_TRUE(valid(meta));
    ASSERT_FALSE(valid(out));
    std::string first = readFile(store.realPath(store.parseStorePath(meta)) + "/m");

    // What needs only meta neither waits for lib nor builds it.
    auto user = shDrv("user", "cat " + meta + "/m > $out", {{lib, {"meta"}}});
    relay.events.clear();
    build(user);
    using K = BuildEvent::Kind;
    EXPECT_EQ(relay.summary({K::Started}), (std::vector<std::string>{"started user"}));

    // What needs out builds lib again; its new meta (other content) is discarded.
    auto link = shDrv("link", "cat " + out + "/r > $out", {{lib, {"out"}}});
    relay.events.clear();
    relay.file = "go";
    auto outs = build(link);
    EXPECT_EQ(readFile(outs.at("out")), "rlib\n");
    EXPECT_TRUE(valid(out));
    EXPECT_EQ(readFile(store.realPath(store.parseStorePath(meta)) + "/m"), first);
    EXPECT_EQ(relay.summary({K::Started, K::OutputValid, K::Finished}),
              (std::vector<std::string>{"started lib", "output-valid lib meta", "finished lib",
                                        "started link", "finished link"}));
}
