// The run's jobserver. See jobserver.hh.
#include "ferrix/jobserver.hh"

#include "ferrix/error.hh"
#include "ferrix/lock.hh"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix {

Jobserver::Jobserver(LocalStore& store, unsigned tokens) : total(tokens ? tokens : 1) {
    std::string builds = store.buildsDir();
    createDirs(builds);
    dir = makeTempDir(builds, "jobserver-");
    // Locked like a work directory, so that gc leaves it while this run lives.
    lock = AutoCloseFD(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lock || !lockFd(lock.get(), LockMode::Exclusive, false))
        throw SysError("locking '" + dir + "'");
    // Build users (other ids) reach the fifo through the descriptors they are given; the
    // modes let them reopen it by path too.
    if (::chmod(dir.c_str(), 0711) != 0) throw SysError("changing the mode of '" + dir + "'");
    fifo = dir + "/fifo";
    if (::mkfifo(fifo.c_str(), 0600) != 0) throw SysError("creating '" + fifo + "'");
    if (::chmod(fifo.c_str(), 0666) != 0) throw SysError("changing the mode of '" + fifo + "'");
    // O_RDWR: opening a fifo for both never waits for the other side, and the fifo never
    // reads as ended while this run lives.
    fd = AutoCloseFD(::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd) throw SysError("opening '" + fifo + "'");
    writeTokens(fd.get(), total - 1);
}

Jobserver::~Jobserver() {
    try {
        fd.close();
        deletePath(dir);
    } catch (...) {
    }
}

bool Jobserver::readToken(int fd) {
    char c;
    while (true) {
        ssize_t n = ::read(fd, &c, 1);
        if (n == 1) return true;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) throw SysError("reading a jobserver token");
        return false;
    }
}

void Jobserver::writeTokens(int fd, unsigned n) {
    std::string bytes(n, '+'); // make writes '+'; clients give back whatever they read
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw SysError("writing jobserver tokens");
        done += size_t(w);
    }
}

bool Jobserver::tryAcquire() {
    return readToken(fd.get());
}

void Jobserver::release() {
    writeTokens(fd.get(), 1);
}

void Jobserver::refill() {
    char buf[512];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) throw SysError("reading jobserver tokens");
        break;
    }
    writeTokens(fd.get(), total - 1);
}

AutoCloseFD Jobserver::openForBuild() const {
    AutoCloseFD f(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!f) throw SysError("opening '" + fifo + "'");
    return f;
}

std::string Jobserver::makeflagsForDescriptors() {
    // --jobserver-fds: the name make before 4.2 and old jobserver crates read.
    return "-j --jobserver-fds=3,4 --jobserver-auth=3,4";
}

} // namespace ferrix
