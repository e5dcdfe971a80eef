// The displays of build events: plain lines, and the live terminal display.
#include "ferrix/build-display.hh"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>
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
    explicit TerminalDisplay(int fd) : fd(fd) {
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
            break;
        case K::Finished:
        case K::Failed:
            running.erase(e.drv);
            break;
        case K::DownloadsPlanned:
            downloadsTotal = e.total;
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
        case K::LogLine:
        case K::AlreadyValid:
        case K::OutputValid:
            return;
        default:
            break;
        }
        std::string line = describeEvent(e);
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
    };
    void clearBlock() {
        std::string s;
        for (size_t i = 0; i < shown; i++)
            s += "\033[1A\033[2K";
        writeAll(fd, s);
        shown = 0;
    }
    void drawBlock() {
        if (stopping) return;
        std::string s;
        auto now = Clock::now();
        size_t lines = 0, downloading = 0;
        uint64_t bytes = bytesDone;
        for (auto& [key, r] : running) {
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

    int fd;
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

void PlainDisplay::event(const BuildEvent& e) {
    std::string line = describeEvent(e);
    if (!line.empty()) writeAll(fd, line + "\n");
}

std::unique_ptr<BuildObserver> makeDisplay(int fd) {
    if (fd < 0) return std::make_unique<NullObserver>();
    const char* term = std::getenv("TERM");
    if (::isatty(fd) && !(term && std::strcmp(term, "dumb") == 0))
        return std::make_unique<TerminalDisplay>(fd);
    return std::make_unique<PlainDisplay>(fd);
}

} // namespace ferrix
