// Conversions between Scheme values and C++ values, for the C++ side of guarded primitives. Each
// function makes its Scheme calls through the trampoline (guard.hh), so it may be called with C++
// objects alive. Types are expected to have been checked already (guard.hh, step 1); the list
// conversions check their elements themselves and raise wrong-type-arg naming SUBR and POS.
#pragma once

#include "guard.hh"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferrix::guile {

// --- Scheme -> C++.

// A string's UTF-8 encoding.
std::string toString(SCM s);
// #f -> nullopt.
std::optional<std::string> toStringOpt(SCM s);
// A bytevector's bytes, or a string's UTF-8 encoding.
std::string toBytes(SCM s);
// A symbol's or a string's name (hash algorithms: 'sha256 or "sha256").
std::string toName(SCM s);

// A proper list of strings.
std::vector<std::string> toStringList(SCM list, const char* subr, int pos);
// A proper list of non-empty lists of strings: ((a b c) (d) ...).
std::vector<std::vector<std::string>> toStringLists(SCM list, const char* subr, int pos);
// A proper list of pairs of strings: ((k . v) ...).
std::vector<std::pair<std::string, std::string>> toStringAlist(SCM list, const char* subr, int pos);

// --- C++ -> Scheme. Each runs one trampoline.

SCM fromString(std::string_view s);
SCM fromStringList(const std::vector<std::string>& strings);
SCM fromBytes(std::string_view bytes); // a bytevector

// --- For use inside scheme() lambdas only (they call libguile directly).

// A Scheme string from UTF-8 bytes; bytes that are not valid UTF-8 become '?' rather than
// raising a decoding error.
SCM utf8(std::string_view s);
SCM bytevector(std::string_view bytes);

} // namespace ferrix::guile
