// Build events: their names and the lines people read for them.
#include "ferrix/build-events.hh"

#include <cstdio>

namespace ferrix {

const char* BuildEvent::kindName(Kind k) {
    switch (k) {
    case Kind::Message:
        return "message";
    case Kind::Waiting:
        return "waiting";
    case Kind::Started:
        return "started";
    case Kind::Phase:
        return "phase";
    case Kind::LogLine:
        return "log-line";
    case Kind::Finished:
        return "finished";
    case Kind::Failed:
        return "failed";
    case Kind::AlreadyValid:
        return "already-valid";
    case Kind::OutputValid:
        return "output-valid";
    case Kind::DownloadsPlanned:
        return "downloads-planned";
    case Kind::DownloadStarted:
        return "download-started";
    case Kind::DownloadProgress:
        return "download-progress";
    case Kind::DownloadRetry:
        return "download-retry";
    case Kind::Downloaded:
        return "downloaded";
    case Kind::Fresh:
        return "fresh";
    }
    return "unknown";
}

std::string humanSize(uint64_t n) {
    char buf[32];
    if (n < 1024)
        std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)n);
    else if (n < 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", double(n) / 1024);
    else if (n < 1024ull * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f MiB", double(n) / (1024 * 1024));
    else
        std::snprintf(buf, sizeof buf, "%.2f GiB", double(n) / (1024.0 * 1024 * 1024));
    return buf;
}

std::string secondsText(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, s < 1 ? "%.2f s" : "%.1f s", s);
    return buf;
}

static std::string tenths(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    return buf;
}

std::string describeEvent(const BuildEvent& e) {
    using K = BuildEvent::Kind;
    switch (e.kind) {
    case K::Message:
        return e.text;
    case K::Waiting:
        return "waiting for another process to finish building '" + e.path + "'";
    case K::Started:
        // A download says "downloading URL..." when its first attempt starts.
        if (e.download) return "";
        return (e.check ? "checking '" : "building '") + e.drv + "'...";
    case K::Finished:
        if (e.download) return ""; // said by Downloaded
        return (e.check ? "checked '" : "built '") + e.drv + "' in " + tenths(e.seconds) + " s";
    case K::Failed: {
        std::string shown = "error: " + e.text;
        auto indented = [](const std::string& text) {
            std::string s;
            size_t start = 0;
            while (start < text.size()) {
                size_t nl = text.find('\n', start);
                if (nl == std::string::npos) nl = text.size();
                s += "\n  " + text.substr(start, nl - start);
                start = nl + 1;
            }
            return s;
        };
        // "in phase 'build': command ... failed with exit status 101", lines after the first
        // under it.
        std::string cause = indented(e.cause);
        if (!cause.empty()) cause.erase(0, 3);
        if (!e.phase.empty())
            shown += "\n  in phase '" + e.phase + "'" + (cause.empty() ? "" : ": " + cause);
        else if (!cause.empty())
            shown += "\n  " + cause;
        // The compiler's errors as it printed them: people know their shape.
        if (!e.errors.empty())
            shown += "\n" + e.errors + (e.truncated ? "\n(more errors in the log)" : "");
        else if (!e.logTail.empty())
            shown += "\nlast lines of the log:" + indented(e.logTail);
        return shown + "\nlog: " + e.logPath;
    }
    case K::DownloadStarted:
        return "downloading '" + e.url + "'" + (e.via.empty() ? "" : " (" + e.via + ")") + "...";
    case K::DownloadRetry:
        return "retrying '" + e.url + "' in " + secondsText(e.seconds) + " (" + e.text + ")";
    case K::Downloaded:
        return "downloaded '" + e.url + "' (" + humanSize(e.done) + " in " + tenths(e.seconds) +
               " s)";
    case K::Phase:
    case K::LogLine:
    case K::AlreadyValid:
    case K::OutputValid:
    case K::DownloadsPlanned:
    case K::DownloadProgress:
    case K::Fresh:
        return "";
    }
    return "";
}

} // namespace ferrix
