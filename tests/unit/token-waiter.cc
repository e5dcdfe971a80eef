// The scheduler's token waiter, with a real fifo and real client processes: it gets a byte
// written while it waits, before a client that blocked in read() after it; a byte it got and
// nobody took goes back; a refill counts its byte; it stops when destroyed while waiting.
#include "ferrix/token-waiter.hh"

#include "store-test-util.hh"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <initializer_list>
#include <mutex>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ferrix;

namespace {

// What the kernel says task TASK of process PID (self: "self") sleeps in: FILE "wchan" (the
// function's name, which differs between kernels) or "syscall" (the number of the system call
// first, or "running", or -1 outside one).
std::string procFile(const std::string& pid, const std::string& task, const char* file) {
    std::string path = "/proc/" + pid + (task.empty() ? "" : "/task/" + task) + "/" + file;
    try {
        return readFile(path);
    } catch (const std::exception&) {
        return "";
    }
}

// Whether the task sleeps in one of `calls` (by /proc's syscall file) or, where that file is
// not readable, in a kernel function whose name contains one of `functions`.
bool sleepsIn(const std::string& pid, const std::string& task, std::initializer_list<long> calls,
              std::initializer_list<const char*> functions) {
    std::string sc = procFile(pid, task, "syscall");
    if (!sc.empty() && sc[0] >= '0' && sc[0] <= '9') {
        long nr = std::strtol(sc.c_str(), nullptr, 10);
        for (long c : calls)
            if (nr == c) return true;
        return false;
    }
    if (!sc.empty()) return false; // "running", or -1: in no system call
    std::string w = procFile(pid, task, "wchan");
    for (const char* f : functions)
        if (w.find(f) != std::string::npos) return true;
    return false;
}

bool inEpollWait(const std::string& pid, const std::string& task) {
    return sleepsIn(pid, task,
                    {
#ifdef SYS_epoll_wait
                        SYS_epoll_wait,
#endif
                        SYS_epoll_pwait,
#ifdef SYS_epoll_pwait2
                        SYS_epoll_pwait2,
#endif
                    },
                    {"epoll", "ep_poll"});
}

// A client blocked in read() on the fifo.
bool inRead(const std::string& pid) {
    return sleepsIn(pid, "", {SYS_read},
                    {"pipe_read", "anon_pipe_read", "fifo_pipe_read", "pipe_wait"});
}

// What to show when a wait failed.
std::string whereItSleeps(const std::string& pid) {
    return "syscall: " + procFile(pid, "", "syscall") + " wchan: " + procFile(pid, "", "wchan");
}

// Waits until one of this process's threads sleeps in epoll_wait (the waiter's), or a minute.
bool waiterWaiting() {
    for (int i = 0; i < 60000; i++) {
        if (DIR* d = ::opendir("/proc/self/task")) {
            bool found = false;
            while (auto* e = ::readdir(d))
                if (e->d_name[0] != '.' && inEpollWait("self", e->d_name)) found = true;
            ::closedir(d);
            if (found) return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}

// How many bytes the fifo holds, taken out of it.
unsigned drain(Jobserver& js) {
    unsigned n = 0;
    while (js.tryAcquire())
        n++;
    return n;
}

class TokenWaiterTest : public ::testing::Test {
protected:
    test::ScratchDir dir{"ferrix-token-waiter-test-"};
    LocalStore store{test::configAt(dir.path)};
    std::mutex m;
    std::condition_variable cv;
    unsigned calls = 0;
    std::function<void()> counted = [this] {
        std::lock_guard lk(m);
        calls++;
        cv.notify_all();
    };
    // Whether the waiter called back `n` times, within a minute (it is woken, never late).
    bool calledBack(unsigned n) {
        std::unique_lock lk(m);
        return cv.wait_for(lk, std::chrono::minutes(1), [&] { return calls >= n; });
    }
};

} // namespace

TEST_F(TokenWaiterTest, GetsAByteWrittenWhileItWaits) {
    Jobserver js(store, 1); // an empty fifo
    TokenWaiter w(js, counted);
    w.request();
    ASSERT_TRUE(waiterWaiting());
    EXPECT_FALSE(w.take());
    js.release();
    ASSERT_TRUE(calledBack(1));
    EXPECT_TRUE(w.take());
    EXPECT_FALSE(w.take());
    EXPECT_EQ(drain(js), 0u);
}

TEST_F(TokenWaiterTest, GetsTheByteBeforeAClientThatBlockedAfterIt) {
    Jobserver js(store, 1);
    TokenWaiter w(js, counted);
    w.request();
    ASSERT_TRUE(waiterWaiting());
    // A client as make 4.3 is one: a blocking read() on its own description of the fifo.
    AutoCloseFD clientFd = js.openForBuild();
    int done[2];
    ASSERT_EQ(::pipe2(done, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char c;
        if (::read(clientFd.get(), &c, 1) != 1) ::_exit(1);
        if (::write(done[1], "x", 1) != 1) ::_exit(1);
        ::_exit(0);
    }
    ::close(done[1]);
    std::string child = std::to_string(pid);
    bool blocked = false;
    for (int i = 0; i < 60000 && !blocked; i++) {
        blocked = inRead(child);
        if (!blocked) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(blocked) << whereItSleeps(child);
    js.release();
    ASSERT_TRUE(calledBack(1));
    EXPECT_TRUE(w.take());
    // The client was not even woken: it still waits, and gets the next byte.
    EXPECT_TRUE(inRead(child)) << whereItSleeps(child);
    js.release();
    char c;
    EXPECT_EQ(::read(done[0], &c, 1), 1);
    ::close(done[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(drain(js), 0u);
}

TEST_F(TokenWaiterTest, AByteNobodyTookGoesBack) {
    Jobserver js(store, 3); // two bytes
    {
        TokenWaiter w(js, counted);
        w.request();
        ASSERT_TRUE(calledBack(1));
        w.cancel();
        EXPECT_FALSE(w.take());
        EXPECT_EQ(drain(js), 2u);
        js.release();
        js.release();
        w.request();
        ASSERT_TRUE(calledBack(2));
    } // destroyed holding one
    EXPECT_EQ(drain(js), 2u);
}

TEST_F(TokenWaiterTest, ARefillCountsTheWaitersByte) {
    Jobserver js(store, 3);
    TokenWaiter w(js, counted);
    w.request();
    ASSERT_TRUE(calledBack(1));
    w.refill(js);
    EXPECT_FALSE(w.take());
    EXPECT_EQ(drain(js), 2u); // tokens - 1, not one more
    // Cancelled by the refill: a byte given back now stays in the fifo.
    js.release();
    EXPECT_EQ(drain(js), 1u);
}

TEST_F(TokenWaiterTest, StopsWhenDestroyedWhileWaiting) {
    Jobserver js(store, 1);
    {
        TokenWaiter w(js, counted);
        w.request();
        ASSERT_TRUE(waiterWaiting());
    }
    js.release();
    EXPECT_EQ(drain(js), 1u);
    EXPECT_EQ(calls, 0u);
}
