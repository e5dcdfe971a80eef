// The jobserver of one `ferrix build` run: GNU make's POSIX jobserver, a named pipe holding one
// byte per token, which rustc (its codegen threads), cargo, make and the cc crate take from and
// give back to as clients. The run has as many tokens as cores; every build it starts holds one
// (the first build the implicit one, which is never in the pipe). See doc/build.md, "Jobs and
// the jobserver".
#pragma once

#include "ferrix/file.hh"
#include "ferrix/store.hh"

#include <string>

namespace ferrix {

class Jobserver {
public:
    // A fifo in a fresh directory under `store`'s builds directory (removed with this object;
    // `ferrix store gc` removes those of runs that died), filled with tokens - 1 bytes.
    Jobserver(LocalStore& store, unsigned tokens);
    ~Jobserver();
    Jobserver(const Jobserver&) = delete;
    Jobserver& operator=(const Jobserver&) = delete;

    unsigned tokens() const { return total; }
    const std::string& fifoPath() const { return fifo; }

    // Takes one token from the fifo if there is one; never blocks.
    bool tryAcquire();
    // Gives one token back.
    void release();
    // When no client can hold a token (no build running): makes the fifo hold exactly
    // tokens - 1 again. Clients killed while they held tokens (a timeout, a crash, a build
    // killed with its whole process group) never gave them back; a faulty client may have
    // written more than it took.
    void refill();
    // A new descriptor on the fifo, read and write, for one build: a separate open file
    // description, so that a client making it non-blocking does not change the scheduler's.
    AutoCloseFD openForBuild() const;

    // The value of CARGO_MAKEFLAGS (MAKEFLAGS for make) for a client that has the fifo open
    // as descriptors 3 and 4, as make 4.3 and cargo hand it over.
    static std::string makeflagsForDescriptors();

    // On any descriptor of the fifo (the scheduler's, the token waiter's): takes one byte if
    // there is one, never blocking when `fd` is non-blocking; writes `n` bytes.
    static bool readToken(int fd);
    static void writeTokens(int fd, unsigned n);

private:
    std::string dir, fifo;
    AutoCloseFD lock, fd; // fd: read-write, non-blocking
    unsigned total;
};

} // namespace ferrix
