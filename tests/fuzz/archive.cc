// Archive unpacking (lib/archive.cc) and reading. lib/archive.cc has no entry point that reads
// from memory, so the input is written to a file first. An accepted archive leaves exactly the
// destination behind, with no symlink that resolves outside it; a refused one leaves nothing.
#include "ferrix/archive.hh"
#include "ferrix/file.hh"
#include "fuzz.hh"
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>

using namespace ferrix;

namespace {
// readArchive's contents() allocates the size an entry claims; the target reads only entries of
// believable size so that a claimed 8 GiB is not an out-of-memory report of the target's own.
constexpr uint64_t maxContents = 16 << 20;

std::string realPath(const std::string& path) {
    char buf[PATH_MAX];
    return realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

void checkSymlinksInside(const std::string& root, const std::string& dir) {
    for (const std::string& name : readDirectory(dir)) {
        std::string path = dir + "/" + name;
        struct stat st = lstatPath(path);
        if (S_ISDIR(st.st_mode)) {
            checkSymlinksInside(root, path);
        } else if (S_ISLNK(st.st_mode)) {
            std::string resolved = realPath(path);
            if (!resolved.empty() && resolved != root && !resolved.starts_with(root + "/"))
                fuzz::fail("an unpacked symlink resolves outside the tree", path, resolved);
        }
    }
}

void checkOnly(const std::string& dir, const std::vector<std::string>& expected) {
    std::vector<std::string> names = readDirectory(dir);
    for (const std::string& name : names)
        if (std::find(expected.begin(), expected.end(), name) == expected.end())
            fuzz::fail("unpacking left something beside the destination", "", name);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& dir = fuzz::scratchDir();
    std::string archive = dir + "/input.crate", dest = dir + "/dest";
    writeFile(archive, fuzz::text(data, size));

    try {
        readArchive(archive, [](const ArchiveEntry& entry, const auto& contents) {
            if (entry.regular && entry.size <= maxContents) contents();
        });
    } catch (const FormatError&) {
    }

    try {
        unpackSource(archive, dest);
    } catch (const Error&) {
        // Refused (UnsafeArchive, FormatError) or failed on the file system (SysError): either
        // way nothing is left.
        checkOnly(dir, {"input.crate"});
        return 0;
    }
    checkOnly(dir, {"input.crate", "dest"});
    checkSymlinksInside(realPath(dest), dest);
    deletePath(dest);
    return 0;
}
