// Registry index lines and files: an accepted line is written back by writeIndexLine as a line
// that reads as the same entry (writing it again gives the same bytes).
#include "ferrix/cargo/index.hh"
#include "ferrix/error.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view s = fuzz::text(data, size);
    try {
        cargo::IndexEntry entry = cargo::parseIndexLine(s, "fuzz");
        std::string line = cargo::writeIndexLine(entry);
        std::string again = cargo::writeIndexLine(cargo::parseIndexLine(line, "written"));
        if (again != line) fuzz::fail("an index line does not read back as written", line, again);
    } catch (const FormatError&) {
    }
    try {
        cargo::parseIndexFile(s, "fuzz");
    } catch (const FormatError&) {
    }
    try {
        cargo::indexPath(s);
    } catch (const FormatError&) {
    }
    return 0;
}
