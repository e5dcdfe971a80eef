// Archive unpacking (lib/archive.cc) and reading: unpackArchiveFromMemory, and unpackSource and
// readArchive from a file holding the input. An accepted archive leaves exactly the destination
// behind, with no symlink that resolves outside it; a refused one leaves nothing.
#include "ferrix/archive.hh"
#include "ferrix/file.hh"
#include "fuzz.hh"
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>

using namespace ferrix;

namespace {
// Small limits: a decompression bomb is refused quickly rather than filling the disk.
ferrix::UnpackLimits limits() {
    ferrix::UnpackLimits l;
    l.maxSize = uint64_t(64) << 20;
    l.maxEntries = 10000;
    return l;
}

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
    std::string archive = dir + "/input.crate", dest = dir + "/dest", mem = dir + "/mem";
    std::string_view input = fuzz::text(data, size);
    writeFile(archive, input);

    try {
        readArchive(archive, [](const ArchiveEntry& entry, const auto& contents) {
            if (entry.regular) contents();
        });
    } catch (const FormatError&) {
    }

    bool accepted = true;
    try {
        unpackArchiveFromMemory(input, "input", mem, limits());
    } catch (const Error&) {
        accepted = false;
    }
    checkOnly(dir, {"input.crate", accepted ? "mem" : "input.crate"});
    if (accepted) {
        checkSymlinksInside(realPath(mem), mem);
        deletePath(mem);
    }

    try {
        unpackSource(archive, dest, limits());
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
