// The ATerm parser: whatever it accepts, unparse() writes back byte for byte (the parser's
// contract), in its own store directory and in an explicit one; the derived computations (JSON,
// hashes, .drv path) either work or refuse with an Error.
#include "ferrix/derivation.hh"
#include "fuzz.hh"
#include <nlohmann/json.hpp>

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view aterm = fuzz::text(data, size);
    Derivation drv;
    try {
        drv = parseDerivation(aterm);
    } catch (const BadDerivation&) {
        return 0;
    }
    StoreDir storeDir = derivationStoreDir(aterm);
    std::string text = unparse(storeDir, drv, false);
    if (text != aterm) fuzz::fail("unparse(parse(text)) differs from text", aterm, text);
    if (parseDerivation(text, drv.name, &storeDir) != drv)
        fuzz::fail("parse with an explicit store directory gave another derivation");

    std::string drvPath;
    try {
        checkDerivation(drv);
        drvPath = drvPathOf(storeDir, drv);
        DrvHashes hashes(memoryResolver(std::map<std::string, Derivation>{}));
        hashDerivationModulo(storeDir, drv, true, hashes);
    } catch (const Error&) {
        // Not constructible (a bad name, an unknown input derivation): a refusal, not a crash.
    }
    derivationToJson(storeDir, drvPath, drv)
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return 0;
}
