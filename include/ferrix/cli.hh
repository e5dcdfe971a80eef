// The command line, in C++ for now: `ferrix hash`, `ferrix store ...`, `ferrix show-derivation`.
// Exit status: 0 ok, 1 failure, 2 usage error.
#pragma once

namespace ferrix::cli {

int main(int argc, char** argv);

} // namespace ferrix::cli
