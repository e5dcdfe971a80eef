// Safe unpacking of source archives and directories, and reproducible packing of a directory into
// a .crate, with libarchive.
//
// Unpacking refuses, naming the offending entry: absolute paths, ".." components, entries that go
// through a symlink of the archive, symlinks whose target leaves the tree, hard links to anything
// outside it, and device files, FIFOs and sockets. A refused archive leaves nothing at the
// destination.
//
// Packing is reproducible: entries sorted by name, mtime 0, owner and group 0 named root, modes
// 0755 for directories and executables and 0644 for other files, GNU tar in gzip without a
// timestamp or file name. The same tree gives the same bytes, whatever its times and owners.
#pragma once

#include "ferrix/error.hh"

#include <cstdint>
#include <functional>
#include <string>

namespace ferrix {

// An archive or directory with an entry that would leave the tree or is not a plain file,
// directory or symlink. The message names the archive and the entry.
class UnsafeArchive : public FormatError {
    using FormatError::FormatError;
};

// Makes `dest` (which must not exist) hold the source tree of `source`: a directory (copied,
// made writable; its symlinks checked as an archive's would be) or an archive (.crate, .tar.gz,
// .tgz, .tar.xz, .tar.bz2, .tar.zst, .tar; whatever libarchive recognises). When the archive's
// entries all lie under one top-level directory, that directory becomes `dest`.
void unpackSource(const std::string& source, const std::string& dest);

// Extracts `archive` into `dest` (created if needed) as is, top-level directory included.
void unpackArchive(const std::string& archive, const std::string& dest);

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
