// lib/cargo/unit-build.cc: a per-crate unit's spec (its JSON both ways, errors naming the field),
// the arguments and variables the directives of the scripts it uses add (cargo's order and
// rules), and a unit built in a child process with stand-ins for rustc and a build script: the
// outputs' shape, a pipelined library's metadata declared early, failures' messages.
#include "ferrix/cargo/unit-build.hh"

#include "ferrix/cargo/build-script.hh"
#include "store-test-util.hh"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

using namespace ferrix;
using namespace ferrix::cargo;
using Strings = std::vector<std::string>;

namespace {

UnitSpec sampleSpec() {
    UnitSpec s;
    s.crate = "regex-syntax";
    s.version = "0.6.28";
    s.kind = "lib";
    s.targetName = "regex_syntax";
    s.crateTypes = {"lib"};
    s.mode = "build";
    s.metadata = "0123abcd";
    s.program = "/store/t-rust/bin/rustc";
    s.arguments = {"--crate-name", "regex_syntax", "--out-dir", "/@out@/lib", "é \"q\"\n"};
    s.environment = {{"CARGO_PKG_NAME", "regex-syntax"}, {"OUT", "/@out@/x"}};
    s.directory = "/store/src-regex-syntax";
    s.scripts = {{"/store/run-a", "own", ""}, {"/store/run-b", "metadata", "z"}};
    s.placeholder = "/@out@";
    s.linkLibs = false;
    s.cargoVersion = "1.95.0";
    s.inputs = {"/store/pkg-config"};
    return s;
}

std::string specError(const std::string& json) {
    try {
        UnitSpec::parse(json);
    } catch (const UnitSpecError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(UnitSpec, JsonRoundTripKeepsEveryField) {
    UnitSpec s = sampleSpec();
    UnitSpec t = UnitSpec::parse(s.toJSON());
    EXPECT_EQ(t.toJSON(), s.toJSON());
    EXPECT_EQ(t.crate, "regex-syntax");
    EXPECT_EQ(t.arguments, s.arguments);
    EXPECT_EQ(t.environment, s.environment);
    ASSERT_EQ(t.scripts.size(), 2u);
    EXPECT_EQ(t.scripts[1].what, "metadata");
    EXPECT_EQ(t.scripts[1].links, "z");
    EXPECT_FALSE(t.linkLibs);
    EXPECT_EQ(t.inputs, s.inputs);
    // One line: the text is a derivation's variable.
    EXPECT_EQ(s.toJSON().find('\n'), std::string::npos);
}

TEST(UnitSpec, ErrorsNameTheField) {
    EXPECT_EQ(specError("[1]"), "the unit's spec is not a JSON object");
    EXPECT_EQ(specError("{\"crate\": "), "the unit's spec is not a JSON object");
    std::string good = sampleSpec().toJSON();
    auto without = [&](const std::string& key) {
        nlohmann::json j = nlohmann::json::parse(good);
        j.erase(key);
        return j.dump();
    };
    auto with = [&](const std::string& key, nlohmann::json v) {
        nlohmann::json j = nlohmann::json::parse(good);
        j[key] = v;
        return j.dump();
    };
    EXPECT_EQ(specError(without("crate")), "the unit's spec has no \"crate\"");
    EXPECT_EQ(specError(with("arguments", {"a", 1})),
              "the unit's spec: \"arguments\" is not a list of strings");
    EXPECT_EQ(specError(with("link-libs", "yes")),
              "the unit's spec: \"link-libs\" is not a boolean");
    EXPECT_EQ(specError(with("environment", {{"A"}})),
              "the unit's spec: \"environment\" holds something other than a [NAME, VALUE] "
              "pair");
    EXPECT_EQ(specError(with("scripts", {{{"item", "/s"}, {"what", "all"}, {"links", ""}}})),
              "the unit's spec: a script's use is \"all\", not own, link-search or metadata");
}

TEST(UnitSpec, DescriptionNamesATargetOtherThanTheCrate) {
    UnitSpec s = sampleSpec();
    EXPECT_EQ(s.description(), "`regex-syntax' 0.6.28 (lib \"regex_syntax\")");
    s.targetName = "regex-syntax";
    EXPECT_EQ(s.description(), "`regex-syntax' 0.6.28 (lib)");
    s.kind = "custom-build";
    s.targetName = "build-script-build";
    EXPECT_EQ(s.description(), "`regex-syntax' 0.6.28 (custom-build)");
}

TEST(UnitBuild, LinkArgumentsFollowCargosRulePerTargetKind) {
    struct Case {
        const char* which;
        const char* kind;
        const char* name;
        Strings types;
        bool test, applies;
    };
    std::vector<Case> cases = {
        {"", "lib", "foo", {"rlib"}, false, true},
        {"cdylib", "lib", "foo", {"cdylib", "rlib"}, false, true},
        {"cdylib", "lib", "foo", {"cdylib", "rlib"}, true, false}, // not for its tests
        {"bins", "bin", "tool", {"bin"}, false, true},
        {"bins", "lib", "foo", {"rlib"}, false, false},
        {"bin:tool", "bin", "tool", {"bin"}, false, true},
        {"bin:tool", "bin", "other", {"bin"}, false, false},
        {"tests", "test", "it", {"bin"}, false, true},
        {"examples", "example", "ex", {"rlib"}, false, false}, // a library example
        {"examples", "example", "ex", {"bin"}, false, true},
        {"benches", "bin", "tool", {"bin"}, false, false},
    };
    for (auto& c : cases)
        EXPECT_EQ(linkArgApplies(c.which, c.kind, c.name, c.types, c.test), c.applies)
            << c.which << " for " << c.kind << " " << c.name;
}

// A build script run's output item holding the directives of `stdoutText`.
std::string runItem(const std::string& dir, const std::string& name,
                    const std::string& stdoutText) {
    std::string item = dir + "/" + name;
    createDirs(item + "/out");
    writeFile(item + "/directives", BuildScriptOutput::parse(stdoutText, "1.95.0").serialise());
    return item;
}

TEST(UnitBuild, ScriptsAddArgumentsInCargosOrderAndTheirVariables) {
    test::ScratchDir d("ferrix-unit-build-");
    std::string own = runItem(d.path, "own",
                              "cargo:rustc-cfg=has_x\n"
                              "cargo:rustc-link-search=native=/opt/lib\n"
                              "cargo:rustc-link-lib=static=foo\n"
                              "cargo:rustc-link-arg=-Wl,-z,now\n"
                              "cargo:rustc-link-arg-bins=-Wl,--bins-only\n"
                              "cargo::rustc-check-cfg=cfg(has_x)\n"
                              "cargo:rustc-env=BUILT_BY=script\n"
                              "cargo:version=1.2\n");
    std::string dep = runItem(d.path, "dep",
                              "cargo:rustc-link-search=native=/dep/lib\n"
                              "cargo:rustc-link-lib=dep\n"
                              "cargo:rustc-link-arg=-Wl,--dep-all\n"
                              "cargo:rustc-link-arg-cdylib=-Wl,--dep-cdylib\n"
                              "cargo:include=/dep/include\n");
    std::vector<ScriptUse> uses = {{own, "own", ""}, {dep, "link-search", ""}};
    EXPECT_EQ(scriptArguments(uses, "lib", "foo", {"lib"}, true, false),
              (Strings{"-L", "native=/opt/lib", "-l", "static=foo", "-C", "link-arg=-Wl,-z,now",
                       "-L", "native=/dep/lib", "--cfg", "has_x", "--check-cfg", "cfg(has_x)"}));
    // A binary of a package with a library: no -l; its bins link argument; a dependency's
    // cdylib argument reaches a cdylib only.
    EXPECT_EQ(scriptArguments(uses, "bin", "tool", {"bin"}, false, false),
              (Strings{"-L", "native=/opt/lib", "-C", "link-arg=-Wl,-z,now", "-C",
                       "link-arg=-Wl,--bins-only", "-L", "native=/dep/lib", "--cfg", "has_x",
                       "--check-cfg", "cfg(has_x)"}));
    EXPECT_EQ(scriptArguments({{dep, "link-search", ""}}, "lib", "foo", {"cdylib"}, true, false),
              (Strings{"-L", "native=/dep/lib", "-C", "link-arg=-Wl,--dep-cdylib"}));
    EXPECT_EQ(scriptEnvironment(uses),
              (EnvList{{"OUT_DIR", own + "/out"}, {"BUILT_BY", "script"}}));
    EXPECT_EQ(scriptEnvironment({{dep, "metadata", "my-dep"}}),
              (EnvList{{"DEP_MY_DEP_INCLUDE", "/dep/include"}}));
}

TEST(UnitBuild, SearchPathsPutInputsFirst) {
    test::ScratchDir d("ferrix-unit-build-");
    createDirs(d.path + "/a/bin");
    createDirs(d.path + "/b/lib/pkgconfig");
    createDirs(d.path + "/b/share/pkgconfig");
    unsetenv("PKG_CONFIG_PATH");
    EXPECT_EQ(
        searchPathVariables({d.path + "/a", d.path + "/b"}),
        (EnvList{{"PATH", d.path + "/a/bin:/usr/bin:/bin"},
                 {"PKG_CONFIG_PATH", d.path + "/b/lib/pkgconfig:" + d.path + "/b/share/pkgconfig"},
                 {"SOURCE_DATE_EPOCH", "1"}}));
    EXPECT_EQ(searchPathVariables({}),
              (EnvList{{"PATH", "/usr/bin:/bin"}, {"SOURCE_DATE_EPOCH", "1"}}));
}

// Builds `spec` in a child (it changes its directory and environment), its standard output and
// error in files; returns its exit status.
struct Built {
    int status;
    std::string out, err;
};
Built buildInChild(const UnitSpec& spec, const std::string& out, const std::string& meta,
                   const std::string& scratch) {
    std::string o = scratch + "/stdout", e = scratch + "/stderr";
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(o.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(e.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fo, 1);
        dup2(fe, 2);
        writeFile(scratch + "/spec.json", spec.toJSON());
        setenv("ferrixUnitPath", (scratch + "/spec.json").c_str(), 1);
        setenv("out", out.c_str(), 1);
        if (meta.empty())
            unsetenv("meta");
        else
            setenv("meta", meta.c_str(), 1);
        unsetenv("CARGO_MAKEFLAGS");
        setenv("TMPDIR", scratch.c_str(), 1);
        _exit(unitBuilderMain());
    }
    int status;
    waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), readFile(o),
            readFile(e)};
}

void script(const std::string& path, const std::string& body) {
    writeFile(path, "#!/bin/sh\n" + body, 0755);
}

TEST(UnitBuild, ABuildScriptRunSavesItsOutputAndDirectives) {
    test::ScratchDir d("ferrix-unit-build-");
    script(d.path + "/build-script-build", "echo \"cargo:rustc-cfg=from_$DEP_Z_KEY\"\n"
                                           "echo cargo:warning=careful\n"
                                           "echo \"out=$OUT_DIR\" > \"$OUT_DIR/generated.rs\"\n"
                                           "echo noise >&2\n");
    UnitSpec s = sampleSpec();
    s.kind = "custom-build";
    s.mode = "run-custom-build";
    s.program = d.path + "/build-script-build";
    s.arguments = {};
    s.environment = {{"OUT_DIR", "/@out@/out"}};
    s.directory = d.path;
    s.scripts = {{runItem(d.path, "z", "cargo:key=v1\n"), "metadata", "z"}};
    std::string out = d.path + "/out";
    Built b = buildInChild(s, out, "", d.path);
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(readFile(out + "/output"), "cargo:rustc-cfg=from_v1\ncargo:warning=careful\n");
    EXPECT_EQ(BuildScriptOutput::deserialise(readFile(out + "/directives"), "d").cfgs,
              Strings{"from_v1"});
    EXPECT_EQ(readFile(out + "/out/generated.rs"), "out=" + out + "/out\n");
    EXPECT_NE(b.out.find("running `regex-syntax' 0.6.28 (custom-build)\n  in " + d.path),
              std::string::npos)
        << b.out;
    EXPECT_EQ(b.err, "warning: regex-syntax@0.6.28: careful\n");
}

TEST(UnitBuild, AFailingBuildScriptIsReportedAsCargoDoes) {
    test::ScratchDir d("ferrix-unit-build-");
    script(d.path + "/build-script-build",
           "echo cargo:rustc-cfg=x\necho 'no libfoo' >&2\nexit 3\n");
    UnitSpec s = sampleSpec();
    s.kind = "custom-build";
    s.mode = "run-custom-build";
    s.program = d.path + "/build-script-build";
    s.arguments = {};
    s.directory = d.path;
    s.scripts = {};
    Built b = buildInChild(s, d.path + "/out", "", d.path);
    EXPECT_EQ(b.status, 1);
    EXPECT_EQ(b.err, "the build script exited with status 3\n--- stdout\ncargo:rustc-cfg=x\n"
                     "--- stderr\nno libfoo\nerror: failed to run custom build command for "
                     "`regex-syntax' 0.6.28 (custom-build)\n");
    // A directive cargo refuses fails the run too, naming the line.
    script(d.path + "/build-script-build", "echo 'cargo::rustc-link-lib'\n");
    b = buildInChild(s, d.path + "/out2", "", d.path);
    EXPECT_EQ(b.status, 1);
    EXPECT_NE(b.err.find("rustc-link-lib"), std::string::npos) << b.err;
    EXPECT_NE(b.err.find("error: failed to run custom build command"), std::string::npos);
}

TEST(UnitBuild, APipelinedLibraryDeclaresItsMetadataAsSoonAsItIsWritten) {
    test::ScratchDir d("ferrix-unit-build-");
    // A stand-in for rustc: it writes the .rmeta, says so, then waits until the metadata has
    // been declared (its marker file says so) before writing the .rlib: the declaration comes
    // while "rustc" still runs.
    script(
        d.path + "/rustc",
        "dir=\"$2\"\n"
        "echo meta > \"$dir/libfoo-0123abcd.rmeta\"\n"
        "echo "
        "\"{\\\"artifact\\\":\\\"$dir/libfoo-0123abcd.rmeta\\\",\\\"emit\\\":\\\"metadata\\\"}\"\n"
        "printf '%s\\n' '{\"$message_type\":\"diagnostic\",\"rendered\":\"warning: "
        "unused\\n\"}' >&2\n"
        "i=0\n"
        "while ! grep -q output-complete \"$STDOUT_FILE\"; do\n"
        "  i=$((i + 1)); [ $i -le 1200 ] || exit 9; sleep 0.05\n"
        "done\n"
        "echo rlib > \"$dir/libfoo-0123abcd.rlib\"\n"
        "echo dep > \"$dir/foo-0123abcd.d\"\n"
        "mkdir \"$dir/incremental\"\n"
        "echo not json\n");
    UnitSpec s = sampleSpec();
    s.program = d.path + "/rustc";
    s.arguments = {"--out-dir", "/@out@/lib"};
    s.environment = {{"STDOUT_FILE", d.path + "/stdout"}};
    s.directory = d.path;
    s.scripts = {};
    std::string out = d.path + "/out", meta = d.path + "/meta";
    Built b = buildInChild(s, out, meta, d.path);
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(readFile(meta + "/lib/libfoo-0123abcd.rmeta"), "meta\n");
    EXPECT_EQ(test::listNames(out + "/lib"), Strings{"libfoo-0123abcd.rlib"});
    EXPECT_NE(b.out.find("@ferrix output-complete meta\n"), std::string::npos) << b.out;
    EXPECT_EQ(b.err, "warning: unused\nnot json\n");
}

TEST(UnitBuild, AnErrorWhileReadingRustcLeavesNoRustcBehind) {
    test::ScratchDir d("ferrix-unit-build-");
    // The .rmeta it announces is not there: copying it fails while "rustc" still runs.
    script(d.path + "/rustc", "echo $$ > \"$PID_FILE\"\n"
                              "printf '%s\\n' '{\"artifact\":\"/nonexistent/x.rmeta\"}'\n"
                              "exec sleep 600\n");
    UnitSpec s = sampleSpec();
    s.program = d.path + "/rustc";
    s.environment = {{"PID_FILE", d.path + "/pid"}};
    s.directory = d.path;
    s.scripts = {};
    Built b = buildInChild(s, d.path + "/out", d.path + "/meta", d.path);
    EXPECT_EQ(b.status, 1);
    EXPECT_NE(b.err.find("/nonexistent/x.rmeta"), std::string::npos) << b.err;
    pid_t rustc = std::stoi(readFile(d.path + "/pid"));
    bool gone = kill(rustc, 0) != 0 && errno == ESRCH;
    if (!gone) kill(rustc, SIGKILL);
    EXPECT_TRUE(gone) << "rustc (pid " << rustc << ") outlived its unit";
}

TEST(UnitBuild, AFailedCompilationEndsWithCouldNotCompile) {
    test::ScratchDir d("ferrix-unit-build-");
    script(d.path + "/rustc", "echo 'error[E0308]: mismatched types' >&2\nexit 1\n");
    UnitSpec s = sampleSpec();
    s.program = d.path + "/rustc";
    s.directory = d.path;
    s.scripts = {};
    Built b = buildInChild(s, d.path + "/out", "", d.path);
    EXPECT_EQ(b.status, 1);
    EXPECT_EQ(b.err, "error[E0308]: mismatched types\nerror: could not compile `regex-syntax' "
                     "0.6.28 (lib \"regex_syntax\")\n");
    // Pipelined: rustc's rendered diagnostics, its other lines, then the same error.
    script(d.path + "/rustc",
           "printf '%s\\n' '{\"rendered\":\"error: e\\n\"}'\necho plain\nexit 2\n");
    b = buildInChild(s, d.path + "/out", d.path + "/meta", d.path);
    EXPECT_EQ(b.status, 1);
    EXPECT_EQ(b.err, "error: e\nplain\nerror: could not compile `regex-syntax' 0.6.28 (lib "
                     "\"regex_syntax\")\n");
    // One that cannot be started (not executable): why, then the unit's sentence.
    writeFile(d.path + "/not-executable", "", 0644);
    s.program = d.path + "/not-executable";
    b = buildInChild(s, d.path + "/out", "", d.path);
    EXPECT_EQ(b.status, 1);
    EXPECT_NE(b.err.find("not-executable"), std::string::npos) << b.err;
    EXPECT_NE(b.err.find("\nerror: could not compile `regex-syntax' 0.6.28"), std::string::npos)
        << b.err;
    s.program = d.path + "/missing-rustc";
    b = buildInChild(s, d.path + "/out", "", d.path);
    EXPECT_EQ(b.status, 1);
    EXPECT_EQ(b.err, "error: `regex-syntax' 0.6.28 (lib \"regex_syntax\"): " + d.path +
                         "/missing-rustc: no such file\n");
}

TEST(UnitBuild, BinariesAndTestsAreUpliftedAsCargoNamesThem) {
    test::ScratchDir d("ferrix-unit-build-");
    script(d.path + "/rustc", "echo bin > \"$2/my_tool-0123abcd\"\n");
    UnitSpec s = sampleSpec();
    s.kind = "bin";
    s.targetName = "my-tool";
    s.program = d.path + "/rustc";
    s.arguments = {"--out-dir", "/@out@/bin"};
    s.directory = d.path;
    s.scripts = {};
    Built b = buildInChild(s, d.path + "/bin-out", "", d.path);
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(test::listNames(d.path + "/bin-out/bin"), Strings{"my-tool"});
    s.mode = "test";
    b = buildInChild(s, d.path + "/test-out", "", d.path);
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(test::listNames(d.path + "/test-out/bin"), Strings{"my-tool-0123abcd"});
}

TEST(UnitBuild, WithoutASpecTheBuilderSaysWhatIsMissing) {
    test::ScratchDir d("ferrix-unit-build-");
    pid_t pid = fork();
    if (pid == 0) {
        int fe = open((d.path + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fe, 2);
        unsetenv("ferrixUnitPath");
        _exit(unitBuilderMain());
    }
    int status;
    waitpid(pid, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 1);
    EXPECT_EQ(readFile(d.path + "/err"),
              "error: `ferrix unit' runs as a unit's builder: ferrixUnitPath and out are not "
              "set\n");
}

} // namespace
