// Small file-system helpers over POSIX calls, with errors that name the path.
#pragma once

#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

namespace ferrix {

// Owns a file descriptor; closes it on destruction.
class AutoCloseFD {
public:
    AutoCloseFD() = default;
    explicit AutoCloseFD(int fd) : fd(fd) {}
    AutoCloseFD(const AutoCloseFD&) = delete;
    AutoCloseFD& operator=(const AutoCloseFD&) = delete;
    AutoCloseFD(AutoCloseFD&& o) noexcept : fd(o.release()) {}
    AutoCloseFD& operator=(AutoCloseFD&& o) noexcept;
    ~AutoCloseFD();
    int get() const { return fd; }
    explicit operator bool() const { return fd >= 0; }
    int release();
    void close();

private:
    int fd = -1;
};

std::string readFile(const std::string& path);
void writeFile(const std::string& path, std::string_view contents, mode_t mode = 0666);
bool pathExists(const std::string& path);
// Whether stat (following links) finds a directory / a regular file there.
bool isDirectory(const std::string& path);
bool isRegularFile(const std::string& path);
// The names in a directory, sorted, without "." and ".."; throws SysError naming it.
std::vector<std::string> readDirectory(const std::string& dir);
// lstat; throws SysError naming the path.
struct stat lstatPath(const std::string& path);
// Removes a file or a whole tree, making read-only directories writable first. Missing is fine.
void deletePath(const std::string& path);
void createDirs(const std::string& path);
// Creates a fresh directory next to (or under) `dir` with the given prefix, mode 0700.
std::string makeTempDir(const std::string& dir, const std::string& prefix);
std::string absPath(const std::string& path);
// "/a/b/c" -> "/a/b"; "/a" -> "/".
std::string dirOf(std::string_view path);
std::string baseNameOf(std::string_view path);
std::string readLink(const std::string& path);
void fsyncPath(const std::string& path);
// Copies the tree at `from` to `to` (which must not exist) into new inodes: files 0600 or 0700,
// directories 0700, hard links become separate files. Anything but files, directories and
// symlinks throws Error.
void copyTree(const std::string& from, const std::string& to);

} // namespace ferrix
