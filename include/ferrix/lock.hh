// Advisory file locks (flock) that work between processes and between threads of one process:
// every lock object opens its own file description, and flock conflicts between descriptions.
#pragma once

#include "ferrix/file.hh"

#include <mutex>
#include <optional>
#include <string>

namespace ferrix {

enum class LockMode { Shared, Exclusive };

// flock on fd; returns false instead of waiting when wait is false and the lock is held.
bool lockFd(int fd, LockMode mode, bool wait);

// A lock on a long-lived file (e.g. gc.lock), which is created if needed and never deleted.
class FileLock {
public:
    // Blocks until acquired.
    FileLock(const std::string& path, LockMode mode);
    static std::optional<FileLock> tryAcquire(const std::string& path, LockMode mode);
    FileLock(FileLock&&) = default;
    FileLock& operator=(FileLock&&) = default;

private:
    FileLock() = default;
    AutoCloseFD fd;
};

// A shared lock on a long-lived file through one descriptor kept open for the owner's life, so
// taking it costs one flock instead of open + flock + close. The threads of the owner share that
// descriptor, and flock state belongs to the open file description, not to a thread: holders are
// therefore counted here, the first one taking the flock and the last one releasing it (a single
// LOCK_UN would otherwise release every thread's hold). An exclusive locker (gc) must use its own
// description, e.g. a FileLock; it waits until the count drops to zero.
class SharedFileLock {
public:
    explicit SharedFileLock(const std::string& path);
    SharedFileLock(const SharedFileLock&) = delete;
    SharedFileLock& operator=(const SharedFileLock&) = delete;

    class Guard {
    public:
        explicit Guard(SharedFileLock& l) : lock(&l) {}
        Guard(Guard&& o) noexcept : lock(o.lock) { o.lock = nullptr; }
        Guard& operator=(Guard&&) = delete;
        ~Guard() {
            if (lock) lock->release();
        }

    private:
        SharedFileLock* lock;
    };
    // Blocks until acquired.
    Guard acquire();

private:
    void release() noexcept;
    std::mutex mutex;
    unsigned holders = 0;
    AutoCloseFD fd;
};

// An exclusive lock on a per-item lock file that is deleted on release so lock files do not
// pile up. Protocol: open (creating), flock, then check the file still has a link; if a previous
// holder unlinked it meanwhile, start again on the new file. Release unlinks before unlocking.
class PathLock {
public:
    explicit PathLock(std::string path);
    static std::optional<PathLock> tryAcquire(std::string path);
    PathLock(PathLock&& o) noexcept;
    PathLock& operator=(PathLock&&) = delete;
    ~PathLock();
    const std::string& path() const { return path_; }

private:
    PathLock() = default;
    bool acquire(bool wait);
    std::string path_;
    AutoCloseFD fd;
};

} // namespace ferrix
