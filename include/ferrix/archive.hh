// Safe unpacking of source archives and directories, and reproducible packing of a directory into
// a .crate, with libarchive.
//
// Unpacking refuses, naming the offending entry: absolute paths, ".." components, entries that go
// through a symlink (each entry is created beneath the tree's root without following any
// symlink: openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or a component-by-component walk
// with O_NOFOLLOW where the kernel lacks openat2), symlinks whose target leaves the tree (after
// unpacking, each link is resolved with the whole chain of links it goes through, against the
// final tree), hard links to anything but an earlier file of the archive, device files, FIFOs
// and sockets; archives beyond the UnpackLimits; and any failed or short write (a full file
// system). A refused or failed unpack leaves nothing at the destination.
//
// Packing is reproducible: entries sorted by name, mtime 0, owner and group 0 named root, modes
// 0755 for directories and executables and 0644 for other files, GNU tar in gzip without a
// timestamp or file name. The same tree gives the same bytes, whatever its times and owners.
#pragma once

#include "ferrix/error.hh"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ferrix {

// An archive or directory with an entry that would leave the tree or is not a plain file,
// directory or symlink. The message names the archive and the entry.
class UnsafeArchive : public FormatError {
    using FormatError::FormatError;
};

// An archive beyond one of the UnpackLimits. The message names the limit, the archive and how to
// raise the limit.
class ArchiveTooLarge : public UnsafeArchive {
    using UnsafeArchive::UnsafeArchive;
};

// Writing the unpacked tree failed ("no space left on device while writing 'ENTRY' to 'DIR'").
class UnpackWriteError : public Error {
    using Error::Error;
};

// What unpacking one archive may produce; 0 means no limit. The defaults pass every crate of
// Debian's registry by a wide margin (doc/cargo.md: the largest is 7 MB unpacked, 477 entries,
// and compresses 26.5 times).
struct UnpackLimits {
    // Bytes of file data, in all.
    uint64_t maxSize = uint64_t(4) << 30;
    // Entries (files, directories, links), in all.
    uint64_t maxEntries = 1000000;
    // Uncompressed bytes of the archive per compressed byte read ...
    uint64_t maxRatio = 1000;
    // ... once more than this many uncompressed bytes have been read (small archives of
    // repetitive data, zeros say, compress far better than 1000 to 1 and are harmless).
    uint64_t ratioAllowance = uint64_t(16) << 20;

    // The defaults, each replaced by its environment variable when that is set:
    // FERRIX_MAX_UNPACKED_SIZE, FERRIX_MAX_UNPACKED_ENTRIES, FERRIX_MAX_COMPRESSION_RATIO (a
    // decimal number; 0 for no limit). Throws UsageError naming a variable that is not a number.
    static UnpackLimits fromEnvironment();
};

// Makes `dest` (which must not exist) hold the source tree of `source`: a directory (copied,
// made writable; its symlinks checked as an archive's would be) or an archive (.crate, .tar.gz,
// .tgz, .tar.xz, .tar.bz2, .tar.zst, .tar; whatever libarchive recognises). When the archive's
// entries all lie under one top-level directory, that directory becomes `dest`.
// `limits` apply to an archive (the environment's when not given).
void unpackSource(const std::string& source, const std::string& dest);
void unpackSource(const std::string& source, const std::string& dest, const UnpackLimits& limits);

// Extracts `archive` into `dest` (created if needed) as is, top-level directory included, with
// the same checks and limits. On failure, what it made at the top of `dest` is removed (`dest`
// too, if it made it).
void unpackArchive(const std::string& archive, const std::string& dest);
void unpackArchive(const std::string& archive, const std::string& dest, const UnpackLimits& limits);

// unpackArchive for an archive held in memory (`data`); `name` stands for it in messages.
void unpackArchiveFromMemory(std::string_view data, const std::string& name,
                             const std::string& dest, const UnpackLimits& limits = {});

// One entry of an archive being read with readArchive: its name as stored ("crate-1.0/src/a.rs"),
// whether it is a regular file, and its size.
struct ArchiveEntry {
    std::string path;
    bool regular = false;
    uint64_t size = 0;
};

// Reads `archive`, a tar archive in any compression libarchive knows (a .crate is a gzip'd
// tar; anything else, a zip say, is refused), entry by entry, in order, calling `visit` with
// each; within `visit`, `contents()` returns the current entry's bytes (call it at most once).
// Nothing is extracted. Throws FormatError "ARCHIVE: what went wrong" when it cannot be read.
void readArchive(const std::string& archive,
                 const std::function<void(const ArchiveEntry& entry,
                                          const std::function<std::string()>& contents)>& visit);

// Packs the tree `dir` into `file` (gzip'd GNU tar), every entry under `prefix/` (a crate's
// "NAME-VERSION"). `select` (if given) is called with each path relative to `dir`
// ("src/lib.rs") and whether it is a directory; false leaves it (and, for a directory, what it
// holds) out.
void packTree(const std::string& dir, const std::string& prefix, const std::string& file,
              const std::function<bool(const std::string& rel, bool isDir)>& select = {});

} // namespace ferrix
