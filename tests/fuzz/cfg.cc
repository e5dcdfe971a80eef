// [target.KEY] keys and their cfg() expressions, decided for a few real triples or refused with a
// FormatError; the answer does not depend on anything but the key and the triple.
#include "ferrix/cargo/platform.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const char* const triples[] = {"x86_64-unknown-linux-gnu", "aarch64-apple-darwin",
                                          "x86_64-pc-windows-msvc", "wasm32-unknown-unknown"};
    std::string key(fuzz::text(data, size));
    for (const char* triple : triples) {
        std::optional<bool> first;
        try {
            first = cargo::targetApplies(key, triple);
        } catch (const FormatError&) {
            return 0;
        }
        if (cargo::targetApplies(key, triple) != first)
            fuzz::fail("targetApplies gave two answers for the same key", key);
    }
    return 0;
}
