// The command line, in C++ for now: `ferrix hash`, `ferrix store ...`, `ferrix show-derivation`.
// Exit status: 0 ok, 1 failure, 2 usage error.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ferrix::cli {

int main(int argc, char** argv);

// Runs one command as `ferrix [--store=ROOT] [--store-dir=DIR] COMMAND ARGS...` would: prints its
// output and its errors and returns the exit status (2 for usage errors and unknown commands).
// Catches every exception; flushes standard output before returning.
int run(const std::string& command, const std::vector<std::string>& args,
        const std::optional<std::string>& storeRoot = std::nullopt,
        const std::optional<std::string>& storeDir = std::nullopt);

} // namespace ferrix::cli
