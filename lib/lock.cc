#include "ferrix/lock.hh"
#include "ferrix/error.hh"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix {

bool lockFd(int fd, LockMode mode, bool wait) {
    int op = (mode == LockMode::Shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
    while (::flock(fd, op) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return false;
        throw SysError("locking file descriptor " + std::to_string(fd));
    }
    return true;
}

static AutoCloseFD openLockFile(const std::string& path) {
    AutoCloseFD fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw SysError("opening lock file '" + path + "'");
    return fd;
}

FileLock::FileLock(const std::string& path, LockMode mode) : fd(openLockFile(path)) {
    lockFd(fd.get(), mode, true);
}

std::optional<FileLock> FileLock::tryAcquire(const std::string& path, LockMode mode) {
    FileLock l;
    l.fd = openLockFile(path);
    if (!lockFd(l.fd.get(), mode, false)) return std::nullopt;
    return l;
}

SharedFileLock::SharedFileLock(const std::string& path) : fd(openLockFile(path)) {}

SharedFileLock::Guard SharedFileLock::acquire() {
    std::lock_guard lk(mutex);
    // Waiting here with the mutex held is fine: holders is 0, so no thread needs the mutex to
    // release, and the others would wait for the same flock anyway.
    if (holders == 0) lockFd(fd.get(), LockMode::Shared, true);
    holders++;
    return Guard(*this);
}

void SharedFileLock::release() noexcept {
    std::lock_guard lk(mutex);
    if (--holders == 0) ::flock(fd.get(), LOCK_UN);
}

PathLock::PathLock(std::string path) : path_(std::move(path)) {
    acquire(true);
}

std::optional<PathLock> PathLock::tryAcquire(std::string path) {
    PathLock l;
    l.path_ = std::move(path);
    if (!l.acquire(false)) return std::nullopt;
    return l;
}

bool PathLock::acquire(bool wait) {
    while (true) {
        AutoCloseFD f = openLockFile(path_);
        if (!lockFd(f.get(), LockMode::Exclusive, wait)) return false;
        struct stat st;
        if (::fstat(f.get(), &st) != 0)
            throw SysError("getting status of lock file '" + path_ + "'");
        // Unlinked by the holder we waited for: that file no longer guards anything.
        if (st.st_nlink == 0) continue;
        fd = std::move(f);
        return true;
    }
}

PathLock::PathLock(PathLock&& o) noexcept : path_(std::move(o.path_)), fd(std::move(o.fd)) {}

PathLock::~PathLock() {
    if (!fd) return;
    // Unlink while still holding it, so a waiter that gets the lock next sees it is stale.
    ::unlink(path_.c_str());
    fd.close();
}

} // namespace ferrix
