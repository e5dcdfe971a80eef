#include "ferrix/file.hh"
#include "ferrix/error.hh"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace ferrix {

AutoCloseFD& AutoCloseFD::operator=(AutoCloseFD&& o) noexcept {
    if (this != &o) {
        close();
        fd = o.release();
    }
    return *this;
}

AutoCloseFD::~AutoCloseFD() {
    close();
}

int AutoCloseFD::release() {
    int f = fd;
    fd = -1;
    return f;
}

void AutoCloseFD::close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

std::string readFile(const std::string& path) {
    AutoCloseFD fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("opening '" + path + "'");
    std::string out;
    char buf[64 * 1024];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError("reading '" + path + "'");
        if (n == 0) break;
        out.append(buf, size_t(n));
    }
    return out;
}

void writeFile(const std::string& path, std::string_view contents, mode_t mode) {
    AutoCloseFD fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) throw SysError("creating '" + path + "'");
    const char* p = contents.data();
    size_t left = contents.size();
    while (left > 0) {
        ssize_t n = ::write(fd.get(), p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError("writing '" + path + "'");
        p += n;
        left -= size_t(n);
    }
}

bool pathExists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool isDirectory(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isRegularFile(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> readDirectory(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw SysError("opening directory '" + dir + "'");
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n != "." && n != "..") names.emplace_back(n);
    }
    int err = errno;
    ::closedir(d);
    if (err) {
        errno = err;
        throw SysError("reading directory '" + dir + "'");
    }
    std::sort(names.begin(), names.end());
    return names;
}

struct stat lstatPath(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) throw SysError("getting status of '" + path + "'");
    return st;
}

void deletePath(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        throw SysError("getting status of '" + path + "'");
    }
    if (S_ISDIR(st.st_mode)) {
        if ((st.st_mode & S_IRWXU) != S_IRWXU && ::chmod(path.c_str(), st.st_mode | S_IRWXU) != 0)
            throw SysError("making '" + path + "' writable");
        DIR* d = ::opendir(path.c_str());
        if (!d) throw SysError("opening directory '" + path + "'");
        std::vector<std::string> names;
        while (struct dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        ::closedir(d);
        for (auto& n : names)
            deletePath(path + "/" + n);
        if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
            throw SysError("removing directory '" + path + "'");
    } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        throw SysError("removing '" + path + "'");
    }
}

void createDirs(const std::string& path) {
    if (path.empty() || path == "/") return;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) throw Error("'" + path + "' exists and is not a directory");
        return;
    }
    createDirs(dirOf(path));
    if (::mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
        throw SysError("creating directory '" + path + "'");
}

std::string makeTempDir(const std::string& dir, const std::string& prefix) {
    std::string tmpl = dir + "/" + prefix + "XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (!::mkdtemp(buf.data())) throw SysError("creating a temporary directory in '" + dir + "'");
    return std::string(buf.data());
}

std::string absPath(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char buf[PATH_MAX];
    if (!::getcwd(buf, sizeof buf)) throw SysError("getting the current directory");
    std::string cwd = buf;
    if (path.empty() || path == ".") return cwd;
    return (cwd == "/" ? "" : cwd) + "/" + path;
}

std::string dirOf(std::string_view path) {
    auto pos = path.rfind('/');
    if (pos == std::string_view::npos) return ".";
    if (pos == 0) return "/";
    return std::string(path.substr(0, pos));
}

std::string baseNameOf(std::string_view path) {
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    auto pos = path.rfind('/');
    return std::string(pos == std::string_view::npos ? path : path.substr(pos + 1));
}

std::string readLink(const std::string& path) {
    std::vector<char> buf(256);
    while (true) {
        ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
        if (n < 0) throw SysError("reading symbolic link '" + path + "'");
        if (size_t(n) < buf.size()) return std::string(buf.data(), size_t(n));
        buf.resize(buf.size() * 2);
    }
}

void fsyncPath(const std::string& path) {
    AutoCloseFD fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return; // symlinks cannot be opened this way; nothing to sync
    if (::fsync(fd.get()) != 0 && errno != EINVAL) throw SysError("syncing '" + path + "'");
}

static void copyContents(const std::string& from, const std::string& to, mode_t mode) {
    AutoCloseFD in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!in) throw SysError("opening '" + from + "'");
    AutoCloseFD out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!out) throw SysError("creating '" + to + "'");
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(in.get(), buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError("reading '" + from + "'");
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = ::write(out.get(), buf + done, size_t(n - done));
            if (w < 0) {
                if (errno == EINTR) continue;
                throw SysError("writing '" + to + "'");
            }
            done += w;
        }
    }
    if (::close(out.release()) != 0) throw SysError("writing '" + to + "'");
}

void copyTree(const std::string& from, const std::string& to) {
    struct stat st = lstatPath(from);
    if (S_ISREG(st.st_mode)) {
        copyContents(from, to, (st.st_mode & S_IXUSR) ? 0700 : 0600);
    } else if (S_ISDIR(st.st_mode)) {
        if (::mkdir(to.c_str(), 0700) != 0) throw SysError("creating directory '" + to + "'");
        for (auto& n : readDirectory(from))
            copyTree(from + "/" + n, to + "/" + n);
    } else if (S_ISLNK(st.st_mode)) {
        if (::symlink(readLink(from).c_str(), to.c_str()) != 0)
            throw SysError("creating symbolic link '" + to + "'");
    } else {
        throw Error("'" + from +
                    "' is not a regular file, directory or symbolic link; such files "
                    "cannot be stored");
    }
}

} // namespace ferrix
