// The boundary between C++ and Guile. Every primitive of libguile-ferrix goes through `guarded`;
// every call from C++ into Scheme goes through `scheme` (the trampoline). Nothing else in guile/
// may call a libguile function that can exit non-locally while a C++ object is alive.
//
// Why: Guile raises errors (and runs `exit`, escapes...) by longjmp'ing to the nearest handler.
// A longjmp over a C++ frame skips its destructors (leaks, held locks, half-built containers) and
// a C++ exception unwinding through libguile's C frames corrupts Guile's dynamic state. So the two
// kinds of non-local exit must never cross each other's frames.
//
// The discipline, for a primitive `SCM prim(SCM a, SCM b)`:
//
//  1. Scheme first. Before any C++ object with a destructor exists in prim's frame, check the
//     arguments' types with the check* helpers below (scm_wrong_type_arg, scm_error: free to
//     longjmp, nothing to skip). Foreign objects are unwrapped here too (storeArg()).
//
//  2. Then `return guarded("prim", [&] { ... });`. The lambda is the C++ side: RAII objects and
//     exceptions are fine there, direct libguile calls are not. Everything it needs from Scheme
//     (converting arguments: convert.hh) and gives back to Scheme (building the result) goes
//     through `scheme(...)`. guarded() catches every C++ exception, copies it into a trivially
//     destructible Failure record (fixed char buffers), and raises the Scheme error only after
//     the try/catch scope has ended and the lambda's objects are destroyed:
//         (throw 'ferrix-error SUBR "~A" (MESSAGE) (KIND))
//     KIND is a symbol naming the C++ class: bad-hash, bad-nar, bad-derivation, bad-store-path,
//     format-error, sys-error, invalid-path, store-error, usage-error, error, out-of-memory,
//     internal-error.
//
//  3. `scheme(f)`: the trampoline. f is a lambda returning SCM that may call Scheme freely; it
//     runs under scm_c_catch (tag #t), so a Scheme error raised inside it unwinds no further than
//     the trampoline, which then throws a C++ ferrix::SchemeError (key and message). Inside a
//     guarded primitive the original Scheme exception (key and arguments) is also recorded in the
//     primitive's Failure record, and re-raised unchanged once the C++ side has unwound. Rules
//     for f: it captures by reference only (checked: its closure must be trivially destructible);
//     it creates no local object with a non-trivial destructor that is alive across a Scheme
//     call; it may write through its captures into C++ objects owned by enclosing frames, but
//     only with operations that cannot allocate (pre-size containers first). A C++ exception
//     escaping f is caught inside the trampoline and rethrown after scm_c_catch has returned.
//     Other non-local exits out of f (an escape continuation or a continuation captured
//     outside, an abort to an outer prompt) would also jump over C++ frames: an unwind handler
//     set up by the trampoline turns them into (ferrix-error #f "~A" (MSG) (non-local-exit)),
//     which the trampoline's catch receives like any error.
//
//  4. SCM values are only kept where the garbage collector sees them: on the stack, in the
//     Failure record (a local of guarded()), or reachable from an argument. Code that stores an
//     SCM in C++ heap memory (a std::function capture...) must keep the owning argument alive
//     with scm_remember_upto_here_1 until the C++ side is done.
//
// Nested calls work: a Scheme callback may call another primitive; an error in the inner
// primitive is a plain Scheme error by the time it reaches the trampoline of the outer one.
#pragma once

#include "ferrix/error.hh"

#include <libguile.h>

#include <cstddef>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

namespace ferrix {

// A Scheme exception that reached C++ through the trampoline: its key ("wrong-type-arg",
// "ferrix-error", "%exception"...) and a one-line message formatted from its arguments.
class SchemeError : public Error {
public:
    SchemeError(std::string key, const std::string& message, unsigned long serial)
        : Error(message), key_(std::move(key)), serial_(serial) {}
    const std::string& key() const { return key_; }
    // Identifies the exception recorded in the enclosing guarded() frame, if any.
    unsigned long serial() const { return serial_; }

private:
    std::string key_;
    unsigned long serial_;
};

} // namespace ferrix

namespace ferrix::guile {

// What went wrong in a guarded primitive, kept until it can be raised. Trivially destructible:
// raising it skips nothing.
struct Failure {
    enum class Kind : unsigned char { None, Cpp, Scheme };
    Kind kind;
    unsigned long serial; // Scheme: the trampoline call that recorded it
    SCM key, args;        // Scheme: the exception, re-raised as is
    char subr[64];        // Cpp: the primitive's name
    char errorKind[32];   // Cpp: see errorKind()
    char message[4096];   // Cpp: what(), truncated, made valid UTF-8

    void setCpp(const char* subr, const char* kind, const char* message) noexcept;
};
static_assert(std::is_trivially_destructible_v<Failure>);

// The symbol name for an exception's class ("invalid-path", "bad-hash"...).
const char* errorKind(const std::exception& e) noexcept;

// Raises the failure as a Scheme exception. Call only with no C++ object alive in any frame
// between here and the Scheme caller.
[[noreturn]] void raise(const Failure& f);

// The innermost guarded() frame of this thread, which the trampoline records Scheme errors in.
Failure* enterFrame(Failure* f) noexcept;
void leaveFrame(Failure* outer) noexcept;

namespace detail {
SCM trampoline(SCM (*fn)(void*), void* data);
}

// The trampoline: calls f() under scm_c_catch and returns its value, or throws SchemeError.
template <class F> SCM scheme(F&& f) {
    using Fn = std::remove_reference_t<F>;
    static_assert(std::is_trivially_destructible_v<Fn>,
                  "scheme(): capture by reference only; the closure must own nothing");
    return detail::trampoline([](void* p) -> SCM { return (*static_cast<Fn*>(p))(); },
                              static_cast<void*>(&f));
}

// The guarded wrapper: runs body() (the C++ side, returning SCM) and turns any exception into a
// Scheme error raised after the C++ side has unwound.
template <class Body> SCM guarded(const char* subr, Body&& body) {
    static_assert(std::is_trivially_destructible_v<std::remove_reference_t<Body>>,
                  "guarded(): capture by reference only");
    Failure failure;
    failure.kind = Failure::Kind::None;
    Failure* outer = enterFrame(&failure);
    SCM result = SCM_UNSPECIFIED;
    try {
        result = body();
        failure.kind = Failure::Kind::None; // a SchemeError caught and handled inside body
    } catch (const SchemeError& e) {
        // Re-raise the Scheme exception itself when it is the one this frame recorded.
        if (failure.kind != Failure::Kind::Scheme || failure.serial != e.serial())
            failure.setCpp(subr, "scheme-error", e.what());
    } catch (const std::bad_alloc&) {
        failure.setCpp(subr, "out-of-memory", "out of memory");
    } catch (const std::exception& e) {
        failure.setCpp(subr, errorKind(e), e.what());
    } catch (...) {
        failure.setCpp(subr, "internal-error", "unknown C++ exception");
    }
    leaveFrame(outer);
    if (failure.kind != Failure::Kind::None) raise(failure);
    return result;
}

// --- Step 1 helpers: type checks that raise wrong-type-arg (SUBR, argument position POS).
// Call them before guarded(), or inside scheme().
void checkString(SCM obj, int pos, const char* subr);
void checkStringOrFalse(SCM obj, int pos, const char* subr);
void checkStringOrBytevector(SCM obj, int pos, const char* subr);
void checkBytevector(SCM obj, int pos, const char* subr);
void checkList(SCM obj, int pos, const char* subr);
void checkSymbolOrString(SCM obj, int pos, const char* subr);
// Raises (ferrix-error SUBR "~A" (MESSAGE) (KIND)) directly. Scheme side only.
[[noreturn]] void raiseFerrixError(const char* subr, const char* kind, const char* message);

} // namespace ferrix::guile
