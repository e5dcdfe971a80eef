// libguile-ferrix: the core's primitives for Guile. Modules load it with
//   (eval-when (expand load eval) (load-extension "libguile-ferrix" "init_ferrix"))
// which defines every %-primitive in the loading module (they are not exported; the modules
// export keyword procedures built on them).
#include "extension.hh"
#include "store-object.hh"

#include <atomic>

namespace ferrix::guile {

void defineAll() {
    // The first load creates the types; later loads (from other modules) only define the
    // procedures again. Module loading happens on one thread at a time in practice; a plain flag
    // rather than std::call_once, which a longjmp out of initStoreType would leave locked.
    static std::atomic<bool> initialised{false};
    if (!initialised.exchange(true)) initStoreType();
    defineStorePrimitives();
    defineHashPrimitives();
    defineDerivationPrimitives();
    defineCliPrimitives();
}

} // namespace ferrix::guile

extern "C" void init_ferrix() {
    ferrix::guile::defineAll();
}
