// The Cargo.toml reader: any text is read or refused with a located ManifestError.
#include "ferrix/cargo/manifest.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        cargo::parseManifest(std::string(fuzz::text(data, size)), "Cargo.toml");
    } catch (const cargo::ManifestError&) {
    }
    return 0;
}
