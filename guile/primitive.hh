// How guile/ registers its primitives: each FILE.cc ends with one table of Primitive rows and a
// defineFilePrimitives() that hands it to definePrimitives (gdb's scm-*.c do the same).
//
// The naming rule for glue: the C++ function behind the Scheme procedure `%some-name` (or
// `some-name?`, `some-name!`, `a->b`) is `primSomeName` (`primAToB`): "prim", then the Scheme name
// without its `%`, `?` and `!`, in CamelCase, with `->` read as "To". Helpers that are not
// primitives are plain C++ names in the file's anonymous namespace.
#pragma once

#include <libguile.h>

#include <cstddef>

namespace ferrix::guile {

struct Primitive {
    const char* name; // the Scheme name
    int required, optional, rest;
    void* function;        // SCM (*)(SCM...), cast with asSubr
    const char* docstring; // imperative, arguments named in capitals, as Guile's own
};

// A primitive's C++ function as the table stores it.
template <typename F> inline void* asSubr(F* f) {
    return reinterpret_cast<void*>(f);
}

// Defines every row of TABLE in the current module, its docstring attached as the procedure's
// 'documentation property (what `procedure-documentation` and ,describe show).
void definePrimitives(const Primitive* table, size_t count);

template <size_t N> void definePrimitives(const Primitive (&table)[N]) {
    definePrimitives(table, N);
}

} // namespace ferrix::guile
