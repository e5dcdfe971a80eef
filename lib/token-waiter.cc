// Waiting for a jobserver token. See token-waiter.hh.
//
// The thread waits in epoll_wait on the fifo, registered with EPOLLEXCLUSIVE: the fifo's wait
// queue then holds it as it holds a client blocked in read(), in the order they came (it is
// registered when the run starts, before any client), and a byte written wakes the clients in
// poll (rustc's jobserver crate) and the first exclusive waiter that is actually waiting. While
// nothing is wanted the thread waits on a condition variable instead, and an exclusive entry
// whose thread is not in epoll_wait lets the wake-up go on to the next client.
#include "ferrix/token-waiter.hh"

#include "ferrix/error.hh"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace ferrix {

TokenWaiter::TokenWaiter(const Jobserver& jobserver, std::function<void()> acquired)
    : fifo(jobserver.openForBuild()), poller(::epoll_create1(EPOLL_CLOEXEC)),
      wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), onAcquired(std::move(acquired)) {
    if (!poller || !wakeFd) throw SysError("creating the jobserver waiter");
    // A description of our own: its non-blocking mode changes nothing for the builds'.
    int flags = ::fcntl(fifo.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fifo.get(), F_SETFL, flags | O_NONBLOCK) < 0)
        throw SysError("making the jobserver waiter's fifo non-blocking");
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.fd = fifo.get();
    if (::epoll_ctl(poller.get(), EPOLL_CTL_ADD, fifo.get(), &ev) != 0)
        throw SysError("waiting on the jobserver fifo");
    ev.events = EPOLLIN;
    ev.data.fd = wakeFd.get();
    if (::epoll_ctl(poller.get(), EPOLL_CTL_ADD, wakeFd.get(), &ev) != 0)
        throw SysError("waiting on the jobserver fifo");
    thread = std::thread([this] { run(); });
}

TokenWaiter::~TokenWaiter() {
    {
        std::lock_guard lk(m);
        stopping = true;
    }
    cv.notify_all();
    wake();
    thread.join();
    try {
        if (held) Jobserver::writeTokens(fifo.get(), 1);
    } catch (...) {
    }
}

void TokenWaiter::request() {
    {
        std::lock_guard lk(m);
        if (wanted) return;
        wanted = true;
    }
    cv.notify_all();
}

bool TokenWaiter::take() {
    std::lock_guard lk(m);
    if (!held) return false;
    held = false;
    wanted = false; // one token per request
    return true;
}

void TokenWaiter::cancel() {
    std::unique_lock lk(m);
    stopWaiting(lk);
    if (held) {
        held = false;
        Jobserver::writeTokens(fifo.get(), 1);
    }
}

// Out of epoll_wait, so that the thread takes no wake-up meant for a client; returns when it
// is out and done with the fifo.
void TokenWaiter::stopWaiting(std::unique_lock<std::mutex>& lk) {
    if (!wanted) return;
    wanted = false;
    wake();
    idle.wait(lk, [this] { return !polling || broken; });
}

void TokenWaiter::refill(Jobserver& jobserver) {
    std::unique_lock lk(m);
    stopWaiting(lk);
    held = false; // refill() counts it
    jobserver.refill();
}

bool TokenWaiter::failed() const {
    std::lock_guard lk(m);
    return broken;
}

void TokenWaiter::wake() {
    uint64_t one = 1;
    while (::write(wakeFd.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void TokenWaiter::run() {
    try {
        std::unique_lock lk(m);
        while (true) {
            cv.wait(lk, [this] { return stopping || (wanted && !held); });
            if (stopping) return;
            polling = true;
            lk.unlock();
            epoll_event events[2];
            int n = ::epoll_wait(poller.get(), events, 2, -1);
            if (n < 0 && errno != EINTR) throw SysError("waiting for a jobserver token");
            bool readable = false;
            for (int i = 0; i < n; i++) {
                if (events[i].data.fd == fifo.get()) readable = true;
                uint64_t count;
                if (events[i].data.fd == wakeFd.get())
                    while (::read(wakeFd.get(), &count, sizeof count) < 0 && errno == EINTR) {
                    }
            }
            lk.lock();
            // Out of epoll_wait, and done with the fifo when the lock is next released.
            polling = false;
            idle.notify_all();
            if (stopping) return;
            if (!readable) continue;
            // The fifo's state is read under the lock, so that cancel() then a refill of the
            // fifo see no byte in flight.
            if (!wanted || held) {
                // Woken for a byte not wanted any more, this thread may have been the one
                // exclusive waiter woken: written again, the byte wakes another.
                if (Jobserver::readToken(fifo.get())) Jobserver::writeTokens(fifo.get(), 1);
                continue;
            }
            if (!Jobserver::readToken(fifo.get())) continue; // another client was faster
            held = true;
            lk.unlock();
            onAcquired();
            lk.lock();
        }
    } catch (const std::exception&) {
        {
            std::lock_guard lk(m);
            broken = true;
            polling = false;
        }
        idle.notify_all();
        onAcquired(); // the caller falls back on looking at the fifo itself
    }
}

} // namespace ferrix
