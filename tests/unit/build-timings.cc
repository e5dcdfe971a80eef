// Cargo's lines and progress bar for per-crate units, and the timings report, fed with synthetic
// events (the end-to-end run is tests/cargo/output.sh).
#include "ferrix/build-timings.hh"
#include "ferrix/build-display.hh"

#include <gtest/gtest.h>
#include <regex>
#include <thread>

using namespace ferrix;

namespace {

using K = BuildEvent::Kind;

BuildEvent unit(K kind, const std::string& drv, const std::string& package,
                const std::string& action) {
    return {.kind = kind,
            .drv = "/s/" + drv + ".drv",
            .name = drv,
            .package = package,
            .version = "1.0.0",
            .action = action};
}

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
        n++;
    return n;
}

} // namespace

TEST(CargoLines, StatusLayout) {
    EXPECT_EQ(cargoStatus("Compiling", "regex v1.7.1"), "   Compiling regex v1.7.1");
    EXPECT_EQ(cargoStatus("Finished", "x"), "    Finished x");
    EXPECT_EQ(cargoStatus("Compiling", "a", true), "   \033[1m\033[32mCompiling\033[0m a");
    EXPECT_EQ(cargoStatus("Downloading-things", "a"), "Downloading-things a");
}

TEST(CargoLines, CompilingOncePerPackage) {
    UnitLines lines;
    EXPECT_EQ(lines.line(unit(K::Started, "a-build", "a", "build-script")),
              "   Compiling a v1.0.0");
    EXPECT_EQ(lines.line(unit(K::Finished, "a-build", "a", "build-script")), "");
    EXPECT_EQ(lines.line(unit(K::Started, "a-run", "a", "build-script-run")), "");
    EXPECT_EQ(lines.line(unit(K::Started, "a-lib", "a", "lib")), "");
    EXPECT_EQ(lines.line(unit(K::Started, "b-lib", "b", "lib")), "   Compiling b v1.0.0");
    EXPECT_EQ(lines.line(unit(K::Fresh, "c-lib", "c", "lib")), "");
    EXPECT_EQ(lines.line(unit(K::AlreadyValid, "d-lib", "d", "lib")), "");
    // A failure keeps its log tail; derivations that are no unit keep their lines.
    BuildEvent failed = unit(K::Failed, "b-lib", "b", "lib");
    failed.text = "boom";
    failed.logPath = "/l";
    EXPECT_EQ(lines.line(failed), "error: boom\nlog: /l");
    EXPECT_EQ(lines.line({.kind = K::Started, .drv = "/s/p.drv"}), "building '/s/p.drv'...");
    EXPECT_EQ(lines.line({.kind = K::Finished, .drv = "/s/p.drv", .seconds = 2}),
              "built '/s/p.drv' in 2.0 s");
}

TEST(CargoLines, Verbose) {
    UnitLines lines(false, true);
    EXPECT_EQ(lines.line(unit(K::Fresh, "c-lib", "c", "lib")), "       Fresh c v1.0.0");
    EXPECT_EQ(lines.line(unit(K::Fresh, "c-run", "c", "build-script-run")), "");
    EXPECT_EQ(lines.line(unit(K::Started, "b-lib", "b", "lib")),
              "   Compiling b v1.0.0\nbuilding '/s/b-lib.drv'...");
    EXPECT_EQ(lines.line(unit(K::Started, "b-test", "b", "test")), "building '/s/b-test.drv'...");
}

TEST(ProgressLine, NamesAndCounts) {
    EXPECT_EQ(unitProgressName(unit(K::Started, "x", "regex-syntax", "build-script-run")),
              "regex-syntax(build)");
    EXPECT_EQ(unitProgressName(unit(K::Started, "x", "serde", "build-script")), "serde(build.rs)");
    EXPECT_EQ(unitProgressName(unit(K::Started, "x", "clap", "lib")), "clap");
    std::string line = progressLine(12, 25, {"clap", "regex-syntax(build)"}, 80);
    EXPECT_LE(line.size(), 80u);
    EXPECT_EQ(line.rfind("    Building [", 0), 0u) << line;
    EXPECT_NE(line.find("] 12/25: clap, regex-syntax(build)"), std::string::npos) << line;
    // The bar: about half filled, the head an arrow.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(\[(=*)>( *)\])"))) << line;
    size_t width = m[1].length() + 1 + m[2].length();
    EXPECT_EQ(m[1].length() + 1, width * 12 / 25);
    // Done: all '='.
    std::string done = progressLine(25, 25, {}, 80);
    EXPECT_TRUE(std::regex_search(done, std::regex(R"(\[=+\] 25/25$)"))) << done;
    // Nothing yet: no '=' nor '>'.
    EXPECT_TRUE(std::regex_search(progressLine(0, 3, {"a"}, 80), std::regex(R"(\[ +\] 0/3: a$)")));
}

TEST(ProgressLine, Truncation) {
    std::vector<std::string> names;
    for (int i = 0; i < 20; i++)
        names.push_back("crate-number-" + std::to_string(i));
    for (size_t width : {120u, 80u, 60u, 40u, 30u, 20u, 10u}) {
        std::string line = progressLine(3, 140, names, width);
        EXPECT_LE(line.size(), width) << line;
        if (width >= 40) {
            EXPECT_NE(line.find(" 3/140"), std::string::npos) << line;
            EXPECT_EQ(line.substr(line.size() - 3), "...") << line;
        }
    }
    // A narrow terminal drops the bar before the counts.
    std::string narrow = progressLine(3, 140, {}, 24);
    EXPECT_EQ(narrow, "    Building  3/140");
}

TEST(BuildTimings, RecordsUnitsAndWritesReport) {
    BuildTimings t(std::chrono::milliseconds(10));
    t.event({.kind = K::DownloadsPlanned, .builds = 2});
    t.event(unit(K::Fresh, "old", "old", "lib"));
    t.event(unit(K::Started, "a-lib", "a", "lib"));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    t.event(unit(K::Finished, "a-lib", "a", "lib"));
    t.event(unit(K::Started, "b<x>", "b", "bin"));
    t.event(unit(K::Failed, "b<x>", "b", "bin"));
    t.event({.kind = K::Started, .drv = "/s/dl.drv", .download = true});
    t.stop();
    ASSERT_EQ(t.units().size(), 3u);
    EXPECT_EQ(t.units()[0].state, BuildTimings::Unit::State::Valid);
    EXPECT_EQ(t.units()[1].state, BuildTimings::Unit::State::Built);
    EXPECT_GE(t.units()[1].end - t.units()[1].start, 0.03);
    EXPECT_EQ(t.units()[2].state, BuildTimings::Unit::State::Failed);
    EXPECT_FALSE(t.samples().empty());
    EXPECT_GE(t.elapsed(), 0.03);

    std::string html = t.html({.command = "ferrix build x", .rustcVersion = "rustc 1.0.0"});
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_EQ(count(html, "<tr class=\"valid\""), 1u);
    EXPECT_EQ(count(html, "<tr class=\"built\""), 1u);
    EXPECT_EQ(count(html, "<tr class=\"failed\""), 1u);
    EXPECT_NE(html.find("rustc 1.0.0"), std::string::npos);
    EXPECT_NE(html.find("b&lt;x&gt;"), std::string::npos); // escaped
    EXPECT_EQ(html.find("b<x>"), std::string::npos);
    // Self-contained: nothing loaded from elsewhere.
    EXPECT_EQ(html.find("<script src"), std::string::npos);
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_NE(html.find("</html>"), std::string::npos);
}
