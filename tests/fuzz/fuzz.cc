#include "fuzz.hh"
#include "ferrix/file.hh"
#include <cstdio>
#include <cstdlib>

namespace ferrix::fuzz {

const std::string& scratchDir() {
    static const std::string dir = [] {
        const char* tmp = std::getenv("TMPDIR");
        return makeTempDir(tmp && *tmp ? tmp : "/tmp", "ferrix-fuzz-");
    }();
    return dir;
}

namespace {
void dump(const char* label, std::string_view bytes) {
    std::fprintf(stderr, "%s (%zu bytes): \"", label, bytes.size());
    for (unsigned char c : bytes.substr(0, 4096)) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            std::fputc(c, stderr);
        else
            std::fprintf(stderr, "\\x%02x", c);
    }
    std::fprintf(stderr, "\"\n");
}
} // namespace

void fail(std::string_view what, std::string_view expected, std::string_view got) {
    std::fprintf(stderr, "fuzz: %.*s\n", int(what.size()), what.data());
    if (!expected.empty() || !got.empty()) {
        dump("expected", expected);
        dump("got", got);
    }
    std::abort();
}

} // namespace ferrix::fuzz
