// The boundary's machinery: failure records, raising, the trampoline. See guard.hh.
#include "guard.hh"

#include "ferrix/build.hh"
#include "ferrix/fetch.hh"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ferrix::guile {

namespace {

thread_local Failure* currentFrame = nullptr;
std::atomic<unsigned long> serials{0};

// Copies at most size-1 bytes of src into dst, replacing bytes that are not part of a valid UTF-8
// sequence with '?' and never cutting a sequence in half. No allocation, no exception.
void copyUtf8(char* dst, size_t size, const char* src) noexcept {
    size_t o = 0;
    const auto* s = reinterpret_cast<const unsigned char*>(src ? src : "");
    while (*s && o + 1 < size) {
        unsigned char c = *s;
        size_t n = c < 0x80           ? 1
                   : (c >> 5) == 0x6  ? 2
                   : (c >> 4) == 0xe  ? 3
                   : (c >> 3) == 0x1e ? 4
                                      : 0;
        bool ok = n > 0;
        for (size_t i = 1; ok && i < n; i++)
            ok = (s[i] & 0xc0) == 0x80;
        if (ok && n == 2) ok = c >= 0xc2;
        if (ok && n == 3) ok = !(c == 0xe0 && s[1] < 0xa0) && !(c == 0xed && s[1] >= 0xa0);
        if (ok && n == 4)
            ok = c <= 0xf4 && !(c == 0xf0 && s[1] < 0x90) && !(c == 0xf4 && s[1] >= 0x90);
        if (!ok) {
            dst[o++] = '?';
            s++;
            continue;
        }
        if (o + n >= size) break;
        for (size_t i = 0; i < n; i++)
            dst[o++] = static_cast<char>(s[i]);
        s += n;
    }
    dst[o] = 0;
}

SCM symFerrixError() {
    static SCM sym = scm_from_utf8_symbol("ferrix-error"); // symbols are never collected
    return sym;
}

// --- Formatting a caught Scheme exception into a message, for SchemeError. Scheme only; runs
// under its own catch so that a failure to format is not a second error.

struct Describe {
    SCM key, args;
    char keyName[64];
    char message[2048];
};

SCM describeBody(void* p) {
    auto* d = static_cast<Describe*>(p);
    SCM key = d->key, args = d->args, msg = SCM_BOOL_F;
    if (scm_is_symbol(key)) {
        char* k = scm_to_utf8_stringn(scm_symbol_to_string(key), nullptr);
        copyUtf8(d->keyName, sizeof d->keyName, k);
        free(k);
    }
    // (SUBR FORMAT ARGS REST): "SUBR: formatted".
    if (scm_ilength(args) >= 3 && scm_is_string(scm_cadr(args)) &&
        scm_ilength(scm_caddr(args)) >= 0) {
        msg = scm_simple_format(SCM_BOOL_F, scm_cadr(args), scm_caddr(args));
        SCM subr = scm_car(args);
        if (scm_is_symbol(subr)) subr = scm_symbol_to_string(subr);
        if (scm_is_string(subr) && scm_c_string_length(subr) > 0)
            msg = scm_string_append(scm_list_3(subr, scm_from_utf8_string(": "), msg));
    } else if (scm_is_eq(key, scm_from_utf8_symbol("%exception")) && scm_is_pair(args)) {
        SCM exn = scm_car(args);
        SCM hasMessage = scm_c_public_ref("ice-9 exceptions", "exception-with-message?");
        if (scm_is_true(scm_call_1(hasMessage, exn)))
            msg = scm_call_1(scm_c_public_ref("ice-9 exceptions", "exception-message"), exn);
        if (!scm_is_string(msg)) msg = scm_object_to_string(exn, SCM_UNDEFINED);
    } else {
        msg = scm_object_to_string(scm_cons(key, args), SCM_UNDEFINED);
    }
    char* m = scm_to_utf8_stringn(msg, nullptr);
    copyUtf8(d->message, sizeof d->message, m);
    free(m);
    return SCM_BOOL_T;
}

SCM describeHandler(void* p, SCM, SCM) {
    auto* d = static_cast<Describe*>(p);
    if (!d->message[0]) copyUtf8(d->message, sizeof d->message, "unprintable Scheme error");
    return SCM_BOOL_F;
}

// --- The trampoline's call record. Lives in trampoline()'s frame, outside the catch.

struct Call {
    SCM (*fn)(void*);
    void* data;
    SCM value;
    bool throwing; // a throw is on its way to our catch
    bool failed;
    SCM key, args;
    std::exception_ptr cppError;
};

// Runs when the body is left non-locally. A throw is caught by our own catch; anything else
// (an escape continuation or a continuation captured outside, an abort to an outer prompt)
// would jump straight over the C++ frames around the trampoline, so it is turned into an error
// here, which our catch then receives like any other.
void escapeGuard(void* p) {
    auto* c = static_cast<Call*>(p);
    if (c->throwing) return;
    c->throwing = true;
    scm_error(symFerrixError(), nullptr, "~A",
              scm_list_1(scm_from_utf8_string(
                  "non-local exit from a Scheme procedure called by C++ code (an escape or "
                  "continuation cannot jump over libguile-ferrix; or an unwind-only error "
                  "such as stack overflow)")),
              scm_list_1(scm_from_utf8_symbol("non-local-exit")));
}

SCM callBody(void* p) {
    auto* c = static_cast<Call*>(p);
    // A Scheme exit longjmps over this frame: nothing in it has a destructor.
    scm_dynwind_begin(scm_t_dynwind_flags(0));
    scm_dynwind_unwind_handler(escapeGuard, c, scm_t_wind_flags(0));
    SCM v;
    try {
        v = c->fn(c->data);
    } catch (...) {
        c->cppError = std::current_exception();
        v = SCM_BOOL_F;
    }
    scm_dynwind_end();
    return v;
}

SCM callPreUnwind(void* p, SCM, SCM) {
    static_cast<Call*>(p)->throwing = true;
    return SCM_UNSPECIFIED;
}

SCM callHandler(void* p, SCM key, SCM args) {
    auto* c = static_cast<Call*>(p);
    c->failed = true;
    c->key = key;
    c->args = args;
    return SCM_BOOL_F;
}

} // namespace

void Failure::setCpp(const char* s, const char* k, const char* m) noexcept {
    kind = Kind::Cpp;
    copyUtf8(subr, sizeof subr, s);
    copyUtf8(errorKind, sizeof errorKind, k);
    copyUtf8(message, sizeof message, m);
}

const char* errorKind(const std::exception& e) noexcept {
    if (dynamic_cast<const BadHash*>(&e)) return "bad-hash";
    if (dynamic_cast<const BadNar*>(&e)) return "bad-nar";
    if (dynamic_cast<const BadDerivation*>(&e)) return "bad-derivation";
    if (dynamic_cast<const BadStorePath*>(&e)) return "bad-store-path";
    if (dynamic_cast<const FormatError*>(&e)) return "format-error";
    if (dynamic_cast<const SysError*>(&e)) return "sys-error";
    if (dynamic_cast<const InvalidPath*>(&e)) return "invalid-path";
    if (dynamic_cast<const StoreError*>(&e)) return "store-error";
    if (dynamic_cast<const UsageError*>(&e)) return "usage-error";
    if (dynamic_cast<const SchemeError*>(&e)) return "scheme-error";
    // Callers tell a failed build or download from other failures (e.g. to retry or report).
    if (dynamic_cast<const BuildError*>(&e)) return "build-error";
    if (dynamic_cast<const FetchError*>(&e)) return "fetch-error";
    if (dynamic_cast<const Error*>(&e)) return "error";
    return "internal-error";
}

Failure* enterFrame(Failure* f) noexcept {
    Failure* outer = currentFrame;
    currentFrame = f;
    return outer;
}

void leaveFrame(Failure* outer) noexcept {
    currentFrame = outer;
}

void raiseFerrixError(const char* subr, const char* kind, const char* message) {
    SCM msg = scm_from_utf8_string(message);
    scm_error(symFerrixError(), subr, "~A", scm_list_1(msg),
              scm_list_1(scm_from_utf8_symbol(kind)));
}

void raise(const Failure& f) {
    if (f.kind == Failure::Kind::Scheme) {
        // Exceptions that are not key+args (raise-exception of any object) come back from
        // scm_c_catch as (%exception OBJ): raise OBJ itself.
        if (scm_is_eq(f.key, scm_from_utf8_symbol("%exception")) && scm_is_pair(f.args) &&
            scm_is_null(scm_cdr(f.args)))
            scm_call_1(scm_c_public_ref("guile", "raise-exception"), scm_car(f.args));
        scm_throw(f.key, f.args);
    }
    raiseFerrixError(f.subr, f.errorKind, f.message);
}

SCM detail::trampoline(SCM (*fn)(void*), void* data) {
    Call call{fn, data, SCM_BOOL_F, false, false, SCM_BOOL_F, SCM_BOOL_F, {}};
    call.value = scm_c_catch(SCM_BOOL_T, callBody, &call, callHandler, &call, callPreUnwind, &call);
    if (call.cppError) std::rethrow_exception(call.cppError);
    if (!call.failed) return call.value;

    unsigned long serial = ++serials;
    if (Failure* f = currentFrame) {
        f->kind = Failure::Kind::Scheme;
        f->serial = serial;
        f->key = call.key;
        f->args = call.args;
    }
    Describe d;
    d.key = call.key;
    d.args = call.args;
    d.keyName[0] = 0;
    d.message[0] = 0;
    scm_c_catch(SCM_BOOL_T, describeBody, &d, describeHandler, &d, nullptr, nullptr);
    throw SchemeError(d.keyName, d.message, serial);
}

// --- Type checks.

void checkString(SCM obj, int pos, const char* subr) {
    if (!scm_is_string(obj)) scm_wrong_type_arg_msg(subr, pos, obj, "string");
}

void checkStringOrFalse(SCM obj, int pos, const char* subr) {
    if (!scm_is_string(obj) && !scm_is_false(obj))
        scm_wrong_type_arg_msg(subr, pos, obj, "string or #f");
}

void checkStringOrBytevector(SCM obj, int pos, const char* subr) {
    if (!scm_is_string(obj) && !scm_is_bytevector(obj))
        scm_wrong_type_arg_msg(subr, pos, obj, "string or bytevector");
}

void checkBytevector(SCM obj, int pos, const char* subr) {
    if (!scm_is_bytevector(obj)) scm_wrong_type_arg_msg(subr, pos, obj, "bytevector");
}

void checkList(SCM obj, int pos, const char* subr) {
    if (scm_ilength(obj) < 0) scm_wrong_type_arg_msg(subr, pos, obj, "list");
}

void checkSymbolOrString(SCM obj, int pos, const char* subr) {
    if (!scm_is_symbol(obj) && !scm_is_string(obj))
        scm_wrong_type_arg_msg(subr, pos, obj, "symbol or string");
}

} // namespace ferrix::guile
