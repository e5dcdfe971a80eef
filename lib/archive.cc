// Safe unpacking and reproducible packing with libarchive (see archive.hh).
#include "ferrix/archive.hh"

#include "ferrix/file.hh"
#include "shared-library.hh"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <set>
#include <unistd.h>
#include <vector>

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
    decltype(&::archive_entry_set_hardlink) entry_set_hardlink;
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
    decltype(&::archive_read_data) read_data;
    decltype(&::archive_read_data_block) read_data_block;
    decltype(&::archive_read_free) read_free;
    decltype(&::archive_read_new) read_new;
    decltype(&::archive_read_next_header) read_next_header;
    decltype(&::archive_read_open_filename) read_open_filename;
    decltype(&::archive_read_support_filter_all) read_support_filter_all;
    decltype(&::archive_read_support_format_all) read_support_format_all;
    decltype(&::archive_read_support_format_tar) read_support_format_tar;
    decltype(&::archive_write_add_filter_gzip) write_add_filter_gzip;
    decltype(&::archive_write_close) write_close;
    decltype(&::archive_write_data) write_data;
    decltype(&::archive_write_data_block) write_data_block;
    decltype(&::archive_write_disk_new) write_disk_new;
    decltype(&::archive_write_disk_set_options) write_disk_set_options;
    decltype(&::archive_write_finish_entry) write_finish_entry;
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
        sym(l.entry_set_hardlink, "archive_entry_set_hardlink");
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
        sym(l.read_data, "archive_read_data");
        sym(l.read_data_block, "archive_read_data_block");
        sym(l.read_free, "archive_read_free");
        sym(l.read_new, "archive_read_new");
        sym(l.read_next_header, "archive_read_next_header");
        sym(l.read_open_filename, "archive_read_open_filename");
        sym(l.read_support_filter_all, "archive_read_support_filter_all");
        sym(l.read_support_format_all, "archive_read_support_format_all");
        sym(l.read_support_format_tar, "archive_read_support_format_tar");
        sym(l.write_add_filter_gzip, "archive_write_add_filter_gzip");
        sym(l.write_close, "archive_write_close");
        sym(l.write_data, "archive_write_data");
        sym(l.write_data_block, "archive_write_data_block");
        sym(l.write_disk_new, "archive_write_disk_new");
        sym(l.write_disk_set_options, "archive_write_disk_set_options");
        sym(l.write_finish_entry, "archive_write_finish_entry");
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

// The components of a relative entry name, "." components dropped. Throws UnsafeArchive for an
// absolute name or a ".." component.
std::vector<std::string> components(const std::string& where, const std::string& name,
                                    const char* what = "entry") {
    if (!name.empty() && name[0] == '/')
        throw UnsafeArchive(where + ": " + what + " '" + name + "' has an absolute path");
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= name.size()) {
        size_t j = name.find('/', i);
        if (j == std::string::npos) j = name.size();
        std::string part = name.substr(i, j - i);
        if (part == "..")
            throw UnsafeArchive(where + ": " + what + " '" + name + "' has a '..' component");
        if (!part.empty() && part != ".") parts.push_back(part);
        i = j + 1;
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
// resolving `target` lexically from the link's directory.
void checkSymlink(const std::string& where, const std::string& name,
                  const std::vector<std::string>& parts, const std::string& target) {
    if (target.empty()) throw UnsafeArchive(where + ": symlink '" + name + "' has an empty target");
    if (target[0] == '/')
        throw UnsafeArchive(where + ": symlink '" + name + "' points to the absolute path '" +
                            target + "', outside the tree");
    std::vector<std::string> dir(parts.begin(), parts.end() - 1);
    size_t i = 0;
    while (i <= target.size()) {
        size_t j = target.find('/', i);
        if (j == std::string::npos) j = target.size();
        std::string part = target.substr(i, j - i);
        if (part == "..") {
            if (dir.empty())
                throw UnsafeArchive(where + ": symlink '" + name + "' points to '" + target +
                                    "', outside the tree");
            dir.pop_back();
        } else if (!part.empty() && part != ".") {
            dir.push_back(part);
        }
        i = j + 1;
    }
}

// Throws if a proper prefix of `parts` is a symlink seen earlier.
void checkNotThroughSymlink(const std::string& where, const std::string& name,
                            const std::vector<std::string>& parts,
                            const std::set<std::string>& symlinks) {
    for (size_t n = 1; n < parts.size(); ++n)
        if (symlinks.count(join(parts, n)))
            throw UnsafeArchive(where + ": entry '" + name + "' goes through the symlink '" +
                                join(parts, n) + "'");
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

void extractInto(const std::string& file, const std::string& dest) {
    ReadArchive in;
    la().read_support_filter_all(in.a);
    la().read_support_format_all(in.a);
    if (la().read_open_filename(in.a, file.c_str(), 64 * 1024) != ARCHIVE_OK)
        throw FormatError(archiveError(in.a, "cannot open archive '" + file + "'"));
    WriteArchive out(la().write_disk_new());
    // Belt and braces: libarchive's own checks too (entry names are made absolute under `dest`
    // below, after the checks above, so its check of absolute names cannot be used).
    la().write_disk_set_options(out.a,
                                ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    std::set<std::string> symlinks, files;
    archive_entry* entry;
    for (;;) {
        int r = la().read_next_header(in.a, &entry);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN)
            throw FormatError(archiveError(in.a, "reading archive '" + file + "'"));
        std::string name = la().entry_pathname(entry) ? la().entry_pathname(entry) : "";
        auto parts = components(file, name);
        if (parts.empty()) continue; // "./"
        checkNotThroughSymlink(file, name, parts, symlinks);
        std::string rel = join(parts, parts.size());
        mode_t type = la().entry_filetype(entry);
        const char* hardlink = la().entry_hardlink(entry);
        if (hardlink) {
            std::string target = hardlink;
            auto tparts = components(file, target, "hard link target");
            checkNotThroughSymlink(file, target, tparts, symlinks);
            std::string trel = join(tparts, tparts.size());
            if (!files.count(trel))
                throw UnsafeArchive(file + ": hard link '" + name + "' points to '" + target +
                                    "', which is not a file of the archive");
            la().entry_set_hardlink(entry, (dest + "/" + trel).c_str());
            files.insert(rel);
        } else if (type == AE_IFLNK) {
            const char* t = la().entry_symlink(entry);
            checkSymlink(file, name, parts, t ? t : "");
            symlinks.insert(rel);
        } else if (type == AE_IFREG) {
            files.insert(rel);
            la().entry_set_perm(entry, (la().entry_perm(entry) & 0111) ? 0755 : 0644);
        } else if (type == AE_IFDIR) {
            la().entry_set_perm(entry, 0755);
        } else {
            throw UnsafeArchive(file + ": entry '" + name + "' is " + typeName(type));
        }
        la().entry_set_pathname(entry, (dest + "/" + rel).c_str());
        if (la().write_header(out.a, entry) < ARCHIVE_WARN)
            throw Error(archiveError(out.a, "extracting '" + name + "' from '" + file + "'"));
        if (!hardlink && type == AE_IFREG && la().entry_size(entry) > 0) {
            const void* buf;
            size_t size;
            la_int64_t offset;
            for (;;) {
                r = la().read_data_block(in.a, &buf, &size, &offset);
                if (r == ARCHIVE_EOF) break;
                if (r < ARCHIVE_WARN)
                    throw FormatError(
                        archiveError(in.a, "reading '" + name + "' in '" + file + "'"));
                if (la().write_data_block(out.a, buf, size, offset) < ARCHIVE_WARN)
                    throw Error(archiveError(out.a, "writing '" + name + "'"));
            }
        }
        if (la().write_finish_entry(out.a) < ARCHIVE_WARN)
            throw Error(archiveError(out.a, "extracting '" + name + "' from '" + file + "'"));
    }
    if (la().write_close(out.a) != ARCHIVE_OK)
        throw Error(archiveError(out.a, "extracting '" + file + "'"));
}

void copyFile(const std::string& from, const std::string& to, mode_t mode) {
    AutoCloseFD in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) throw SysError("opening '" + from + "'");
    AutoCloseFD out(open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!out) throw SysError("creating '" + to + "'");
    std::vector<char> buf(64 * 1024);
    for (;;) {
        ssize_t n = read(in.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError("reading '" + from + "'");
        }
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out.get(), buf.data() + done, n - done);
            if (w < 0) {
                if (errno == EINTR) continue;
                throw SysError("writing '" + to + "'");
            }
            done += w;
        }
    }
    if (fchmod(out.get(), mode) != 0) throw SysError("chmod '" + to + "'");
}

// Copies the tree `src` to `dst` (a directory that exists), checking entries as an archive's.
void copyTree(const std::string& root, const std::string& rel, const std::string& dst) {
    std::string srcDir = rel.empty() ? root : root + "/" + rel;
    for (auto& name : readDirectory(srcDir)) {
        std::string r = rel.empty() ? name : rel + "/" + name;
        std::string from = root + "/" + r, to = dst + "/" + r;
        struct stat st = lstatPath(from);
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(to.c_str(), 0755) != 0) throw SysError("creating '" + to + "'");
            copyTree(root, r, dst);
        } else if (S_ISREG(st.st_mode)) {
            copyFile(from, to, (st.st_mode & 0111) ? 0755 : 0644);
        } else if (S_ISLNK(st.st_mode)) {
            std::string target = readLink(from);
            checkSymlink(root, r, components(root, r), target);
            if (symlink(target.c_str(), to.c_str()) != 0)
                throw SysError("creating symlink '" + to + "'");
        } else {
            throw UnsafeArchive(root + ": entry '" + r + "' is " +
                                typeName(S_ISCHR(st.st_mode)    ? AE_IFCHR
                                         : S_ISBLK(st.st_mode)  ? AE_IFBLK
                                         : S_ISFIFO(st.st_mode) ? AE_IFIFO
                                                                : AE_IFSOCK));
        }
    }
}

} // namespace

void unpackArchive(const std::string& file, const std::string& dest) {
    createDirs(dest);
    extractInto(file, dest);
}

void unpackSource(const std::string& source, const std::string& dest) {
    if (pathExists(dest)) throw Error("cannot unpack '" + source + "': '" + dest + "' exists");
    std::string parent = dirOf(absPath(dest));
    createDirs(parent);
    Cleanup tmp{makeTempDir(parent, ".unpack-")};
    if (isDirectory(source)) {
        std::string top = tmp.path + "/tree";
        if (mkdir(top.c_str(), 0755) != 0) throw SysError("creating '" + top + "'");
        copyTree(source, "", top);
        if (rename(top.c_str(), dest.c_str()) != 0) throw SysError("renaming to '" + dest + "'");
        return;
    }
    std::string top = tmp.path + "/tree";
    unpackArchive(source, top);
    auto names = readDirectory(top);
    std::string root = top;
    if (names.size() == 1 && isDirectory(top + "/" + names[0])) {
        struct stat st = lstatPath(top + "/" + names[0]);
        if (S_ISDIR(st.st_mode)) root = top + "/" + names[0];
    }
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
            std::string data(size_t(entry.size), '\0');
            la_ssize_t n = la().read_data(in.a, data.data(), data.size());
            if (n < 0 || size_t(n) != data.size())
                throw FormatError(archiveError(in.a, file + ": reading " + entry.path));
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
