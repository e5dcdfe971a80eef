// How long builds took, by derivation name: the scheduler's estimate of a build's cost when it
// orders the ready queue (critical path first). Kept in ROOT/var/ferrix/durations, one
// "SECONDS NAME" line per name, the last build's. See doc/build.md, "Jobs and the jobserver".
#pragma once

#include "ferrix/store.hh"

#include <map>
#include <optional>
#include <string>

namespace ferrix {

class BuildDurations {
public:
    // Reads the file; a missing or unreadable one is an empty table (these are estimates).
    explicit BuildDurations(const LocalStore& store);

    std::optional<double> lookup(const std::string& name) const;
    void record(const std::string& name, double seconds);
    // Writes what was recorded over what the file holds now (another run may have written
    // meanwhile), through a new file renamed into place. Errors are ignored.
    void save() const;

private:
    std::string file;
    std::map<std::string, double> known, recorded;
};

} // namespace ferrix
