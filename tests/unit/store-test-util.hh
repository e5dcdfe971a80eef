// Helpers shared by the store tests: a scratch root removed afterwards, and file-tree builders.
#pragma once

#include "ferrix/file.hh"
#include "ferrix/store.hh"

#include <cstdlib>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace ferrix::test {

// A fresh directory under $TMPDIR (or /tmp), deleted with everything in it at scope exit.
struct ScratchDir {
    std::string path;
    explicit ScratchDir(const std::string& prefix = "ferrix-store-test-") {
        const char* t = std::getenv("TMPDIR");
        path = makeTempDir(t && *t ? t : "/tmp", prefix);
    }
    ~ScratchDir() {
        try {
            deletePath(path);
        } catch (...) {
        }
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
};

inline StoreConfig configAt(const std::string& root,
                            std::optional<std::string> storeDir = std::nullopt) {
    StoreConfig c;
    c.root = root;
    c.storeDir = std::move(storeDir);
    return c;
}

inline std::vector<std::string> listNames(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    return out;
}

// Entries of the physical store directory other than the temporary area.
inline std::vector<std::string> storeEntries(LocalStore& store) {
    std::vector<std::string> out;
    for (auto& n : listNames(store.realStoreDir()))
        if (n != ".ferrix-tmp") out.push_back(n);
    return out;
}

// Items in the temporary area. Each open LocalStore may own an (empty) directory there; what
// matters is that nothing is left inside.
inline std::vector<std::string> tempEntries(LocalStore& store) {
    std::string area = store.realStoreDir() + "/.ferrix-tmp";
    std::vector<std::string> out;
    for (auto& n : listNames(area)) {
        struct stat st;
        if (::lstat((area + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            for (auto& m : listNames(area + "/" + n))
                out.push_back(n + "/" + m);
        } else {
            out.push_back(n);
        }
    }
    return out;
}

} // namespace ferrix::test
