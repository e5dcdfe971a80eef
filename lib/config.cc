// The user configuration file (see config.hh and doc/fetch.md).
#include "ferrix/config.hh"

#include "ferrix/error.hh"
#include "ferrix/file.hh"

#include <toml++/toml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <mutex>

namespace ferrix {

namespace {

std::string where(const std::string& file, const toml::source_region& r) {
    if (r.begin.line == 0) return file + ": ";
    return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
}

[[noreturn]] void fail(const std::string& file, const toml::node& n, const std::string& msg) {
    throw FormatError(where(file, n.source()) + msg);
}

std::string str(const std::string& file, const toml::node& n, const std::string& what) {
    if (auto s = n.as_string()) return s->get();
    fail(file, n, what + " must be a string");
}

std::vector<std::string> strings(const std::string& file, const toml::node& n,
                                 const std::string& what) {
    if (n.is_string()) return {str(file, n, what)};
    auto a = n.as_array();
    if (!a) fail(file, n, what + " must be a string or an array of strings");
    std::vector<std::string> out;
    for (auto& item : *a)
        out.push_back(str(file, item, what + " entries"));
    return out;
}

double number(const std::string& file, const toml::node& n, const std::string& what, double min,
              double max) {
    double v;
    if (auto i = n.as_integer())
        v = double(i->get());
    else if (auto f = n.as_floating_point())
        v = f->get();
    else
        fail(file, n, what + " must be a number");
    if (!std::isfinite(v) || v < min || v > max)
        fail(file, n,
             what + " must be between " + std::to_string(long(min)) + " and " +
                 std::to_string(long(max)));
    return v;
}

unsigned count(const std::string& file, const toml::node& n, const std::string& what, unsigned min,
               unsigned max) {
    if (!n.is_integer()) fail(file, n, what + " must be an integer");
    return unsigned(number(file, n, what, min, max));
}

void checkUrl(const std::string& file, const toml::node& n, const std::string& url,
              const std::string& what) {
    if (!(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("file://")))
        fail(file, n, what + " '" + url + "' is not an http, https or file URL");
}

void readFetch(const std::string& file, const toml::table& t, FetchOptions& o) {
    for (auto& [k, v] : t) {
        std::string key(k.str());
        std::string what = "fetch." + key;
        if (key == "attempts")
            o.attempts = count(file, v, what, 1, 100);
        else if (key == "retry-delay")
            o.retryDelay = number(file, v, what, 0, 3600);
        else if (key == "max-retry-delay")
            o.maxRetryDelay = number(file, v, what, 0, 3600);
        else if (key == "connect-timeout")
            o.connectTimeout = long(count(file, v, what, 1, 3600));
        else if (key == "low-speed-limit")
            o.lowSpeedLimit = long(count(file, v, what, 0, 1u << 30));
        else if (key == "low-speed-time")
            o.lowSpeedTime = long(count(file, v, what, 0, 3600));
        else if (key == "timeout")
            o.timeout = long(count(file, v, what, 0, 86400));
        else if (key == "max-connections")
            o.maxConnections = count(file, v, what, 1, 1024);
        else if (key == "max-host-connections")
            o.maxHostConnections = count(file, v, what, 1, 1024);
        else if (key == "max-downloads")
            o.maxDownloads = count(file, v, what, 1, 1024);
        else
            fail(file, v, "unknown key '" + what + "'");
    }
}

} // namespace

std::string userConfigPath() {
    if (const char* f = std::getenv("FERRIX_CONFIG"); f && *f) return f;
    std::string base;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
        base = x;
    else if (const char* h = std::getenv("HOME"); h && *h)
        base = std::string(h) + "/.config";
    else
        base = "/.config";
    return base + "/ferrix/config.toml";
}

UserConfig parseUserConfig(const std::string& text, const std::string& file) {
    UserConfig c;
    c.file = file;
    toml::table top;
    try {
        top = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        throw FormatError(where(file, e.source()) + std::string(e.description()));
    }
    for (auto& [k, v] : top) {
        std::string key(k.str());
        if (key == "fetch") {
            auto t = v.as_table();
            if (!t) fail(file, v, "'fetch' must be a table ([fetch])");
            readFetch(file, *t, c.fetch);
        } else if (key == "mirror") {
            auto a = v.as_array();
            if (!a || !a->is_array_of_tables())
                fail(file, v, "'mirror' must be an array of tables ([[mirror]])");
            for (auto& item : *a) {
                auto& t = *item.as_table();
                std::optional<std::string> prefix;
                std::vector<std::string> urls;
                for (auto& [mk, mv] : t) {
                    std::string mkey(mk.str());
                    if (mkey == "prefix") {
                        prefix = str(file, mv, "mirror.prefix");
                        checkUrl(file, mv, *prefix, "mirror.prefix");
                    } else if (mkey == "url" || mkey == "urls") {
                        for (auto& u : strings(file, mv, "mirror." + mkey)) {
                            checkUrl(file, mv, u, "mirror." + mkey);
                            urls.push_back(u);
                        }
                    } else {
                        fail(file, mv, "unknown key 'mirror." + mkey + "'");
                    }
                }
                if (!prefix) fail(file, item, "[[mirror]] needs a 'prefix'");
                if (urls.empty()) fail(file, item, "[[mirror]] needs a 'url'");
                for (auto& u : urls)
                    c.fetch.prefixMirrors.push_back({*prefix, u});
            }
        } else if (key == "content-mirrors") {
            auto t = v.as_table();
            if (!t) fail(file, v, "'content-mirrors' must be a table ([content-mirrors])");
            // Templates first, then hashed mirrors (toml++ iterates keys sorted).
            for (auto& [ck, cv] : *t)
                if (ck.str() != "urls" && ck.str() != "hashed")
                    fail(file, cv, "unknown key 'content-mirrors." + std::string(ck.str()) + "'");
            if (auto cv = t->get("urls"))
                for (auto& u : strings(file, *cv, "content-mirrors.urls")) {
                    checkUrl(file, *cv, u, "content-mirrors.urls");
                    if (u.find('{') == std::string::npos)
                        fail(file, *cv,
                             "content-mirrors.urls entry '" + u +
                                 "' has no placeholder such as {sha256}");
                    c.fetch.contentMirrors.push_back(u);
                }
            // Nix's hashed-mirrors layout: MIRROR/ALGO/BASE16.
            if (auto cv = t->get("hashed"))
                for (auto& u : strings(file, *cv, "content-mirrors.hashed")) {
                    checkUrl(file, *cv, u, "content-mirrors.hashed");
                    c.fetch.contentMirrors.push_back(u + (u.ends_with("/") ? "" : "/") +
                                                     "{algo}/{hash}");
                }
        } else if (key == "crates") {
            auto t = v.as_table();
            if (!t) fail(file, v, "'crates' must be a table ([crates])");
            for (auto& [ck, cv] : *t) {
                if (ck.str() != "from")
                    fail(file, cv, "unknown key 'crates." + std::string(ck.str()) + "'");
                std::string from = str(file, cv, "crates.from");
                bool dir = from.starts_with("dir:") && from.size() > 4;
                if (from != "crates.io" && !dir && !from.starts_with("sparse+"))
                    checkUrl(file, cv, from, "crates.from");
                c.cratesFrom = from;
            }
        } else {
            fail(file, v, "unknown key '" + key + "'");
        }
    }
    return c;
}

UserConfig loadUserConfig() {
    std::string path = userConfigPath();
    std::string text;
    try {
        text = readFile(path);
    } catch (const SysError& e) {
        if (e.errNo == ENOENT) return {};
        throw;
    }
    return parseUserConfig(text, path);
}

namespace {
std::mutex overridesMutex;
ConfigOverrides overrides;
} // namespace

void setConfigOverrides(ConfigOverrides o) {
    std::lock_guard lk(overridesMutex);
    overrides = std::move(o);
}

FetchOptions userFetchOptions() {
    ConfigOverrides o;
    {
        std::lock_guard lk(overridesMutex);
        o = overrides;
    }
    FetchOptions f;
    if (!o.noConfig) f = loadUserConfig().fetch;
    f.prefixMirrors.insert(f.prefixMirrors.begin(), o.prefixMirrors.begin(), o.prefixMirrors.end());
    f.contentMirrors.insert(f.contentMirrors.begin(), o.contentMirrors.begin(),
                            o.contentMirrors.end());
    if (o.maxDownloads) f.maxDownloads = *o.maxDownloads;
    return f;
}

std::string userCratesFrom() {
    bool noConfig;
    {
        std::lock_guard lk(overridesMutex);
        noConfig = overrides.noConfig;
    }
    return noConfig ? std::string() : loadUserConfig().cratesFrom;
}

PrefixMirror parseMirrorOption(const std::string& arg) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
        throw UsageError("--mirror needs PREFIX=URL, not '" + arg + "'");
    return {arg.substr(0, eq), arg.substr(eq + 1)};
}

} // namespace ferrix
