// The timings of a run, as cargo's --timings: an observer that records each derivation's start and
// end (built, already valid, failed) and samples the CPU's use, then writes a self-contained HTML
// report. Composed with a display through TeeObserver (build-events.hh).
#pragma once

#include "ferrix/build-events.hh"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ferrix {

// What the report's summary says beyond the events.
struct TimingsInfo {
    std::string command{};       // the command line, for the title
    std::string ferrixVersion{}; // "ferrix 0.1.0"
    std::string rustcVersion{};  // "rustc 1.85.0", empty if unknown
    unsigned jobs = 1;           // -M
    std::string profile{};       // "`release` profile [optimized]", empty if none
};

class BuildTimings : public BuildObserver {
public:
    // A derivation of the run: built (start, end), already valid (Fresh, AlreadyValid) or failed.
    struct Unit {
        std::string drv, name, package, version, action;
        double start = 0, end = 0; // seconds since the observer was made
        enum class State { Running, Built, Valid, Failed } state = State::Running;
    };
    // A moment of the run: units running, waiting (planned, not started), the CPU's use (0-1).
    struct Sample {
        double time = 0;
        size_t running = 0, waiting = 0;
        double cpu = -1; // -1: not known
    };

    // Starts the clock and the sampling of /proc/stat (every `period`).
    explicit BuildTimings(std::chrono::milliseconds period = std::chrono::milliseconds(200));
    ~BuildTimings() override;
    void event(const BuildEvent& e) override;
    // Stops the clock and the sampling; the report covers the run until then.
    void stop();

    const std::vector<Unit>& units() const { return all; }
    std::vector<Sample> samples() const;
    double elapsed() const { return wall; }

    // The report as one HTML document: no external resource.
    std::string html(const TimingsInfo& info) const;
    // Writes html() to FILE (its directory created if needed).
    void write(const std::string& file, const TimingsInfo& info) const;

private:
    double now() const;
    void sample();
    void loop(std::chrono::milliseconds period);

    std::chrono::steady_clock::time_point start;
    double wall = -1; // set by stop()
    mutable std::mutex m;
    std::condition_variable cv;
    bool stopping = false;
    std::vector<Unit> all;
    std::vector<Sample> taken;
    size_t planned = 0, running = 0, finished = 0, peak = 0;
    unsigned long long lastBusy = 0, lastTotal = 0;
    std::thread sampler; // the last member: started once the others exist
};

} // namespace ferrix
