// What a failed build's log says went wrong, read as a person reads it: the phase that failed,
// the build side's error (the failing command and its status), and the compiler's errors (rustc
// and cargo `error` blocks, whole, warnings left out), or else the log's last lines, without the
// Scheme backtrace the build side prints after them. The scheduler puts it in the Failed event;
// displays draw it.
#pragma once

#include <string>
#include <string_view>

namespace ferrix {

struct BuildFailure {
    std::string phase;          // "build", from the build side's error line; empty if none
    std::string error;          // that line's message: "command \"cargo\" ... failed with ..."
    std::string compilerErrors; // the `error[...]`/`error:` blocks, lines joined by '\n'
    std::string tail;           // the last lines before the backtrace, when no compiler error
    bool truncated = false;     // compilerErrors was cut: the log has more of them
    std::string backtrace;      // the build side's Scheme backtrace and uncaught error, if any

    // Reads the text of a log. `tailLines`: how many lines `tail` keeps; `maxErrorLines`: how
    // many lines of compiler errors are kept before the rest is left to the log.
    static BuildFailure parse(std::string_view log, unsigned tailLines = 20,
                              unsigned maxErrorLines = 120);
};

// The text of the log at `path` (its last `maxBytes`, from a line's start); "" if unreadable.
std::string readLogText(const std::string& path, size_t maxBytes = 8 << 20);

} // namespace ferrix
