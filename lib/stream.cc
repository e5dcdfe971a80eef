#include "ferrix/stream.hh"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace ferrix {

void Source::operator()(char* data, size_t len) {
    while (len > 0) {
        size_t n = read(data, len);
        data += n;
        len -= n;
    }
}

void Source::drainInto(Sink& sink) {
    char buf[64 * 1024];
    try {
        while (true) {
            size_t n = read(buf, sizeof buf);
            sink(std::string_view(buf, n));
        }
    } catch (EndOfFile&) {
    }
}

std::string Source::drain() {
    StringSink s;
    drainInto(s);
    return std::move(s.s);
}

size_t StringSource::read(char* data, size_t len) {
    if (pos >= s.size()) throw EndOfFile("end of string reached");
    size_t n = std::min(len, s.size() - pos);
    std::memcpy(data, s.data() + pos, n);
    pos += n;
    return n;
}

FdSink::FdSink(int fd, size_t bufSize) : fd(fd), cap(bufSize) {
    buf.reserve(cap);
}

FdSink::~FdSink() {
    try {
        flush();
    } catch (...) {
    }
}

static void writeAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t r = ::write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw SysError("writing to file descriptor " + std::to_string(fd));
        }
        p += r;
        n -= size_t(r);
    }
}

void FdSink::operator()(std::string_view data) {
    if (buf.size() + data.size() > cap) {
        flush();
        if (data.size() >= cap) {
            writeAll(fd, data.data(), data.size());
            return;
        }
    }
    buf.append(data);
}

void FdSink::flush() {
    if (buf.empty()) return;
    std::string b;
    b.swap(buf);
    buf.reserve(cap);
    writeAll(fd, b.data(), b.size());
}

FdSource::FdSource(int fd, size_t bufSize) : fd(fd), buf(new char[bufSize]), cap(bufSize) {}

size_t FdSource::read(char* data, size_t len) {
    if (pos == end) {
        // Large reads bypass the buffer.
        if (len >= cap) {
            while (true) {
                ssize_t r = ::read(fd, data, len);
                if (r < 0 && errno == EINTR) continue;
                if (r < 0) throw SysError("reading from file descriptor " + std::to_string(fd));
                if (r == 0) throw EndOfFile("unexpected end of file");
                return size_t(r);
            }
        }
        while (true) {
            ssize_t r = ::read(fd, buf.get(), cap);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) throw SysError("reading from file descriptor " + std::to_string(fd));
            if (r == 0) throw EndOfFile("unexpected end of file");
            pos = 0;
            end = size_t(r);
            break;
        }
    }
    size_t n = std::min(len, end - pos);
    std::memcpy(data, buf.get() + pos, n);
    pos += n;
    return n;
}

void writeU64(Sink& sink, uint64_t n) {
    char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = char((n >> (8 * i)) & 0xff);
    sink(std::string_view(b, 8));
}

void writePadded(Sink& sink, std::string_view s) {
    static const char zeros[8] = {};
    writeU64(sink, s.size());
    sink(s);
    if (s.size() % 8) sink(std::string_view(zeros, 8 - s.size() % 8));
}

uint64_t readU64(Source& source) {
    unsigned char b[8];
    source(reinterpret_cast<char*>(b), 8);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= uint64_t(b[i]) << (8 * i);
    return n;
}

} // namespace ferrix
