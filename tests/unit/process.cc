// Spawning build processes: the environment is exactly the one given, the working directory,
// exit statuses, timeouts that kill the whole process group, the silence timeout, stragglers,
// and (where the kernel allows) the private network and store view.
#include "ferrix/process.hh"

#include "store-test-util.hh"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <gtest/gtest.h>
#include <sys/wait.h>

using namespace ferrix;
using Clock = std::chrono::steady_clock;

namespace {

struct Run {
    ProcessResult result;
    std::string output;
    pid_t pid = 0;
    double seconds = 0;
};

Run run(SpawnOptions o) {
    Run r;
    if (o.cwd.empty()) o.cwd = "/";
    o.onOutput = [&](std::string_view s) { r.output += s; };
    o.onStart = [&](pid_t p) { r.pid = p; };
    auto start = Clock::now();
    r.result = runProcess(o);
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

SpawnOptions sh(const std::string& script) {
    SpawnOptions o;
    o.program = "/bin/sh";
    o.args = {"-c", script};
    o.env = {{"PATH", "/usr/bin:/bin"}};
    return o;
}

// Processes of group `pgid` that are still running (zombies waiting for an init that may not
// reap them promptly do not count), after giving the kernel a moment.
int liveInGroup(pid_t pgid) {
    int live = 0;
    for (int attempt = 0; attempt < 20; attempt++) {
        live = 0;
        for (auto& name : test::listNames("/proc")) {
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            std::string stat;
            try {
                stat = readFile("/proc/" + name + "/stat");
            } catch (...) {
                continue;
            }
            // pid (comm) state ppid pgrp ...
            auto close = stat.rfind(')');
            if (close == std::string::npos) continue;
            char state = 0;
            int ppid = 0, pgrp = 0;
            if (std::sscanf(stat.c_str() + close + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
                continue;
            if (pgrp == pgid && state != 'Z' && state != 'X') live++;
        }
        if (live == 0) break;
        ::usleep(100000);
    }
    return live;
}

} // namespace

TEST(Process, EnvironmentIsExactlyTheGivenOne) {
    SpawnOptions o;
    o.program = "/usr/bin/env";
    o.env = {{"A", "1"}, {"B", "two words"}};
    auto r = run(o);
    EXPECT_TRUE(r.result.success());
    EXPECT_EQ(r.output, "A=1\nB=two words\n");
}

TEST(Process, WorkingDirectoryAndExitStatus) {
    auto o = sh("pwd; echo to-stderr >&2; exit 3");
    o.cwd = "/tmp";
    auto r = run(o);
    EXPECT_FALSE(r.result.success());
    EXPECT_TRUE(WIFEXITED(r.result.status));
    EXPECT_EQ(WEXITSTATUS(r.result.status), 3);
    EXPECT_EQ(r.output, "/tmp\nto-stderr\n");
    EXPECT_EQ(r.result.describe(o), "exited with status 3");
}

TEST(Process, StdinIsEmpty) {
    auto r = run(sh("cat; echo end"));
    EXPECT_EQ(r.output, "end\n");
}

TEST(Process, ProgramThatCannotRun) {
    SpawnOptions o;
    o.program = "/nonexistent/program";
    auto r = run(o);
    EXPECT_EQ(WEXITSTATUS(r.result.status), 127);
    EXPECT_NE(r.output.find("/nonexistent/program"), std::string::npos) << r.output;
}

TEST(Process, KilledBySignal) {
    auto o = sh("kill -9 $$");
    auto r = run(o);
    EXPECT_TRUE(WIFSIGNALED(r.result.status));
    EXPECT_NE(r.result.describe(o).find("killed by signal 9"), std::string::npos);
}

TEST(Process, TimeoutKillsTheWholeGroup) {
    auto o = sh("sleep 30 & echo started; sleep 30");
    o.timeout = 1;
    auto r = run(o);
    EXPECT_TRUE(r.result.timedOut);
    EXPECT_FALSE(r.result.success());
    EXPECT_LT(r.seconds, 10);
    EXPECT_EQ(r.output, "started\n");
    EXPECT_EQ(r.result.describe(o), "timed out after 1 seconds");
    // Nothing of the group is left.
    EXPECT_EQ(liveInGroup(r.pid), 0);
}

TEST(Process, MaxSilentTime) {
    auto o = sh("echo a; sleep 30");
    o.maxSilentTime = 1;
    auto r = run(o);
    EXPECT_TRUE(r.result.silentTooLong);
    EXPECT_LT(r.seconds, 10);
    EXPECT_EQ(r.output, "a\n");
}

TEST(Process, OutputResetsTheSilenceTimer) {
    auto o = sh("for i in 1 2 3 4 5; do echo $i; sleep 0.4; done");
    o.maxSilentTime = 1;
    auto r = run(o);
    EXPECT_TRUE(r.result.success()) << r.result.describe(o);
    EXPECT_EQ(r.output, "1\n2\n3\n4\n5\n");
}

TEST(Process, DaemonisedStragglerDoesNotHoldUsUp) {
    // The background sleep keeps the output pipe open; the builder itself is done.
    auto r = run(sh("sleep 30 & echo done"));
    EXPECT_TRUE(r.result.success());
    EXPECT_LT(r.seconds, 10);
    EXPECT_EQ(r.output, "done\n");
    EXPECT_EQ(liveInGroup(r.pid), 0);
}
