// The store as a Guile struct (what a foreign object is underneath, minus GOOPS; not a smob): an
// unboxed pointer to a StoreHandle, deleted by the vtable's instance finalizer or by
// %close-store, whichever comes first. A closed store has a null pointer.
#pragma once

#include "ferrix/derivation.hh"
#include "ferrix/store.hh"

#include <libguile.h>

#include <mutex>

namespace ferrix::guile {

struct StoreHandle {
    explicit StoreHandle(const StoreConfig& config);
    LocalStore store;
    // Hashes modulo of the derivations this process wrote or read, by .drv path (a .drv never
    // changes), so that a graph is hashed once. Guarded by drvMutex.
    std::mutex drvMutex;
    DrvHashes drvHashes;
};

// Creates the store's vtable if not done yet (Scheme side: may raise). Called by %open-store.
void initStoreType();

// Step 1 of the discipline (Scheme side): the store in argument POS of SUBR, or wrong-type-arg,
// or (ferrix-error ... "store is closed").
StoreHandle* storeArg(SCM obj, int pos, const char* subr);

void defineStorePrimitives();

} // namespace ferrix::guile
