// [target.KEY] keys and their cfg() expressions, decided for a few real triples or refused with a
// FormatError; the answer does not depend on anything but the key and the triple, and the exact
// decision (against a cfg set) agrees with the approximate one wherever that one decides.
#include "ferrix/cargo/platform.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const char* const triples[] = {"x86_64-unknown-linux-gnu", "aarch64-apple-darwin",
                                          "x86_64-pc-windows-msvc", "wasm32-unknown-unknown"};
    // What rustc prints for x86_64-unknown-linux-gnu, less target features.
    static const cargo::CfgSet linux = cargo::CfgSet::parse(
        "debug_assertions\npanic=\"unwind\"\ntarget_arch=\"x86_64\"\ntarget_endian=\"little\"\n"
        "target_env=\"gnu\"\ntarget_family=\"unix\"\ntarget_os=\"linux\"\n"
        "target_pointer_width=\"64\"\ntarget_vendor=\"unknown\"\nunix\n");
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
    bool exact = cargo::targetApplies(key, triples[0], linux);
    std::optional<bool> approx = cargo::targetApplies(key, triples[0]);
    // The approximation does not know `cfg(true)` literals or `debug_assertions`.
    if (approx && *approx != exact && key.find("true") == std::string::npos &&
        key.find("false") == std::string::npos && key.find("debug_assertions") == std::string::npos)
        fuzz::fail("the exact and the approximate decisions differ", key);
    return 0;
}
