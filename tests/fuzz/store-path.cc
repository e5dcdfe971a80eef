// Store paths: a base name, a full path and a path inside an item are accepted or refused with
// BadStorePath, and what is accepted prints back as the input.
#include "ferrix/store-path.hh"
#include "ferrix/error.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view s = fuzz::text(data, size);
    static const StoreDir storeDir("/nix/store");
    try {
        StorePath p(s);
        if (p.to_string() != s) fuzz::fail("a base name prints differently", s, p.to_string());
        checkStorePathName(p.name());
    } catch (const BadStorePath&) {
    }
    bool isPath = storeDir.isStorePath(s);
    try {
        StorePath p = storeDir.parse(s);
        if (!isPath) fuzz::fail("parse accepts what isStorePath refuses", s);
        if (storeDir.print(p) != s) fuzz::fail("a full path prints differently", s);
    } catch (const BadStorePath&) {
        if (isPath) fuzz::fail("isStorePath accepts what parse refuses", s);
    }
    try {
        StorePath item = storeDir.toStorePath(s);
        std::string printed = storeDir.print(item);
        if (!s.starts_with(printed) || (s.size() > printed.size() && s[printed.size()] != '/'))
            fuzz::fail("toStorePath gave an item the path is not in", s, printed);
    } catch (const BadStorePath&) {
    }
    try {
        checkStorePathName(s);
    } catch (const BadStorePath&) {
    }
    return 0;
}
