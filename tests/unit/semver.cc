// Versions and cargo's version requirements, checked against the examples of cargo's
// "Specifying Dependencies" chapter and the SemVer 2.0 specification.
#include "ferrix/cargo/semver.hh"
#include "ferrix/error.hh"

#include <gtest/gtest.h>

using namespace ferrix;
using namespace ferrix::cargo;

namespace {

bool M(const char* req, const char* ver) {
    return VersionReq::parse(req).matches(Version::parse(ver));
}

std::string errorOf(auto&& f) {
    try {
        f();
    } catch (const FormatError& e) {
        return e.what();
    }
    return "(no error)";
}

// REQ matches exactly the versions in `yes` and none in `no`.
void expectRange(const char* req, std::initializer_list<const char*> yes,
                 std::initializer_list<const char*> no) {
    for (auto v : yes)
        EXPECT_TRUE(M(req, v)) << req << " should match " << v;
    for (auto v : no)
        EXPECT_FALSE(M(req, v)) << req << " should not match " << v;
}

} // namespace

TEST(Semver, ParseVersions) {
    Version v = Version::parse("1.2.3-alpha.1+build.5");
    EXPECT_EQ(v.major, 1u);
    EXPECT_EQ(v.minor, 2u);
    EXPECT_EQ(v.patch, 3u);
    EXPECT_EQ(v.pre, (std::vector<std::string>{"alpha", "1"}));
    EXPECT_EQ(v.build, "build.5");
    EXPECT_EQ(v.str(), "1.2.3-alpha.1+build.5");
    EXPECT_EQ(Version::parse("0.0.0").str(), "0.0.0");
    EXPECT_EQ(Version::parse("18446744073709551615.0.0").major, 18446744073709551615u);
    EXPECT_EQ(Version::parse("1.0.0-x-y-z.--").pre, (std::vector<std::string>{"x-y-z", "--"}));
    EXPECT_EQ(Version::parse("1.0.0+001").build, "001"); // leading zeros fine in build metadata
}

TEST(Semver, BadVersions) {
    auto err = [](const char* s) { return errorOf([&] { Version::parse(s); }); };
    EXPECT_EQ(err(""), "invalid version '': empty string");
    EXPECT_EQ(err("1.2"), "invalid version '1.2': expected '.' after the minor version number, "
                          "found end of input");
    EXPECT_EQ(err("01.2.3"),
              "invalid version '01.2.3': the major version number must not have leading zeros");
    EXPECT_EQ(err("1.2.3-01"), "invalid version '1.2.3-01': numeric prerelease identifier '01' "
                               "must not have leading zeros");
    EXPECT_EQ(err("1.2.3-"), "invalid version '1.2.3-': empty identifier in the prerelease");
    EXPECT_EQ(err("1.2.3-a..b"),
              "invalid version '1.2.3-a..b': empty identifier in the prerelease");
    EXPECT_EQ(err("1.2.3+"), "invalid version '1.2.3+': empty identifier in the build metadata");
    EXPECT_EQ(err("v1.2.3"),
              "invalid version 'v1.2.3': expected the major version number, found 'v'");
    EXPECT_EQ(err("1.2.3 "), "invalid version '1.2.3 ': unexpected character ' '");
    EXPECT_EQ(err("1.2.x"),
              "invalid version '1.2.x': expected the patch version number, found 'x'");
    EXPECT_EQ(err("18446744073709551616.0.0"), "invalid version '18446744073709551616.0.0': the "
                                               "major version number is too large");
}

TEST(Semver, Precedence) {
    // The chain of SemVer 2.0 section 11.
    const char* chain[] = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                           "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                           "1.0.1",        "1.1.0",         "1.10.0",           "2.0.0"};
    for (size_t i = 0; i + 1 < std::size(chain); ++i)
        for (size_t j = i + 1; j < std::size(chain); ++j) {
            EXPECT_EQ(compare(Version::parse(chain[i]), Version::parse(chain[j])), -1)
                << chain[i] << " < " << chain[j];
            EXPECT_EQ(compare(Version::parse(chain[j]), Version::parse(chain[i])), 1);
        }
    EXPECT_EQ(compare(Version::parse("1.0.0+a"), Version::parse("1.0.0+b")), 0);
    EXPECT_EQ(compare(Version::parse("1.0.0-2"), Version::parse("1.0.0-10")), -1);
    EXPECT_EQ(compare(Version::parse("1.0.0-10"), Version::parse("1.0.0-9a")), -1);
}

TEST(Semver, Caret) {
    expectRange("^1.2.3", {"1.2.3", "1.2.4", "1.9.0", "1.99.99"}, {"1.2.2", "2.0.0", "0.9.9"});
    expectRange("1.2.3", {"1.2.3", "1.3.0"}, {"1.2.2", "2.0.0"}); // caret is the default
    expectRange("^1.2", {"1.2.0", "1.8.1"}, {"1.1.9", "2.0.0"});
    expectRange("^1", {"1.0.0", "1.9.9"}, {"0.9.9", "2.0.0"});
    expectRange("^0.2.3", {"0.2.3", "0.2.9"}, {"0.2.2", "0.3.0", "1.0.0"});
    expectRange("^0.2", {"0.2.0", "0.2.9"}, {"0.1.9", "0.3.0"});
    expectRange("^0.0.3", {"0.0.3"}, {"0.0.2", "0.0.4", "0.1.0"});
    expectRange("^0.0", {"0.0.0", "0.0.9"}, {"0.1.0"});
    expectRange("^0", {"0.0.0", "0.9.9"}, {"1.0.0"});
}

TEST(Semver, Tilde) {
    expectRange("~1.2.3", {"1.2.3", "1.2.9"}, {"1.2.2", "1.3.0"});
    expectRange("~1.2", {"1.2.0", "1.2.9"}, {"1.1.9", "1.3.0"});
    expectRange("~1", {"1.0.0", "1.9.9"}, {"0.9.9", "2.0.0"});
    expectRange("~0.2.3", {"0.2.3", "0.2.4"}, {"0.3.0"});
}

TEST(Semver, Wildcards) {
    expectRange("*", {"0.0.0", "1.0.0", "99.1.2"}, {"1.0.0-alpha"});
    expectRange("1.*", {"1.0.0", "1.9.9"}, {"0.9.9", "2.0.0"});
    expectRange("1.2.*", {"1.2.0", "1.2.9"}, {"1.1.9", "1.3.0"});
    expectRange("1.x", {"1.5.0"}, {"2.0.0"});
    expectRange("1.*.*", {"1.5.0"}, {"2.0.0"});
    expectRange("=1.*", {"1.5.0"}, {"2.0.0"});
}

TEST(Semver, Comparisons) {
    expectRange(">= 1.2.0", {"1.2.0", "5.0.0"}, {"1.1.9"});
    expectRange("> 1", {"2.0.0"}, {"1.9.9", "1.0.0"});
    expectRange(">1.2", {"1.3.0"}, {"1.2.9"});
    expectRange("< 2", {"1.9.9", "0.0.1"}, {"2.0.0", "2.0.1"});
    expectRange("<=1.2", {"1.2.9", "1.0.0"}, {"1.3.0"});
    expectRange("= 1.2.3", {"1.2.3", "1.2.3+build"}, {"1.2.4", "1.2.2"});
    expectRange("=1.2", {"1.2.0", "1.2.7"}, {"1.3.0"});
    expectRange(">= 1.2, < 1.5", {"1.2.0", "1.4.9"}, {"1.1.0", "1.5.0"});
    expectRange(" >=1.2.3 ,<1.2.5 ", {"1.2.3", "1.2.4"}, {"1.2.5", "1.2.2"});
}

TEST(Semver, Prereleases) {
    // Only a comparator naming the same MAJOR.MINOR.PATCH with a prerelease lets one in.
    expectRange("^1.2.3-alpha", {"1.2.3-alpha", "1.2.3-beta", "1.2.3", "1.3.0"},
                {"1.2.4-alpha", "1.2.3-0"});
    expectRange(">=1.0.0-rc.1", {"1.0.0-rc.1", "1.0.0-rc.2", "1.0.0", "2.0.0"},
                {"1.0.0-beta", "1.0.1-rc.1"});
    expectRange("^1", {"1.0.0"}, {"1.5.0-alpha", "1.0.0-alpha"});
    expectRange("<2.0.0", {"1.9.0"}, {"2.0.0-alpha"});
    expectRange("=1.2.3-rc.1", {"1.2.3-rc.1"}, {"1.2.3", "1.2.3-rc.2"});
    expectRange("~1.2.3-beta", {"1.2.3-beta", "1.2.3-beta.2", "1.2.3", "1.2.4"},
                {"1.2.3-alpha", "1.2.4-beta"});
}

TEST(Semver, BadRequirements) {
    auto err = [](const char* s) { return errorOf([&] { VersionReq::parse(s); }); };
    EXPECT_EQ(err(""), "invalid version requirement '': empty string");
    EXPECT_EQ(err(">= 1.2 < 2"), "invalid version requirement '>= 1.2 < 2': expected ',' between "
                                 "comparators, found '<'");
    EXPECT_EQ(err("1.2,"), "invalid version requirement '1.2,': trailing ','");
    EXPECT_EQ(err("~>1.2"),
              "invalid version requirement '~>1.2': expected the major version number, found '>'");
    EXPECT_EQ(err("1.*.3"), "invalid version requirement '1.*.3': unexpected patch version number "
                            "after a wildcard");
    EXPECT_EQ(err("*, >1"),
              "invalid version requirement '*, >1': a '*' must be the only comparator");
    EXPECT_EQ(err("1.2-alpha"), "invalid version requirement '1.2-alpha': a prerelease needs a "
                                "full MAJOR.MINOR.PATCH version");
    EXPECT_EQ(err("^01.2"), "invalid version requirement '^01.2': the major version number must "
                            "not have leading zeros");
    EXPECT_EQ(err("latest"),
              "invalid version requirement 'latest': expected the major version number, found 'l'");
}

TEST(Semver, Compatible) {
    auto C = [](const char* a, const char* b) {
        return compatible(Version::parse(a), Version::parse(b));
    };
    EXPECT_TRUE(C("1.0.0", "1.9.3"));
    EXPECT_FALSE(C("1.0.0", "2.0.0"));
    EXPECT_TRUE(C("0.2.1", "0.2.9"));
    EXPECT_FALSE(C("0.2.1", "0.3.0"));
    EXPECT_TRUE(C("0.0.3", "0.0.3"));
    EXPECT_FALSE(C("0.0.3", "0.0.4"));
    EXPECT_TRUE(C("1.0.0-alpha", "1.2.0"));
}

TEST(Semver, NewestMatching) {
    std::vector<std::string> vs = {"1.0.0", "1.2.0", "1.10.0-rc.1", "1.9.0", "2.0.0", "0.9.0"};
    EXPECT_EQ(newestMatching(vs, VersionReq::parse("^1.0")), "1.9.0");
    EXPECT_EQ(newestMatching(vs, VersionReq::parse("*")), "2.0.0");
    EXPECT_EQ(newestMatching(vs, VersionReq::parse(">=1.10.0-rc.1")), "2.0.0");
    EXPECT_EQ(newestMatching(vs, VersionReq::parse("~1.10.0-rc.1")), "1.10.0-rc.1");
    EXPECT_EQ(newestMatching(vs, VersionReq::parse("^3")), std::nullopt);
    EXPECT_THROW(newestMatching({"1.0"}, VersionReq::parse("*")), FormatError);
}
