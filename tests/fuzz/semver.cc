// Versions and requirements. The input is "VERSION\nREQUIREMENT": an accepted version prints as
// text that parses to the same version; an accepted requirement is matched against it.
#include "ferrix/cargo/semver.hh"
#include "ferrix/error.hh"
#include "fuzz.hh"

using namespace ferrix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input = fuzz::text(data, size);
    size_t nl = input.find('\n');
    std::string_view versionText = input.substr(0, nl);
    std::string_view reqText = nl == input.npos ? input : input.substr(nl + 1);

    std::optional<cargo::Version> version;
    try {
        version = cargo::Version::parse(versionText);
    } catch (const FormatError&) {
    }
    if (version) {
        std::string printed = version->str();
        cargo::Version again = cargo::Version::parse(printed);
        if (cargo::compare(again, *version) != 0 || again.build != version->build ||
            again.str() != printed)
            fuzz::fail("a version does not parse back from its text", printed, again.str());
        if (!cargo::compatible(*version, *version))
            fuzz::fail("a version is not compatible with itself", printed);
        for (const char* op : {"=", "^", "~", ">=", "<="}) {
            std::string exact = op + printed;
            if (!cargo::VersionReq::parse(exact).matches(*version))
                fuzz::fail("a requirement naming a version does not match it", exact);
        }
    }

    std::optional<cargo::VersionReq> req;
    try {
        req = cargo::VersionReq::parse(reqText);
    } catch (const FormatError&) {
        return 0;
    }
    if (version) {
        bool matches = req->matches(*version);
        std::optional<std::string> newest = cargo::newestMatching({version->str()}, *req);
        if (matches != newest.has_value())
            fuzz::fail("newestMatching disagrees with matches", version->str());
    }
    return 0;
}
