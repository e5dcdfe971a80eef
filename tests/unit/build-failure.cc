// A failed build's log read for its cause (build-failure.hh), on logs shaped as the whole-package
// and per-crate build sides write them (the end-to-end run is tests/cargo/failures.sh), and the
// display's words for it.
#include "ferrix/build-failure.hh"
#include "ferrix/build-display.hh"

#include <gtest/gtest.h>

using namespace ferrix;

namespace {

const char* cargoLog = R"(starting phase `build'
running `cargo build --offline --locked --release'
   Compiling noisy v0.1.0 (/build/source/noisy)
warning: unused variable: `unused_variable`
 --> noisy/src/lib.rs:2:9
  |
2 |     let unused_variable = 1;
  |         ^^^^^^^^^^^^^^^ help: if this is intentional, prefix it with an underscore
  |
  = note: `#[warn(unused_variables)]` on by default

warning: `noisy` (lib) generated 1 warning
   Compiling typo v0.1.0 (/build/source)
error[E0308]: mismatched types
 --> src/main.rs:3:18
  |
3 |     let x: u32 = "a";
  |            ---   ^^^ expected `u32`, found `&str`
  |            |
  |            expected due to this

For more information about this error, try `rustc --explain E0308`.
error: could not compile `typo` (bin "typo") due to 1 previous error
phase `build' failed after 2.3 seconds
error: in phase 'build': command "cargo" "build" "--release" failed with exit status 101
Backtrace:
In ice-9/boot-9.scm:
  1752:10  6 (with-exception-handler _ _ #:unwind? _ # _)
In ferrix/build/utils.scm:
   174:16  4 (run-phases _ . _)

ice-9/boot-9.scm:1685:16: In procedure raise-exception:
ERROR:
  1. &invoke-error:
      program: "cargo"
)";

TEST(BuildFailure, CompilerErrorsWholeWithoutWarnings) {
    auto f = BuildFailure::parse(cargoLog);
    EXPECT_EQ(f.phase, "build");
    EXPECT_EQ(f.error, "command \"cargo\" \"build\" \"--release\" failed with exit status 101");
    EXPECT_EQ(f.compilerErrors, R"(error[E0308]: mismatched types
 --> src/main.rs:3:18
  |
3 |     let x: u32 = "a";
  |            ---   ^^^ expected `u32`, found `&str`
  |            |
  |            expected due to this

error: could not compile `typo` (bin "typo") due to 1 previous error)");
    EXPECT_FALSE(f.truncated);
    EXPECT_EQ(f.tail, ""); // the errors say it
    EXPECT_TRUE(f.backtrace.starts_with("Backtrace:\nIn ice-9/boot-9.scm:")) << f.backtrace;
    EXPECT_NE(f.backtrace.find("&invoke-error"), std::string::npos);
}

TEST(BuildFailure, CausedByGoesOn) {
    auto f = BuildFailure::parse("   Compiling x v0.1.0\n"
                                 "error: failed to run custom build command for `x v0.1.0`\n"
                                 "\n"
                                 "Caused by:\n"
                                 "  process didn't exit successfully\n"
                                 "\n"
                                 "done\n");
    EXPECT_EQ(f.compilerErrors, "error: failed to run custom build command for `x v0.1.0`\n"
                                "\n"
                                "Caused by:\n"
                                "  process didn't exit successfully");
}

TEST(BuildFailure, WithoutCompilerErrorsTheTailBeforeTheBacktrace) {
    auto f = BuildFailure::parse("starting phase `configure'\n"
                                 "line 1\n"
                                 "line 2\n"
                                 "phase `configure' failed after 0.1 seconds\n"
                                 "error: in phase 'configure': Cargo.lock does not match:\n"
                                 "  itoa 1.0.1 is locked\n"
                                 "Backtrace:\n"
                                 "Throw to key `ferrix-error' with args `(\"~A\")'.\n",
                                 20);
    EXPECT_EQ(f.phase, "configure");
    EXPECT_EQ(f.error, "Cargo.lock does not match:\n  itoa 1.0.1 is locked");
    EXPECT_EQ(f.compilerErrors, "");
    EXPECT_EQ(f.tail, "line 1\nline 2");
}

TEST(BuildFailure, AnErrorGuileReportedAfterItsBacktrace) {
    auto f = BuildFailure::parse("hello\n"
                                 "Backtrace:\n"
                                 "In ice-9/boot-9.scm:\n"
                                 "  1752:10  2 (with-exception-handler _ _)\n"
                                 "           1 (f 1)\n"
                                 "\n"
                                 "ERROR: In procedure car: Wrong type argument\n");
    EXPECT_EQ(f.phase, "");
    EXPECT_EQ(f.error, "ERROR: In procedure car: Wrong type argument");
    EXPECT_EQ(f.tail, "hello");
}

TEST(BuildFailure, APerCrateDoctestFailureShowsItsFailures) {
    // The per-crate build side sums up like cargo: its line is no compiler error either.
    auto f = BuildFailure::parse(R"(running `tested' 0.1.0 (doctests)

running 1 test
test src/lib.rs - add (line 5) ... FAILED

failures:

---- src/lib.rs - add (line 5) stdout ----
Test executable failed (exit status: 101).

  left: 5
 right: 4

failures:
    src/lib.rs - add (line 5)

test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finish time: 0.10s

error: test `tested' 0.1.0 (doctests) failed
)");
    EXPECT_EQ(f.compilerErrors, "");
    EXPECT_NE(f.tail.find("  left: 5"), std::string::npos) << f.tail;
    EXPECT_NE(f.tail.find("error: test `tested' 0.1.0 (doctests) failed"), std::string::npos)
        << f.tail;
}

TEST(BuildFailure, AFailedTestSuiteShowsItsFailures) {
    // cargo's "error: test failed" sums up; it is no compiler error, and the failures are shown.
    auto f = BuildFailure::parse(R"(starting phase `check'
running `cargo test --offline --locked --release'
   Compiling sums v0.1.0 (/build/source)
    Finished `release` profile [optimized] target(s) in 0.40s
     Running unittests src/lib.rs (target/release/deps/sums-0123456789abcdef)

running 2 tests
test tests::adds ... ok
test tests::sums ... FAILED

failures:

---- tests::sums stdout ----

thread 'tests::sums' panicked at src/lib.rs:9:9:
assertion `left == right` failed: the sum is wrong
  left: 4
 right: 5
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::sums

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finish time: 0.00s

error: test failed, to rerun pass `--lib`
phase `check' failed after 0.5 seconds
error: in phase 'check': command "cargo" "test" "--release" failed with exit status 101
Backtrace:
In ice-9/boot-9.scm:
  1752:10  6 (with-exception-handler _ _ #:unwind? _ # _)
)");
    EXPECT_EQ(f.phase, "check");
    EXPECT_EQ(f.compilerErrors, "");
    EXPECT_FALSE(f.truncated);
    EXPECT_EQ(f.tail, R"(failures:

---- tests::sums stdout ----

thread 'tests::sums' panicked at src/lib.rs:9:9:
assertion `left == right` failed: the sum is wrong
  left: 4
 right: 5
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

failures:
    tests::sums

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finish time: 0.00s

error: test failed, to rerun pass `--lib`)");
}

TEST(BuildFailure, CargoSummariesAloneWithoutTestFailuresShowTheTail) {
    // No libtest report (the test binary was killed): the last lines, the summaries among them.
    auto f = BuildFailure::parse("running 1 test\n"
                                 "error: test failed, to rerun pass `--lib`\n"
                                 "\n"
                                 "Caused by:\n"
                                 "  process didn't exit successfully (signal: 11, SIGSEGV)\n"
                                 "error: 2 targets failed:\n"
                                 "    `--lib`\n"
                                 "    `--test t`\n");
    EXPECT_EQ(f.compilerErrors, "");
    EXPECT_TRUE(f.tail.starts_with("running 1 test\nerror: test failed")) << f.tail;
    EXPECT_TRUE(f.tail.ends_with("    `--test t`")) << f.tail;
}

TEST(BuildFailure, ManyErrorsAreCut) {
    std::string log;
    for (int i = 0; i < 100; i++)
        log += "error: e" + std::to_string(i) + "\n  detail\n\n";
    auto f = BuildFailure::parse(log, 20, 30);
    EXPECT_TRUE(f.truncated);
    EXPECT_TRUE(f.compilerErrors.starts_with("error: e0\n  detail\n\nerror: e1\n"));
}

TEST(BuildFailure, DisplayedWithThePhaseTheErrorsAndTheLog) {
    BuildEvent e{.kind = BuildEvent::Kind::Failed,
                 .drv = "/s/x.drv",
                 .text = "builder for '/s/x.drv' exited with status 1",
                 .logPath = "/l/x.log"};
    auto f = BuildFailure::parse(cargoLog);
    e.phase = f.phase;
    e.cause = f.error;
    e.errors = f.compilerErrors;
    e.backtrace = f.backtrace;
    std::string shown = describeEvent(e);
    EXPECT_TRUE(shown.starts_with("error: builder for '/s/x.drv' exited with status 1\n"
                                  "  in phase 'build': command \"cargo\" \"build\" \"--release\" "
                                  "failed with exit status 101\n"
                                  "error[E0308]: mismatched types\n"))
        << shown;
    EXPECT_TRUE(shown.ends_with("due to 1 previous error\nlog: /l/x.log")) << shown;
    EXPECT_EQ(shown.find("Backtrace"), std::string::npos);
    UnitLines lines;
    std::string debug = displayText(lines, e, {.verbosity = 1, .backtraces = true});
    EXPECT_NE(debug.find("previous error\nBacktrace:\nIn ice-9"), std::string::npos) << debug;
    EXPECT_TRUE(debug.ends_with("\nlog: /l/x.log"));
    // Quiet shows failures, not the rest.
    EXPECT_EQ(displayText(lines, {.kind = BuildEvent::Kind::Started, .drv = "/s/y.drv"},
                          {.verbosity = 0}),
              "");
    EXPECT_NE(displayText(lines, e, {.verbosity = 0}), "");
    EXPECT_EQ(displayText(lines, {.kind = BuildEvent::Kind::LogLine, .text = "out"}, {}), "");
    EXPECT_EQ(
        displayText(lines, {.kind = BuildEvent::Kind::LogLine, .text = "out"}, {.verbosity = 3}),
        "out");
}

} // namespace
