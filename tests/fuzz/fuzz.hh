// What the libFuzzer targets share: the input as text, a scratch directory of their own, and a
// failure that libFuzzer records as a crash with the reason printed first.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ferrix::fuzz {

inline std::string_view text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A directory made once per process under $TMPDIR (else /tmp), for targets that touch files.
const std::string& scratchDir();

// Prints "fuzz: WHAT" and the bytes involved (escaped), then aborts: a broken invariant, not a
// refused input.
[[noreturn]] void fail(std::string_view what, std::string_view expected = {},
                       std::string_view got = {});

} // namespace ferrix::fuzz
