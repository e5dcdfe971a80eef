// What a build reports as it goes: events and the observer that receives them (Nix's logger with
// its activities and results). The scheduler, the builder and the downloader report; displays
// (build-display.hh) and embedding programs listen.
#pragma once

#include "ferrix/error.hh"

#include <cstdint>
#include <string>

namespace ferrix {

// A build (or a --check) failed. what() is the summary; the details went to the observer.
class BuildError : public Error {
    using Error::Error;
};

struct BuildEvent {
    enum class Kind {
        Message,          // text: a note for people ("note: keeping build directory ...")
        Waiting,          // path: an output another process is building; we wait for its lock
        Started,          // drv, name, check; download: a builtin:download (says nothing yet)
        Phase,            // drv, text: the phase the builder started
        LogLine,          // drv, text: a line of the builder's output (also in the log file)
        Finished,         // drv, check, seconds; text: the line to show instead, if any
        Failed,           // drv, text: the error; logPath; from the log (build-failure.hh):
                          // phase, cause, errors (the compiler's) or logTail, backtrace
        AlreadyValid,     // drv: built by another process while we waited for the locks
        OutputValid,      // drv, name, text: the output, path: its store path; registered early,
                          // while its builder still runs (the builder declared it complete)
        DownloadsPlanned, // total: builtin:download derivations this run will fetch; builds: the
                          // other derivations it builds (the plan, the run's first event)
        DownloadStarted,  // drv (empty for downloadToStore), url, via: the first attempt at a URL
        DownloadProgress, // drv, done, total (0: unknown) bytes of the current attempt
        DownloadRetry,    // drv, url, text (the error), seconds until the next attempt
        Downloaded,       // drv, url, done (bytes), seconds
        Fresh,            // drv, name: valid before the run (reported with reportValid only)
    };
    Kind kind;
    // Default-initialised members, so that events are written with designated initializers.
    std::string drv{};  // the .drv's full path
    std::string name{}; // the derivation's name
    std::string path{}; // Waiting: the output's full path
    std::string url{}, via{};
    std::string text{};
    std::string logPath{}, logTail{};
    std::string phase{}, cause{}, errors{}; // Failed
    std::string backtrace{};                // Failed: the build side's, from its log
    bool truncated = false;                 // Failed: errors are the first of the log's
    uint64_t done = 0, total = 0;
    uint64_t builds = 0; // DownloadsPlanned
    double seconds = 0;
    bool check = false;    // Started, Finished: a --check rebuild
    bool download = false; // Started: a builtin:download
    // Started, Finished, Failed, AlreadyValid, Fresh: what the derivation says it is for people,
    // from its env attributes ferrixPackage, ferrixVersion and ferrixAction (a per-crate unit:
    // "regex", "1.7.1", "lib"); empty when it says nothing.
    std::string package{}, version{}, action{};

    // The kind's name, as Scheme sees it ("started", "log-line", "download-retry"...).
    static const char* kindName(Kind k);
};

// Receives the events of a run. Calls come from the run's threads but one at a time (the
// scheduler serialises them); keep them quick, builds wait for them.
class BuildObserver {
public:
    virtual ~BuildObserver() = default;
    virtual void event(const BuildEvent& e) = 0;
};

// Forwards each event to two observers, in order (a display and a timings recorder).
class TeeObserver : public BuildObserver {
public:
    TeeObserver(BuildObserver& first, BuildObserver& second) : first(first), second(second) {}
    void event(const BuildEvent& e) override {
        first.event(e);
        second.event(e);
    }

private:
    BuildObserver &first, &second;
};

// Events to nowhere.
class NullObserver : public BuildObserver {
public:
    void event(const BuildEvent&) override {}
};

// The line a person reads for an event, as `ferrix build` prints it; empty when the event shows
// nothing by itself (phases, log lines, byte counts, a download's start...).
std::string describeEvent(const BuildEvent& e);

// "1.2 KiB", "3.40 GiB".
std::string humanSize(uint64_t n);
// A delay for people: "0.05 s", "1.2 s".
std::string secondsText(double s);

} // namespace ferrix
