// Build script output: any text is read (as cargo 1.65 and as cargo 1.95) or refused with a
// BuildScriptError; what is read saves to a form that reads back to the same saved text, and any
// saved form is read or refused with a FormatError.
#include "ferrix/cargo/build-script.hh"
#include "fuzz.hh"

using namespace ferrix;
using ferrix::cargo::BuildScriptOutput;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(fuzz::text(data, size));
    for (const char* version : {"1.65.0", "1.95.0"}) {
        std::string saved;
        try {
            saved = BuildScriptOutput::parse(text, version).serialise();
        } catch (const cargo::BuildScriptError&) {
            continue;
        }
        std::string again;
        try {
            again = BuildScriptOutput::deserialise(saved, "directives").serialise();
        } catch (const FormatError& e) {
            fuzz::fail("the saved form of parsed output was refused", saved, e.what());
        }
        if (again != saved) fuzz::fail("the saved form did not read back the same", saved, again);
    }
    try {
        std::string saved = BuildScriptOutput::deserialise(text, "directives").serialise();
        if (BuildScriptOutput::deserialise(saved, "directives").serialise() != saved)
            fuzz::fail("a saved form did not read back the same", saved);
    } catch (const FormatError&) {
    }
    return 0;
}
