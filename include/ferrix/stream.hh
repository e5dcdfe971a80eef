// Byte streams: a Sink takes bytes, a Source gives them. NAR dump/restore, hashing and the store
// all speak these two interfaces so that data flows through without being held whole in memory.
#pragma once

#include "ferrix/error.hh"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ferrix {

class EndOfFile : public Error {
    using Error::Error;
};

struct Sink {
    virtual ~Sink() = default;
    virtual void operator()(std::string_view data) = 0;
};

struct Source {
    virtual ~Source() = default;
    // Reads between 1 and len bytes into data; throws EndOfFile when nothing is left.
    virtual size_t read(char* data, size_t len) = 0;
    // Reads exactly len bytes or throws EndOfFile.
    void operator()(char* data, size_t len);
    // Copies everything that is left into sink.
    void drainInto(Sink& sink);
    std::string drain();
};

struct StringSink : Sink {
    std::string s;
    void operator()(std::string_view data) override { s.append(data); }
};

struct StringSource : Source {
    std::string_view s;
    size_t pos = 0;
    explicit StringSource(std::string_view s) : s(s) {}
    size_t read(char* data, size_t len) override;
};

// Discards everything; counts bytes.
struct NullSink : Sink {
    uint64_t written = 0;
    void operator()(std::string_view data) override { written += data.size(); }
};

// Sends every byte to two sinks.
struct TeeSink : Sink {
    Sink& a;
    Sink& b;
    TeeSink(Sink& a, Sink& b) : a(a), b(b) {}
    void operator()(std::string_view data) override {
        a(data);
        b(data);
    }
};

// Buffered writer on a file descriptor it does not own. flush() before the fd is closed.
class FdSink : public Sink {
public:
    explicit FdSink(int fd, size_t bufSize = 64 * 1024);
    ~FdSink() override;
    void operator()(std::string_view data) override;
    void flush();

private:
    int fd;
    std::string buf;
    size_t cap;
};

// Buffered reader on a file descriptor it does not own.
class FdSource : public Source {
public:
    explicit FdSource(int fd, size_t bufSize = 64 * 1024);
    size_t read(char* data, size_t len) override;

private:
    int fd;
    std::unique_ptr<char[]> buf;
    size_t cap, pos = 0, end = 0;
};

// Little-endian u64 and NAR-style padded strings, shared by the NAR and other wire formats.
void writeU64(Sink& sink, uint64_t n);
void writePadded(Sink& sink, std::string_view s);
uint64_t readU64(Source& source);

} // namespace ferrix
