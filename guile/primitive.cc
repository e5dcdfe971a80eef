// Registration of primitives from their tables (primitive.hh).
#include "primitive.hh"

namespace ferrix::guile {

void definePrimitives(const Primitive* table, size_t count) {
    // Called from load-extension, in Scheme's dynamic extent: no C++ object with a destructor is
    // alive here, so plain libguile calls are fine.
    SCM documentation = scm_from_utf8_symbol("documentation");
    for (size_t i = 0; i < count; i++) {
        const Primitive& p = table[i];
        SCM proc = scm_c_define_gsubr(p.name, p.required, p.optional, p.rest,
                                      reinterpret_cast<scm_t_subr>(p.function));
        scm_set_procedure_property_x(proc, documentation, scm_from_utf8_string(p.docstring));
    }
}

} // namespace ferrix::guile
