// The timings of a run and their HTML report (build-timings.hh).
#include "ferrix/build-timings.hh"

#include "ferrix/file.hh"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/utsname.h>
#include <unistd.h>

namespace ferrix {

namespace {

// The busy and total jiffies of all CPUs, from /proc/stat's first line; false if unreadable.
bool cpuTimes(unsigned long long& busy, unsigned long long& total) {
    std::ifstream in("/proc/stat");
    std::string cpu;
    if (!(in >> cpu) || cpu != "cpu") return false;
    unsigned long long v[8] = {};
    for (auto& x : v)
        if (!(in >> x)) return false;
    total = 0;
    for (auto x : v)
        total += x;
    busy = total - v[3] - v[4]; // idle and iowait
    return true;
}

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string fixed(double x, int decimals = 2) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return buf;
}

const char* stateName(BuildTimings::Unit::State s) {
    using S = BuildTimings::Unit::State;
    switch (s) {
    case S::Running:
        return "unfinished";
    case S::Built:
        return "built";
    case S::Valid:
        return "valid";
    case S::Failed:
        return "failed";
    }
    return "unknown";
}

std::string unitLabel(const BuildTimings::Unit& u) {
    if (u.package.empty()) return u.name;
    return u.package + " v" + u.version + (u.action.empty() ? "" : " " + u.action);
}

std::string hostText() {
    struct utsname un {};
    if (::uname(&un) != 0) return "unknown";
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    return std::string(un.nodename) + " (" + un.sysname + " " + un.release + ", " + un.machine +
           ", " + std::to_string(cpus) + " CPUs)";
}

} // namespace

BuildTimings::BuildTimings(std::chrono::milliseconds period)
    : start(std::chrono::steady_clock::now()) {
    cpuTimes(lastBusy, lastTotal);
    sampler = std::thread([this, period] { loop(period); });
}

BuildTimings::~BuildTimings() {
    stop();
}

double BuildTimings::now() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void BuildTimings::stop() {
    {
        std::lock_guard lk(m);
        if (stopping) return;
        stopping = true;
        wall = now();
    }
    cv.notify_all();
    if (sampler.joinable()) sampler.join();
    sample();
}

void BuildTimings::loop(std::chrono::milliseconds period) {
    std::unique_lock lk(m);
    while (!stopping) {
        cv.wait_for(lk, period);
        if (stopping) break;
        lk.unlock();
        sample();
        lk.lock();
    }
}

void BuildTimings::sample() {
    unsigned long long busy = 0, total = 0;
    double cpu = -1;
    if (cpuTimes(busy, total) && total > lastTotal) {
        cpu = double(busy - lastBusy) / double(total - lastTotal);
        lastBusy = busy;
        lastTotal = total;
    }
    std::lock_guard lk(m);
    double t = wall >= 0 ? wall : now();
    size_t waiting = planned > running + finished ? planned - running - finished : 0;
    taken.push_back({t, running, waiting, cpu});
}

std::vector<BuildTimings::Sample> BuildTimings::samples() const {
    std::lock_guard lk(m);
    return taken;
}

void BuildTimings::event(const BuildEvent& e) {
    using K = BuildEvent::Kind;
    using S = Unit::State;
    std::lock_guard lk(m);
    double t = now();
    auto find = [&]() -> Unit* {
        for (auto it = all.rbegin(); it != all.rend(); ++it)
            if (it->drv == e.drv) return &*it;
        return nullptr;
    };
    auto add = [&](S state) {
        all.push_back({e.drv, e.name, e.package, e.version, e.action, t, t, state});
        return &all.back();
    };
    switch (e.kind) {
    case K::DownloadsPlanned:
        planned = e.builds;
        break;
    case K::Started:
        if (e.download) break;
        add(S::Running);
        peak = std::max(peak, ++running);
        break;
    case K::Finished:
    case K::Failed:
        if (Unit* u = find(); u && u->state == S::Running) {
            u->end = t;
            u->state = e.kind == K::Finished ? S::Built : S::Failed;
            running--;
            finished++;
        }
        break;
    case K::AlreadyValid:
        add(S::Valid);
        finished++;
        break;
    case K::Fresh:
        add(S::Valid);
        break;
    default:
        break;
    }
}

std::string BuildTimings::html(const TimingsInfo& info) const {
    std::lock_guard lk(m);
    double total = wall >= 0 ? wall : now();
    size_t built = 0, valid = 0, failed = 0;
    for (auto& u : all) {
        built += u.state == Unit::State::Built;
        valid += u.state == Unit::State::Valid;
        failed += u.state == Unit::State::Failed;
    }
    double cpuSum = 0;
    size_t cpuCount = 0;
    for (auto& s : taken) {
        if (s.cpu >= 0) {
            cpuSum += s.cpu;
            cpuCount++;
        }
    }
    std::ostringstream o;
    o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>ferrix build timings</title>\n<style>\n"
      << "body{font-family:sans-serif;margin:1em 2em;color:#222}\n"
      << "table{border-collapse:collapse;margin-bottom:1.5em}\n"
      << "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\n"
      << "td.num{text-align:right}\ntr.valid{color:#888}\ntr.failed{color:#b00}\n"
      << "svg text{font-size:11px}\n</style>\n</head>\n<body>\n"
      << "<h1>ferrix build timings</h1>\n";

    o << "<table class=\"summary\">\n";
    auto row = [&](const std::string& k, const std::string& v) {
        o << "<tr><th>" << escape(k) << "</th><td>" << escape(v) << "</td></tr>\n";
    };
    if (!info.command.empty()) row("Command", info.command);
    if (!info.profile.empty()) row("Profile", info.profile);
    row("Total time", fixed(total, 1) + " s");
    row("Built", std::to_string(built));
    row("Already valid", std::to_string(valid));
    if (failed) row("Failed", std::to_string(failed));
    row("Jobs (-M)", std::to_string(info.jobs));
    row("Max concurrency", std::to_string(peak));
    row("Average CPU use", cpuCount ? fixed(100 * cpuSum / double(cpuCount), 0) + " %" : "unknown");
    row("Host", hostText());
    if (!info.ferrixVersion.empty()) row("ferrix", info.ferrixVersion);
    row("rustc", info.rustcVersion.empty() ? "unknown" : info.rustcVersion);
    o << "</table>\n";

    // The Gantt chart: one bar per build, in order of start.
    std::vector<const Unit*> bars;
    for (auto& u : all)
        if (u.state != Unit::State::Valid) bars.push_back(&u);
    const double width = 1000, left = 260, rowH = 18;
    double scale = total > 0 ? (width - left - 20) / total : 1;
    o << "<h2>Builds over time</h2>\n";
    o << "<svg class=\"gantt\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << (bars.size() + 1) * rowH + 10 << "\">\n";
    for (size_t i = 0; i < bars.size(); i++) {
        const Unit& u = *bars[i];
        double y = double(i) * rowH + 2;
        double w = std::max(1.0, (u.end - u.start) * scale);
        const char* fill = u.state == Unit::State::Failed   ? "#d33"
                           : u.action == "build-script-run" ? "#e9a23b"
                           : u.action == "build-script"     ? "#f3cf8c"
                           : u.action == "test"             ? "#8c6bb1"
                                                            : "#4a90d9";
        o << "<text x=\"0\" y=\"" << y + 12 << "\">" << escape(unitLabel(u)) << "</text>"
          << "<rect x=\"" << left + u.start * scale << "\" y=\"" << y << "\" width=\"" << w
          << "\" height=\"" << rowH - 4 << "\" fill=\"" << fill << "\"><title>"
          << escape(unitLabel(u)) << ": " << fixed(u.end - u.start) << " s</title></rect>\n";
    }
    o << "<text x=\"" << left << "\" y=\"" << double(bars.size()) * rowH + 14 << "\">0 s</text>"
      << "<text x=\"" << width - 60 << "\" y=\"" << double(bars.size()) * rowH + 14 << "\">"
      << fixed(total, 1) << " s</text>\n</svg>\n";

    // Concurrency and CPU use over time.
    const double h = 160;
    size_t top = 1;
    for (auto& s : taken)
        top = std::max({top, s.running, s.waiting});
    auto polyline = [&](const char* colour, auto value) {
        o << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.5\" points=\"";
        for (auto& s : taken) {
            double v = value(s);
            if (v < 0) continue;
            o << left + s.time * scale << "," << h - v * (h - 10) << " ";
        }
        o << "\"/>\n";
    };
    o << "<h2>Concurrency</h2>\n<p>Builds running (blue), waiting (orange, of " << planned
      << " planned) on a scale of 0 to " << top << "; CPU use of the machine (green), 0 to 100 %, "
      << "sampled from /proc/stat.</p>\n";
    o << "<svg class=\"concurrency\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << h + 10 << "\">\n"
      << "<line x1=\"" << left << "\" y1=\"" << h << "\" x2=\"" << width - 20 << "\" y2=\"" << h
      << "\" stroke=\"#999\"/>\n";
    polyline("#4a90d9", [&](const Sample& s) { return double(s.running) / double(top); });
    polyline("#e9a23b", [&](const Sample& s) { return double(s.waiting) / double(top); });
    polyline("#3a3", [](const Sample& s) { return s.cpu; });
    o << "</svg>\n";

    // Every derivation of the run.
    o << "<h2>Units</h2>\n<table class=\"units\">\n<thead><tr><th>#</th><th>Unit</th>"
      << "<th>Version</th><th>Action</th><th>Start (s)</th><th>Duration (s)</th><th>State</th>"
      << "<th>Derivation</th></tr></thead>\n<tbody>\n";
    for (size_t i = 0; i < all.size(); i++) {
        const Unit& u = all[i];
        bool timed = u.state == Unit::State::Built || u.state == Unit::State::Failed;
        o << "<tr class=\"" << stateName(u.state) << "\" data-drv=\"" << escape(u.drv)
          << "\" data-state=\"" << stateName(u.state) << "\" data-duration=\""
          << (timed ? fixed(u.end - u.start, 3) : "0") << "\"><td class=\"num\">" << i + 1
          << "</td><td>" << escape(u.package.empty() ? u.name : u.package) << "</td><td>"
          << escape(u.version) << "</td><td>" << escape(u.action) << "</td><td class=\"num\">"
          << (timed ? fixed(u.start) : "") << "</td><td class=\"num\">"
          << (timed ? fixed(u.end - u.start) : "") << "</td><td>" << stateName(u.state)
          << "</td><td>" << escape(u.drv) << "</td></tr>\n";
    }
    o << "</tbody>\n</table>\n</body>\n</html>\n";
    return o.str();
}

void BuildTimings::write(const std::string& file, const TimingsInfo& info) const {
    std::string dir = dirOf(file);
    if (!dir.empty() && dir != ".") createDirs(dir);
    writeFile(file, html(info), 0644);
}

} // namespace ferrix
