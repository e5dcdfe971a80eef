// Advisory file locks (flock) that work between processes and between threads of one process:
// every lock object opens its own file description, and flock conflicts between descriptions.
#pragma once

#include "ferrix/file.hh"

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
