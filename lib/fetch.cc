// The downloader. See fetch.hh and doc/fetch.md.
//
// One thread per engine runs a curl multi handle: transfers wait in a queue (ordered by the time
// they may start: a retry waits for its backoff), up to maxDownloads are attached to the multi
// handle at once, and a finished attempt either completes its transfer, is queued again for a
// retry of the same URL, or moves on to the next URL.
#include "ferrix/fetch.hh"

#include "ferrix/config.hh"
#include "ferrix/file.hh"
#include "shared-library.hh"

#define CURL_DISABLE_TYPECHECK 1
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <curl/curl.h>
#include <deque>
#include <fcntl.h>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unistd.h>

#ifndef FERRIX_VERSION
#define FERRIX_VERSION "unknown"
#endif

namespace ferrix {

namespace {

using Clock = std::chrono::steady_clock;

// libcurl is opened when the first download starts, not linked: it drags in some forty shared
// libraries (TLS, HTTP/2, LDAP, Kerberos...) whose loading would cost every `ferrix` command
// about 10 ms of start-up, downloads or not.
struct Curl {
    CURLcode (*global_init)(long);
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    void (*easy_cleanup)(CURL*);
    const char* (*easy_strerror)(CURLcode);
    CURLM* (*multi_init)();
    CURLMcode (*multi_setopt)(CURLM*, CURLMoption, ...);
    CURLMcode (*multi_add_handle)(CURLM*, CURL*);
    CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
    CURLMcode (*multi_perform)(CURLM*, int*);
    CURLMcode (*multi_poll)(CURLM*, struct curl_waitfd*, unsigned, int, int*);
    CURLMcode (*multi_wakeup)(CURLM*);
    CURLMsg* (*multi_info_read)(CURLM*, int*);
    CURLMcode (*multi_cleanup)(CURLM*);
};

const Curl& curl() {
    static Curl c;
    static std::string error;
    static std::once_flag once;
    std::call_once(once, [] {
        SharedLibrary lib({"libcurl.so.4"}, "libcurl");
        auto sym = [&](auto& fn, const char* name) {
            lib.function(fn, name, "libcurl 7.68 or later needed");
        };
        sym(c.global_init, "curl_global_init");
        sym(c.easy_init, "curl_easy_init");
        sym(c.easy_setopt, "curl_easy_setopt");
        sym(c.easy_getinfo, "curl_easy_getinfo");
        sym(c.easy_cleanup, "curl_easy_cleanup");
        sym(c.easy_strerror, "curl_easy_strerror");
        sym(c.multi_init, "curl_multi_init");
        sym(c.multi_setopt, "curl_multi_setopt");
        sym(c.multi_add_handle, "curl_multi_add_handle");
        sym(c.multi_remove_handle, "curl_multi_remove_handle");
        sym(c.multi_perform, "curl_multi_perform");
        sym(c.multi_poll, "curl_multi_poll");
        sym(c.multi_wakeup, "curl_multi_wakeup");
        sym(c.multi_info_read, "curl_multi_info_read");
        sym(c.multi_cleanup, "curl_multi_cleanup");
        error = lib.error;
        if (error.empty()) c.global_init(CURL_GLOBAL_DEFAULT);
    });
    if (!error.empty()) throw FetchError(error);
    return c;
}

const char* reasonPhrase(long status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 410:
        return "Gone";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

// Whether a failed attempt may succeed if made again.
bool transient(CURLcode rc, long status) {
    switch (rc) {
    case CURLE_HTTP_RETURNED_ERROR:
        return status >= 500 || status == 429 || status == 408;
    case CURLE_COULDNT_CONNECT:    // refused: a server restarting
    case CURLE_OPERATION_TIMEDOUT: // connect, low-speed and total timeouts
    case CURLE_RECV_ERROR:         // connection reset
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:  // empty reply
    case CURLE_PARTIAL_FILE: // body shorter than announced
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false; // 4xx, unknown host, bad URL, file not found...
    }
}

struct Transfer {
    DownloadRequest req;
    std::function<void(DownloadResult)> done;
    DownloadResult result;
    size_t urlIndex = 0;
    unsigned attemptsOnUrl = 0;
    Clock::time_point start, notBefore;
    // The current attempt.
    CURL* easy = nullptr;
    AutoCloseFD fd;
    std::unique_ptr<HashSink> hasher;
    uint64_t got = 0;        // bytes of the body kept so far (resumed ones included)
    uint64_t resumeFrom = 0; // > 0: this attempt asks for the rest (Range) of a partial body
    bool firstChunk = true;
    const Curl* lib = nullptr;
    int writeErrno = 0;
    char errbuf[CURL_ERROR_SIZE] = "";
};

// Back to an empty body (a server that ignored Range sends the whole file again).
void restartBody(Transfer& t) {
    t.got = 0;
    t.result.data.clear();
    t.hasher = t.req.expected ? std::make_unique<HashSink>(t.req.expected->algo) : nullptr;
    if (t.fd && (::ftruncate(t.fd.get(), 0) != 0 || ::lseek(t.fd.get(), 0, SEEK_SET) != 0))
        t.writeErrno = errno;
}

size_t writeCallback(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    size_t total = size * n;
    std::string_view chunk(data, total);
    if (t->firstChunk) {
        t->firstChunk = false;
        long status = 0;
        t->lib->easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        // 206: the rest of the body asked for; anything else is the whole body.
        if (t->resumeFrom > 0 && status != 206) restartBody(*t);
        if (t->writeErrno) return 0;
    }
    if (t->hasher) (*t->hasher)(chunk);
    if (t->fd) {
        size_t done = 0;
        while (done < total) {
            ssize_t w = ::write(t->fd.get(), data + done, total - done);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                t->writeErrno = errno;
                return 0; // makes curl fail with CURLE_WRITE_ERROR
            }
            done += size_t(w);
        }
    } else {
        t->result.data.append(chunk);
    }
    t->got += total;
    return total;
}

std::string summarise(const Transfer& t) {
    // One line per URL tried: its last error and how many attempts it took.
    std::string lines;
    size_t i = 0;
    auto& as = t.result.attempts;
    while (i < as.size()) {
        size_t j = i;
        while (j + 1 < as.size() && as[j + 1].url == as[i].url)
            j++;
        unsigned n = unsigned(j - i + 1);
        lines += "\n  " + as[j].url;
        if (!as[j].via.empty()) lines += " (" + as[j].via + ")";
        lines += ": " + as[j].error;
        if (n > 1) lines += " (" + std::to_string(n) + " attempts)";
        i = j + 1;
    }
    std::string what = t.req.name.empty() ? std::string("download") : "'" + t.req.name + "'";
    return "cannot download " + what + ": every URL failed (" + std::to_string(as.size()) +
           " attempt" + (as.size() == 1 ? "" : "s") + ")" + lines;
}

} // namespace

struct Downloader::Impl {
    FetchOptions opts;
    DownloadObserver* observer;
    const Curl& lib;
    CURLM* multi = nullptr;
    std::mutex m;
    std::deque<std::unique_ptr<Transfer>> incoming;
    bool stopping = false;
    std::thread worker;
    // Owned by the worker.
    std::deque<std::unique_ptr<Transfer>> waiting;
    std::map<CURL*, std::unique_ptr<Transfer>> running;
    std::mt19937_64 rng{std::random_device{}()};

    Impl(FetchOptions o, DownloadObserver* obs) : opts(std::move(o)), observer(obs), lib(curl()) {
        if (opts.maxDownloads == 0) opts.maxDownloads = 1;
        if (opts.attempts == 0) opts.attempts = 1;
        multi = lib.multi_init();
        if (!multi) throw FetchError("cannot initialise libcurl's multi handle");
        lib.multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        lib.multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, long(opts.maxConnections));
        lib.multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, long(opts.maxHostConnections));
        lib.multi_setopt(multi, CURLMOPT_MAXCONNECTS, long(std::max(opts.maxConnections, 4u)));
        worker = std::thread([this] { loop(); });
    }

    ~Impl() {
        {
            std::lock_guard lk(m);
            stopping = true;
        }
        lib.multi_wakeup(multi);
        worker.join();
        lib.multi_cleanup(multi);
    }

    void startAttempt(Transfer& t);
    void finishAttempt(Transfer& t, CURLcode rc);
    void complete(std::unique_ptr<Transfer> t, bool ok);
    void loop();
};

void Downloader::Impl::startAttempt(Transfer& t) {
    const FetchUrl& u = t.req.urls[t.urlIndex];
    t.writeErrno = 0;
    t.errbuf[0] = 0;
    t.firstChunk = true;
    t.lib = &lib;
    if (!t.req.dest.empty()) {
        t.fd = AutoCloseFD(::open(t.req.dest.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        if (!t.fd) throw SysError("creating '" + t.req.dest + "'");
    }
    // A retry of the same URL after part of the body came asks for the rest only; the hash so
    // far is kept. Only when the hash is known in advance: a file changed on the server between
    // two attempts would otherwise be stored spliced. Otherwise the body starts afresh.
    t.resumeFrom = t.got;
    if (t.resumeFrom == 0 || !t.req.expected || !t.hasher) {
        t.resumeFrom = 0;
        restartBody(t);
    } else if (t.fd && (::ftruncate(t.fd.get(), off_t(t.got)) != 0 ||
                        ::lseek(t.fd.get(), 0, SEEK_END) < 0)) {
        throw SysError("resuming '" + t.req.dest + "'");
    }
    CURL* e = lib.easy_init();
    if (!e) throw FetchError("cannot initialise a libcurl handle");
    t.easy = e;
    lib.easy_setopt(e, CURLOPT_URL, u.url.c_str());
    lib.easy_setopt(e, CURLOPT_PRIVATE, &t);
    lib.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    lib.easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    lib.easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    lib.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    lib.easy_setopt(e, CURLOPT_PIPEWAIT, 1L); // wait for a connection to multiplex over
    lib.easy_setopt(e, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_2TLS));
    lib.easy_setopt(e, CURLOPT_CONNECTTIMEOUT, opts.connectTimeout);
    lib.easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, opts.lowSpeedLimit);
    lib.easy_setopt(e, CURLOPT_LOW_SPEED_TIME, opts.lowSpeedTime);
    lib.easy_setopt(e, CURLOPT_TIMEOUT, opts.timeout);
#if LIBCURL_VERSION_NUM >= 0x075500
    lib.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
    lib.easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    lib.easy_setopt(e, CURLOPT_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
    lib.easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    lib.easy_setopt(e, CURLOPT_USERAGENT, "ferrix/" FERRIX_VERSION);
    lib.easy_setopt(e, CURLOPT_WRITEFUNCTION, writeCallback);
    lib.easy_setopt(e, CURLOPT_WRITEDATA, &t);
    lib.easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
    if (t.resumeFrom > 0) lib.easy_setopt(e, CURLOPT_RESUME_FROM_LARGE, curl_off_t(t.resumeFrom));
    if (observer) observer->attempt(t.req.tag, u, t.attemptsOnUrl + 1);
    lib.multi_add_handle(multi, e);
}

void Downloader::Impl::finishAttempt(Transfer& t, CURLcode rc) {
    long status = 0;
    lib.easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t retryAfter = 0;
    lib.easy_getinfo(t.easy, CURLINFO_RETRY_AFTER, &retryAfter);
    lib.multi_remove_handle(multi, t.easy);
    lib.easy_cleanup(t.easy);
    t.easy = nullptr;
    t.fd.close();
    const FetchUrl& u = t.req.urls[t.urlIndex];
    FetchAttempt a{u.url, u.via, "", 0, false};
    bool retry = false, fatal = false;
    if (rc == CURLE_OK) {
        if (t.hasher) {
            Hash actual = t.hasher->finish();
            t.hasher.reset();
            t.result.actual = actual;
            if (actual != *t.req.expected) {
                a.error = "hash mismatch: expected " + t.req.expected->to(HashFormat::Nix32, true) +
                          ", got " + actual.to(HashFormat::Nix32, true);
                t.result.hashMismatch = true;
                t.result.mismatchUrl = u.url;
            }
        }
    } else if (t.writeErrno) {
        a.error = "writing '" + t.req.dest + "': " + std::strerror(t.writeErrno);
        fatal = true;
    } else {
        if (rc == CURLE_HTTP_RETURNED_ERROR) {
            a.httpStatus = status;
            a.error = "HTTP " + std::to_string(status);
            if (*reasonPhrase(status)) a.error += std::string(" ") + reasonPhrase(status);
        } else {
            a.error = t.errbuf[0] ? std::string(t.errbuf) : std::string(lib.easy_strerror(rc));
        }
        retry = transient(rc, status);
        // The range asked for is refused: start again from nothing.
        if (t.resumeFrom > 0 && (status == 416 || rc == CURLE_RANGE_ERROR)) retry = true;
    }
    if (a.httpStatus) t.result.httpStatus = a.httpStatus;
    bool ok = a.error.empty();
    t.attemptsOnUrl++;
    if (ok) {
        t.result.attempts.push_back(a);
        t.result.url = u.url;
        t.result.via = u.via;
        t.result.size = t.got;
        t.result.hashMismatch = false;
        return;
    }
    // Only a body cut short is worth resuming; after an HTTP error (a 5xx page, or a 416 for a
    // range the server no longer has) the next attempt starts from nothing.
    bool resumable = rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
                     rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_HTTP2_STREAM;
    if (!retry || !resumable || t.attemptsOnUrl >= opts.attempts) t.got = 0;
    if (retry && t.attemptsOnUrl < opts.attempts) {
        a.willRetry = true;
        double delay = opts.retryDelay * std::pow(2.0, double(t.attemptsOnUrl - 1));
        delay *= std::uniform_real_distribution<double>(0.5, 1.5)(rng);
        if (retryAfter > 0 && (status == 429 || status == 503))
            delay = std::max(delay, double(retryAfter));
        delay = std::min(delay, opts.maxRetryDelay);
        t.notBefore = Clock::now() + std::chrono::microseconds(long(delay * 1e6));
        t.result.attempts.push_back(a);
        if (observer) observer->failed(t.req.tag, a, delay);
        return;
    }
    t.result.attempts.push_back(a);
    if (observer) observer->failed(t.req.tag, a, 0);
    if (fatal) {
        t.urlIndex = t.req.urls.size();
        return;
    }
    t.urlIndex++;
    t.attemptsOnUrl = 0;
    t.notBefore = Clock::now();
}

void Downloader::Impl::complete(std::unique_ptr<Transfer> t, bool ok) {
    t->result.ok = ok;
    t->result.seconds = std::chrono::duration<double>(Clock::now() - t->start).count();
    if (!ok) {
        if (t->result.error.empty()) t->result.error = summarise(*t);
        if (!t->req.dest.empty()) ::unlink(t->req.dest.c_str());
        t->result.data.clear();
    }
    try {
        t->done(std::move(t->result));
    } catch (...) {
        // A callback must not throw into the engine; nothing sensible to do with it here.
    }
}

void Downloader::Impl::loop() {
    auto lastProgress = Clock::now();
    while (true) {
        bool stop;
        {
            std::lock_guard lk(m);
            stop = stopping;
            while (!incoming.empty()) {
                waiting.push_back(std::move(incoming.front()));
                incoming.pop_front();
            }
        }
        if (stop) break;
        auto now = Clock::now();
        // Start what may start, oldest first.
        for (auto it = waiting.begin();
             it != waiting.end() && running.size() < opts.maxDownloads;) {
            if ((*it)->notBefore > now) {
                ++it;
                continue;
            }
            std::unique_ptr<Transfer> t = std::move(*it);
            it = waiting.erase(it);
            if (t->urlIndex >= t->req.urls.size()) {
                complete(std::move(t), false);
                continue;
            }
            try {
                startAttempt(*t);
                CURL* e = t->easy;
                running.emplace(e, std::move(t));
            } catch (const std::exception& ex) {
                if (t->easy) {
                    lib.easy_cleanup(t->easy);
                    t->easy = nullptr;
                }
                t->result.error = ex.what();
                complete(std::move(t), false);
            }
        }
        int still = 0;
        lib.multi_perform(multi, &still);
        int left = 0;
        bool finished = false;
        while (CURLMsg* msg = lib.multi_info_read(multi, &left)) {
            if (msg->msg != CURLMSG_DONE) continue;
            auto it = running.find(msg->easy_handle);
            if (it == running.end()) continue;
            CURLcode rc = msg->data.result;
            std::unique_ptr<Transfer> t = std::move(it->second);
            running.erase(it);
            finishAttempt(*t, rc);
            finished = true;
            if (!t->result.url.empty())
                complete(std::move(t), true);
            else if (t->urlIndex >= t->req.urls.size())
                complete(std::move(t), false);
            else
                waiting.push_back(std::move(t));
        }
        now = Clock::now();
        if (observer && now - lastProgress >= std::chrono::milliseconds(200)) {
            lastProgress = now;
            for (auto& [e, t] : running) {
                curl_off_t total = -1;
                lib.easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
                observer->transferred(t->req.tag, t->got, total > 0 ? uint64_t(total) : 0);
            }
        }
        // Sleep until curl has work, a retry is due, or something is queued (multi_wakeup).
        long timeoutMs = 1000;
        if (running.size() < opts.maxDownloads)
            for (auto& t : waiting) {
                auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t->notBefore - now)
                              .count();
                timeoutMs = std::min<long>(timeoutMs, std::max<long>(ms, 0));
            }
        if (observer && !running.empty()) timeoutMs = std::min<long>(timeoutMs, 200);
        if (finished) timeoutMs = 0;
        if (timeoutMs > 0) lib.multi_poll(multi, nullptr, 0, int(timeoutMs), nullptr);
    }
    // Stopping: whatever is left fails.
    for (auto& [e, t] : running) {
        lib.multi_remove_handle(multi, e);
        lib.easy_cleanup(e);
        t->easy = nullptr;
        t->fd.close();
        t->result.error = "download cancelled";
        complete(std::move(t), false);
    }
    running.clear();
    {
        std::lock_guard lk(m);
        for (auto& t : incoming)
            waiting.push_back(std::move(t));
        incoming.clear();
    }
    for (auto& t : waiting) {
        t->result.error = "download cancelled";
        complete(std::move(t), false);
    }
    waiting.clear();
}

Downloader::Downloader(FetchOptions options, DownloadObserver* observer)
    : impl(std::make_unique<Impl>(std::move(options), observer)) {}

Downloader::~Downloader() = default;

const FetchOptions& Downloader::options() const {
    return impl->opts;
}

void Downloader::enqueue(DownloadRequest request, std::function<void(DownloadResult)> done) {
    auto t = std::make_unique<Transfer>();
    t->req = std::move(request);
    t->done = std::move(done);
    t->start = t->notBefore = Clock::now();
    if (t->req.urls.empty()) {
        DownloadResult r;
        r.error = "cannot download '" + t->req.name + "': no URL given";
        t->done(std::move(r));
        return;
    }
    {
        std::lock_guard lk(impl->m);
        impl->incoming.push_back(std::move(t));
    }
    impl->lib.multi_wakeup(impl->multi);
}

DownloadResult Downloader::download(DownloadRequest request) {
    std::promise<DownloadResult> p;
    auto f = p.get_future();
    enqueue(std::move(request), [&p](DownloadResult r) { p.set_value(std::move(r)); });
    return f.get();
}

std::vector<FetchUrl> candidateUrls(const std::vector<std::string>& urls,
                                    const FetchOptions& options,
                                    const std::optional<Hash>& expected) {
    std::vector<FetchUrl> out;
    auto add = [&](std::string url, std::string via) {
        for (auto& c : out)
            if (c.url == url) return;
        out.push_back({std::move(url), std::move(via)});
    };
    for (auto& u : urls)
        for (auto& m : options.prefixMirrors)
            if (!m.prefix.empty() && u.starts_with(m.prefix))
                add(m.url + u.substr(m.prefix.size()), "mirror of " + m.prefix);
    for (auto& u : urls)
        add(u, "");
    if (!expected) return out;
    std::string algo(algoName(expected->algo));
    for (auto& tmpl : options.contentMirrors) {
        std::string url;
        bool usable = true;
        size_t i = 0;
        while (i < tmpl.size()) {
            if (tmpl[i] != '{') {
                url += tmpl[i++];
                continue;
            }
            size_t close = tmpl.find('}', i);
            if (close == std::string::npos) {
                usable = false;
                break;
            }
            std::string key = tmpl.substr(i + 1, close - i - 1);
            i = close + 1;
            std::string name = key, fmt = "base16";
            if (auto dash = key.find('-'); dash != std::string::npos) {
                name = key.substr(0, dash);
                fmt = key.substr(dash + 1);
            }
            if (key == "algo") {
                url += algo;
                continue;
            }
            if (name == "hash") name = algo;
            if (name != algo) {
                usable = false; // names another algorithm
                break;
            }
            if (fmt == "base16")
                url += expected->to(HashFormat::Base16);
            else if (fmt == "nix32")
                url += expected->to(HashFormat::Nix32);
            else if (fmt == "base64")
                url += expected->to(HashFormat::Base64);
            else {
                usable = false;
                break;
            }
        }
        if (usable) add(url, "content-addressed mirror");
    }
    return out;
}

namespace {

Downloader& sharedDownloader() {
    // Never destroyed: its thread may still be blocked in poll at exit, harmlessly.
    static Downloader* d = new Downloader(userFetchOptions());
    return *d;
}

std::string fetchWith(Downloader& d, const std::string& url, const FetchOptions& options) {
    DownloadRequest req;
    req.urls = candidateUrls({url}, options);
    req.name = url;
    DownloadResult r = d.download(std::move(req));
    if (!r.ok) throw FetchError(r.error, r.httpStatus);
    return std::move(r.data);
}

} // namespace

std::string fetchToString(const std::string& url) {
    return fetchWith(sharedDownloader(), url, sharedDownloader().options());
}

std::string fetchToString(const std::string& url, const FetchOptions& options) {
    Downloader d(options);
    return fetchWith(d, url, options);
}

std::string fetchUrls(const std::vector<std::string>& urls, const std::string& dest) {
    if (urls.empty()) throw FetchError("nothing to download: no URL given");
    Downloader d(FetchOptions{});
    DownloadRequest req;
    for (auto& u : urls)
        req.urls.push_back({u, ""});
    req.dest = dest;
    req.name = baseNameOf(dest);
    DownloadResult r = d.download(std::move(req));
    if (!r.ok) throw FetchError(r.error, r.httpStatus);
    return r.url;
}

} // namespace ferrix
