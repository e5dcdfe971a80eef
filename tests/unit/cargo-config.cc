// lib/cargo/config.cc: a source's own .cargo/config*: the rustflags cargo takes from it, and
// what a build ignores of it (source replacement, the network), put back for the installed tree.
#include "ferrix/cargo/config.hh"
#include "ferrix/file.hh"
#include "store-test-util.hh"

#include <gtest/gtest.h>
#include <toml++/toml.h>

using namespace ferrix;
using namespace ferrix::cargo;
using ferrix::test::ScratchDir;

namespace {

const char* kProjectConfig = R"(# the authors' mirror
[source.crates-io]
replace-with = "local"

[source.local]
local-registry = "/nonexistent"

[patch.crates-io]
foo = { path = "../foo" }

[registries.internal]
index = "sparse+https://example.org/index/"

[net]
offline = false

[http]
timeout = 1

[build]
rustflags = ["--cfg", "kept"]

[target.x86_64-unknown-linux-gnu]
linker = "cc"

[env]
KEPT = "yes"

[profile.release]
debug = true
)";

std::string errorOf(const std::string& text) {
    try {
        CargoConfig::parse(text, "p/.cargo/config.toml", "p");
    } catch (const CargoConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(CargoConfig, RustflagsFromBuildOrTheTriplesTable) {
    auto c = CargoConfig::parse("[build]\nrustflags = [\"--cfg\", \"a\"]\n"
                                "[target.aarch64-unknown-linux-gnu]\nrustflags = \"-C  opt-level=1 "
                                "--cfg b\"\n",
                                "f", "/r");
    EXPECT_EQ(c.rustflags("x86_64-unknown-linux-gnu"), (std::vector<std::string>{"--cfg", "a"}));
    // A string is split on spaces, and the triple's table wins over [build], as in cargo.
    EXPECT_EQ(c.rustflags("aarch64-unknown-linux-gnu"),
              (std::vector<std::string>{"-C", "opt-level=1", "--cfg", "b"}));
    EXPECT_TRUE(CargoConfig::parse("", "f", "/r").rustflags("x").empty());
}

TEST(CargoConfig, RustflagsOfAnotherTypeAreLocated) {
    EXPECT_EQ(errorOf("[build]\nrustflags = 3\n"),
              "p/.cargo/config.toml:2:13: build.rustflags must be a string or an array of strings");
    EXPECT_EQ(errorOf("[build]\nrustflags = [\"a\", 1]\n"),
              "p/.cargo/config.toml:2:19: build.rustflags must be a string or an array of strings");
}

TEST(CargoConfig, SourceReplacementIgnoredAndTheRestKept) {
    ScratchDir d("ferrix-cargo-config-test-");
    createDirs(d.path + "/.cargo");
    std::string file = d.path + "/.cargo/config.toml";
    writeFile(file, kProjectConfig);

    auto ignored = ignoreSourceReplacement(d.path);
    ASSERT_EQ(ignored.size(), 1u);
    EXPECT_EQ(ignored[0].file, file);
    EXPECT_EQ(ignored[0].keys,
              (std::vector<std::string>{"source.crates-io", "source.local", "patch.crates-io",
                                        "registries.internal", "net", "http"}));
    EXPECT_EQ(ignored[0].kept, (std::vector<std::string>{"build", "target", "env", "profile"}));

    toml::table t = toml::parse(readFile(file));
    for (auto key : {"source", "patch", "registries", "net", "http"})
        EXPECT_FALSE(t.contains(key)) << key;
    EXPECT_EQ(t["env"]["KEPT"].value<std::string>(), "yes");
    EXPECT_EQ(t["profile"]["release"]["debug"].value<bool>(), true);
    auto c = CargoConfig::read(d.path);
    EXPECT_EQ(c.rustflags("x86_64-unknown-linux-gnu"), (std::vector<std::string>{"--cfg", "kept"}));
    EXPECT_EQ(c.linker("x86_64-unknown-linux-gnu"), "cc");
    EXPECT_EQ(readFile(file + ".ferrix-orig"), kProjectConfig);

    // Twice is once: nothing left to ignore, and the original stays the first one.
    EXPECT_TRUE(ignoreSourceReplacement(d.path).empty());
    EXPECT_EQ(readFile(file + ".ferrix-orig"), kProjectConfig);

    restoreSourceConfigs(d.path);
    EXPECT_EQ(readFile(file), kProjectConfig);
    EXPECT_FALSE(pathExists(file + ".ferrix-orig"));
}

TEST(CargoConfig, BothFileNamesAndNothingToIgnore) {
    ScratchDir d("ferrix-cargo-config-test-");
    EXPECT_TRUE(ignoreSourceReplacement(d.path).empty()); // no .cargo at all
    createDirs(d.path + "/.cargo");
    writeFile(d.path + "/.cargo/config", "[source.crates-io]\nreplace-with = \"x\"\n");
    writeFile(d.path + "/.cargo/config.toml", "[build]\njobs = 1\n");
    auto ignored = ignoreSourceReplacement(d.path);
    ASSERT_EQ(ignored.size(), 1u);
    EXPECT_EQ(ignored[0].file, d.path + "/.cargo/config");
    EXPECT_EQ(ignored[0].keys, (std::vector<std::string>{"source.crates-io"}));
    EXPECT_TRUE(ignored[0].kept.empty());
    EXPECT_EQ(readFile(d.path + "/.cargo/config.toml"), "[build]\njobs = 1\n");
    EXPECT_FALSE(pathExists(d.path + "/.cargo/config.toml.ferrix-orig"));
}

TEST(CargoConfig, MalformedFileIsLocated) {
    ScratchDir d("ferrix-cargo-config-test-");
    createDirs(d.path + "/.cargo");
    writeFile(d.path + "/.cargo/config.toml", "[source\n");
    try {
        ignoreSourceReplacement(d.path);
        FAIL() << "accepted";
    } catch (const CargoConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(d.path + "/.cargo/config.toml:1:", 0), 0u)
            << e.what();
    }
}
