// The user configuration file (config.toml): read or refused with a FormatError.
#include "ferrix/config.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        parseUserConfig(std::string(fuzz::text(data, size)), "config.toml");
    } catch (const FormatError&) {
    }
    return 0;
}
