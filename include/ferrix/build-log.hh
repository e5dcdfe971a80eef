// Build logs: where a derivation's log is kept, the writer that fills it (and reports its lines),
// and the tail shown when a build fails.
#pragma once

#include "ferrix/build-events.hh"
#include "ferrix/file.hh"
#include "ferrix/store.hh"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ferrix {

// Where the log of the derivation `drv` is kept: ROOT/var/log/ferrix/drvs/XX/REST.log, XX being
// the first two characters of the .drv's base name.
std::string buildLogPath(const LocalStore& store, const StorePath& drv);
// The log for a .drv path or for an output (through its deriver), if there is one.
std::optional<std::string> findBuildLog(LocalStore& store, const std::string& path);

// The last `n` lines of the file at `path` (of its last 64 KiB), without the final newline; ""
// when it cannot be read.
std::string logTail(const std::string& path, unsigned n);

// A log being written: creates (truncates) the file, appends what it is given and reports each
// complete line, as a LogLine event of `drv`, and each "starting phase `NAME'" line, as a Phase
// event, to `report`.
class BuildLogWriter {
public:
    using Report = std::function<void(const BuildEvent&)>;
    BuildLogWriter(const std::string& path, std::string drv, Report report);
    // Builder output, in chunks as they come.
    void append(std::string_view chunk);
    // A line of our own (the downloader's attempts), not reported.
    void line(std::string_view text);
    // Reports what is left of an unterminated last line.
    void flush();
    // Called with NAME for each line "@ferrix output-complete NAME", by which a builder declares,
    // while it still runs, that its output NAME is complete (kept in the log, not reported).
    std::function<void(const std::string&)> onOutputComplete;

private:
    AutoCloseFD fd;
    std::string drv, partial;
    Report report;
};

} // namespace ferrix
