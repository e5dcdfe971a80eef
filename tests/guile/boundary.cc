// The C++/Guile boundary (guile/guard.hh): C++ exceptions reach Scheme as ferrix-error after the
// C++ side has unwound; Scheme errors reach C++ through the trampoline as SchemeError; both ways
// every destructor runs; bad arguments raise wrong-type-arg; a closed store raises.
//
// Linked with the extension's object code; the test-only hook primitives below are defined by
// this binary alone, never by libguile-ferrix.
#include "convert.hh"
#include "extension.hh"
#include "guard.hh"

#include "ferrix/error.hh"

#include <gtest/gtest.h>
#include <libguile.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <unistd.h>

using namespace ferrix;
using namespace ferrix::guile;

namespace {

// Counts constructions and destructions: live == 0 after a test means no destructor was skipped.
struct Probe {
    static inline int live = 0;
    static inline int made = 0;
    std::string payload = std::string(100, 'x'); // owns heap memory, like real C++ state
    Probe() {
        live++;
        made++;
    }
    ~Probe() { live--; }
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
};

// --- Test hooks.

// (%test-throw KIND MESSAGE): throws a C++ exception chosen by KIND while a Probe is alive.
SCM testThrow(SCM kind, SCM message) {
    checkString(kind, 1, "%test-throw");
    checkString(message, 2, "%test-throw");
    return guarded("%test-throw", [&]() -> SCM {
        Probe p;
        std::string k = toString(kind), m = toString(message);
        if (k == "invalid-path") throw InvalidPath(m);
        if (k == "bad-hash") throw BadHash(m);
        if (k == "usage") throw UsageError(m);
        if (k == "std") throw std::runtime_error(m);
        if (k == "int") throw 42;
        if (k == "latin1")
            throw std::runtime_error("a\xe9"
                                     "b");
        return fromString("no exception");
    });
}

// (%test-call PROC): calls PROC through the trampoline with a Probe alive in the guarded frame
// and one in the frame around the trampoline call; returns PROC's value. Scheme errors go on to
// the caller unchanged.
SCM testCall(SCM proc) {
    return guarded("%test-call", [&] {
        Probe outer;
        SCM v;
        {
            Probe inner;
            v = scheme([&] { return scm_call_0(proc); });
        }
        return v;
    });
}

// (%test-call-catching PROC): like %test-call, but the C++ side catches the SchemeError and
// returns (KEY MESSAGE).
SCM testCallCatching(SCM proc) {
    return guarded("%test-call-catching", [&] {
        Probe p;
        try {
            scheme([&] { return scm_call_0(proc); });
            return fromString("no error");
        } catch (const SchemeError& e) {
            return fromStringList({e.key(), e.what()});
        }
    });
}

// (%test-strings LIST): converts a list of strings with a Probe alive; returns how many.
SCM testStrings(SCM list) {
    checkList(list, 1, "%test-strings");
    return guarded("%test-strings", [&] {
        Probe p;
        auto v = toStringList(list, "%test-strings", 1);
        return scheme([&] { return scm_from_size_t(v.size()); });
    });
}

// Evaluates EXPR in (guile-user) through the trampoline: a Scheme error becomes SchemeError.
SCM eval(const std::string& expr) {
    return scheme([&] { return scm_c_eval_string(expr.c_str()); });
}

std::string display(SCM v) {
    char* s = nullptr;
    scheme([&] {
        s = scm_to_utf8_stringn(scm_object_to_string(v, SCM_UNDEFINED), nullptr);
        return SCM_UNSPECIFIED;
    });
    std::string out = s;
    free(s);
    return out;
}

std::string evalToString(const std::string& expr) {
    return display(eval(expr));
}

class Boundary : public ::testing::Test {
protected:
    void SetUp() override {
        made = Probe::made;
        ASSERT_EQ(Probe::live, 0);
    }
    void TearDown() override { EXPECT_EQ(Probe::live, 0) << "a destructor was skipped"; }
    int probesMade() const { return Probe::made - made; }
    int made = 0;
};

TEST_F(Boundary, CppExceptionArrivesAsFerrixError) {
    EXPECT_EQ(evalToString("(catch 'ferrix-error"
                           "  (lambda () (%test-throw \"invalid-path\" \"path '/x' is not valid\"))"
                           "  (lambda (key . args) (cons key args)))"),
              "(ferrix-error \"%test-throw\" \"~A\" (\"path '/x' is not valid\") (invalid-path))");
    EXPECT_EQ(probesMade(), 1);
}

TEST_F(Boundary, ErrorKindsNameTheClass) {
    auto kindOf = [](const std::string& k) {
        return evalToString(
            "(catch 'ferrix-error (lambda () (%test-throw \"" + k +
            "\" \"m\")) (lambda (key subr fmt args rest) (list (car rest) (car args))))");
    };
    EXPECT_EQ(kindOf("bad-hash"), "(bad-hash \"m\")");
    EXPECT_EQ(kindOf("usage"), "(usage-error \"m\")");
    EXPECT_EQ(kindOf("std"), "(internal-error \"m\")");
    EXPECT_EQ(kindOf("int"), "(internal-error \"unknown C++ exception\")");
    EXPECT_EQ(probesMade(), 4);
}

TEST_F(Boundary, FerrixErrorIsAnExceptionObjectToo) {
    // Guile 3 exception objects: with-exception-handler sees the kind and the arguments.
    EXPECT_EQ(evalToString("(with-exception-handler"
                           "  (lambda (e) (list (exception-kind e) (caddr (exception-args e))))"
                           "  (lambda () (%test-throw \"bad-hash\" \"bad\"))"
                           "  #:unwind? #t)"),
              "(ferrix-error (\"bad\"))");
}

TEST_F(Boundary, LongMessagesAreTruncatedNotOverflowed) {
    std::string big(10000, 'm');
    std::string len =
        evalToString("(catch 'ferrix-error (lambda () (%test-throw \"std\" \"" + big +
                     "\")) (lambda (key subr fmt args rest) (string-length (car args))))");
    EXPECT_EQ(len, std::to_string(sizeof(Failure::message) - 1));
}

TEST_F(Boundary, InvalidUtf8InMessagesIsReplaced) {
    // A message with a byte that is not UTF-8 (a Latin-1 file name...) must not turn into a
    // decoding error: the byte becomes '?'.
    EXPECT_EQ(evalToString("(catch 'ferrix-error (lambda () (%test-throw \"latin1\" \"\"))"
                           "  (lambda (key subr fmt args rest) (car args)))"),
              "\"a?b\"");
}

TEST_F(Boundary, SchemeErrorInCallbackBecomesSchemeError) {
    EXPECT_EQ(evalToString("(%test-call-catching (lambda () (error \"oops:\" 42)))"),
              "(\"misc-error\" \"oops: 42\")");
    EXPECT_EQ(
        evalToString("(%test-call-catching (lambda () (car 1)))"),
        "(\"wrong-type-arg\" \"car: Wrong type argument in position 1 (expecting pair): 1\")");
    EXPECT_EQ(evalToString("(%test-call-catching (lambda () (throw 'my-key 1 2)))"),
              "(\"my-key\" \"(my-key 1 2)\")");
    EXPECT_EQ(evalToString("(%test-call-catching (lambda () (raise-exception "
                           "(make-exception-with-message \"plain\"))))"),
              "(\"%exception\" \"plain\")");
    EXPECT_EQ(evalToString("(%test-call-catching (lambda () 'fine))"), "\"no error\"");
    EXPECT_EQ(probesMade(), 5);
}

TEST_F(Boundary, SchemeErrorThroughPrimitiveArrivesUnchanged) {
    // The callback's exception is re-raised as it was, after the C++ frames have unwound.
    EXPECT_EQ(evalToString("(catch 'my-key (lambda () (%test-call (lambda () (throw 'my-key 1 2))))"
                           "  (lambda (key . args) (cons key args)))"),
              "(my-key 1 2)");
    EXPECT_EQ(evalToString("(let ((obj (list 'mine)))"
                           "  (eq? obj (with-exception-handler (lambda (e) e)"
                           "             (lambda () (%test-call (lambda () (raise-exception obj))))"
                           "             #:unwind? #t)))"),
              "#t");
    EXPECT_EQ(evalToString("(catch 'quit (lambda () (%test-call (lambda () (exit 3))))"
                           "  (lambda (key . args) args))"),
              "(3)");
    EXPECT_EQ(evalToString("(%test-call (lambda () 'value))"), "value");
    EXPECT_EQ(probesMade(), 8);
}

TEST_F(Boundary, NestedPrimitives) {
    // primitive -> Scheme callback -> primitive throwing C++: the inner error is already a
    // Scheme error when it reaches the outer trampoline, and goes on unchanged.
    EXPECT_EQ(evalToString("(catch 'ferrix-error"
                           "  (lambda () (%test-call (lambda () (%test-call (lambda ()"
                           "     (%test-throw \"bad-hash\" \"inner\"))))))"
                           "  (lambda (key subr fmt args rest) (list subr args rest)))"),
              "(\"%test-throw\" (\"inner\") (bad-hash))");
    EXPECT_EQ(probesMade(), 2 * 2 + 1);
}

TEST_F(Boundary, TrampolineFromCpp) {
    // A Scheme error raised under the trampoline unwinds the C++ frame around it normally.
    int liveBefore = Probe::live;
    try {
        Probe p;
        std::string s(1000, 's');
        eval("(car 1)");
        FAIL() << "no SchemeError";
    } catch (const SchemeError& e) {
        EXPECT_EQ(e.key(), "wrong-type-arg");
        EXPECT_NE(std::string(e.what()).find("car"), std::string::npos) << e.what();
    }
    EXPECT_EQ(Probe::live, liveBefore);
    EXPECT_EQ(evalToString("(+ 1 2)"), "3");
}

TEST_F(Boundary, WrongTypeArgBeforeAnyCppObject) {
    EXPECT_EQ(evalToString("(catch 'wrong-type-arg (lambda () (%test-strings 42))"
                           "  (lambda (key subr . _) subr))"),
              "\"%test-strings\"");
    EXPECT_EQ(probesMade(), 0);
    EXPECT_EQ(evalToString("(catch 'wrong-type-arg (lambda () (%hash-string 'sha256 42))"
                           "  (lambda (key subr . _) subr))"),
              "\"%hash-string\"");
}

TEST_F(Boundary, WrongTypeArgInsideConversion) {
    // A bad element is found by the conversion, with the Probe alive: wrong-type-arg is raised
    // after it has been destroyed.
    EXPECT_EQ(evalToString("(catch 'wrong-type-arg (lambda () (%test-strings '(\"a\" 2 \"c\")))"
                           "  (lambda (key subr fmt args rest) (list subr (car args))))"),
              "(\"%test-strings\" 1)");
    EXPECT_EQ(probesMade(), 1);
    EXPECT_EQ(evalToString("(%test-strings '(\"a\" \"b\" \"\\u00e9\"))"), "3");
}

TEST_F(Boundary, ClosedStoreRaises) {
    char tmpl[] = "/tmp/ferrix-boundary-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    std::string open = "(define s (%open-store \"" + dir + "/store\" #f))";
    eval(open);
    EXPECT_EQ(evalToString("(list (%store? s) (%store? 1) (%store-open? s))"), "(#t #f #t)");
    EXPECT_EQ(evalToString("(string=? (%store-dir s) \"" + dir + "/store/store\")"), "#t");
    eval("(%close-store s)");
    eval("(%close-store s)"); // twice is harmless
    EXPECT_EQ(evalToString("(%store-open? s)"), "#f");
    EXPECT_EQ(
        evalToString("(catch 'ferrix-error (lambda () (%store-dir s))"
                     "  (lambda (key subr fmt args rest) (list subr (car args) (car rest))))"),
        "(\"%store-dir\" \"store is closed\" store-error)");
    EXPECT_EQ(evalToString("(catch 'ferrix-error (lambda () (%add-text-to-store s \"x\" \"y\" '()))"
                           "  (lambda (key subr fmt args rest) (car args)))"),
              "\"store is closed\"");
    EXPECT_EQ(evalToString("(catch 'wrong-type-arg (lambda () (%store-dir 42))"
                           "  (lambda (key subr . _) subr))"),
              "\"%store-dir\"");
    // Stores nobody closes are deleted by the finalizer; the store works on.
    eval("(do ((i 0 (+ i 1))) ((= i 20)) (%open-store \"" + dir + "/store\" #f))");
    scheme([] {
        scm_gc();
        scm_run_finalizers();
        return SCM_UNSPECIFIED;
    });
    EXPECT_EQ(evalToString("(let* ((t (%open-store \"" + dir +
                           "/store\" #f))"
                           "       (p (%add-text-to-store t \"x\" \"y\" '())))"
                           "  (%close-store t)"
                           "  (string-suffix? \"-x\" p))"),
              "#t");
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_F(Boundary, EscapesCannotJumpOverCpp) {
    // An escape continuation (or a full one captured outside) invoked in a callback would jump
    // over the C++ frames: it becomes a ferrix-error instead, raised once they have unwound.
    EXPECT_EQ(
        evalToString("(catch 'ferrix-error"
                     "  (lambda () (call/ec (lambda (k) (%test-call (lambda () (k 'escaped))))))"
                     "  (lambda (key subr fmt args rest) (car rest)))"),
        "non-local-exit");
    EXPECT_EQ(
        evalToString("(catch 'ferrix-error"
                     "  (lambda () (call/cc (lambda (k) (%test-call (lambda () (k 'escaped))))))"
                     "  (lambda (key subr fmt args rest) (car rest)))"),
        "non-local-exit");
    EXPECT_EQ(probesMade(), 4);
    // Escapes that stay inside the callback are fine.
    EXPECT_EQ(evalToString("(%test-call (lambda () (call/ec (lambda (k) (k 'inside)))))"),
              "inside");
}

TEST_F(Boundary, StoreErrorsFromTheCore) {
    char tmpl[] = "/tmp/ferrix-boundary-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    eval("(define s2 (%open-store \"" + dir + "/store\" \"/nix/store\"))");
    EXPECT_EQ(evalToString("(%add-text-to-store s2 \"foo\" \"bar\" '())"),
              "\"/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo\"");
    EXPECT_EQ(evalToString("(catch 'ferrix-error"
                           "  (lambda () (%add-text-to-store s2 \"bad name\" \"bar\" '()))"
                           "  (lambda (key subr fmt args rest) (car rest)))"),
              "bad-store-path");
    EXPECT_EQ(
        evalToString(
            "(catch 'ferrix-error"
            "  (lambda () (%query-path-info s2 \"/nix/store/00000000000000000000000000000000-x\"))"
            "  (lambda (key subr fmt args rest) (list (car rest) (car args))))"),
        "(invalid-path \"path '/nix/store/00000000000000000000000000000000-x' is not valid\")");
    eval("(%close-store s2)");
    std::system(("rm -rf '" + dir + "'").c_str());
}

void defineHooks() {
    scm_c_define_gsubr("%test-throw", 2, 0, 0, reinterpret_cast<scm_t_subr>(testThrow));
    scm_c_define_gsubr("%test-call", 1, 0, 0, reinterpret_cast<scm_t_subr>(testCall));
    scm_c_define_gsubr("%test-call-catching", 1, 0, 0,
                       reinterpret_cast<scm_t_subr>(testCallCatching));
    scm_c_define_gsubr("%test-strings", 1, 0, 0, reinterpret_cast<scm_t_subr>(testStrings));
}

} // namespace

int main(int argc, char** argv) {
    scm_init_guile();
    init_ferrix();
    defineHooks();
    scm_c_eval_string("(use-modules (ice-9 exceptions) (ice-9 control))");
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
