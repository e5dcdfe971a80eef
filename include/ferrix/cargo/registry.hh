// The client of a cargo registry over the sparse protocol: config.json, index files, download
// URLs, and the crates.io-shaped web API (descriptions, licenses) when config.json has "api".
// A registry is named by its index URL, "sparse+https://index.crates.io/" by default; plain
// http(s) URLs are taken as sparse indexes too.
#pragma once

#include "ferrix/cargo/index.hh"

#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferrix::cargo {

inline constexpr const char* defaultRegistryUrl = "sparse+https://index.crates.io/";

// "sparse+URL/" with exactly one trailing slash; crates.io's git index URL is crates.io's sparse
// one (as cargo uses it). Throws FormatError for anything else than
// sparse+http(s)://, http:// or https:// (git and local registries are not supported).
std::string normalizeRegistryUrl(std::string_view url);

struct RegistryConfig {
    std::string dl;  // download URL template
    std::string api; // web API base URL, "" when the registry has none
};

// The download URL of a crate version from config.json's "dl": markers {crate}, {version},
// {prefix}, {lowerprefix}, {sha256-checksum}; without any marker, DL/{crate}/{version}/download.
std::string downloadUrl(const std::string& dl, std::string_view name, std::string_view version,
                        std::string_view cksum);

// A version of a crate: its index entry, plus what the web API knows about it.
struct CrateVersion {
    IndexEntry entry;
    std::optional<std::string> license; // SPDX expression
    std::optional<std::uint64_t> crateSize;
};

// A crate: index entries (authoritative for versions, dependencies, features, checksums)
// merged with the web API's metadata (nullopt without an API, or when the API lacks it).
struct Crate {
    std::string name; // as the index spells it
    std::optional<std::string> description, homepage, repository, documentation;
    std::vector<CrateVersion> versions; // newest first by semver precedence
};

// Process-wide and thread-safe: config.json, index files and API answers are fetched once.
class Registry {
public:
    // The registry of `url` (normalised), shared by every caller in the process.
    static Registry& open(std::string_view url = defaultRegistryUrl);

    const std::string& url() const { return url_; }
    // The HTTP(S) base the index files are under ("https://index.crates.io/").
    std::string indexBase() const;
    const RegistryConfig& config();

    // The entries of NAME's index file (newer formats skipped), nullopt when the registry
    // does not have the crate (404, 410 or 451, as cargo treats them). Throws FetchError or
    // FormatError naming the URL otherwise.
    std::optional<std::vector<IndexEntry>> index(std::string_view name);
    // Fetches the index files of `names` not fetched yet, up to `jobs` at once (connections
    // reused), so that index() and lookup() then answer from memory. A failure is remembered
    // and thrown by the index() call for that name.
    void prefetch(const std::vector<std::string>& names, unsigned jobs = 16);
    // Index and API merged; nullopt when the registry does not have the crate. Without
    // `metadata`, the index alone (one request less per crate, for the updater).
    std::optional<Crate> lookup(std::string_view name, bool metadata = true);
    // The download URL of NAME VERSION (the index is read only if dl needs the checksum).
    std::string downloadUrl(std::string_view name, std::string_view version);

    explicit Registry(std::string normalizedUrl);

private:
    std::string url_;
    std::mutex mutex_; // guards the caches; fetches run outside it
    std::optional<RegistryConfig> config_;
    std::map<std::string, std::optional<std::vector<IndexEntry>>> index_; // by lowercased name
    std::map<std::string, std::exception_ptr> failed_;   // by prefetch(), by lowercased name
    std::map<std::string, std::optional<Crate>> crates_; // by lowercased name
    std::optional<Crate> fetchCrate(std::string_view name, bool metadata);
};

// Fetches URL into memory (retries, mirrors, redirects); nullopt when the server says the
// file is not there (404, 410, 451). The seam the tests and the client share.
std::optional<std::string> fetchOptional(const std::string& url);

} // namespace ferrix::cargo
