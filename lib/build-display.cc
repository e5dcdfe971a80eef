// The displays of build events: plain lines, and the live terminal display.
#include "ferrix/build-display.hh"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>
#include <sys/ioctl.h>
#include <thread>
#include <unistd.h>

namespace ferrix {

namespace {

using Clock = std::chrono::steady_clock;

void writeAll(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; // progress output is best effort
        s.remove_prefix(size_t(n));
    }
}

// The plain lines with, below them, one line per running build (name, phase, elapsed seconds), a
// bar per file being downloaded and a total of the downloads (files done out of all, bytes).
class TerminalDisplay : public BuildObserver {
public:
    TerminalDisplay(int fd, DisplayOptions options)
        : fd(fd), options(options), unitLines(true, options.verbosity >= 2) {
        ticker = std::thread([this] { tick(); });
    }
    ~TerminalDisplay() override {
        {
            std::lock_guard lk(m);
            stopping = true;
            clearBlock();
        }
        cv.notify_all();
        if (ticker.joinable()) ticker.join();
    }

    void event(const BuildEvent& e) override {
        using K = BuildEvent::Kind;
        std::lock_guard lk(m);
        switch (e.kind) {
        case K::Started:
            running[e.drv] = Running{e.name, "", Clock::now(), e.download};
            if (!e.package.empty()) {
                units = true;
                running[e.drv].progressName = unitProgressName(e);
            }
            break;
        case K::Finished:
        case K::Failed:
            running.erase(e.drv);
            if (!e.download) buildsDone++;
            break;
        case K::Fresh:
            break;
        case K::DownloadsPlanned:
            downloadsTotal = e.total;
            buildsTotal = e.builds;
            return;
        case K::Downloaded:
            if (running.erase(e.drv)) {
                downloadsDone++;
                bytesDone += e.done;
            }
            break;
        case K::Phase:
            if (auto it = running.find(e.drv); it != running.end()) it->second.phase = e.text;
            break;
        case K::DownloadProgress: {
            auto it = running.find(e.drv);
            if (it == running.end()) return;
            it->second.got = e.done;
            it->second.total = e.total;
            // Bars move a few times a second, not only at the ticker's second.
            if (Clock::now() - lastDraw < std::chrono::milliseconds(250)) return;
            break;
        }
        case K::AlreadyValid:
            buildsDone++;
            return;
        case K::OutputValid:
            return;
        case K::LogLine:
            if (options.verbosity < 3) return;
            break;
        default:
            break;
        }
        std::string line = displayText(unitLines, e, options);
        clearBlock();
        if (!line.empty()) writeAll(fd, line + "\n");
        drawBlock();
    }

private:
    struct Running {
        std::string name, phase;
        Clock::time_point start;
        bool download = false;
        uint64_t got = 0, total = 0;
        std::string progressName{}; // a per-crate unit's, for the bar
    };
    void clearBlock() {
        std::string s;
        for (size_t i = 0; i < shown; i++)
            s += "\033[1A\033[2K";
        writeAll(fd, s);
        shown = 0;
    }
    void drawBlock() {
        if (stopping || options.verbosity == 0) return; // quiet: no live block either
        std::string s;
        auto now = Clock::now();
        size_t lines = 0, downloading = 0;
        uint64_t bytes = bytesDone;
        // Per-crate units: one line, cargo's progress bar; other builds keep theirs.
        if (units) {
            std::vector<std::string> names;
            for (auto& [key, r] : running)
                if (!r.progressName.empty()) names.push_back(r.progressName);
            std::string bar = progressLine(buildsDone, buildsTotal, names, terminalWidth());
            // The verb in cargo's colour: bold cyan.
            size_t verb = bar.find("Building");
            if (verb != std::string::npos)
                bar = bar.substr(0, verb) + "\033[1m\033[36mBuilding\033[0m" + bar.substr(verb + 8);
            s += bar + "\n";
            lines++;
        }
        for (auto& [key, r] : running) {
            if (!r.progressName.empty()) continue;
            if (r.download) {
                downloading++;
                bytes += r.got;
                if (downloading > maxBars) continue;
                s += "  " + progressBar(r.got, r.total) + " " + r.name + "\n";
                lines++;
                continue;
            }
            auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - r.start).count();
            s += "  [" + std::to_string(secs) + "s] " + r.name;
            if (!r.phase.empty()) s += " (" + r.phase + ")";
            s += "\n";
            lines++;
        }
        if (downloading > maxBars) {
            s += "  ... and " + std::to_string(downloading - maxBars) + " more downloading\n";
            lines++;
        }
        if (downloadsTotal > 0 && (downloading > 0 || downloadsDone < downloadsTotal)) {
            s += "  downloads: " + std::to_string(downloadsDone) + "/" +
                 std::to_string(downloadsTotal) + " files, " + humanSize(bytes) + "\n";
            lines++;
        }
        writeAll(fd, s);
        shown = lines;
        lastDraw = now;
    }
    void tick() {
        std::unique_lock lk(m);
        while (!stopping) {
            cv.wait_for(lk, std::chrono::seconds(1));
            if (stopping) break;
            if (!running.empty()) {
                clearBlock();
                drawBlock();
            }
        }
    }

    static constexpr size_t maxBars = 10;
    static std::string progressBar(uint64_t got, uint64_t total) {
        constexpr int width = 20;
        std::string bar = "[";
        int filled = total ? int(double(got) / double(total) * width) : 0;
        for (int i = 0; i < width; i++)
            bar += i < filled ? '#' : (total ? '.' : ' ');
        bar += "] ";
        if (total) {
            char pct[8];
            std::snprintf(pct, sizeof pct, "%3d%%", int(double(got) * 100 / double(total)));
            bar += std::string(pct) + " " + humanSize(got) + "/" + humanSize(total);
        } else {
            bar += humanSize(got);
        }
        return bar;
    }

    size_t terminalWidth() const {
        struct winsize w {};
        if (::ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
        return 80;
    }

    int fd;
    DisplayOptions options;
    UnitLines unitLines;
    bool units = false; // a per-crate unit started: the block shows cargo's bar
    size_t buildsTotal = 0, buildsDone = 0;
    size_t downloadsTotal = 0, downloadsDone = 0;
    uint64_t bytesDone = 0;
    Clock::time_point lastDraw;
    std::mutex m;
    std::condition_variable cv;
    bool stopping = false;
    std::map<std::string, Running> running;
    size_t shown = 0;
    std::thread ticker; // the last member: started once the others exist
};

} // namespace

std::string cargoStatus(const std::string& verb, const std::string& text, bool colour,
                        int colourCode) {
    std::string pad(verb.size() < 12 ? 12 - verb.size() : 0, ' ');
    if (!colour) return pad + verb + " " + text;
    return pad + "\033[1m\033[" + std::to_string(colourCode) + "m" + verb + "\033[0m " + text;
}

std::string UnitLines::line(const BuildEvent& e) {
    using K = BuildEvent::Kind;
    if (e.package.empty() || e.check) return describeEvent(e);
    std::string pkg = e.package + " v" + e.version;
    switch (e.kind) {
    case K::Started: {
        std::string own = verbose ? describeEvent(e) : "";
        if (!compiled.insert(pkg).second) return own;
        return cargoStatus("Compiling", pkg, colour) + (own.empty() ? "" : "\n" + own);
    }
    case K::Fresh:
        if (!verbose || !compiled.insert(pkg).second) return "";
        return cargoStatus("Fresh", pkg, colour);
    case K::Finished:
        return verbose ? describeEvent(e) : "";
    case K::AlreadyValid:
        return "";
    default:
        return describeEvent(e);
    }
}

std::string unitProgressName(const BuildEvent& e) {
    if (e.action == "build-script-run") return e.package + "(build)";
    if (e.action == "build-script") return e.package + "(build.rs)";
    if (e.action == "test") return e.package + "(test)";
    return e.package;
}

std::string progressLine(size_t done, size_t total, const std::vector<std::string>& names,
                         size_t width) {
    const std::string prefix = cargoStatus("Building", "");
    std::string stats = " " + std::to_string(done) + "/" + std::to_string(total);
    // The bar: as wide as half of what is left, between 10 and 40 columns, 0 if even 10 do not fit.
    size_t fixed = prefix.size() + 2 + stats.size();
    size_t left = width > fixed ? width - fixed : 0;
    size_t barWidth = std::min<size_t>(40, left / 2);
    if (barWidth < 10) barWidth = left >= 10 ? 10 : 0;
    std::string line = prefix;
    if (barWidth > 0) {
        size_t filled = total ? std::min(barWidth, barWidth * done / total) : 0;
        line += "[";
        for (size_t i = 0; i < barWidth; i++)
            line += i + 1 < filled ? '=' : i + 1 == filled ? (done >= total ? '=' : '>') : ' ';
        line += "]";
    }
    line += stats;
    if (line.size() > width) return line.substr(0, width);
    std::string list;
    for (auto& n : names)
        list += (list.empty() ? "" : ", ") + n;
    if (list.empty()) return line;
    size_t room = width - line.size();
    if (room < 2 + 4) return line; // not even ": a..."
    room -= 2;
    if (list.size() > room) list = list.substr(0, room - 3) + "...";
    return line + ": " + list;
}

std::string displayText(UnitLines& lines, const BuildEvent& e, const DisplayOptions& options) {
    using K = BuildEvent::Kind;
    if (e.kind == K::LogLine) return options.verbosity >= 3 ? e.text : "";
    // Quiet: what went wrong, and notes such as a kept build directory.
    if (options.verbosity == 0 && e.kind != K::Failed && e.kind != K::Message) return "";
    std::string text = lines.line(e);
    // --debug: the build side's backtrace, before the log's name.
    if (e.kind == K::Failed && options.backtraces && !e.backtrace.empty()) {
        size_t log = text.rfind("\nlog: ");
        text.insert(log == std::string::npos ? text.size() : log, "\n" + e.backtrace);
    }
    return text;
}

void PlainDisplay::event(const BuildEvent& e) {
    std::string line = displayText(lines, e, options);
    if (!line.empty()) writeAll(fd, line + "\n");
}

std::unique_ptr<BuildObserver> makeDisplay(int fd, bool verbose) {
    return makeDisplay(fd, DisplayOptions{.verbosity = verbose ? 2u : 1u});
}

std::unique_ptr<BuildObserver> makeDisplay(int fd, DisplayOptions options) {
    if (fd < 0) return std::make_unique<NullObserver>();
    const char* term = std::getenv("TERM");
    if (::isatty(fd) && !(term && std::strcmp(term, "dumb") == 0))
        return std::make_unique<TerminalDisplay>(fd, options);
    return std::make_unique<PlainDisplay>(fd, options);
}

} // namespace ferrix
