// The Cargo.toml reader: any text is read or refused with a located ManifestError; what is read
// goes through workspace inheritance (against itself) and target inference (in an empty
// directory: explicit tables only), which also answer or refuse with a ManifestError.
#include "ferrix/cargo/manifest.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    cargo::Manifest m;
    try {
        m = cargo::parseManifest(std::string(fuzz::text(data, size)), "Cargo.toml");
    } catch (const cargo::ManifestError&) {
        return 0;
    }
    try {
        cargo::inheritFromWorkspace(m, m);
    } catch (const cargo::ManifestError&) {
    }
    try {
        cargo::targets(m, fuzz::scratchDir());
    } catch (const cargo::ManifestError&) {
    }
    return 0;
}
