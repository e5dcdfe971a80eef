// Recorded build durations. See build-durations.hh.
#include "ferrix/build-durations.hh"

#include "ferrix/file.hh"

#include <cstdio>
#include <sstream>
#include <unistd.h>

namespace ferrix {

namespace {

std::map<std::string, double> readTable(const std::string& file) {
    std::map<std::string, double> table;
    std::string text;
    try {
        if (!pathExists(file)) return table;
        text = readFile(file);
    } catch (...) {
        return table;
    }
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto space = line.find(' ');
        if (space == std::string::npos || space + 1 == line.size()) continue;
        try {
            double seconds = std::stod(line.substr(0, space));
            if (seconds >= 0) table[line.substr(space + 1)] = seconds;
        } catch (...) {
        }
    }
    return table;
}

} // namespace

BuildDurations::BuildDurations(const LocalStore& store)
    : file(store.stateDir() + "/durations"), known(readTable(file)) {}

std::optional<double> BuildDurations::lookup(const std::string& name) const {
    if (auto it = known.find(name); it != known.end()) return it->second;
    return std::nullopt;
}

void BuildDurations::record(const std::string& name, double seconds) {
    recorded[name] = seconds;
}

void BuildDurations::save() const {
    if (recorded.empty()) return;
    auto table = readTable(file);
    for (auto& [name, seconds] : recorded)
        table[name] = seconds;
    std::string text;
    char buf[32];
    for (auto& [name, seconds] : table) {
        if (name.find('\n') != std::string::npos) continue;
        std::snprintf(buf, sizeof buf, "%.3f ", seconds);
        text += buf + name + "\n";
    }
    std::string tmp = file + ".tmp-" + std::to_string(::getpid());
    try {
        writeFile(tmp, text, 0644);
        if (std::rename(tmp.c_str(), file.c_str()) != 0) ::unlink(tmp.c_str());
    } catch (...) {
        ::unlink(tmp.c_str());
    }
}

} // namespace ferrix
