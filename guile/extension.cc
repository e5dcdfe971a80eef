// libguile-ferrix: the core's primitives for Guile. Modules load it with
//   (eval-when (expand load eval) (load-extension "libguile-ferrix" "init_ferrix"))
// which defines every %-primitive in the loading module (they are not exported; the modules
// export keyword procedures built on them).
#include "extension.hh"
#include "store-object.hh"

namespace ferrix::guile {

void defineAll() {
    // Each load (one per module that loads the extension) defines the procedures in that
    // module. The store's foreign object type is made on first use (initStoreType).
    defineStorePrimitives();
    defineHashPrimitives();
    defineDerivationPrimitives();
    defineNarPrimitives();
    defineBuildPrimitives();
    defineFetchPrimitives();
    defineUnitsPrimitives();
}

} // namespace ferrix::guile

extern "C" void init_ferrix() {
    ferrix::guile::defineAll();
}
