// Waiting for a jobserver token in the fifo's queue, as rustc's and make's clients do: a thread
// of the scheduler's blocked on the fifo while a build is ready and no token is free, handing the
// byte it reads to the scheduler. Without it the scheduler could only look now and then, and a
// byte given back went to a client already waiting almost every time. See doc/build.md, "Jobs
// and the jobserver".
#pragma once

#include "ferrix/file.hh"
#include "ferrix/jobserver.hh"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ferrix {

class TokenWaiter {
public:
    // `acquired` is called from the waiter's thread, holding no lock of the waiter, each time it
    // holds a token for take(), and once if it stops on an error.
    TokenWaiter(const Jobserver& jobserver, std::function<void()> acquired);
    // Wakes and joins the thread; a token it holds goes back to the fifo.
    ~TokenWaiter();
    TokenWaiter(const TokenWaiter&) = delete;
    TokenWaiter& operator=(const TokenWaiter&) = delete;

    // Wait for one token, until it is taken or cancel() is called.
    void request();
    // The token acquired, if there is one: the caller owns it from now on.
    bool take();
    // No token is wanted any more: one acquired and not taken goes back to the fifo, and nothing
    // is read from it until the next request(), so that the caller may refill the fifo.
    void cancel();
    // cancel(), then the fifo refilled (Jobserver::refill) while the thread can read nothing:
    // a token it held is among those written again.
    void refill(Jobserver& jobserver);
    // Whether the thread stopped on an error (reading the fifo failed): it waits no more.
    bool failed() const;

private:
    void run();
    void wake();
    void stopWaiting(std::unique_lock<std::mutex>& lk);

    AutoCloseFD fifo, poller, wakeFd; // fifo: its own description, non-blocking
    std::function<void()> onAcquired;
    mutable std::mutex m;
    std::condition_variable cv, idle; // idle: the thread left epoll_wait
    bool wanted = false, held = false, stopping = false, broken = false;
    bool polling = false; // the thread is in epoll_wait, or about to be
    std::thread thread;   // the last member: it starts when the rest exists
};

} // namespace ferrix
