// .narinfo files: an accepted file renders (toString) as text that parses to the same
// information, which renders the same again.
#include "ferrix/narinfo.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const StoreDir storeDir("/nix/store");
    std::string_view s = fuzz::text(data, size);
    std::optional<NarInfo> info;
    try {
        info = NarInfo::parse(storeDir, s, "fuzz");
    } catch (const BadNarInfo&) {
        return 0;
    }
    std::string text = info->toString(storeDir);
    std::string again;
    try {
        again = NarInfo::parse(storeDir, text, "rendered").toString(storeDir);
    } catch (const BadNarInfo& e) {
        fuzz::fail(std::string("a rendered narinfo is refused: ") + e.what(), s, text);
    }
    if (again != text) fuzz::fail("a narinfo does not render the same twice", text, again);
    try {
        info->fingerprint(storeDir);
    } catch (const BadNarInfo&) {
    }
    return 0;
}
