#include "ferrix/cargo/registry.hh"

#include "ferrix/cargo/semver.hh"
#include "ferrix/error.hh"
#include "ferrix/fetch.hh"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>

namespace ferrix::cargo {

using json = nlohmann::json;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
    for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
        s.replace(p, from.size(), to);
}

// The directory part of the index path, from the name as given ({prefix}) or lowercased.
std::string prefixOf(std::string_view name) {
    std::string path = indexPath(name); // validates the name
    std::string p = path.substr(0, path.rfind('/'));
    if (name.size() == 3) return "3/" + std::string(name.substr(0, 1));
    if (name.size() >= 4)
        return std::string(name.substr(0, 2)) + "/" + std::string(name.substr(2, 2));
    return p;
}

bool isNotFound(long status) {
    return status == 404 || status == 410 || status == 451;
}

// TEXT fetched from WHERE as JSON. Every json::exception becomes a FormatError naming WHERE: not
// only syntax errors but numbers out of range ("1e400" throws out_of_range).
json parseJson(const std::string& text, const std::string& where) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        std::string msg = e.what();
        if (auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
        throw FormatError(where + ": malformed JSON: " + msg);
    }
}

std::optional<std::string> optString(const json& o, const char* key, const std::string& where) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return std::nullopt;
    if (!it->is_string())
        throw FormatError(where + ": field \"" + key + "\" must be a string or null");
    std::string s = it->get<std::string>();
    if (s.empty()) return std::nullopt;
    return s;
}

} // namespace

std::optional<std::string> fetchOptional(const std::string& url) {
    try {
        return fetchToString(url);
    } catch (const FetchError& e) {
        if (isNotFound(e.httpStatus())) return std::nullopt;
        throw;
    }
}

std::string normalizeRegistryUrl(std::string_view url) {
    std::string u(url);
    // crates.io's git index names crates.io too (Cargo.lock files say so): cargo uses its
    // sparse index for it, and so does ferrix.
    for (const char* git : {"registry+https://github.com/rust-lang/crates.io-index",
                            "https://github.com/rust-lang/crates.io-index"})
        if (u == git || u == std::string(git) + "/" || u == std::string(git) + ".git")
            return defaultRegistryUrl;
    if (u.starts_with("registry+"))
        throw FormatError("unsupported registry URL '" + u +
                          "': git registries are not supported, only sparse ones "
                          "(sparse+http(s)://HOST/PATH/)");
    std::string rest = u.starts_with("sparse+") ? u.substr(7) : u;
    if (!rest.starts_with("http://") && !rest.starts_with("https://"))
        throw FormatError("unsupported registry URL '" + u +
                          "': expected a sparse index, sparse+http(s)://HOST/PATH/");
    size_t host = rest.find("://") + 3;
    if (host >= rest.size() || rest[host] == '/')
        throw FormatError("invalid registry URL '" + u + "': no host");
    while (rest.ends_with("/"))
        rest.pop_back();
    return "sparse+" + rest + "/";
}

std::string downloadUrl(const std::string& dl, std::string_view name, std::string_view version,
                        std::string_view cksum) {
    static const char* markers[] = {"{crate}", "{version}", "{prefix}", "{lowerprefix}",
                                    "{sha256-checksum}"};
    bool any = std::any_of(std::begin(markers), std::end(markers),
                           [&](const char* m) { return dl.find(m) != std::string::npos; });
    if (!any) {
        std::string base = dl;
        while (base.ends_with("/"))
            base.pop_back();
        return base + "/" + std::string(name) + "/" + std::string(version) + "/download";
    }
    std::string u = dl;
    replaceAll(u, "{crate}", name);
    replaceAll(u, "{version}", version);
    replaceAll(u, "{prefix}", prefixOf(name));
    replaceAll(u, "{lowerprefix}", lower(prefixOf(name)));
    replaceAll(u, "{sha256-checksum}", cksum);
    return u;
}

Registry& Registry::open(std::string_view url) {
    // Never destroyed: other threads may hold references at exit.
    static auto* registries = new std::map<std::string, std::unique_ptr<Registry>>;
    static std::mutex mutex;
    std::string n = normalizeRegistryUrl(url);
    std::lock_guard lock(mutex);
    auto& r = (*registries)[n];
    if (!r) r = std::make_unique<Registry>(n);
    return *r;
}

Registry::Registry(std::string normalizedUrl) : url_(std::move(normalizedUrl)) {}

std::string Registry::indexBase() const {
    return url_.substr(7);
}

const RegistryConfig& Registry::config() {
    {
        std::lock_guard lock(mutex_);
        if (config_) return *config_;
    }
    std::string where = indexBase() + "config.json";
    std::optional<std::string> text = fetchOptional(where);
    if (!text)
        throw Error(where + ": not found: " + url_ +
                    " is not a sparse registry (its index has no config.json)");
    json j = parseJson(*text, where);
    if (!j.is_object()) throw FormatError(where + ": expected a JSON object");
    RegistryConfig c;
    auto dl = optString(j, "dl", where);
    if (!dl) throw FormatError(where + ": missing field \"dl\"");
    c.dl = *dl;
    c.api = optString(j, "api", where).value_or("");
    while (c.api.ends_with("/"))
        c.api.pop_back();
    std::lock_guard lock(mutex_);
    if (!config_) config_ = std::move(c);
    return *config_;
}

std::optional<std::vector<IndexEntry>> Registry::index(std::string_view name) {
    std::string key = lower(name);
    std::string url = indexBase() + indexPath(name);
    {
        std::lock_guard lock(mutex_);
        if (auto it = index_.find(key); it != index_.end()) return it->second;
        if (auto it = failed_.find(key); it != failed_.end()) {
            std::exception_ptr e = it->second;
            failed_.erase(it); // reported once; a later call tries again
            std::rethrow_exception(e);
        }
    }
    // cargo fetches config.json first: a URL that is not a registry says so, not "no crate".
    config();
    std::optional<std::vector<IndexEntry>> entries;
    if (std::optional<std::string> text = fetchOptional(url)) {
        entries = parseIndexFile(*text, url);
        // A file holding only other crates' entries is a broken index.
        for (auto& e : *entries)
            if (lower(e.name) != key)
                throw FormatError(url + ": entry for crate '" + e.name + "' in the file of '" +
                                  std::string(name) + "'");
        if (entries->empty()) entries.reset();
    }
    std::lock_guard lock(mutex_);
    return index_.emplace(key, std::move(entries)).first->second;
}

void Registry::prefetch(const std::vector<std::string>& names, unsigned jobs) {
    config(); // once, before the workers
    std::vector<std::string> todo;
    {
        std::lock_guard lock(mutex_);
        for (auto& n : names)
            if (!index_.count(lower(n)) && !failed_.count(lower(n)) &&
                std::find(todo.begin(), todo.end(), n) == todo.end())
                todo.push_back(n);
    }
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i; (i = next++) < todo.size();) {
            try {
                index(todo[i]);
            } catch (...) {
                std::lock_guard lock(mutex_);
                failed_[lower(todo[i])] = std::current_exception();
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < std::min<size_t>(jobs, todo.size()); t++)
        threads.emplace_back(work);
    for (auto& t : threads)
        t.join();
}

std::optional<Crate> Registry::lookup(std::string_view name, bool metadata) {
    std::string key = lower(name);
    {
        std::lock_guard lock(mutex_);
        if (auto it = crates_.find(key); it != crates_.end()) return it->second;
    }
    if (!metadata) return fetchCrate(name, false); // the index is cached
    std::optional<Crate> c = fetchCrate(name, true);
    std::lock_guard lock(mutex_);
    return crates_.emplace(key, std::move(c)).first->second;
}

std::optional<Crate> Registry::fetchCrate(std::string_view name, bool metadata) {
    std::optional<std::vector<IndexEntry>> entries = index(name);
    if (!entries) return std::nullopt;
    Crate c;
    c.name = entries->front().name;
    for (auto& e : *entries)
        c.versions.push_back(CrateVersion{e, std::nullopt, std::nullopt});
    // Newest first; a version that is not valid semver sorts last (cargo ignores it).
    std::vector<std::pair<std::optional<Version>, CrateVersion>> keyed;
    for (auto& v : c.versions) {
        std::optional<Version> parsed;
        try {
            parsed = Version::parse(v.entry.vers);
        } catch (const FormatError&) {
        }
        keyed.emplace_back(std::move(parsed), std::move(v));
    }
    std::stable_sort(keyed.begin(), keyed.end(), [](auto& a, auto& b) {
        if (!a.first || !b.first) return a.first.has_value() && !b.first.has_value();
        return compare(*b.first, *a.first) < 0;
    });
    c.versions.clear();
    for (auto& [_, v] : keyed)
        c.versions.push_back(std::move(v));

    const RegistryConfig& cfg = config();
    if (!metadata || cfg.api.empty()) return c;
    // crates.io's answer; a static registry serves it as .../NAME/index.html, reached by a
    // redirect from .../NAME (followed by the fetcher).
    std::string url = cfg.api + "/api/v1/crates/" + c.name;
    std::optional<std::string> text = fetchOptional(url);
    if (!text) return c; // the index knows the crate; the API may lag behind
    json j = parseJson(*text, url);
    auto crate = j.is_object() ? j.find("crate") : j.end();
    if (crate == j.end() || !crate->is_object())
        throw FormatError(url + ": expected an object with a \"crate\" object");
    c.description = optString(*crate, "description", url);
    c.homepage = optString(*crate, "homepage", url);
    c.repository = optString(*crate, "repository", url);
    c.documentation = optString(*crate, "documentation", url);
    if (auto vs = j.find("versions"); vs != j.end() && !vs->is_null()) {
        if (!vs->is_array()) throw FormatError(url + ": field \"versions\" must be an array");
        for (auto& v : *vs) {
            if (!v.is_object()) throw FormatError(url + ": a version must be an object");
            auto num = optString(v, "num", url);
            if (!num) throw FormatError(url + ": a version lacks \"num\"");
            for (auto& cv : c.versions)
                if (cv.entry.vers == *num) {
                    cv.license = optString(v, "license", url);
                    if (auto s = v.find("crate_size"); s != v.end() && s->is_number_unsigned())
                        cv.crateSize = s->get<std::uint64_t>();
                }
        }
    }
    return c;
}

std::string Registry::downloadUrl(std::string_view name, std::string_view version) {
    const RegistryConfig& cfg = config();
    std::string cksum;
    if (cfg.dl.find("{sha256-checksum}") != std::string::npos) {
        auto entries = index(name);
        if (!entries)
            throw Error("crate '" + std::string(name) + "' is not in the registry " + url_);
        auto it = std::find_if(entries->begin(), entries->end(),
                               [&](const IndexEntry& e) { return e.vers == version; });
        if (it == entries->end())
            throw Error("crate '" + std::string(name) + "' has no version " + std::string(version) +
                        " in the registry " + url_);
        cksum = it->cksum;
    }
    return cargo::downloadUrl(cfg.dl, name, version, cksum);
}

} // namespace ferrix::cargo
