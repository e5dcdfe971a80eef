// Build events shown to people: plain lines, or on a terminal the same lines with a live block of
// the running builds and downloads kept below them.
#pragma once

#include "ferrix/build-events.hh"

#include <memory>

namespace ferrix {

// One line per event that says something (describeEvent), written to `fd`.
class PlainDisplay : public BuildObserver {
public:
    explicit PlainDisplay(int fd) : fd(fd) {}
    void event(const BuildEvent& e) override;

private:
    int fd;
};

// The display `ferrix build` uses on `fd`: live on a terminal (unless TERM=dumb), plain lines
// otherwise; nothing at all when fd is negative.
std::unique_ptr<BuildObserver> makeDisplay(int fd);

} // namespace ferrix
