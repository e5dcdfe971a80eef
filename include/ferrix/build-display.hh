// Build events shown to people: plain lines, or on a terminal the same lines with a live block of
// the running builds and downloads kept below them.
#pragma once

#include "ferrix/build-events.hh"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ferrix {

// How much a display shows.
struct DisplayOptions {
    // 0: failures and notes only (-q); 1: a line per build and download; 2: also each per-crate
    // unit's own lines and cargo's Fresh lines (-v); 3: also every line of the builders' output.
    unsigned verbosity = 1;
    bool backtraces = false; // a failure also shows the build side's backtrace (--debug)
};

// A line in cargo's layout: VERB right-aligned in 12 columns, then TEXT; VERB bold in COLOUR (an
// SGR number, 32 green, 36 cyan) when `colour`.
std::string cargoStatus(const std::string& verb, const std::string& text, bool colour = false,
                        int colourCode = 32);

// What cargo prints for the events of per-crate units (events with a package), as its job queue
// does: `Compiling NAME vVERSION` when the first unit of a package starts, nothing for the
// others nor for their ends; failures as describeEvent. Verbose, also describeEvent's lines of
// each unit and `Fresh NAME vVERSION` once per package with a unit valid before the run. Other
// events: describeEvent's lines.
class UnitLines {
public:
    explicit UnitLines(bool colour = false, bool verbose = false)
        : colour(colour), verbose(verbose) {}
    std::string line(const BuildEvent& e);

private:
    bool colour, verbose;
    std::set<std::string> compiled; // NAME vVERSION of the packages said Compiling or Fresh
};

// The name cargo's progress bar gives a running unit: the package, with "(build)" for a build
// script run, "(build.rs)" for its compilation, "(test)" for a test.
std::string unitProgressName(const BuildEvent& e);

// Cargo's progress line, `    Building [=====>    ] DONE/TOTAL: NAMES`, at most WIDTH columns:
// the bar shrinks first, then NAMES are cut with "...".
std::string progressLine(size_t done, size_t total, const std::vector<std::string>& names,
                         size_t width);

// What a display writes for `e` with `options` (without a newline; empty: nothing).
std::string displayText(UnitLines& lines, const BuildEvent& e, const DisplayOptions& options);

// One line per event that says something (describeEvent), written to `fd`.
class PlainDisplay : public BuildObserver {
public:
    explicit PlainDisplay(int fd, bool verbose = false)
        : PlainDisplay(fd, DisplayOptions{.verbosity = verbose ? 2u : 1u}) {}
    PlainDisplay(int fd, DisplayOptions options)
        : fd(fd), options(options), lines(false, options.verbosity >= 2) {}
    void event(const BuildEvent& e) override;

private:
    int fd;
    DisplayOptions options;
    UnitLines lines;
};

// The display `ferrix build` uses on `fd`: live on a terminal (unless TERM=dumb), plain lines
// otherwise; nothing at all when fd is negative. `verbose`: as UnitLines.
std::unique_ptr<BuildObserver> makeDisplay(int fd, bool verbose = false);
std::unique_ptr<BuildObserver> makeDisplay(int fd, DisplayOptions options);

} // namespace ferrix
