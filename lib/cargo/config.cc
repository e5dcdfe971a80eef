// Cargo's configuration as a package carries it: see config.hh.
#include "ferrix/cargo/config.hh"

#include "ferrix/file.hh"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>
#include <string_view>
#include <unistd.h>

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
    auto flags = [&](toml::node* node, const std::string& key) {
        std::vector<std::string> out;
        if (!node) return out;
        if (auto text = node->value<std::string>()) {
            std::istringstream words(*text);
            for (std::string w; words >> w;)
                out.push_back(w);
        } else if (auto array = node->as_array()) {
            for (auto& item : *array) {
                auto value = item.value<std::string>();
                if (!value)
                    throw CargoConfigError(where(file, item.source()) + key +
                                           " must be a string or an array of strings");
                out.push_back(*value);
            }
        } else
            throw CargoConfigError(where(file, node->source()) + key +
                                   " must be a string or an array of strings");
        return out;
    };
    c.buildRustflags = flags(t["build"]["rustflags"].node(), "build.rustflags");
    auto targets = t["target"].as_table();
    if (!targets) return c;
    for (auto& [triple, node] : *targets)
        if (auto table = node.as_table(); table && table->get("rustflags"))
            c.targetRustflags[std::string(triple.str())] = flags(
                table->get("rustflags"), "target." + std::string(triple.str()) + ".rustflags");
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

namespace {

// Top-level keys that say where crates come from, or how to reach the network: ferrix's vendor
// directory and offline mode must win over them.
bool replacesSources(std::string_view key) {
    for (std::string_view k : {"source", "patch", "registries", "registry", "net", "http", "paths"})
        if (key == k) return true;
    return false;
}

const char* const kConfigNames[] = {"config", "config.toml"};

} // namespace

std::vector<IgnoredConfig> ignoreSourceReplacement(const std::string& dir) {
    std::vector<IgnoredConfig> result;
    for (const char* name : kConfigNames) {
        std::string file = dir + "/.cargo/" + name;
        if (!pathExists(file) || isDirectory(file)) continue;
        std::string text = readFile(file);
        toml::table t;
        try {
            t = toml::parse(text, file);
        } catch (const toml::parse_error& e) {
            throw CargoConfigError(where(file, e.source()) + std::string(e.description()));
        }
        IgnoredConfig ignored;
        ignored.file = file;
        // toml++ orders keys by name: the log names them in the file's order.
        std::vector<std::pair<toml::source_position, std::string>> keys, kept;
        std::vector<std::string> remove;
        for (auto& [key, node] : t) {
            std::string k(key.str());
            if (!replacesSources(k)) {
                kept.emplace_back(node.source().begin, k);
                continue;
            }
            remove.push_back(k);
            // One level down names what was replaced: source.crates-io, patch.crates-io.
            auto table = node.as_table();
            if (table && (k == "source" || k == "patch" || k == "registries"))
                for (auto& [sub, subNode] : *table)
                    keys.emplace_back(subNode.source().begin, k + "." + std::string(sub.str()));
            else
                keys.emplace_back(node.source().begin, k);
        }
        auto inOrder = [](auto& pairs) {
            std::stable_sort(pairs.begin(), pairs.end(), [](auto& a, auto& b) {
                return a.first.line != b.first.line ? a.first.line < b.first.line
                                                    : a.first.column < b.first.column;
            });
            std::vector<std::string> names;
            for (auto& p : pairs)
                names.push_back(p.second);
            return names;
        };
        ignored.keys = inOrder(keys);
        ignored.kept = inOrder(kept);
        if (remove.empty()) continue;
        for (auto& k : remove)
            t.erase(k);
        std::string saved = file + ".ferrix-orig";
        if (!pathExists(saved)) writeFile(saved, text, 0644);
        std::ostringstream os;
        os << "# The source's configuration without what would replace ferrix's vendored crates\n"
           << "# (the original is " << name << ".ferrix-orig).\n"
           << t << "\n";
        unlink(file.c_str());
        writeFile(file, os.str(), 0644);
        result.push_back(std::move(ignored));
    }
    return result;
}

void restoreSourceConfigs(const std::string& dir) {
    for (const char* name : kConfigNames) {
        std::string file = dir + "/.cargo/" + name;
        std::string saved = file + ".ferrix-orig";
        if (!pathExists(saved)) continue;
        std::string text = readFile(saved);
        unlink(file.c_str());
        unlink(saved.c_str());
        writeFile(file, text, 0644);
    }
}

std::vector<std::string> CargoConfig::rustflags(const std::string& triple) const {
    auto it = targetRustflags.find(triple);
    return it == targetRustflags.end() ? buildRustflags : it->second;
}

std::string CargoConfig::linker(const std::string& triple) const {
    auto it = linkers.find(triple);
    return it == linkers.end() ? "" : it->second;
}

} // namespace ferrix::cargo
