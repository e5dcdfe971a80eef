#include "ferrix/cargo/index.hh"

#include "ferrix/error.hh"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace ferrix::cargo {

using json = nlohmann::json;

std::string indexPath(std::string_view crateName) {
    if (crateName.empty()) throw FormatError("empty crate name");
    std::string n;
    for (char c : crateName) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            throw FormatError("invalid crate name '" + std::string(crateName) + "'");
        n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    switch (n.size()) {
    case 1:
        return "1/" + n;
    case 2:
        return "2/" + n;
    case 3:
        return "3/" + n.substr(0, 1) + "/" + n;
    default:
        return n.substr(0, 2) + "/" + n.substr(2, 2) + "/" + n;
    }
}

namespace {

// Cargo puts a feature in "features2" when a value uses syntax older cargo rejects.
bool needsFeatures2(const std::vector<std::string>& values) {
    return std::any_of(values.begin(), values.end(), [](const std::string& v) {
        return v.starts_with("dep:") || v.find("?/") != std::string::npos;
    });
}

} // namespace

std::string writeIndexLine(const IndexEntry& e) {
    // nlohmann's ordered_json keeps cargo's field order, which makes the lines easy to compare
    // with crates.io's.
    nlohmann::ordered_json j;
    j["name"] = e.name;
    j["vers"] = e.vers;
    auto deps = nlohmann::ordered_json::array();
    for (auto& d : e.deps) {
        nlohmann::ordered_json o;
        o["name"] = d.name;
        o["req"] = d.req;
        o["features"] = d.features;
        o["optional"] = d.optional;
        o["default_features"] = d.defaultFeatures;
        o["target"] =
            d.target.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(d.target);
        o["kind"] = d.kind.empty() ? "normal" : d.kind;
        if (!d.registry.empty()) o["registry"] = d.registry;
        if (!d.package.empty()) o["package"] = d.package;
        deps.push_back(std::move(o));
    }
    j["deps"] = std::move(deps);
    j["cksum"] = e.cksum;
    auto features = nlohmann::ordered_json::object();
    auto features2 = nlohmann::ordered_json::object();
    for (auto& [k, v] : e.features)
        (needsFeatures2(v) ? features2 : features)[k] = v;
    j["features"] = std::move(features);
    j["yanked"] = e.yanked;
    if (!e.links.empty()) j["links"] = e.links;
    if (!e.rustVersion.empty()) j["rust_version"] = e.rustVersion;
    if (!features2.empty()) {
        j["features2"] = std::move(features2);
        j["v"] = 2;
    }
    return j.dump();
}

namespace {

[[noreturn]] void fail(const std::string& where, const std::string& why) {
    throw FormatError(where + ": " + why);
}

const json& field(const json& o, const char* key, json::value_t type, const std::string& where,
                  const std::string& what) {
    auto it = o.find(key);
    if (it == o.end()) fail(where, what + "missing field \"" + key + "\"");
    if (it->type() != type && !(type == json::value_t::number_unsigned && it->is_number_integer()))
        fail(where, what + "field \"" + key + "\" must be " +
                        (type == json::value_t::string    ? "a string"
                         : type == json::value_t::array   ? "an array"
                         : type == json::value_t::object  ? "an object"
                         : type == json::value_t::boolean ? "a boolean"
                                                          : "a number"));
    return *it;
}

// Optional string field: absent or null is "".
std::string optString(const json& o, const char* key, const std::string& where,
                      const std::string& what) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return "";
    if (!it->is_string()) fail(where, what + "field \"" + key + "\" must be a string or null");
    return it->get<std::string>();
}

bool optBool(const json& o, const char* key, bool dflt, const std::string& where,
             const std::string& what) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return dflt;
    if (!it->is_boolean()) fail(where, what + "field \"" + key + "\" must be a boolean");
    return it->get<bool>();
}

std::vector<std::string> stringArray(const json& a, const std::string& where,
                                     const std::string& what) {
    std::vector<std::string> out;
    for (auto& s : a) {
        if (!s.is_string()) fail(where, what + "must hold strings only");
        out.push_back(s.get<std::string>());
    }
    return out;
}

void mergeFeatures(const json& o, const char* key, IndexEntry& e, const std::string& where) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return;
    if (!it->is_object()) fail(where, std::string("field \"") + key + "\" must be an object");
    for (auto& [k, v] : it->items()) {
        if (!v.is_array())
            fail(where, std::string("feature \"") + k + "\" in \"" + key + "\" must be an array");
        auto values = stringArray(v, where, std::string("feature \"") + k + "\" ");
        auto& dst = e.features[k];
        dst.insert(dst.end(), values.begin(), values.end());
    }
}

bool isHex64(const std::string& s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

IndexEntry fromJson(const json& j, const std::string& where) {
    if (!j.is_object()) fail(where, "an index entry must be a JSON object");
    if (auto v = j.find("v"); v != j.end() && !v->is_null()) {
        if (!v->is_number_integer()) fail(where, "field \"v\" must be a number");
        if (v->get<long long>() > 2)
            fail(where, "unsupported index format version " + std::to_string(v->get<long long>()));
    }
    IndexEntry e;
    e.name = field(j, "name", json::value_t::string, where, "").get<std::string>();
    if (e.name.empty()) fail(where, "empty crate name");
    e.vers = field(j, "vers", json::value_t::string, where, "").get<std::string>();
    if (e.vers.empty()) fail(where, "empty version");
    std::string what = e.name + " " + e.vers + ": ";
    e.cksum = field(j, "cksum", json::value_t::string, where, what).get<std::string>();
    if (!isHex64(e.cksum))
        fail(where, what + "\"cksum\" is not a lowercase hexadecimal sha256: \"" + e.cksum + "\"");
    const json& deps = field(j, "deps", json::value_t::array, where, what);
    for (auto& d : deps) {
        if (!d.is_object()) fail(where, what + "a dependency must be an object");
        IndexDependency dep;
        dep.name = field(d, "name", json::value_t::string, where, what + "dependency: ")
                       .get<std::string>();
        std::string dwhat = what + "dependency " + dep.name + ": ";
        dep.req = field(d, "req", json::value_t::string, where, dwhat).get<std::string>();
        if (auto f = d.find("features"); f != d.end() && !f->is_null()) {
            if (!f->is_array()) fail(where, dwhat + "field \"features\" must be an array");
            dep.features = stringArray(*f, where, dwhat + "\"features\" ");
        }
        dep.optional = optBool(d, "optional", false, where, dwhat);
        dep.defaultFeatures = optBool(d, "default_features", true, where, dwhat);
        dep.target = optString(d, "target", where, dwhat);
        dep.kind = optString(d, "kind", where, dwhat);
        if (dep.kind.empty()) dep.kind = "normal";
        if (dep.kind != "normal" && dep.kind != "dev" && dep.kind != "build")
            fail(where, dwhat + "unknown dependency kind \"" + dep.kind + "\"");
        dep.package = optString(d, "package", where, dwhat);
        dep.registry = optString(d, "registry", where, dwhat);
        e.deps.push_back(std::move(dep));
    }
    mergeFeatures(j, "features", e, where);
    mergeFeatures(j, "features2", e, where);
    e.yanked = optBool(j, "yanked", false, where, what);
    e.links = optString(j, "links", where, what);
    e.rustVersion = optString(j, "rust_version", where, what);
    return e;
}

json parse(std::string_view line, const std::string& where) {
    try {
        return json::parse(line);
    } catch (const json::exception& ex) {
        // Syntax errors and numbers out of range ("1e400"): the message starts with
        // "[json.exception.parse_error.101] parse error at..." or
        // "[json.exception.out_of_range.406]".
        std::string msg = ex.what();
        if (auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
        fail(where, "malformed JSON: " + msg);
    }
}

} // namespace

IndexEntry parseIndexLine(std::string_view line, const std::string& where) {
    return fromJson(parse(line, where), where);
}

std::vector<IndexEntry> parseIndexFile(std::string_view text, const std::string& where) {
    std::vector<IndexEntry> out;
    size_t lineNo = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineNo;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        std::string at = where + ":" + std::to_string(lineNo);
        json j = parse(line, at);
        // Entries of a newer format are for newer clients: skip them, as cargo does.
        if (j.is_object())
            if (auto v = j.find("v");
                v != j.end() && v->is_number_integer() && v->get<long long>() > 2)
                continue;
        out.push_back(fromJson(j, at));
    }
    return out;
}

} // namespace ferrix::cargo
