// Safe unpacking and reproducible packing with libarchive (see archive.hh).
#include "ferrix/archive.hh"

#include "ferrix/file.hh"
#include "shared-library.hh"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <set>
#include <unistd.h>
#include <vector>

#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

namespace ferrix {

namespace {

// libarchive, opened on first use: linked, it made every command load it with libxml2, ICU and
// more (about 1.5 ms of start-up), although only unpacking and packing need it. The headers
// give the types; the functions are looked up once.
struct LibArchive {
    decltype(&::archive_entry_filetype) entry_filetype;
    decltype(&::archive_entry_free) entry_free;
    decltype(&::archive_entry_hardlink) entry_hardlink;
    decltype(&::archive_entry_new) entry_new;
    decltype(&::archive_entry_pathname) entry_pathname;
    decltype(&::archive_entry_perm) entry_perm;
    decltype(&::archive_entry_set_filetype) entry_set_filetype;
    decltype(&::archive_entry_set_gid) entry_set_gid;
    decltype(&::archive_entry_set_gname) entry_set_gname;
    decltype(&::archive_entry_set_mtime) entry_set_mtime;
    decltype(&::archive_entry_set_pathname) entry_set_pathname;
    decltype(&::archive_entry_set_perm) entry_set_perm;
    decltype(&::archive_entry_set_size) entry_set_size;
    decltype(&::archive_entry_set_symlink) entry_set_symlink;
    decltype(&::archive_entry_set_uid) entry_set_uid;
    decltype(&::archive_entry_set_uname) entry_set_uname;
    decltype(&::archive_entry_size) entry_size;
    decltype(&::archive_entry_symlink) entry_symlink;
    decltype(&::archive_error_string) error_string;
    decltype(&::archive_filter_bytes) filter_bytes;
    decltype(&::archive_read_data) read_data;
    decltype(&::archive_read_data_block) read_data_block;
    decltype(&::archive_read_free) read_free;
    decltype(&::archive_read_new) read_new;
    decltype(&::archive_read_next_header) read_next_header;
    decltype(&::archive_read_open_filename) read_open_filename;
    decltype(&::archive_read_open_memory) read_open_memory;
    decltype(&::archive_read_support_filter_all) read_support_filter_all;
    decltype(&::archive_read_support_format_all) read_support_format_all;
    decltype(&::archive_read_support_format_tar) read_support_format_tar;
    decltype(&::archive_write_add_filter_gzip) write_add_filter_gzip;
    decltype(&::archive_write_close) write_close;
    decltype(&::archive_write_data) write_data;
    decltype(&::archive_write_free) write_free;
    decltype(&::archive_write_header) write_header;
    decltype(&::archive_write_new) write_new;
    decltype(&::archive_write_open_filename) write_open_filename;
    decltype(&::archive_write_set_filter_option) write_set_filter_option;
    decltype(&::archive_write_set_format_gnutar) write_set_format_gnutar;
};

const LibArchive& la() {
    static LibArchive l;
    static std::string error;
    static std::once_flag once;
    std::call_once(once, [] {
        SharedLibrary lib({"libarchive.so.13", "libarchive.so"}, "libarchive");
        auto sym = [&](auto& fn, const char* name) { lib.function(fn, name); };
        sym(l.entry_filetype, "archive_entry_filetype");
        sym(l.entry_free, "archive_entry_free");
        sym(l.entry_hardlink, "archive_entry_hardlink");
        sym(l.entry_new, "archive_entry_new");
        sym(l.entry_pathname, "archive_entry_pathname");
        sym(l.entry_perm, "archive_entry_perm");
        sym(l.entry_set_filetype, "archive_entry_set_filetype");
        sym(l.entry_set_gid, "archive_entry_set_gid");
        sym(l.entry_set_gname, "archive_entry_set_gname");
        sym(l.entry_set_mtime, "archive_entry_set_mtime");
        sym(l.entry_set_pathname, "archive_entry_set_pathname");
        sym(l.entry_set_perm, "archive_entry_set_perm");
        sym(l.entry_set_size, "archive_entry_set_size");
        sym(l.entry_set_symlink, "archive_entry_set_symlink");
        sym(l.entry_set_uid, "archive_entry_set_uid");
        sym(l.entry_set_uname, "archive_entry_set_uname");
        sym(l.entry_size, "archive_entry_size");
        sym(l.entry_symlink, "archive_entry_symlink");
        sym(l.error_string, "archive_error_string");
        sym(l.filter_bytes, "archive_filter_bytes");
        sym(l.read_data, "archive_read_data");
        sym(l.read_data_block, "archive_read_data_block");
        sym(l.read_free, "archive_read_free");
        sym(l.read_new, "archive_read_new");
        sym(l.read_next_header, "archive_read_next_header");
        sym(l.read_open_filename, "archive_read_open_filename");
        sym(l.read_open_memory, "archive_read_open_memory");
        sym(l.read_support_filter_all, "archive_read_support_filter_all");
        sym(l.read_support_format_all, "archive_read_support_format_all");
        sym(l.read_support_format_tar, "archive_read_support_format_tar");
        sym(l.write_add_filter_gzip, "archive_write_add_filter_gzip");
        sym(l.write_close, "archive_write_close");
        sym(l.write_data, "archive_write_data");
        sym(l.write_free, "archive_write_free");
        sym(l.write_header, "archive_write_header");
        sym(l.write_new, "archive_write_new");
        sym(l.write_open_filename, "archive_write_open_filename");
        sym(l.write_set_filter_option, "archive_write_set_filter_option");
        sym(l.write_set_format_gnutar, "archive_write_set_format_gnutar");
        error = lib.error;
    });
    if (!error.empty()) throw Error(error);
    return l;
}

struct ReadArchive {
    archive* a = la().read_new();
    ~ReadArchive() { la().read_free(a); }
};
struct WriteArchive {
    archive* a;
    explicit WriteArchive(archive* a) : a(a) {}
    ~WriteArchive() { la().write_free(a); }
};
struct Entry {
    archive_entry* e = la().entry_new();
    ~Entry() { la().entry_free(e); }
};

// Removes a directory tree at scope exit unless disarmed.
struct Cleanup {
    std::string path;
    ~Cleanup() {
        if (path.empty()) return;
        try {
            deletePath(path);
        } catch (...) {
        }
    }
};

std::vector<std::string> split(const std::string& name) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= name.size()) {
        size_t j = name.find('/', i);
        if (j == std::string::npos) j = name.size();
        parts.push_back(name.substr(i, j - i));
        i = j + 1;
    }
    return parts;
}

// The components of a relative entry name, "." components dropped. Throws UnsafeArchive for an
// absolute name or a ".." component.
std::vector<std::string> components(const std::string& where, const std::string& name,
                                    const char* what = "entry") {
    if (!name.empty() && name[0] == '/')
        throw UnsafeArchive(where + ": " + what + " '" + name + "' has an absolute path");
    std::vector<std::string> parts;
    for (auto& part : split(name)) {
        if (part == "..")
            throw UnsafeArchive(where + ": " + what + " '" + name + "' has a '..' component");
        if (!part.empty() && part != ".") parts.push_back(part);
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, size_t n) {
    std::string s;
    for (size_t i = 0; i < n && i < parts.size(); ++i) {
        if (i) s += '/';
        s += parts[i];
    }
    return s;
}

// Throws unless the symlink at `parts` (relative to the root) with `target` stays in the tree,
// resolving `target` lexically from the link's directory: the early, cheap check; the links it
// goes through are resolved after unpacking (checkLinksResolve).
void checkSymlink(const std::string& where, const std::string& name,
                  const std::vector<std::string>& parts, const std::string& target) {
    if (target.empty()) throw UnsafeArchive(where + ": symlink '" + name + "' has an empty target");
    if (target[0] == '/')
        throw UnsafeArchive(where + ": symlink '" + name + "' points to the absolute path '" +
                            target + "', outside the tree");
    size_t depth = parts.size() - 1;
    for (auto& part : split(target)) {
        if (part == "..") {
            if (depth == 0)
                throw UnsafeArchive(where + ": symlink '" + name + "' points to '" + target +
                                    "', outside the tree");
            --depth;
        } else if (!part.empty() && part != ".") {
            ++depth;
        }
    }
}

const char* typeName(mode_t type) {
    switch (type) {
    case AE_IFCHR:
        return "a character device";
    case AE_IFBLK:
        return "a block device";
    case AE_IFIFO:
        return "a FIFO";
    case AE_IFSOCK:
        return "a socket";
    default:
        return "of an unsupported type";
    }
}

std::string archiveError(archive* a, const std::string& what) {
    const char* e = la().error_string(a);
    return what + ": " + (e ? e : "unknown libarchive error");
}

// --- Resolving beneath a root.

// openat2(2) from `dirFd` with RESOLVE_BENEATH and `resolve`. Fails with ENOSYS where the kernel
// (before 5.6) or a seccomp filter lacks it, and when FERRIX_NO_OPENAT2 is set (so that the
// tests can run the walk that replaces it).
int openat2Beneath(int dirFd, const std::string& path, int flags, uint64_t resolve) {
    const char* off = std::getenv("FERRIX_NO_OPENAT2");
    if (off && *off && std::strcmp(off, "0") != 0) {
        errno = ENOSYS;
        return -1;
    }
    struct open_how how {};
    how.flags = uint64_t(flags);
    how.resolve = RESOLVE_BENEATH | resolve;
    // EAGAIN: a concurrent rename made the kernel unsure that ".." stayed beneath; retry.
    for (int tries = 0; tries < 64; ++tries) {
        long fd = syscall(SYS_openat2, dirFd, path.c_str(), &how, sizeof how);
        if (fd >= 0) return int(fd);
        // EPERM: seccomp filters that predate openat2 (Docker's, say) refuse it so; the walk
        // meets a real permission error again.
        if (errno == EPERM) errno = ENOSYS;
        if (errno != EAGAIN && errno != EINTR) return -1;
    }
    return -1;
}

enum class Resolution { Inside, Outside, Loop };

// Resolves `rel` (relative to `rootFd`, its directories real ones) as the kernel would, following
// every symlink on the way and at the end, against the root: where openat2 is missing, and for
// dangling links. A missing component and what follows it are taken lexically, so that a link
// whose target would leave the tree once the missing part appeared counts as leaving it.
Resolution resolveBeneath(int rootFd, const std::string& rel) {
    std::vector<std::string> at; // resolved directories under the root, none a symlink
    std::vector<std::string> todo = split(rel);
    std::reverse(todo.begin(), todo.end()); // a stack: next component last
    int links = 0;
    bool missing = false;
    while (!todo.empty()) {
        std::string c = std::move(todo.back());
        todo.pop_back();
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (at.empty()) return Resolution::Outside;
            at.pop_back();
            continue;
        }
        if (!missing) {
            std::string path = at.empty() ? c : join(at, at.size()) + "/" + c;
            struct stat st;
            if (fstatat(rootFd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                missing = true;
            } else if (S_ISLNK(st.st_mode)) {
                if (++links > 40) return Resolution::Loop; // the kernel's limit
                std::vector<char> buf(PATH_MAX + 1);
                ssize_t n = readlinkat(rootFd, path.c_str(), buf.data(), buf.size() - 1);
                if (n <= 0) return Resolution::Outside;
                std::string target(buf.data(), size_t(n));
                if (target[0] == '/') return Resolution::Outside;
                auto parts = split(target);
                todo.insert(todo.end(), parts.rbegin(), parts.rend());
                continue;
            } else if (!S_ISDIR(st.st_mode) && !todo.empty()) {
                missing = true; // a file with more after it: ENOTDIR; lexical from here
            }
        }
        at.push_back(std::move(c));
    }
    return Resolution::Inside;
}

// Throws UnsafeArchive unless each symlink of `links` (paths relative to `root`, shown as
// `prefix` + path) resolves, through every link on its way, to a place beneath `root`.
void checkLinksResolve(const std::string& root, const std::string& where,
                       const std::vector<std::string>& links, const std::string& prefix) {
    if (links.empty()) return;
    AutoCloseFD rootFd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootFd) throw SysError("opening '" + root + "'");
    for (auto& rel : links) {
        Resolution r = Resolution::Inside;
        int fd = openat2Beneath(rootFd.get(), rel, O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);
        if (fd >= 0)
            close(fd);
        else if (errno == EXDEV)
            r = Resolution::Outside;
        else if (errno == ELOOP)
            r = Resolution::Loop;
        else // ENOSYS, or dangling (ENOENT, ENOTDIR): the walk decides
            r = resolveBeneath(rootFd.get(), rel);
        if (r == Resolution::Inside) continue;
        char buf[PATH_MAX + 1];
        ssize_t n = readlinkat(rootFd.get(), rel.c_str(), buf, sizeof buf - 1);
        std::string target = n > 0 ? std::string(buf, size_t(n)) : "?";
        if (r == Resolution::Loop)
            throw UnsafeArchive(where + ": symlink '" + prefix + rel + "' points to '" + target +
                                "', which does not resolve (a loop of symlinks)");
        throw UnsafeArchive(where + ": symlink '" + prefix + rel + "' points to '" + target +
                            "', which leads outside the tree through the links on its way");
    }
}

// --- Extracting.

std::string lowerFirst(std::string s) {
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = char(s[0] - 'A' + 'a');
    return s;
}

// One archive being extracted into a directory. Every entry is created in its parent
// directory's descriptor, reached beneath the root without following any symlink, so that no
// entry can be written through one; symlinks are only created, never followed, and checked
// once the tree is complete.
class Extraction {
public:
    Extraction(archive* in, const std::string& where, const std::string& shownDest,
               const UnpackLimits& limits)
        : in(in), where(where), shownDest(shownDest), limits(limits) {}

    // Extracts into `dest`, a directory; returns the symlinks made, relative to it.
    std::vector<std::string> into(const std::string& dest);

private:
    archive* in;
    std::string where, shownDest;
    UnpackLimits limits;
    AutoCloseFD rootFd;
    uint64_t entries = 0, size = 0;

    [[noreturn]] void failWrite(int err, const std::string& entry) const {
        throw UnpackWriteError(lowerFirst(std::strerror(err)) + " while writing '" + entry +
                               "' to '" + shownDest + "'");
    }
    AutoCloseFD openDir(const std::vector<std::string>& parts, size_t n, const std::string& entry);
    void makeRoom(int dirFd, const std::string& name, const std::string& entry);
    void countEntry();
    void addSize(uint64_t bytes, const std::string& entry);
    void checkRatio(const std::string& entry);
    void writeFile(int dirFd, const std::string& base, const std::string& entry, mode_t perm,
                   int64_t declared);
};

// The directory parts[0, n) beneath the root, made (0755) where missing, reached without
// following a symlink: openat2 with RESOLVE_NO_SYMLINKS, else component by component with
// O_NOFOLLOW. Throws UnsafeArchive naming `entry` when a symlink or a file is in the way.
AutoCloseFD Extraction::openDir(const std::vector<std::string>& parts, size_t n,
                                const std::string& entry) {
    const int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    if (n == 0) {
        AutoCloseFD fd(openat(rootFd.get(), ".", flags));
        if (!fd) failWrite(errno, entry);
        return fd;
    }
    int fd = openat2Beneath(rootFd.get(), join(parts, n), flags,
                            RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) return AutoCloseFD(fd);
    if (errno != ENOSYS && errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
        failWrite(errno, entry);
    AutoCloseFD dir(openat(rootFd.get(), ".", flags));
    if (!dir) failWrite(errno, entry);
    for (size_t i = 0; i < n; ++i) {
        const char* c = parts[i].c_str();
        AutoCloseFD next(openat(dir.get(), c, flags | O_NOFOLLOW));
        if (!next && errno == ENOENT) {
            if (mkdirat(dir.get(), c, 0755) != 0 && errno != EEXIST) failWrite(errno, entry);
            next =
                AutoCloseFD(openat(dir.get(), c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (next && fchmod(next.get(), 0755) != 0) failWrite(errno, entry);
        }
        if (!next) {
            int err = errno;
            struct stat st;
            if (fstatat(dir.get(), c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                throw UnsafeArchive(where + ": entry '" + entry + "' goes through the symlink '" +
                                    join(parts, i + 1) + "'");
            if (err == ENOTDIR || err == ELOOP)
                throw UnsafeArchive(where + ": entry '" + entry + "' is below '" +
                                    join(parts, i + 1) + "', which is not a directory");
            failWrite(err, entry);
        }
        dir = std::move(next);
    }
    return dir;
}

// Removes what is at `name` so that an entry can take its place (of two entries with a name, the
// later wins, as with tar); a directory is never replaced.
void Extraction::makeRoom(int dirFd, const std::string& name, const std::string& entry) {
    struct stat st;
    if (fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (S_ISDIR(st.st_mode))
        throw UnsafeArchive(where + ": entry '" + entry + "' would replace a directory");
    if (unlinkat(dirFd, name.c_str(), 0) != 0) failWrite(errno, entry);
}

std::string howToRaise(const char* keyword, const char* variable) {
    return std::string(" (raise it with the unpack phase's ") + keyword + " or " + variable +
           "; 0 for no limit)";
}

void Extraction::countEntry() {
    if (limits.maxEntries && ++entries > limits.maxEntries)
        throw ArchiveTooLarge(where + ": more than " + std::to_string(limits.maxEntries) +
                              " entries, the limit on entries" +
                              howToRaise("#:max-unpacked-entries", "FERRIX_MAX_UNPACKED_ENTRIES"));
}

void Extraction::addSize(uint64_t bytes, const std::string& entry) {
    size += bytes;
    if (limits.maxSize && (size > limits.maxSize || size < bytes))
        throw ArchiveTooLarge(where + ": entry '" + entry + "' takes the unpacked size past " +
                              std::to_string(limits.maxSize) +
                              " bytes, the limit on unpacked size" +
                              howToRaise("#:max-unpacked-size", "FERRIX_MAX_UNPACKED_SIZE"));
}

void Extraction::checkRatio(const std::string& entry) {
    if (!limits.maxRatio) return;
    int64_t unpacked = la().filter_bytes(in, 0), packed = la().filter_bytes(in, -1);
    if (unpacked < 0 || packed < 0 || uint64_t(unpacked) <= limits.ratioAllowance) return;
    if (uint64_t(unpacked) / limits.maxRatio <= uint64_t(packed)) return;
    throw ArchiveTooLarge(where + ": unpacks to more than " + std::to_string(limits.maxRatio) +
                          " times its compressed size (" + std::to_string(unpacked) +
                          " bytes from " + std::to_string(packed) + " by entry '" + entry +
                          "'), the limit on the compression ratio" +
                          howToRaise("#:max-compression-ratio", "FERRIX_MAX_COMPRESSION_RATIO"));
}

void Extraction::writeFile(int dirFd, const std::string& base, const std::string& entry,
                           mode_t perm, int64_t declared) {
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    AutoCloseFD out(openat(dirFd, base.c_str(), flags, 0600));
    if (!out && errno == EEXIST) {
        makeRoom(dirFd, base, entry);
        out = AutoCloseFD(openat(dirFd, base.c_str(), flags, 0600));
    }
    if (!out) failWrite(errno, entry);
    uint64_t end = uint64_t(std::max<int64_t>(declared, 0));
    const void* buf;
    size_t n;
    la_int64_t offset;
    for (;;) {
        int r = la().read_data_block(in, &buf, &n, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN)
            throw FormatError(archiveError(in, "reading '" + entry + "' in '" + where + "'"));
        checkRatio(entry);
        if (offset < 0) throw FormatError(where + ": entry '" + entry + "' has a negative offset");
        if (uint64_t(offset) + n > end) { // a size the header did not declare
            addSize(uint64_t(offset) + n - end, entry);
            end = uint64_t(offset) + n;
        }
        // pwrite at the block's offset: sparse entries leave holes between blocks.
        const char* p = static_cast<const char*>(buf);
        while (n > 0) {
            ssize_t w = pwrite(out.get(), p, n, offset);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) failWrite(errno, entry);
            if (w == 0) failWrite(EIO, entry);
            p += w;
            n -= size_t(w);
            offset += w;
        }
    }
    struct stat st;
    if (fstat(out.get(), &st) != 0) failWrite(errno, entry);
    if (uint64_t(st.st_size) < end && ftruncate(out.get(), off_t(end)) != 0) // a trailing hole
        failWrite(errno, entry);
    if (fchmod(out.get(), perm) != 0) failWrite(errno, entry);
    // Some file systems (NFS, quotas) report a failed write only at close.
    if (::close(out.release()) != 0) failWrite(errno, entry);
}

std::vector<std::string> Extraction::into(const std::string& dest) {
    rootFd = AutoCloseFD(open(dest.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootFd) throw SysError("opening '" + dest + "'");
    std::set<std::string> files;
    std::vector<std::string> symlinks;
    archive_entry* entry;
    for (;;) {
        int r = la().read_next_header(in, &entry);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN)
            throw FormatError(archiveError(in, "reading archive '" + where + "'"));
        std::string name = la().entry_pathname(entry) ? la().entry_pathname(entry) : "";
        countEntry();
        checkRatio(name);
        auto parts = components(where, name);
        if (parts.empty()) continue; // "./"
        std::string rel = join(parts, parts.size());
        const std::string& base = parts.back();
        mode_t type = la().entry_filetype(entry);
        const char* hardlink = la().entry_hardlink(entry);
        if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
            throw UnsafeArchive(where + ": entry '" + name + "' is " + typeName(type));
        AutoCloseFD dir = openDir(parts, parts.size() - 1, name);
        files.erase(rel);
        if (hardlink) {
            std::string target = hardlink;
            auto tparts = components(where, target, "hard link target");
            std::string trel = join(tparts, tparts.size());
            if (!files.count(trel))
                throw UnsafeArchive(where + ": hard link '" + name + "' points to '" + target +
                                    "', which is not a file of the archive");
            AutoCloseFD tdir = openDir(tparts, tparts.size() - 1, name);
            struct stat st;
            if (fstatat(tdir.get(), tparts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                !S_ISREG(st.st_mode))
                throw UnsafeArchive(where + ": hard link '" + name + "' points to '" + target +
                                    "', which is not a file of the archive");
            auto link = [&] {
                return linkat(tdir.get(), tparts.back().c_str(), dir.get(), base.c_str(), 0);
            };
            if (link() != 0) {
                if (errno != EEXIST) failWrite(errno, name);
                makeRoom(dir.get(), base, name);
                if (link() != 0) failWrite(errno, name);
            }
            files.insert(rel);
        } else if (type == AE_IFLNK) {
            const char* t = la().entry_symlink(entry);
            std::string target = t ? t : "";
            checkSymlink(where, name, parts, target);
            if (symlinkat(target.c_str(), dir.get(), base.c_str()) != 0) {
                if (errno != EEXIST) failWrite(errno, name);
                makeRoom(dir.get(), base, name);
                if (symlinkat(target.c_str(), dir.get(), base.c_str()) != 0) failWrite(errno, name);
            }
            symlinks.push_back(rel);
        } else if (type == AE_IFDIR) {
            if (mkdirat(dir.get(), base.c_str(), 0755) != 0) {
                if (errno != EEXIST) failWrite(errno, name);
                struct stat st;
                if (fstatat(dir.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                    failWrite(errno, name);
                if (!S_ISDIR(st.st_mode)) {
                    makeRoom(dir.get(), base, name);
                    if (mkdirat(dir.get(), base.c_str(), 0755) != 0) failWrite(errno, name);
                }
            }
            AutoCloseFD d(
                openat(dir.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!d || fchmod(d.get(), 0755) != 0) failWrite(errno, name);
        } else {
            int64_t declared = la().entry_size(entry);
            if (declared > 0) addSize(uint64_t(declared), name);
            writeFile(dir.get(), base, name, (la().entry_perm(entry) & 0111) ? 0755 : 0644,
                      declared);
            files.insert(rel);
        }
    }
    return symlinks;
}

void copyFile(const std::string& from, int toDir, const std::string& to, mode_t mode,
              const std::function<void(int)>& failWrite) {
    AutoCloseFD in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) throw SysError("opening '" + from + "'");
    AutoCloseFD out(
        openat(toDir, to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) failWrite(errno);
    std::vector<char> buf(64 * 1024);
    for (;;) {
        ssize_t n = read(in.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError("reading '" + from + "'");
        }
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out.get(), buf.data() + done, size_t(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) failWrite(w < 0 ? errno : EIO);
            done += w;
        }
    }
    if (fchmod(out.get(), mode) != 0) failWrite(errno);
    if (::close(out.release()) != 0) failWrite(errno);
}

// Copies the tree `root`/`rel` to `dst`/`rel` (`dst` exists), checking entries as an archive's;
// adds the symlinks made to `links`.
void copyTree(const std::string& root, const std::string& rel, const std::string& dst,
              const std::string& shownDest, std::vector<std::string>& links) {
    std::string srcDir = rel.empty() ? root : root + "/" + rel;
    AutoCloseFD dstDir(open((rel.empty() ? dst : dst + "/" + rel).c_str(),
                            O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    for (auto& name : readDirectory(srcDir)) {
        std::string r = rel.empty() ? name : rel + "/" + name;
        auto failWrite = [&](int err) {
            throw UnpackWriteError(lowerFirst(std::strerror(err)) + " while writing '" + r +
                                   "' to '" + shownDest + "'");
        };
        if (!dstDir) failWrite(errno);
        std::string from = root + "/" + r;
        struct stat st = lstatPath(from);
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dstDir.get(), name.c_str(), 0755) != 0) failWrite(errno);
            copyTree(root, r, dst, shownDest, links);
        } else if (S_ISREG(st.st_mode)) {
            copyFile(from, dstDir.get(), name, (st.st_mode & 0111) ? 0755 : 0644, failWrite);
        } else if (S_ISLNK(st.st_mode)) {
            std::string target = readLink(from);
            checkSymlink(root, r, components(root, r), target);
            if (symlinkat(target.c_str(), dstDir.get(), name.c_str()) != 0) failWrite(errno);
            links.push_back(r);
        } else {
            throw UnsafeArchive(root + ": entry '" + r + "' is " +
                                typeName(S_ISCHR(st.st_mode)    ? AE_IFCHR
                                         : S_ISBLK(st.st_mode)  ? AE_IFBLK
                                         : S_ISFIFO(st.st_mode) ? AE_IFIFO
                                                                : AE_IFSOCK));
        }
    }
}

void openFile(archive* in, const std::string& file) {
    la().read_support_filter_all(in);
    la().read_support_format_all(in);
    if (la().read_open_filename(in, file.c_str(), 64 * 1024) != ARCHIVE_OK)
        throw FormatError(archiveError(in, "cannot open archive '" + file + "'"));
}

// Extracts with `open` (which opens the archive) into `dest` as unpackArchive does.
void extractAt(const std::function<void(archive*)>& open, const std::string& where,
               const std::string& dest, const UnpackLimits& limits) {
    bool made = !pathExists(dest);
    createDirs(dest);
    std::vector<std::string> before = made ? std::vector<std::string>{} : readDirectory(dest);
    try {
        ReadArchive in;
        open(in.a);
        auto links = Extraction(in.a, where, dest, limits).into(dest);
        checkLinksResolve(dest, where, links, "");
    } catch (...) {
        try {
            if (made) {
                deletePath(dest);
            } else {
                for (auto& name : readDirectory(dest))
                    if (!std::binary_search(before.begin(), before.end(), name))
                        deletePath(dest + "/" + name);
            }
        } catch (...) {
        }
        throw;
    }
}

uint64_t limitFromEnvironment(const char* variable, uint64_t fallback) {
    const char* v = std::getenv(variable);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(v, &end, 10);
    if (*end || errno || !std::isdigit(static_cast<unsigned char>(*v)))
        throw UsageError(std::string(variable) + "='" + v +
                         "': expected a number (0 for no limit)");
    return n;
}

} // namespace

UnpackLimits UnpackLimits::fromEnvironment() {
    UnpackLimits l;
    l.maxSize = limitFromEnvironment("FERRIX_MAX_UNPACKED_SIZE", l.maxSize);
    l.maxEntries = limitFromEnvironment("FERRIX_MAX_UNPACKED_ENTRIES", l.maxEntries);
    l.maxRatio = limitFromEnvironment("FERRIX_MAX_COMPRESSION_RATIO", l.maxRatio);
    return l;
}

void unpackArchive(const std::string& file, const std::string& dest) {
    unpackArchive(file, dest, UnpackLimits::fromEnvironment());
}

void unpackArchive(const std::string& file, const std::string& dest, const UnpackLimits& limits) {
    extractAt([&](archive* in) { openFile(in, file); }, file, dest, limits);
}

void unpackArchiveFromMemory(std::string_view data, const std::string& name,
                             const std::string& dest, const UnpackLimits& limits) {
    extractAt(
        [&](archive* in) {
            la().read_support_filter_all(in);
            la().read_support_format_all(in);
            if (la().read_open_memory(in, data.data(), data.size()) != ARCHIVE_OK)
                throw FormatError(archiveError(in, "cannot open archive '" + name + "'"));
        },
        name, dest, limits);
}

void unpackSource(const std::string& source, const std::string& dest) {
    unpackSource(source, dest, UnpackLimits::fromEnvironment());
}

void unpackSource(const std::string& source, const std::string& dest, const UnpackLimits& limits) {
    if (pathExists(dest)) throw Error("cannot unpack '" + source + "': '" + dest + "' exists");
    std::string parent = dirOf(absPath(dest));
    createDirs(parent);
    Cleanup tmp{makeTempDir(parent, ".unpack-")};
    std::string top = tmp.path + "/tree";
    if (mkdir(top.c_str(), 0755) != 0) throw SysError("creating '" + top + "'");
    std::vector<std::string> links;
    std::string root = top, prefix;
    if (isDirectory(source)) {
        copyTree(source, "", top, dest, links);
    } else {
        ReadArchive in;
        openFile(in.a, source);
        links = Extraction(in.a, source, dest, limits).into(top);
        auto names = readDirectory(top);
        if (names.size() == 1 && S_ISDIR(lstatPath(top + "/" + names[0]).st_mode)) {
            root = top + "/" + names[0];
            prefix = names[0] + "/";
            for (auto& l : links)
                l = l.substr(prefix.size());
        }
    }
    checkLinksResolve(root, source, links, prefix);
    if (rename(root.c_str(), dest.c_str()) != 0) throw SysError("renaming to '" + dest + "'");
}

namespace {

void collect(const std::string& root, const std::string& rel,
             const std::function<bool(const std::string&, bool)>& select,
             std::vector<std::pair<std::string, struct stat>>& out) {
    std::string dir = rel.empty() ? root : root + "/" + rel;
    for (auto& name : readDirectory(dir)) {
        std::string r = rel.empty() ? name : rel + "/" + name;
        struct stat st = lstatPath(root + "/" + r);
        bool isDir = S_ISDIR(st.st_mode);
        if (select && !select(r, isDir)) continue;
        if (!isDir && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
            throw UnsafeArchive(root + ": cannot pack '" + r +
                                "': not a file, directory or symlink");
        out.emplace_back(r, st);
        if (isDir) collect(root, r, select, out);
    }
}

} // namespace

void readArchive(const std::string& file,
                 const std::function<void(const ArchiveEntry& entry,
                                          const std::function<std::string()>& contents)>& visit) {
    ReadArchive in;
    la().read_support_filter_all(in.a);
    la().read_support_format_tar(in.a);
    if (la().read_open_filename(in.a, file.c_str(), 64 * 1024) != ARCHIVE_OK)
        throw FormatError(archiveError(in.a, file + ": cannot read the archive"));
    archive_entry* e;
    for (;;) {
        int r = la().read_next_header(in.a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) throw FormatError(archiveError(in.a, file + ": reading the archive"));
        ArchiveEntry entry;
        entry.path = la().entry_pathname(e) ? la().entry_pathname(e) : "";
        entry.regular = la().entry_filetype(e) == AE_IFREG;
        entry.size = uint64_t(std::max<la_int64_t>(la().entry_size(e), 0));
        visit(entry, [&] {
            // In chunks, as the data arrives: the header's size is only a claim (a few bytes can
            // claim 8 GiB), so memory follows what the archive really holds.
            std::string data;
            char chunk[64 * 1024];
            while (data.size() < entry.size) {
                la_ssize_t n = la().read_data(
                    in.a, chunk,
                    size_t(std::min<uint64_t>(sizeof chunk, entry.size - data.size())));
                if (n < 0)
                    throw FormatError(archiveError(in.a, file + ": reading '" + entry.path + "'"));
                if (n == 0)
                    throw FormatError(file + ": entry '" + entry.path + "' claims " +
                                      std::to_string(entry.size) + " bytes but holds " +
                                      std::to_string(data.size()));
                data.append(chunk, size_t(n));
            }
            return data;
        });
    }
}

void packTree(const std::string& dir, const std::string& prefix, const std::string& file,
              const std::function<bool(const std::string& rel, bool isDir)>& select) {
    std::vector<std::pair<std::string, struct stat>> entries;
    collect(dir, "", select, entries);
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });

    std::string tmp = file + ".tmp";
    {
        WriteArchive out(la().write_new());
        if (la().write_set_format_gnutar(out.a) != ARCHIVE_OK ||
            la().write_add_filter_gzip(out.a) != ARCHIVE_OK)
            throw Error(archiveError(out.a, "packing '" + dir + "'"));
        // No time stamp in the gzip header (libarchive writes none unless asked to).
        la().write_set_filter_option(out.a, "gzip", "timestamp", nullptr);
        la().write_set_filter_option(out.a, "gzip", "compression-level", "9");
        if (la().write_open_filename(out.a, tmp.c_str()) != ARCHIVE_OK)
            throw Error(archiveError(out.a, "creating '" + tmp + "'"));
        auto header = [&](const std::string& name, mode_t type, mode_t perm, int64_t size) {
            Entry e;
            la().entry_set_pathname(e.e, name.c_str());
            la().entry_set_filetype(e.e, type);
            la().entry_set_perm(e.e, perm);
            la().entry_set_size(e.e, size);
            la().entry_set_mtime(e.e, 0, 0);
            la().entry_set_uid(e.e, 0);
            la().entry_set_gid(e.e, 0);
            la().entry_set_uname(e.e, "root");
            la().entry_set_gname(e.e, "root");
            return e;
        };
        {
            Entry e = header(prefix, AE_IFDIR, 0755, 0);
            if (la().write_header(out.a, e.e) != ARCHIVE_OK)
                throw Error(archiveError(out.a, "packing '" + dir + "'"));
        }
        std::vector<char> buf(64 * 1024);
        for (auto& [rel, st] : entries) {
            std::string name = prefix + "/" + rel;
            std::string path = dir + "/" + rel;
            if (S_ISDIR(st.st_mode)) {
                Entry e = header(name, AE_IFDIR, 0755, 0);
                if (la().write_header(out.a, e.e) != ARCHIVE_OK)
                    throw Error(archiveError(out.a, "packing '" + path + "'"));
            } else if (S_ISLNK(st.st_mode)) {
                Entry e = header(name, AE_IFLNK, 0777, 0);
                std::string target = readLink(path);
                la().entry_set_symlink(e.e, target.c_str());
                if (la().write_header(out.a, e.e) != ARCHIVE_OK)
                    throw Error(archiveError(out.a, "packing '" + path + "'"));
            } else {
                Entry e = header(name, AE_IFREG, (st.st_mode & 0111) ? 0755 : 0644, st.st_size);
                if (la().write_header(out.a, e.e) != ARCHIVE_OK)
                    throw Error(archiveError(out.a, "packing '" + path + "'"));
                AutoCloseFD in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
                if (!in) throw SysError("opening '" + path + "'");
                int64_t left = st.st_size;
                while (left > 0) {
                    ssize_t n = read(in.get(), buf.data(), std::min<int64_t>(left, buf.size()));
                    if (n < 0 && errno == EINTR) continue;
                    if (n < 0) throw SysError("reading '" + path + "'");
                    if (n == 0) throw Error("'" + path + "' shrank while being packed");
                    if (la().write_data(out.a, buf.data(), n) != n)
                        throw Error(archiveError(out.a, "packing '" + path + "'"));
                    left -= n;
                }
            }
        }
        if (la().write_close(out.a) != ARCHIVE_OK)
            throw Error(archiveError(out.a, "writing '" + tmp + "'"));
    }
    if (rename(tmp.c_str(), file.c_str()) != 0) throw SysError("renaming '" + tmp + "'");
}

} // namespace ferrix
