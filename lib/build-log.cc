// Build logs: their place, their writer and their tail.
#include "ferrix/build-log.hh"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferrix {

namespace {

void writeAll(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; // a full disk shows in the build's own errors
        s.remove_prefix(size_t(n));
    }
}

} // namespace

std::string buildLogPath(const LocalStore& store, const StorePath& drv) {
    const std::string& base = drv.to_string();
    return store.root() + "/var/log/ferrix/drvs/" + base.substr(0, 2) + "/" + base.substr(2) +
           ".log";
}

std::optional<std::string> findBuildLog(LocalStore& store, const std::string& path) {
    const std::string& sd = store.storeDir().dir();
    if (!path.starts_with(sd + "/"))
        throw UsageError("'" + path + "' is not in the store directory '" + sd + "'");
    std::string rest = path.substr(sd.size() + 1);
    auto slash = rest.find('/');
    StorePath p(rest.substr(0, slash));
    std::optional<StorePath> drv;
    if (p.isDerivation()) {
        drv = p;
    } else if (auto info = store.queryPathInfoOpt(p)) {
        drv = info->deriver;
    }
    if (!drv) return std::nullopt;
    std::string log = buildLogPath(store, *drv);
    if (!pathExists(log)) return std::nullopt;
    return log;
}

std::string logTail(const std::string& path, unsigned n) {
    AutoCloseFD fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return "";
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return "";
    off_t from = std::max<off_t>(0, st.st_size - 65536);
    std::string data(size_t(st.st_size - from), '\0');
    ssize_t got = ::pread(fd.get(), data.data(), data.size(), from);
    if (got < 0) return "";
    data.resize(size_t(got));
    if (!data.empty() && data.back() == '\n') data.pop_back();
    // The start of the n-th line from the end.
    size_t start = data.size();
    for (unsigned i = 0; i < n && start > 0; i++) {
        size_t nl = data.rfind('\n', start - 1);
        start = nl == std::string::npos ? 0 : nl;
        if (nl == std::string::npos) break;
    }
    if (start < data.size() && data[start] == '\n') start++;
    return data.substr(start);
}

BuildLogWriter::BuildLogWriter(const std::string& path, std::string drv, Report report)
    : fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)), drv(std::move(drv)),
      report(std::move(report)) {
    if (!fd) throw SysError("creating the log '" + path + "'");
}

void BuildLogWriter::append(std::string_view chunk) {
    writeAll(fd.get(), chunk);
    partial.append(chunk);
    size_t start = 0, nl;
    while ((nl = partial.find('\n', start)) != std::string::npos) {
        std::string_view l(partial.data() + start, nl - start);
        constexpr std::string_view complete = "@ferrix output-complete ";
        if (l.starts_with(complete)) {
            if (onOutputComplete) onOutputComplete(std::string(l.substr(complete.size())));
            start = nl + 1;
            continue;
        }
        constexpr std::string_view marker = "starting phase `";
        if (l.starts_with(marker)) {
            auto rest = l.substr(marker.size());
            report({.kind = BuildEvent::Kind::Phase,
                    .drv = drv,
                    .text = std::string(rest.substr(0, rest.find('\'')))});
        }
        report({.kind = BuildEvent::Kind::LogLine, .drv = drv, .text = std::string(l)});
        start = nl + 1;
    }
    partial.erase(0, start);
    // A line without end is reported in pieces rather than held forever.
    if (partial.size() > 65536) flush();
}

void BuildLogWriter::line(std::string_view text) {
    writeAll(fd.get(), std::string(text) + "\n");
}

void BuildLogWriter::flush() {
    if (partial.empty()) return;
    report({.kind = BuildEvent::Kind::LogLine, .drv = drv, .text = std::move(partial)});
    partial.clear();
}

} // namespace ferrix
