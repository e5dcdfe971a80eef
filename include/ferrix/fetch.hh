// The downloader: one engine (a libcurl multi handle, libcurl opened on first use) drives many
// transfers at once over shared connections (HTTP/2 multiplexing when the server offers it),
// retries transient failures with exponential backoff and jitter, tries a transfer's candidate
// URLs in order, and streams each body into a file (or memory) while hashing it. See doc/fetch.md.
#pragma once

#include "ferrix/error.hh"
#include "ferrix/hash.hh"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ferrix {

// A download failed for good. httpStatus() is the last HTTP status received (0 when there was
// none: a connection error, a timeout, a file:// URL...).
class FetchError : public Error {
public:
    explicit FetchError(const std::string& msg, long status = 0) : Error(msg), status(status) {}
    long httpStatus() const { return status; }

private:
    long status;
};

// A URL starting with `prefix` is also tried as `url` + the rest of it.
struct PrefixMirror {
    std::string prefix;
    std::string url;
};

struct FetchOptions {
    // Retries of one URL on a transient failure (5xx, 429, 408, connection reset or refused,
    // empty reply, partial body, timeout); other failures go to the next URL at once.
    unsigned attempts = 5;        // per URL, the first one included
    double retryDelay = 0.5;      // seconds before the first retry; doubles each time, +-50% jitter
    double maxRetryDelay = 30;    // cap of a delay (and of a server's Retry-After)
    long connectTimeout = 30;     // seconds
    long lowSpeedLimit = 10;      // bytes per second, below which for lowSpeedTime...
    long lowSpeedTime = 60;       // ...seconds an attempt is abandoned
    long timeout = 0;             // seconds for a whole attempt, 0 = none
    unsigned maxConnections = 32; // open connections in total
    unsigned maxHostConnections = 16; // per host (HTTP/2 multiplexes many transfers over one)
    unsigned maxDownloads = 16;       // transfers in flight at once
    // Mirrors, tried in this order: prefix mirrors of each URL, the URLs themselves, then the
    // content-addressed mirrors (templates filled with the expected hash, see candidateUrls).
    std::vector<PrefixMirror> prefixMirrors;
    std::vector<std::string> contentMirrors;
};

// One URL to try, and why it is tried ("" for a URL of the definition itself, else e.g.
// "mirror of https://crates.io/api/v1/crates/" or "content-addressed mirror").
struct FetchUrl {
    std::string url;
    std::string via;
};

// The URLs to try for `urls`, in order and without duplicates: every prefix mirror of every URL
// (mirrors in their order), the URLs themselves, then each content-addressed mirror template
// filled with `expected` (flat hashes only). Placeholders: {sha256} / {sha512} / {sha1} /
// {md5} (base16), {sha256-nix32}..., {sha256-base64}..., {algo} and {hash} (the expected
// hash's algorithm and base16 form); a template naming an algorithm other than the expected
// one is skipped. Nix's hashed mirrors are the template "MIRROR/{algo}/{hash}".
std::vector<FetchUrl> candidateUrls(const std::vector<std::string>& urls,
                                    const FetchOptions& options,
                                    const std::optional<Hash>& expected = std::nullopt);

struct DownloadRequest {
    std::vector<FetchUrl> urls;   // tried in order
    std::string dest;             // the file written (mode 0644); empty: kept in memory
    std::optional<Hash> expected; // flat hash checked as the body streams in
    std::string name;             // named in errors
    std::string tag;              // passed to the observer
};

// One attempt at one URL, for the log.
struct FetchAttempt {
    std::string url, via;
    std::string error; // empty: it worked
    long httpStatus = 0;
    bool willRetry = false;
};

struct DownloadResult {
    bool ok = false;
    std::string url; // the URL that worked
    std::string via;
    std::string data; // the body, for an in-memory request
    uint64_t size = 0;
    double seconds = 0;         // of the whole download, retries included
    std::optional<Hash> actual; // when a hash was expected: of the body that came
    std::vector<FetchAttempt> attempts;
    // On failure: the summary naming every URL tried, why, and the number of attempts; the
    // last HTTP status; whether a body came with the wrong hash (then `actual` is its hash).
    std::string error;
    long httpStatus = 0;
    bool hashMismatch = false;
    std::string mismatchUrl;
};

// Events of a download engine, called on its thread (keep them short); `tag` is the request's.
struct DownloadObserver {
    virtual ~DownloadObserver() = default;
    // An attempt starts (number: of this URL, from 1).
    virtual void attempt(const std::string& /*tag*/, const FetchUrl& /*url*/, unsigned /*number*/) {
    }
    // Bytes received by the current attempt (total: 0 when unknown), a few times a second.
    virtual void transferred(const std::string& /*tag*/, uint64_t /*got*/, uint64_t /*total*/) {}
    // An attempt failed; the next URL is tried next, or this one again after `delay` seconds
    // when failed.willRetry.
    virtual void failed(const std::string& /*tag*/, const FetchAttempt& /*failed*/,
                        double /*delay*/) {}
};

// The engine: a thread running one curl multi handle. Thread-safe.
class Downloader {
public:
    explicit Downloader(FetchOptions options = {}, DownloadObserver* observer = nullptr);
    ~Downloader(); // cancels what is still running (its callbacks get an error)
    Downloader(const Downloader&) = delete;
    Downloader& operator=(const Downloader&) = delete;

    // Queues a download; `done` is called once, on the engine's thread, with its result. A failed
    // download's file is deleted.
    void enqueue(DownloadRequest request, std::function<void(DownloadResult)> done);
    // Queues and waits.
    DownloadResult download(DownloadRequest request);

    const FetchOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl;
};

// GET `url` (prefix mirrors first, then itself) into memory with the retry policy; throws
// FetchError (httpStatus() 404 when every URL answered 404). The one-argument form uses the user
// configuration (config.hh) and a process-wide engine, so connections are reused across calls.
std::string fetchToString(const std::string& url);
std::string fetchToString(const std::string& url, const FetchOptions& options);

// Downloads the first of `urls` that works to the file `dest` (deleted on failure) and returns
// the URL used. Throws FetchError naming every URL tried and why each failed.
std::string fetchUrls(const std::vector<std::string>& urls, const std::string& dest);

} // namespace ferrix
