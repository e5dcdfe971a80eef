// The extension's entry points. init_ferrix (C linkage) is what load-extension calls.
#pragma once

extern "C" void init_ferrix();

namespace ferrix::guile {

// Defines every primitive in the current module (and creates the foreign object types once).
void defineAll();

void defineStorePrimitives();
void defineHashPrimitives();
void defineDerivationPrimitives();
void defineNarPrimitives();
void defineBuildPrimitives();
void defineFetchPrimitives();
void defineUnitsPrimitives(); // guile/units.cc: the unit graph (cmake/Cargo.cmake)

} // namespace ferrix::guile
