// The NAR parser, the validating copy and restore: every accepted NAR restores to a tree whose
// dump is the NAR itself (the bytes the parser consumed), and copyNar forwards exactly those.
#include "ferrix/nar.hh"
#include "ferrix/file.hh"
#include "fuzz.hh"

using namespace ferrix;

namespace {
// parseNar alone, building nothing.
struct Ignore : NarVisitor {
    void createDirectory(const std::string&) override {}
    void createRegularFile(const std::string&, bool, uint64_t) override {}
    void receiveContents(std::string_view) override {}
    void closeRegularFile() override {}
    void createSymlink(const std::string&, const std::string&) override {}
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input = fuzz::text(data, size);
    Ignore ignore;
    StringSource source(input);
    try {
        parseNar(source, ignore);
    } catch (const BadNar&) {
        return 0;
    }
    std::string_view nar = input.substr(0, source.pos);

    StringSource copySource(input);
    StringSink copy;
    copyNar(copySource, copy);
    if (copy.s != nar) fuzz::fail("copyNar forwarded other bytes than the NAR", nar, copy.s);

    std::string path = fuzz::scratchDir() + "/nar";
    StringSource restoreSource(nar);
    try {
        restorePath(path, restoreSource);
    } catch (const SysError&) {
        // A name or path the file system refuses (too long): nothing may be left.
        if (pathExists(path)) fuzz::fail("a failed restore left its tree behind");
        return 0;
    }
    StringSink dumped;
    dumpPath(path, dumped);
    deletePath(path);
    if (dumped.s != nar) fuzz::fail("restore then dump did not give the NAR back", nar, dumped.s);
    return 0;
}
