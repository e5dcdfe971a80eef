// Build events shown to people: plain lines, or on a terminal the same lines with a live block of
// the running builds and downloads kept below them.
#pragma once

#include "ferrix/build-events.hh"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ferrix {

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

// One line per event that says something (describeEvent), written to `fd`.
class PlainDisplay : public BuildObserver {
public:
    explicit PlainDisplay(int fd, bool verbose = false) : fd(fd), lines(false, verbose) {}
    void event(const BuildEvent& e) override;

private:
    int fd;
    UnitLines lines;
};

// The display `ferrix build` uses on `fd`: live on a terminal (unless TERM=dumb), plain lines
// otherwise; nothing at all when fd is negative. `verbose`: as UnitLines.
std::unique_ptr<BuildObserver> makeDisplay(int fd, bool verbose = false);

} // namespace ferrix
