// A failed build's log read for its cause.
#include "ferrix/build-failure.hh"

#include "ferrix/file.hh"

#include <algorithm>
#include <cctype>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace ferrix {

namespace {

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view l = text.substr(0, nl);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        lines.push_back(l);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return lines;
}

bool blank(std::string_view l) {
    return std::all_of(l.begin(), l.end(), [](unsigned char c) { return std::isspace(c); });
}

// A line starting a diagnostic of rustc or cargo that is an error.
bool errorStart(std::string_view l) {
    return (l.starts_with("error[") || l.starts_with("error:")) &&
           !l.starts_with("error: in phase '");
}

// A line of cargo's that sums up failures said above it rather than being a compiler error:
// "error: test failed, to rerun pass `--lib`", "error: 2 targets failed:", "error: could not
// compile `foo` (lib) due to 1 previous error", and the per-crate build side's like them.
bool cargoSummary(std::string_view l) {
    static constexpr std::string_view starts[] = {"error: test failed, to rerun pass ",
                                                  "error: doctest failed, to rerun pass ",
                                                  "error: could not compile `"};
    for (auto s : starts)
        if (l.starts_with(s)) return true;
    // The per-crate build side's own, which come after the output they sum up: "error: test
    // `foo' 0.1.0 (doctests) failed", "error: failed to run custom build command for `foo' 0.1.0
    // (custom-build)" (cargo's says "`foo v0.1.0`" and its cause follows: a compiler error).
    if (l.starts_with("error: test `") && l.ends_with(" failed")) return true;
    if (l.starts_with("error: failed to run custom build command for `") &&
        l.ends_with(" (custom-build)"))
        return true;
    constexpr std::string_view error = "error: ";
    if (!l.starts_with(error)) return false;
    size_t i = error.size(), digits = l.find_first_not_of("0123456789", i);
    if (digits == i || digits == std::string_view::npos) return false;
    auto rest = l.substr(digits);
    return rest.starts_with(" target failed") || rest.starts_with(" targets failed");
}

// The failures libtest reports at the end of its last run before `end`: from its "failures:"
// line to its "test result:" line (each test's panic and assertion message, then their names);
// [from, to) in `lines`, or from == to if there is none.
std::pair<size_t, size_t> testFailures(const std::vector<std::string_view>& lines, size_t end) {
    size_t result = end;
    for (size_t i = end; i-- > 0;)
        if (lines[i].starts_with("test result: FAILED")) {
            result = i;
            break;
        }
    if (result == end) return {end, end};
    size_t from = result;
    for (size_t i = result; i-- > 0;) {
        if (lines[i] == "failures:") from = i;
        if (lines[i].starts_with("running ")) break;
    }
    return {from, from == result ? result : result + 1};
}

// A line that starts something else than the current block: another diagnostic, cargo's status
// lines, the build side's phase lines.
bool otherStart(std::string_view l) {
    static constexpr std::string_view starts[] = {
        "warning:", "warning[", "error:", "error[", "starting phase `", "phase `", "Backtrace:"};
    for (auto s : starts)
        if (l.starts_with(s)) return true;
    // cargo's right-aligned status verbs: "   Compiling foo v0.1.0".
    size_t i = l.find_first_not_of(' ');
    if (i == std::string_view::npos || i < 2 || i > 11) return false;
    size_t space = l.find(' ', i);
    if (space == std::string_view::npos || !std::isupper((unsigned char)l[i])) return false;
    auto word = l.substr(i, space - i);
    return std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isalpha(c); });
}

// A frame or heading of Guile's backtrace ("In ice-9/boot-9.scm:", "  1752:10  5 (f x)").
bool backtraceLine(std::string_view l) {
    if (l.starts_with("In ") && l.ends_with(":")) return true;
    size_t i = l.find_first_not_of(' ');
    if (i == std::string_view::npos || !std::isdigit((unsigned char)l[i])) return false;
    size_t paren = l.find(" (", i);
    return paren != std::string_view::npos &&
           l.substr(i, paren - i).find_first_not_of("0123456789: ") == std::string_view::npos;
}

std::string join(const std::vector<std::string_view>& lines, size_t from, size_t to) {
    std::string s;
    for (size_t i = from; i < to; i++) {
        if (i > from) s += '\n';
        s += lines[i];
    }
    return s;
}

} // namespace

BuildFailure BuildFailure::parse(std::string_view log, unsigned tailLines, unsigned maxErrorLines) {
    BuildFailure f;
    auto lines = splitLines(log);
    // The build side's error line, the last one: "error: in phase 'NAME': MESSAGE", MESSAGE
    // going on until the phase's "failed after" line.
    constexpr std::string_view inPhase = "error: in phase '";
    size_t errorLine = lines.size();
    for (size_t i = lines.size(); i-- > 0;)
        if (lines[i].starts_with(inPhase)) {
            errorLine = i;
            break;
        }
    size_t end = lines.size(); // where the backtrace begins
    if (errorLine < lines.size()) {
        std::string_view l = lines[errorLine].substr(inPhase.size());
        size_t quote = l.find("': ");
        f.phase = std::string(l.substr(0, quote));
        f.error = quote == std::string_view::npos ? "" : std::string(l.substr(quote + 3));
        std::string failedLine = "phase `" + f.phase + "' failed after";
        size_t i = errorLine + 1;
        for (; i < lines.size() && i < errorLine + 40; i++) {
            if (lines[i].starts_with(failedLine) || lines[i] == "Backtrace:") break;
            f.error += "\n" + std::string(lines[i]);
        }
        for (size_t j = i; j < lines.size(); j++)
            if (lines[j] == "Backtrace:") {
                end = j;
                break;
            }
    } else {
        // No error line of ours: an error Guile reported, after its backtrace.
        for (size_t i = lines.size(); i-- > 0;)
            if (lines[i] == "Backtrace:") {
                end = i;
                break;
            }
        if (end < lines.size()) {
            size_t last = end;
            for (size_t i = end + 1; i < lines.size(); i++)
                if (backtraceLine(lines[i])) last = i;
            for (size_t i = last + 1; i < lines.size(); i++) {
                if (blank(lines[i])) continue;
                if (!f.error.empty()) f.error += "\n";
                f.error += lines[i];
            }
        }
    }
    size_t scanEnd = std::min(end, errorLine);
    if (end < lines.size()) f.backtrace = join(lines, end, std::min(lines.size(), end + 200));

    // Compiler errors: whole blocks, up to a blank line (a "Caused by:" after one goes on).
    // cargo's summaries of failures ("error: test failed, ...") are no compiler errors: when
    // there are only them, the failures they sum up are shown instead.
    std::vector<std::string_view> errors, summaries;
    size_t shown = 0, total = 0, compilerBlocks = 0;
    for (size_t i = 0; i < scanEnd;) {
        if (!errorStart(lines[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < scanEnd) {
            if (blank(lines[j])) {
                size_t k = j + 1;
                while (k < scanEnd && blank(lines[k]))
                    k++;
                if (k < scanEnd && lines[k].starts_with("Caused by:")) {
                    j = k + 1;
                    continue;
                }
                break;
            }
            if (otherStart(lines[j])) break;
            j++;
        }
        if (cargoSummary(lines[i]))
            summaries.insert(summaries.end(), lines.begin() + i, lines.begin() + j);
        else
            compilerBlocks++;
        total += j - i;
        for (size_t k = i; k < j; k++)
            if (shown < maxErrorLines) {
                errors.push_back(lines[k]);
                shown++;
            }
        if (shown < maxErrorLines && j - i > 1) {
            errors.push_back("");
            shown++;
        }
        i = j;
    }
    while (!errors.empty() && errors.back().empty())
        errors.pop_back();
    f.truncated = total > shown;
    f.compilerErrors = join(errors, 0, errors.size());

    if (compilerBlocks == 0 && !summaries.empty()) {
        // Only cargo's summaries, of a test suite that failed: libtest's failures, then them;
        // without those, the tail below, that has the summaries.
        f.compilerErrors.clear();
        f.truncated = false;
        auto [from, to] = testFailures(lines, scanEnd);
        if (from < to) {
            std::vector<std::string_view> kept;
            size_t i = from;
            for (; i < to && kept.size() < maxErrorLines; i++)
                if (!blank(lines[i]) || kept.empty() || !blank(kept.back()))
                    kept.push_back(lines[i]);
            f.truncated = i < to;
            kept.push_back("");
            kept.insert(kept.end(), summaries.begin(), summaries.end());
            f.tail = join(kept, 0, kept.size());
            return f;
        }
    }
    if (f.compilerErrors.empty()) {
        // The last lines before the error line (or the backtrace), without the phase banners.
        std::vector<std::string_view> kept;
        for (size_t i = scanEnd; i-- > 0 && kept.size() < tailLines;) {
            std::string_view l = lines[i];
            // The phase banners: the phase is said apart.
            if (l.starts_with("starting phase `") ||
                (l.starts_with("phase `") &&
                 (l.find("' failed after") != std::string_view::npos ||
                  l.find("' succeeded after") != std::string_view::npos)))
                continue;
            if (kept.empty() && blank(l)) continue;
            kept.push_back(l);
        }
        std::reverse(kept.begin(), kept.end());
        while (!kept.empty() && blank(kept.front()))
            kept.erase(kept.begin());
        f.tail = join(kept, 0, kept.size());
    }
    return f;
}

std::string readLogText(const std::string& path, size_t maxBytes) {
    AutoCloseFD fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return "";
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return "";
    off_t from = std::max<off_t>(0, st.st_size - off_t(maxBytes));
    std::string data(size_t(st.st_size - from), '\0');
    ssize_t got = ::pread(fd.get(), data.data(), data.size(), from);
    if (got < 0) return "";
    data.resize(size_t(got));
    if (from > 0) {
        size_t nl = data.find('\n');
        data.erase(0, nl == std::string::npos ? data.size() : nl + 1);
    }
    return data;
}

} // namespace ferrix
