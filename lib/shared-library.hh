// A library opened on first use instead of linked (libcurl in fetch.cc, libarchive in
// archive.cc): commands that never download or unpack do not load it, and the dozens of libraries
// it pulls in, at start-up. Private to lib/.
#pragma once

#include <dlfcn.h>
#include <initializer_list>
#include <string>
#include <type_traits>

namespace ferrix {

class SharedLibrary {
public:
    // Opens the first of `sonames` that loads; `what` names the library in errors.
    SharedLibrary(std::initializer_list<const char*> sonames, const std::string& what)
        : what(what) {
        for (auto name : sonames)
            if ((handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL))) return;
        const char* e = ::dlerror();
        error = "cannot load " + what + ": " + (e ? e : "not found");
    }

    // Points `fn` at the function `name`; the first one missing is recorded in `error`, with
    // `hint` (e.g. the version needed) after it.
    template <class F> void function(F& fn, const char* name, const std::string& hint = "") {
        static_assert(std::is_pointer_v<F>);
        void* p = handle ? ::dlsym(handle, name) : nullptr;
        if (!p && error.empty())
            error = what + " lacks " + name + (hint.empty() ? "" : " (" + hint + ")");
        fn = reinterpret_cast<F>(p);
    }

    // Empty when the library and every function asked for were found.
    std::string error;

private:
    std::string what;
    void* handle = nullptr;
};

} // namespace ferrix
