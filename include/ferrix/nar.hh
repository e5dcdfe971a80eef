// NAR (Nix ARchive): the canonical serialisation of a file, directory or symlink that store
// hashes are computed over. Dump streams into a Sink; restore and parse read from a Source and
// enforce every rule of the format, so a bad NAR is refused with a precise error.
#pragma once

#include "ferrix/hash.hh"
#include "ferrix/stream.hh"

#include <cstdint>
#include <string>
#include <string_view>

namespace ferrix {

extern const std::string narMagic; // "nix-archive-1"

// Serialises `path` (not following a top-level symlink). Throws Error for sockets, devices...
// naming the offending path. For a directory or a big file the tree is walked and read on a
// helper thread while `sink` runs, always on the calling thread, in chunks of up to 1 MiB.
void dumpPath(const std::string& path, Sink& sink);

// dumpPath that also recreates `path` at `copyTo` (which must not exist) from the very bytes it
// serialises, in the store's canonical form: files 0444 or 0555, directories 0555 (the top one
// 0755, so that it can still be renamed), every modification time 1. One read of the source
// instead of a copy and a second read; on error the caller removes what was created.
void dumpPathCopy(const std::string& path, const std::string& copyTo, Sink& sink);
// The NAR of a single non-executable regular file with these contents.
void dumpString(std::string_view contents, Sink& sink);

// Receives the events of a NAR being parsed. Paths are relative to the root: "" is the root,
// then "a", "a/b"... (entry names joined with '/').
struct NarVisitor {
    virtual ~NarVisitor() = default;
    virtual void createDirectory(const std::string& path) = 0;
    virtual void createRegularFile(const std::string& path, bool executable, uint64_t size) = 0;
    virtual void receiveContents(std::string_view data) = 0;
    virtual void closeRegularFile() = 0;
    virtual void createSymlink(const std::string& path, const std::string& target) = 0;
};

// Strict parser: wrong magic, bad padding, unsorted or duplicate names, empty/"."/".."/"/"/NUL
// names, misplaced "executable", unknown tags and truncation all throw BadNar naming the byte
// offset and what was wrong. Reads exactly the NAR's bytes from the source, no more.
void parseNar(Source& source, NarVisitor& visitor);

// Reads a NAR from `source` and recreates it at `path`, which must not exist. On any error
// whatever was created is removed before the exception propagates.
void restorePath(const std::string& path, Source& source);

// Parses a NAR from `source` while forwarding its bytes to `sink` (validating copy).
void copyNar(Source& source, Sink& sink);

struct NarHash {
    Hash hash;
    uint64_t size = 0;
};
// Hash and size of the NAR serialisation of `path`.
NarHash hashPath(HashAlgo algo, const std::string& path);

} // namespace ferrix
