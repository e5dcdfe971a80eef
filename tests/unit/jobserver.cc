// The run's jobserver and the ready queue's order, with real processes: GNU make as a client in
// two concurrent builds never runs more recipes than there are tokens; the tokens a killed or
// failed client took come back; with -M 1 the longest chain starts first.
#include "ferrix/build.hh"

#include "ferrix/derivation.hh"
#include "ferrix/jobserver.hh"
#include "store-test-util.hh"

#include <algorithm>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mutex>
#include <sstream>
#include <unistd.h>

using namespace ferrix;

namespace {

struct StartedNames : BuildObserver {
    std::mutex m;
    std::vector<std::string> names;
    void event(const BuildEvent& e) override {
        std::lock_guard lk(m);
        if (e.kind == BuildEvent::Kind::Started) names.push_back(e.name);
    }
};

class JobserverTest : public ::testing::Test {
protected:
    test::ScratchDir dir{"ferrix-jobserver-test-"};
    LocalStore store{test::configAt(dir.path)};
    DrvHashes hashes{[this](const std::string& p) {
        return parseDerivation(store.readText(store.parseStorePath(p)), "", &store.storeDir());
    }};
    BuildOptions opts;

    void SetUp() override {
        opts.progressFd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        opts.fetch = FetchOptions{};
    }
    void TearDown() override { ::close(opts.progressFd); }

    std::string shDrv(const std::string& name, const std::string& script,
                      const std::vector<std::string>& inputs = {}) {
        Derivation d;
        d.name = name;
        d.platform = "x86_64-linux";
        d.builder = "/bin/sh";
        d.args = {"-c", script};
        d.env = {{"name", name}, {"builder", "/bin/sh"}, {"system", "x86_64-linux"}};
        d.outputs["out"] = {};
        for (auto& i : inputs)
            d.inputDrvs[store.parseStorePath(i)].insert("out");
        fillInputAddressedOutputs(d, store.storeDir(), hashes);
        return store.printStorePath(store.addText(d.name + ".drv",
                                                  unparse(store.storeDir(), d, false),
                                                  derivationReferences(store.storeDir(), d)));
    }
    std::string outputOf(const std::string& drv) {
        return store.printStorePath(
            *parseDerivation(store.readText(store.parseStorePath(drv)), "", &store.storeDir())
                 .outputs.at("out")
                 .path);
    }
};

// A build running `make` as cargo's build scripts do (MAKEFLAGS from CARGO_MAKEFLAGS) on four
// recipes, each writing its start and end times into $out/RECIPE.
std::string makeScript(const std::string& tag) {
    return "mkdir $out && cd $TMPDIR && "
           "printf 'all: t1 t2 t3 t4\\nt%%:\\n\\tdate +%%s%%N >> $(OUT)/$@; sleep 0.4; "
           "date +%%s%%N >> $(OUT)/$@\\n' > Makefile && "
           "MAKEFLAGS=\"$CARGO_MAKEFLAGS\" make OUT=$out 2>&1 && echo " +
           tag + " > $out/tag";
}

// The most recipes that ran at once, from the intervals in the outputs' files.
size_t maxOverlap(const std::vector<std::string>& outs, size_t& recipes) {
    std::vector<std::pair<long long, int>> edges;
    recipes = 0;
    for (auto& out : outs)
        for (auto& t : {"t1", "t2", "t3", "t4"}) {
            std::istringstream in(readFile(out + "/" + t));
            long long start = 0, end = 0;
            in >> start >> end;
            edges.push_back({start, +1});
            edges.push_back({end, -1});
            recipes++;
        }
    std::sort(edges.begin(), edges.end()); // at the same time, an end (-1) before a start
    long now = 0, most = 0;
    for (auto& [t, d] : edges)
        most = std::max(most, now += d);
    return size_t(most);
}

} // namespace

TEST_F(JobserverTest, TheFifoHoldsAllTokensButTheImplicitOne) {
    Jobserver js(store, 3);
    EXPECT_TRUE(pathExists(js.fifoPath()));
    EXPECT_TRUE(js.tryAcquire());
    EXPECT_TRUE(js.tryAcquire());
    EXPECT_FALSE(js.tryAcquire());
    js.release();
    js.refill(); // one was in the fifo: two again, not three
    EXPECT_TRUE(js.tryAcquire());
    EXPECT_TRUE(js.tryAcquire());
    EXPECT_FALSE(js.tryAcquire());
    std::string fifo = js.fifoPath();
    {
        Jobserver gone(store, 1);
        fifo = gone.fifoPath();
    }
    EXPECT_FALSE(pathExists(fifo));
}

TEST_F(JobserverTest, MakeInTwoBuildsRunsNoMoreRecipesThanTokens) {
    auto a = shDrv("make-a", makeScript("a"));
    auto b = shDrv("make-b", makeScript("b"));
    auto top = shDrv("both", "echo > $out", {a, b});
    opts.maxJobs = 2;
    opts.cores = 2;
    buildDerivations(store, {{top, {}}}, opts);
    size_t recipes = 0;
    EXPECT_LE(maxOverlap({outputOf(a), outputOf(b)}, recipes), 2u);
    EXPECT_EQ(recipes, 8u);
    // make found the jobserver (else it says so and runs one recipe at a time).
    for (auto& d : {a, b}) {
        std::string log = readFile(buildLogPath(store, store.parseStorePath(d)));
        EXPECT_EQ(log.find("jobserver unavailable"), std::string::npos) << log;
    }
}

TEST_F(JobserverTest, OneBuildsMakeTakesTheFreeTokens) {
    auto a = shDrv("make-alone", makeScript("alone"));
    opts.maxJobs = 1;
    opts.cores = 3;
    buildDerivations(store, {{a, {}}}, opts);
    size_t recipes = 0;
    size_t most = maxOverlap({outputOf(a)}, recipes);
    EXPECT_LE(most, 3u);
    EXPECT_GE(most, 2u); // without the jobserver's tokens, make would run one at a time
}

TEST_F(JobserverTest, TokensComeBackAfterAFailingOrKilledBuild) {
    // Each thief takes both tokens of the fifo and never gives them back; it has a dependent,
    // so it starts before the probes (-M 1), which count the tokens they find.
    std::string probe = "mkdir $out; dd bs=1 count=64 iflag=nonblock <&3 2>/dev/null | wc -c "
                        "> $out/tokens";
    auto failing = shDrv("thief-fails", "dd bs=1 count=2 <&3 2>/dev/null; exit 1");
    auto killed = shDrv("thief-killed", "dd bs=1 count=2 <&3 2>/dev/null; sleep 60");
    auto afterFailing = shDrv("victim", "echo > $out", {failing});
    auto afterKilled = shDrv("victim2", "echo > $out", {afterFailing, killed});
    auto probe1 = shDrv("probe1", probe);
    auto probe2 = shDrv("probe2", probe + "; echo 2 > $out/n");
    opts.maxJobs = 1;
    opts.cores = 3;
    opts.keepGoing = true;
    opts.timeout = 2;
    StartedNames started;
    opts.observer = &started;
    EXPECT_THROW(buildDerivations(store, {{afterKilled, {}}, {probe1, {}}, {probe2, {}}}, opts),
                 BuildError);
    ASSERT_EQ(started.names.size(), 4u);
    EXPECT_TRUE(started.names[0].starts_with("thief") && started.names[1].starts_with("thief"));
    EXPECT_EQ(readFile(outputOf(probe1) + "/tokens"), "2\n");
    EXPECT_EQ(readFile(outputOf(probe2) + "/tokens"), "2\n");
}

TEST_F(JobserverTest, LongestChainStartsFirst) {
    // chain1 <- chain2 <- chain3 <- top, and four leaves under top: one at a time, the chain's
    // builds come first, whatever the order the graph was read in.
    auto c1 = shDrv("chain1", "echo > $out");
    auto c2 = shDrv("chain2", "echo > $out", {c1});
    auto c3 = shDrv("chain3", "echo > $out", {c2});
    std::vector<std::string> inputs = {c3};
    for (auto& l : {"leaf1", "leaf2", "leaf3", "leaf4"})
        inputs.push_back(shDrv(l, "echo > $out"));
    auto top = shDrv("top", "echo > $out", inputs);
    StartedNames started;
    opts.observer = &started;
    opts.maxJobs = 1;
    buildDerivations(store, {{top, {}}}, opts);
    ASSERT_EQ(started.names.size(), 8u);
    EXPECT_EQ(started.names[0], "chain1");
    EXPECT_EQ(started.names[1], "chain2");
    EXPECT_EQ(started.names.back(), "top");
    // chain3 ties with the leaves (one build below it each): those ready first go first.
    EXPECT_EQ(started.names[6], "chain3");
}

// A build ending while another is ready hands its token over instead of writing it to the fifo,
// where a client blocked in read() would get it first. The only byte `client`'s dd can get is
// the one `after` writes once it runs: had the ended build's token gone through the fifo, dd
// could have taken it first, and `client` would then end before `after` starts (the old
// scheduler failed this one time in five here).
TEST_F(JobserverTest, AnEndedBuildsTokenGoesToTheNextReadyBuild) {
    struct Order : BuildObserver {
        std::mutex m;
        std::vector<std::string> events;
        void event(const BuildEvent& e) override {
            std::lock_guard lk(m);
            if (e.kind == BuildEvent::Kind::Started) events.push_back("start " + e.name);
            if (e.kind == BuildEvent::Kind::Finished) events.push_back("end " + e.name);
        }
    } order;
    auto first = shDrv("first", "echo > $out");
    // Keeps the byte it gets, as a killed client would (the refill at the run's end makes up).
    auto client = shDrv("client", "dd bs=1 count=1 <&3 2>/dev/null | wc -c > $out");
    auto after = shDrv("after", "printf + >&4; echo > $out", {first});
    auto top = shDrv("top", "echo > $out", {client, after});
    opts.maxJobs = 2;
    opts.cores = 2; // one byte in the fifo, taken by the second build that starts
    opts.observer = &order;
    buildDerivations(store, {{top, {}}}, opts);
    auto at = [&](const std::string& e) {
        return std::find(order.events.begin(), order.events.end(), e) - order.events.begin();
    };
    ASSERT_EQ(order.events.size(), 8u);
    EXPECT_LT(at("start after"), at("end client"));
    EXPECT_EQ(readFile(outputOf(client)), "1\n");
}
