#include "ferrix/nar.hh"
#include "ferrix/file.hh"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace ferrix {

const std::string narMagic = "nix-archive-1";

namespace {

// The padded encoding of a sequence of tokens, built once so that the fixed framing of a node is
// a single memcpy.
std::string tokens(std::initializer_list<std::string_view> toks) {
    StringSink s;
    for (auto t : toks)
        writePadded(s, t);
    return std::move(s.s);
}

const std::string tokMagic = tokens({"nix-archive-1"});
const std::string tokRegular = tokens({"(", "type", "regular", "contents"});
const std::string tokExecutable = tokens({"(", "type", "regular", "executable", "", "contents"});
const std::string tokSymlink = tokens({"(", "type", "symlink", "target"});
const std::string tokDirectory = tokens({"(", "type", "directory"});
const std::string tokEntry = tokens({"entry", "(", "name"});
const std::string tokNode = tokens({"node"});
const std::string tokClose = tokens({")"});

// ---------------------------------------------------------------------------------------------
// Dumping

// Chunks handed between threads: large, so that hand-offs (futex wake-ups, cache traffic) are rare.
constexpr size_t dumpBufSize = 1024 * 1024;

// Hands filled buffers from the thread that walks the tree to the thread that runs the sink, so
// that system calls and hashing overlap. A fixed set of buffers circulates; nothing is allocated
// per chunk.
class Pipe {
public:
    struct Cancelled {}; // unwinds the producer once the consumer has given up

    Pipe() {
        for (size_t i = 0; i < nBufs; i++) {
            bufs[i].reset(new char[dumpBufSize]);
            freeList.push_back(i);
        }
    }

    char* acquire(size_t& idx) {
        std::unique_lock lk(m);
        freeCv.wait(lk, [&] { return !freeList.empty() || cancelled; });
        if (cancelled) throw Cancelled();
        idx = freeList.back();
        freeList.pop_back();
        return bufs[idx].get();
    }

    void publish(size_t idx, size_t len) {
        std::lock_guard lk(m);
        filled.emplace_back(idx, len);
        filledCv.notify_one();
    }

    void finish(std::exception_ptr e) {
        std::lock_guard lk(m);
        done = true;
        error = e;
        filledCv.notify_one();
    }

    void cancel() {
        std::lock_guard lk(m);
        cancelled = true;
        freeCv.notify_one();
    }

    // Feeds every published buffer to `sink` until the producer finishes; rethrows its error.
    void drainInto(Sink& sink) {
        std::unique_lock lk(m);
        while (true) {
            filledCv.wait(lk, [&] { return !filled.empty() || done; });
            if (filled.empty()) {
                if (error) std::rethrow_exception(error);
                return;
            }
            auto [idx, len] = filled.front();
            filled.pop_front();
            lk.unlock();
            sink(std::string_view(bufs[idx].get(), len));
            lk.lock();
            freeList.push_back(idx);
            freeCv.notify_one();
        }
    }

private:
    static constexpr size_t nBufs = 3;
    std::unique_ptr<char[]> bufs[nBufs];
    std::mutex m;
    std::condition_variable freeCv, filledCv;
    std::vector<size_t> freeList;
    std::deque<std::pair<size_t, size_t>> filled;
    bool done = false, cancelled = false;
    std::exception_ptr error;
};

// Collects the framing and file contents in one large buffer that files are read straight into,
// so the sink (usually a hasher) sees few big chunks and no byte is copied twice in user space.
// Full buffers go to the sink directly or through a Pipe.
class DumpWriter {
public:
    // `cap` lets a small item get a small buffer.
    DumpWriter(Sink& sink, size_t cap) : sink(&sink), own(new char[cap]), cap(cap) {
        buf = own.get();
    }
    explicit DumpWriter(Pipe& pipe) : pipe(&pipe) { buf = pipe.acquire(cur); }

    void raw(const char* p, size_t n) {
        while (n > cap - len) {
            size_t k = cap - len;
            std::memcpy(buf + len, p, k);
            len += k;
            p += k;
            n -= k;
            flush();
        }
        std::memcpy(buf + len, p, n);
        len += n;
    }
    void raw(std::string_view s) { raw(s.data(), s.size()); }

    void u64(uint64_t n) {
        char b[8];
        for (int i = 0; i < 8; i++)
            b[i] = char((n >> (8 * i)) & 0xff);
        raw(b, 8);
    }

    void padding(uint64_t n) {
        static const char zeros[8] = {};
        if (n % 8) raw(zeros, 8 - n % 8);
    }

    void str(std::string_view s) {
        u64(s.size());
        raw(s);
        padding(s.size());
    }

    // Appends exactly `size` bytes read from `fd`, then the padding; with `copyFd` >= 0, also
    // writes them there.
    void contents(int fd, uint64_t size, const std::string& path, int copyFd = -1) {
        u64(size);
        uint64_t left = size;
        while (left > 0) {
            if (len == cap) flush();
            size_t want = size_t(std::min<uint64_t>(left, cap - len));
            ssize_t r = ::read(fd, buf + len, want);
            if (r < 0) {
                if (errno == EINTR) continue;
                throw SysError("reading file '" + path + "'");
            }
            if (r == 0) throw Error("file '" + path + "' shrank while it was being archived");
            if (copyFd >= 0) writeAll(copyFd, buf + len, size_t(r), path);
            len += size_t(r);
            left -= uint64_t(r);
        }
        padding(size);
    }

    static void writeAll(int fd, const char* p, size_t n, const std::string& path) {
        while (n > 0) {
            ssize_t r = ::write(fd, p, n);
            if (r < 0) {
                if (errno == EINTR) continue;
                throw SysError("writing the copy of '" + path + "'");
            }
            p += r;
            n -= size_t(r);
        }
    }

    void flush() {
        if (len == 0) return;
        size_t n = len;
        len = 0;
        if (pipe) {
            pipe->publish(cur, n);
            buf = pipe->acquire(cur);
        } else {
            (*sink)(std::string_view(buf, n));
        }
    }

private:
    Sink* sink = nullptr;
    Pipe* pipe = nullptr;
    std::unique_ptr<char[]> own;
    size_t cap = dumpBufSize;
    size_t cur = 0; // index of `buf` in the pipe
    char* buf = nullptr;
    size_t len = 0;
};

struct DirEntry {
    uint32_t off, len;
    unsigned char type;
};

// Names of one directory, kept in a reusable arena (one per depth) to avoid per-entry allocation.
struct DirListing {
    std::string names;
    std::vector<DirEntry> entries;
    const char* name(const DirEntry& e) const { return names.data() + e.off; }
    std::string_view view(const DirEntry& e) const { return {names.data() + e.off, e.len}; }
};

// With a copy root, each entry is also recreated there as it is read, directly in the store's
// canonical form (files 0444 or 0555, directories 0555 but the top one 0755, every mtime 1), so
// the copy holds exactly the bytes serialised.
class Dumper {
public:
    Dumper(const std::string& root, DumpWriter& w, const char* copyRoot = nullptr)
        : w(w), path(root), copyRoot(copyRoot) {}

    // `type` is a d_type hint for the root (DT_UNKNOWN if not known).
    void dump(unsigned char type) {
        w.raw(tokMagic);
        dumpEntry(AT_FDCWD, path.c_str(), type, copyRoot ? AT_FDCWD : -1, copyRoot ? copyRoot : "");
        w.flush();
    }

private:
    DumpWriter& w;
    std::string path; // of the entry being dumped, for error messages only
    const char* copyRoot;
    std::vector<std::unique_ptr<DirListing>> listings;
    size_t depth = 0;
    std::vector<char> linkBuf = std::vector<char>(4096);
    static constexpr size_t direntBufSize = 32 * 1024;
    std::unique_ptr<char[]> direntBuf{new char[direntBufSize]};

    static const char* typeName(mode_t mode) {
        if (S_ISSOCK(mode)) return "a socket";
        if (S_ISFIFO(mode)) return "a FIFO";
        if (S_ISCHR(mode)) return "a character device";
        if (S_ISBLK(mode)) return "a block device";
        return "of an unknown type";
    }

    [[noreturn]] void unsupported(mode_t mode) {
        throw Error("cannot archive '" + path + "': it is " + typeName(mode) +
                    " (only regular files, directories and symlinks can be archived)");
    }

    static constexpr struct timespec canonicalTimes[2] = {{1, 0}, {1, 0}};

    [[noreturn]] void copyFailed(const char* what) {
        throw SysError(std::string(what) + " the copy of '" + path + "'");
    }

    // `name` is relative to `dirfd`; `type` is readdir's d_type hint, checked again after open.
    // With `copyDirfd` >= 0 (or AT_FDCWD), the entry is recreated as `copyName` relative to it.
    void dumpEntry(int dirfd, const char* name, unsigned char type, int copyDirfd,
                   const char* copyName) {
        bool copy = copyDirfd != -1;
        if (type != DT_REG && type != DT_DIR && type != DT_LNK) {
            struct stat st;
            if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                throw SysError("getting status of '" + path + "'");
            if (S_ISREG(st.st_mode))
                type = DT_REG;
            else if (S_ISDIR(st.st_mode))
                type = DT_DIR;
            else if (S_ISLNK(st.st_mode))
                type = DT_LNK;
            else
                unsupported(st.st_mode);
        }

        if (type == DT_LNK) {
            w.raw(tokSymlink);
            std::string_view target = readLinkAt(dirfd, name);
            w.str(target);
            w.raw(tokClose);
            if (copy) {
                if (::symlinkat(std::string(target).c_str(), copyDirfd, copyName) != 0)
                    copyFailed("creating");
                if (::utimensat(copyDirfd, copyName, canonicalTimes, AT_SYMLINK_NOFOLLOW) != 0)
                    copyFailed("setting the times of");
            }
        } else if (type == DT_REG) {
            // O_NONBLOCK: should the entry have been replaced by a FIFO, open must not hang.
            AutoCloseFD fd(
                ::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
            if (!fd) throw SysError("opening '" + path + "'");
            struct stat st;
            if (::fstat(fd.get(), &st) != 0) throw SysError("getting status of '" + path + "'");
            if (!S_ISREG(st.st_mode)) unsupported(st.st_mode);
            bool executable = st.st_mode & S_IXUSR;
            w.raw(executable ? tokExecutable : tokRegular);
            AutoCloseFD out;
            if (copy) {
                // Created read-only: the mode applies to later opens, not to this descriptor.
                out = AutoCloseFD(::openat(copyDirfd, copyName,
                                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                           executable ? 0555 : 0444));
                if (!out) copyFailed("creating");
            }
            w.contents(fd.get(), uint64_t(st.st_size), path, copy ? out.get() : -1);
            w.raw(tokClose);
            if (copy && ::futimens(out.get(), canonicalTimes) != 0)
                copyFailed("setting the times of");
        } else {
            AutoCloseFD fd(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!fd) throw SysError("opening directory '" + path + "'");
            AutoCloseFD out;
            if (copy) {
                if (::mkdirat(copyDirfd, copyName, 0700) != 0) copyFailed("creating");
                out = AutoCloseFD(
                    ::openat(copyDirfd, copyName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!out) copyFailed("opening");
            }
            dumpDirectory(std::move(fd), copy ? out.get() : -1);
            if (copy) {
                // Read-only once its entries exist; the top stays writable for rename().
                if (::fchmod(out.get(), dirfd == AT_FDCWD ? 0755 : 0555) != 0)
                    copyFailed("changing the mode of");
                if (::futimens(out.get(), canonicalTimes) != 0) copyFailed("setting the times of");
            }
        }
    }

    std::string_view readLinkAt(int dirfd, const char* name) {
        while (true) {
            ssize_t n = ::readlinkat(dirfd, name, linkBuf.data(), linkBuf.size());
            if (n < 0) throw SysError("reading symbolic link '" + path + "'");
            if (size_t(n) < linkBuf.size()) return {linkBuf.data(), size_t(n)};
            linkBuf.resize(linkBuf.size() * 2);
        }
    }

    void dumpDirectory(AutoCloseFD fd, int copyFd) {
        if (listings.size() <= depth) listings.push_back(std::make_unique<DirListing>());
        DirListing& l = *listings[depth];
        l.names.clear();
        l.entries.clear();
        // getdents64 directly rather than fdopendir/readdir, which would fstat, fcntl and
        // allocate for every directory.
        while (true) {
            ssize_t n = ::getdents64(fd.get(), direntBuf.get(), direntBufSize);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw SysError("reading directory '" + path + "'");
            }
            if (n == 0) break;
            for (ssize_t off = 0; off < n;) {
                auto* e = reinterpret_cast<struct dirent64*>(direntBuf.get() + off);
                off += e->d_reclen;
                const char* name = e->d_name;
                if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
                size_t len = std::strlen(name);
                l.entries.push_back({uint32_t(l.names.size()), uint32_t(len), e->d_type});
                l.names.append(name, len + 1); // keep the NUL: the name is passed to openat
            }
        }
        // string_view compares as unsigned char: the bytewise order the format requires.
        std::sort(l.entries.begin(), l.entries.end(),
                  [&](const DirEntry& a, const DirEntry& b) { return l.view(a) < l.view(b); });

        w.raw(tokDirectory);
        size_t pathLen = path.size();
        depth++;
        for (const DirEntry& e : l.entries) {
            w.raw(tokEntry);
            w.str(l.view(e));
            w.raw(tokNode);
            path.append("/").append(l.view(e));
            dumpEntry(fd.get(), l.name(e), e.type, copyFd, l.name(e));
            path.resize(pathLen);
            w.raw(tokClose);
        }
        depth--;
        w.raw(tokClose);
    }
};

// ---------------------------------------------------------------------------------------------
// Parsing

constexpr uint64_t maxTokenLen = 1 << 20;

// Quotes a name or tag for an error message; bytes that are not printable ASCII become \xNN.
std::string quote(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out = "'";
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out.push_back(char(c));
        } else {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
    }
    out.push_back('\'');
    return out;
}

class NarParser {
public:
    NarParser(Source& source, NarVisitor& visitor) : source(source), visitor(visitor) {}

    void parse() {
        uint64_t len = readU64();
        if (len != narMagic.size()) fail(0, "not a NAR (wrong magic)");
        tok.resize(len);
        read(tok.data(), len);
        if (tok != narMagic) fail(0, "not a NAR (wrong magic)");
        readPadding(len);

        // Directories are kept on an explicit stack so that deep nesting cannot overflow the
        // C++ stack.
        struct Frame {
            size_t pathLen;
            std::string prevName;
        };
        std::vector<Frame> stack;
        std::string path;
        while (true) {
            if (parseNode(path)) {
                stack.push_back({path.size(), {}});
            } else if (stack.empty()) {
                return;
            } else {
                expect(")");
            }
            // Next entry of the innermost open directory, closing finished ones.
            while (true) {
                uint64_t start = offset;
                readString(tok, "tag");
                if (tok == ")") {
                    stack.pop_back();
                    if (stack.empty()) return;
                    expect(")");
                    continue;
                }
                if (tok != "entry")
                    fail(start,
                         "unknown tag " + quote(tok) + " in a directory (expected 'entry' or ')')");
                expect("(");
                expect("name");
                uint64_t nameStart = offset;
                readString(name, "entry name");
                Frame& f = stack.back();
                std::string_view dir(path.data(), f.pathLen);
                checkName(nameStart, name, dir);
                if (!f.prevName.empty() && name <= f.prevName) {
                    if (name == f.prevName)
                        fail(nameStart, "duplicate entry " + quote(name) + " in " + where(dir));
                    fail(nameStart, "entry " + quote(name) + " is not after " + quote(f.prevName) +
                                        " in " + where(dir) + " (entries must be sorted)");
                }
                f.prevName = name;
                expect("node");
                path.resize(f.pathLen);
                if (!path.empty()) path.push_back('/');
                path.append(name);
                break;
            }
        }
    }

private:
    Source& source;
    NarVisitor& visitor;
    uint64_t offset = 0;
    std::string tok, name, target;
    std::unique_ptr<char[]> buf;
    static constexpr size_t bufSize = 256 * 1024;

    [[noreturn]] static void fail(uint64_t at, const std::string& what) {
        throw BadNar("bad NAR at byte " + std::to_string(at) + ": " + what);
    }

    void read(char* p, size_t n) {
        while (n > 0) {
            size_t got;
            try {
                got = source.read(p, n);
            } catch (EndOfFile&) {
                fail(offset, "truncated (the input ends inside the archive)");
            }
            p += got;
            n -= got;
            offset += got;
        }
    }

    uint64_t readU64() {
        unsigned char b[8];
        read(reinterpret_cast<char*>(b), 8);
        uint64_t n = 0;
        for (int i = 0; i < 8; i++)
            n |= uint64_t(b[i]) << (8 * i);
        return n;
    }

    void readPadding(uint64_t len) {
        if (len % 8 == 0) return;
        size_t n = 8 - len % 8;
        char pad[8];
        uint64_t start = offset;
        read(pad, n);
        for (size_t i = 0; i < n; i++)
            if (pad[i]) fail(start + i, "non-zero padding byte");
    }

    void readString(std::string& out, const char* what) {
        uint64_t start = offset;
        uint64_t len = readU64();
        if (len > maxTokenLen)
            fail(start, std::string(what) + " of " + std::to_string(len) + " bytes is too long");
        out.resize(len);
        read(out.data(), len);
        readPadding(len);
    }

    void expect(std::string_view want) {
        uint64_t start = offset;
        readString(tok, "tag");
        if (tok != want) fail(start, "expected '" + std::string(want) + "', found " + quote(tok));
    }

    // The directory at `dir` (relative to the root), for error messages.
    static std::string where(std::string_view dir) {
        return dir.empty() ? "the top directory" : "directory " + quote(dir);
    }

    // The rules Nix applies: a name that restore could not create as one entry of its directory.
    static void checkName(uint64_t at, const std::string& n, std::string_view dir) {
        std::string in = " in " + where(dir);
        if (n.empty()) fail(at, "entry name is empty" + in);
        if (n == "." || n == "..") fail(at, "entry name " + quote(n) + " is not allowed" + in);
        if (n.find('/') != std::string::npos)
            fail(at, "entry name " + quote(n) + " contains '/'" + in);
        if (n.find('\0') != std::string::npos)
            fail(at, "entry name " + quote(n) + " contains a NUL byte" + in);
    }

    // symlink(2) takes a C string of at most PATH_MAX bytes with its NUL, and refuses an empty
    // one: any other target would be restored as something else than the NAR says (cut at the
    // NUL) or not at all, so two NARs could stand for one tree.
    static void checkTarget(uint64_t at, const std::string& t, const std::string& path) {
        std::string link = path.empty() ? "the top symlink" : "symlink " + quote(path);
        if (t.empty()) fail(at, link + " has an empty target");
        if (t.size() > PATH_MAX - 1)
            fail(at, link + " has a target of " + std::to_string(t.size()) + " bytes (at most " +
                         std::to_string(PATH_MAX - 1) + " are allowed)");
        if (size_t nul = t.find('\0'); nul != std::string::npos)
            fail(at, link + " has a target containing a NUL byte (at position " +
                         std::to_string(nul) + "): " + quote(t));
    }

    // Parses a node up to and including its ")" for files and symlinks; for a directory stops
    // after announcing it and returns true.
    bool parseNode(const std::string& path) {
        expect("(");
        expect("type");
        uint64_t typeStart = offset;
        readString(tok, "type");
        if (tok == "directory") {
            visitor.createDirectory(path);
            return true;
        }
        if (tok == "symlink") {
            expect("target");
            uint64_t targetStart = offset;
            readString(target, "symlink target");
            checkTarget(targetStart, target, path);
            visitor.createSymlink(path, target);
            expect(")");
            return false;
        }
        if (tok != "regular") fail(typeStart, "unknown file type " + quote(tok));

        bool executable = false;
        uint64_t start = offset;
        readString(tok, "tag");
        if (tok == "executable") {
            uint64_t valueStart = offset;
            readString(tok, "executable marker");
            if (!tok.empty()) fail(valueStart, "'executable' has a non-empty value " + quote(tok));
            executable = true;
            start = offset;
            readString(tok, "tag");
            if (tok == "executable") fail(start, "'executable' given twice");
        }
        if (tok != "contents")
            fail(start, "unknown tag " + quote(tok) + " in a regular file (expected " +
                            (executable ? "'contents'" : "'executable' or 'contents'") + ")");

        uint64_t size = readU64();
        visitor.createRegularFile(path, executable, size);
        if (size > 0 && !buf) buf.reset(new char[bufSize]);
        for (uint64_t left = size; left > 0;) {
            size_t n = size_t(std::min<uint64_t>(left, bufSize));
            read(buf.get(), n);
            visitor.receiveContents(std::string_view(buf.get(), n));
            left -= n;
        }
        readPadding(size);
        visitor.closeRegularFile();

        start = offset;
        readString(tok, "tag");
        if (tok == "executable") fail(start, "'executable' must come before 'contents'");
        if (tok != ")") fail(start, "expected ')', found " + quote(tok));
        return false;
    }
};

struct NullVisitor : NarVisitor {
    void createDirectory(const std::string&) override {}
    void createRegularFile(const std::string&, bool, uint64_t) override {}
    void receiveContents(std::string_view) override {}
    void closeRegularFile() override {}
    void createSymlink(const std::string&, const std::string&) override {}
};

// Forwards every byte read through it to a sink.
struct TeeSource : Source {
    Source& source;
    Sink& sink;
    TeeSource(Source& source, Sink& sink) : source(source), sink(sink) {}
    size_t read(char* data, size_t len) override {
        size_t n = source.read(data, len);
        sink(std::string_view(data, n));
        return n;
    }
};

class RestoreVisitor : public NarVisitor {
public:
    explicit RestoreVisitor(const std::string& root) : root(root) {}
    bool rootCreated = false;
    AutoCloseFD fd;

    void createDirectory(const std::string& path) override {
        std::string p = full(path);
        if (::mkdir(p.c_str(), 0777) != 0) throw SysError("creating directory '" + p + "'");
        created(path);
    }

    void createRegularFile(const std::string& path, bool executable, uint64_t size) override {
        current = full(path);
        fd = AutoCloseFD(::open(current.c_str(),
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                                executable ? 0777 : 0666));
        if (!fd) throw SysError("creating file '" + current + "'");
        created(path);
        // No fallocate of `size`: the size is not trusted until the contents have arrived.
        (void)size;
    }

    void receiveContents(std::string_view data) override {
        const char* p = data.data();
        size_t left = data.size();
        while (left > 0) {
            ssize_t n = ::write(fd.get(), p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw SysError("writing file '" + current + "'");
            }
            p += n;
            left -= size_t(n);
        }
    }

    void closeRegularFile() override {
        if (::close(fd.release()) != 0) throw SysError("closing file '" + current + "'");
    }

    void createSymlink(const std::string& path, const std::string& target) override {
        std::string p = full(path);
        if (::symlink(target.c_str(), p.c_str()) != 0)
            throw SysError("creating symbolic link '" + p + "'");
        created(path);
    }

private:
    std::string root, current;
    std::string full(const std::string& path) const {
        return path.empty() ? root : root + "/" + path;
    }
    void created(const std::string& path) {
        if (path.empty()) rootCreated = true;
    }
};

} // namespace

static void dump(const std::string& path, Sink& sink, const char* copyTo) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) throw SysError("getting status of '" + path + "'");
    unsigned char type = S_ISDIR(st.st_mode)   ? DT_DIR
                         : S_ISREG(st.st_mode) ? DT_REG
                         : S_ISLNK(st.st_mode) ? DT_LNK
                                               : DT_UNKNOWN;

    // Walking and reading a tree costs about as much CPU as hashing it, so for anything big
    // enough a second thread walks while this one runs the sink (which therefore always runs on
    // the caller's thread). Small items are not worth a thread.
    if (type == DT_DIR || (type == DT_REG && st.st_size >= off_t(2 * dumpBufSize))) {
        Pipe pipe;
        std::thread producer;
        try {
            producer = std::thread([&] {
                try {
                    DumpWriter w(pipe);
                    Dumper(path, w, copyTo).dump(type);
                    pipe.finish(nullptr);
                } catch (Pipe::Cancelled&) {
                    pipe.finish(nullptr);
                } catch (...) {
                    pipe.finish(std::current_exception());
                }
            });
        } catch (std::system_error&) {
            // No thread to be had: fall through to the single-threaded dump.
        }
        if (producer.joinable()) {
            try {
                pipe.drainInto(sink);
            } catch (...) {
                pipe.cancel();
                producer.join();
                throw;
            }
            producer.join();
            return;
        }
    }

    // Framing is under 200 bytes; a symlink target is at most a page.
    size_t cap = type == DT_REG ? size_t(std::min<off_t>(st.st_size, off_t(dumpBufSize))) : 0;
    DumpWriter w(sink, std::max<size_t>(cap + 256, 8192));
    Dumper(path, w, copyTo).dump(type);
}

void dumpPath(const std::string& path, Sink& sink) {
    dump(path, sink, nullptr);
}

void dumpPathCopy(const std::string& path, const std::string& copyTo, Sink& sink) {
    dump(path, sink, copyTo.c_str());
}

void dumpString(std::string_view contents, Sink& sink) {
    StringSink head;
    head.s = tokMagic + tokRegular;
    writeU64(head, contents.size());
    sink(head.s);
    sink(contents);
    static const char zeros[8] = {};
    if (contents.size() % 8) sink(std::string_view(zeros, 8 - contents.size() % 8));
    sink(tokClose);
}

void parseNar(Source& source, NarVisitor& visitor) {
    NarParser(source, visitor).parse();
}

void restorePath(const std::string& path, Source& source) {
    if (pathExists(path)) throw Error("cannot restore a NAR to '" + path + "': it already exists");
    RestoreVisitor v(path);
    try {
        parseNar(source, v);
    } catch (...) {
        v.fd.close();
        // Only what this call created is removed; a path that appeared concurrently is left.
        if (v.rootCreated) {
            try {
                deletePath(path);
            } catch (Error&) {
                // The original error matters more than a failed clean-up.
            }
        }
        throw;
    }
}

void copyNar(Source& source, Sink& sink) {
    TeeSource tee(source, sink);
    NullVisitor v;
    parseNar(tee, v);
}

NarHash hashPath(HashAlgo algo, const std::string& path) {
    HashSink h(algo);
    dumpPath(path, h);
    NarHash r;
    r.size = h.bytesHashed();
    r.hash = h.finish();
    return r;
}

} // namespace ferrix
