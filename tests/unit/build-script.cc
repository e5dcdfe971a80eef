// lib/cargo/build-script.cc: build script directives as cargo 0.66 (old syntax only) and cargo
// 1.77+ (`cargo::`) read them, and the saved form. The first texts are what real build scripts
// printed under cargo (target/release/build/*/output).
#include "ferrix/cargo/build-script.hh"

#include <gtest/gtest.h>

using namespace ferrix;
using namespace ferrix::cargo;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Strings = std::vector<std::string>;

const char* const libcOutput = "cargo:rerun-if-changed=build.rs\n"
                               "cargo:rustc-cfg=freebsd11\n"
                               "cargo:rustc-cfg=libc_priv_mod_use\n"
                               "cargo:rustc-cfg=libc_union\n"
                               "cargo:rustc-cfg=libc_const_extern_fn\n";

// libz-sys 1.1.8 through pkg-config (shortened: 50 rerun-if-env-changed lines).
const char* const libzOutput = "cargo:rerun-if-env-changed=LIBZ_SYS_STATIC\n"
                               "cargo:rerun-if-changed=build.rs\n"
                               "cargo:rerun-if-env-changed=ZLIB_NO_PKG_CONFIG\n"
                               "cargo:rerun-if-env-changed=PKG_CONFIG_x86_64-unknown-linux-gnu\n"
                               "cargo:rustc-link-lib=z\n"
                               "cargo:rerun-if-env-changed=PKG_CONFIG_SYSROOT_DIR\n";

std::string errorOf(const std::string& text, const std::string& version = "1.95.0") {
    try {
        BuildScriptOutput::parse(text, version);
    } catch (const BuildScriptError& e) {
        return e.what();
    }
    return "(no error)";
}

void expectRoundTrip(const BuildScriptOutput& o) {
    std::string saved = o.serialise();
    BuildScriptOutput back = BuildScriptOutput::deserialise(saved, "directives");
    EXPECT_EQ(back.serialise(), saved);
    EXPECT_EQ(back.linkLibs, o.linkLibs);
    EXPECT_EQ(back.linkSearch, o.linkSearch);
    EXPECT_EQ(back.linkArgs, o.linkArgs);
    EXPECT_EQ(back.cfgs, o.cfgs);
    EXPECT_EQ(back.checkCfgs, o.checkCfgs);
    EXPECT_EQ(back.env, o.env);
    EXPECT_EQ(back.metadata, o.metadata);
    EXPECT_EQ(back.warnings, o.warnings);
    EXPECT_EQ(back.errors, o.errors);
    EXPECT_EQ(back.rerunIfChanged, o.rerunIfChanged);
    EXPECT_EQ(back.rerunIfEnvChanged, o.rerunIfEnvChanged);
}

} // namespace

TEST(BuildScript, RealOutputs) {
    for (const char* version : {"1.65.0", "1.95.0"}) {
        BuildScriptOutput libc = BuildScriptOutput::parse(libcOutput, version);
        EXPECT_EQ(libc.cfgs, (Strings{"freebsd11", "libc_priv_mod_use", "libc_union",
                                      "libc_const_extern_fn"}));
        EXPECT_EQ(libc.rerunIfChanged, Strings{"build.rs"});
        EXPECT_TRUE(libc.metadata.empty());
        expectRoundTrip(libc);

        BuildScriptOutput libz = BuildScriptOutput::parse(libzOutput, version);
        EXPECT_EQ(libz.linkLibs, Strings{"z"});
        EXPECT_EQ(libz.rerunIfEnvChanged.size(), 4u);
        EXPECT_TRUE(libz.linkSearch.empty());
        expectRoundTrip(libz);
    }
}

TEST(BuildScript, OldSyntaxUnknownKeysAreMetadata) {
    // What a links = "z" crate building its own copy prints (libz-sys's `include`, `root`).
    std::string text = "cargo:rustc-link-search=native=/out/lib\n"
                       "cargo:rustc-link-lib=static=z\n"
                       "cargo:root=/out\n"
                       "cargo:include=/out/include\n"
                       "cargo:conf=a=b\n";
    for (const char* version : {"1.65.0", "1.95.0"}) {
        BuildScriptOutput o = BuildScriptOutput::parse(text, version);
        EXPECT_EQ(o.linkSearch, Strings{"native=/out/lib"});
        EXPECT_EQ(o.linkLibs, Strings{"static=z"});
        EXPECT_EQ(o.metadata,
                  (Pairs{{"root", "/out"}, {"include", "/out/include"}, {"conf", "a=b"}}));
        expectRoundTrip(o);
    }
    // `error` is a key only in the new syntax; `cargo:error=` stays metadata.
    EXPECT_EQ(BuildScriptOutput::parse("cargo:error=x\n", "1.95.0").metadata,
              (Pairs{{"error", "x"}}));
}

TEST(BuildScript, NewSyntax) {
    std::string text = "  cargo::rustc-cfg=has_foo  \n"
                       "cargo::rustc-check-cfg=cfg(has_foo)\n"
                       "cargo::metadata=version=1.2\n"
                       "cargo::rustc-env=GIT_HASH=abc=def\n"
                       "cargo::rustc-env=EMPTY=\n"
                       "cargo::warning=careful: x\n"
                       "cargo::rustc-link-arg=-Wl,--as-needed\n"
                       "cargo::rustc-link-arg-bin=tool=-Wl,-z,now\n"
                       "cargo::rustc-link-arg-bins=-lm\n"
                       "cargo::rustc-link-arg-tests=-t\n"
                       "cargo::rustc-link-arg-examples=-e\n"
                       "cargo::rustc-link-arg-benches=-b\n"
                       "cargo::rustc-cdylib-link-arg=-c\n"
                       "cargo::rustc-flags=-l foo -L/some/dir -lbar -L native=/x\n"
                       "not a directive\n"
                       "cargo::rerun-if-changed=src/x.c";
    BuildScriptOutput o = BuildScriptOutput::parse(text, "1.95.0");
    EXPECT_EQ(o.cfgs, Strings{"has_foo"});
    EXPECT_EQ(o.checkCfgs, Strings{"cfg(has_foo)"});
    EXPECT_EQ(o.metadata, (Pairs{{"version", "1.2"}}));
    EXPECT_EQ(o.env, (Pairs{{"GIT_HASH", "abc=def"}, {"EMPTY", ""}}));
    EXPECT_EQ(o.warnings, Strings{"careful: x"});
    EXPECT_EQ(o.linkArgs, (Pairs{{"", "-Wl,--as-needed"},
                                 {"bin:tool", "-Wl,-z,now"},
                                 {"bins", "-lm"},
                                 {"tests", "-t"},
                                 {"examples", "-e"},
                                 {"benches", "-b"},
                                 {"cdylib", "-c"}}));
    EXPECT_EQ(o.linkLibs, (Strings{"foo", "bar"}));
    EXPECT_EQ(o.linkSearch, (Strings{"/some/dir", "native=/x"}));
    EXPECT_EQ(o.rerunIfChanged, Strings{"src/x.c"});
    expectRoundTrip(o);

    // Metadata in the new syntax is `metadata=K=V`; old-syntax lines keep working beside it.
    BuildScriptOutput mixed =
        BuildScriptOutput::parse("cargo:include=/i\ncargo::metadata=root=/r\n", "1.95.0");
    EXPECT_EQ(mixed.metadata, (Pairs{{"include", "/i"}, {"root", "/r"}}));
}

TEST(BuildScript, OldCargoReadsNewSyntaxAsMetadata) {
    // Cargo before 1.77 splits at the first ':', so `cargo::rustc-cfg=x` is the key ":rustc-cfg".
    BuildScriptOutput o = BuildScriptOutput::parse("cargo::rustc-cfg=x\n", "1.65.0");
    EXPECT_TRUE(o.cfgs.empty());
    EXPECT_EQ(o.metadata, (Pairs{{":rustc-cfg", "x"}}));
    // and check-cfg before 1.80 is dropped with a warning.
    BuildScriptOutput c = BuildScriptOutput::parse("cargo:rustc-check-cfg=cfg(a)\n", "1.79.0");
    EXPECT_TRUE(c.checkCfgs.empty());
    EXPECT_EQ(c.warnings.size(), 1u);
}

TEST(BuildScript, Errors) {
    BuildScriptOutput o =
        BuildScriptOutput::parse("cargo::error=libfoo was not found\ncargo::warning=w\n", "1.95.0");
    EXPECT_EQ(o.errors, Strings{"libfoo was not found"});
    expectRoundTrip(o);

    EXPECT_NE(errorOf("cargo::rustc-cfg\n")
                  .find("`cargo::rustc-cfg`: expected a line with "
                        "`cargo::KEY=VALUE`"),
              std::string::npos);
    EXPECT_NE(errorOf("cargo:nothing\n", "1.65.0").find("`cargo:KEY=VALUE`"), std::string::npos);
    EXPECT_NE(errorOf("cargo:nothing\n").find("`cargo:KEY=VALUE`"), std::string::npos);
    EXPECT_NE(errorOf("cargo::metadata=novalue\n").find("cargo::metadata=KEY=VALUE"),
              std::string::npos);
    EXPECT_NE(errorOf("cargo::frobnicate=1\n").find("unknown key `frobnicate`"), std::string::npos);
    EXPECT_NE(errorOf("cargo::rustc-flags=-O\n").find("only `-l` and `-L`"), std::string::npos);
    EXPECT_NE(errorOf("cargo::rustc-flags=-l\n").find("-l has no value"), std::string::npos);
    EXPECT_NE(errorOf("cargo::rustc-env=NOVALUE\n").find("rustc-env has no value"),
              std::string::npos);
    EXPECT_NE(errorOf("cargo:rustc-env=RUSTC_BOOTSTRAP=1\n").find("RUSTC_BOOTSTRAP"),
              std::string::npos);
    EXPECT_NE(errorOf("cargo::rustc-link-arg-bin=noarg\n").find("BIN=ARG"), std::string::npos);
}

TEST(BuildScript, LinesCargoSkips) {
    // Not UTF-8, or not starting with `cargo:` once trimmed (Unicode white space too).
    BuildScriptOutput o =
        BuildScriptOutput::parse("cargo:rustc-cfg=\xff\n\xc2\xa0"
                                 "cargo:rustc-cfg=a\xe3\x80\x80\r\nxcargo:rustc-cfg=b\n"
                                 "cargo\n:cargo:rustc-cfg=c\n",
                                 "1.95.0");
    EXPECT_EQ(o.cfgs, Strings{"a"});
}

TEST(BuildScript, SavedFormErrors) {
    auto errorOfSaved = [](const std::string& text) -> std::string {
        try {
            BuildScriptOutput::deserialise(text, "/store/x/directives");
        } catch (const FormatError& e) {
            return e.what();
        }
        return "(no error)";
    };
    EXPECT_EQ(errorOfSaved("rustc-cfg=a\nfrobnicate=1\n"),
              "/store/x/directives:2: unknown directive 'frobnicate'");
    EXPECT_EQ(errorOfSaved("rustc-cfg=a"), "/store/x/directives:1: the last line has no newline");
    EXPECT_EQ(errorOfSaved("metadata=x\n"), "/store/x/directives:1: expected metadata=K=V");
    EXPECT_EQ(errorOfSaved("\n"), "/store/x/directives:1: expected KEY=VALUE");
    EXPECT_EQ(errorOfSaved(""), "(no error)");
}
