// Cargo's configuration as a package carries it: see config.hh.
#include "ferrix/cargo/config.hh"

#include "ferrix/file.hh"

#include <toml++/toml.h>

namespace ferrix::cargo {

namespace {

std::string where(const std::string& file, const toml::source_region& r) {
    return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
}

} // namespace

CargoConfig CargoConfig::read(const std::string& root) {
    for (const char* name : {"/.cargo/config", "/.cargo/config.toml"}) {
        std::string file = root + name;
        if (pathExists(file) && !isDirectory(file)) return parse(readFile(file), file, root);
    }
    return {};
}

CargoConfig CargoConfig::parse(const std::string& text, const std::string& file,
                               const std::string& root) {
    CargoConfig c;
    c.file = file;
    toml::table t;
    try {
        t = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        throw CargoConfigError(where(file, e.source()) + std::string(e.description()));
    }
    auto targets = t["target"].as_table();
    if (!targets) return c;
    for (auto& [triple, node] : *targets) {
        auto table = node.as_table();
        if (!table) continue;
        auto linker = table->get("linker");
        if (!linker) continue;
        auto value = linker->value<std::string>();
        if (!value)
            throw CargoConfigError(where(file, linker->source()) + "target." +
                                   std::string(triple.str()) + ".linker must be a string");
        c.linkers[std::string(triple.str())] =
            value->find('/') == std::string::npos || value->front() == '/' ? *value
                                                                           : root + "/" + *value;
    }
    return c;
}

std::string CargoConfig::linker(const std::string& triple) const {
    auto it = linkers.find(triple);
    return it == linkers.end() ? "" : it->second;
}

} // namespace ferrix::cargo
