// The downloader. See fetch.hh.
#include "ferrix/fetch.hh"

#include "ferrix/error.hh"
#include "ferrix/file.hh"

#define CURL_DISABLE_TYPECHECK 1
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace ferrix {

namespace {

// libcurl is opened when the first download starts, not linked: it drags in some forty shared
// libraries (TLS, HTTP/2, LDAP, Kerberos...) whose loading would cost every `ferrix` command
// about 10 ms of start-up, downloads or not.
struct Curl {
    CURLcode (*global_init)(long);
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_perform)(CURL*);
    void (*easy_cleanup)(CURL*);
    const char* (*easy_strerror)(CURLcode);
};

const Curl& curl() {
    static Curl c;
    static std::string error;
    static std::once_flag once;
    std::call_once(once, [] {
        void* h = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            error = std::string("cannot load libcurl: ") + ::dlerror();
            return;
        }
        auto sym = [&](const char* name) {
            void* p = ::dlsym(h, name);
            if (!p) error = std::string("libcurl lacks ") + name;
            return p;
        };
        c.global_init = reinterpret_cast<decltype(c.global_init)>(sym("curl_global_init"));
        c.easy_init = reinterpret_cast<decltype(c.easy_init)>(sym("curl_easy_init"));
        c.easy_setopt = reinterpret_cast<decltype(c.easy_setopt)>(sym("curl_easy_setopt"));
        c.easy_perform = reinterpret_cast<decltype(c.easy_perform)>(sym("curl_easy_perform"));
        c.easy_cleanup = reinterpret_cast<decltype(c.easy_cleanup)>(sym("curl_easy_cleanup"));
        c.easy_strerror = reinterpret_cast<decltype(c.easy_strerror)>(sym("curl_easy_strerror"));
        if (error.empty()) c.global_init(CURL_GLOBAL_DEFAULT);
    });
    if (!error.empty()) throw Error(error);
    return c;
}

struct WriteState {
    int fd;
    int err = 0;
};

size_t writeCallback(char* data, size_t size, size_t n, void* userp) {
    auto* st = static_cast<WriteState*>(userp);
    size_t total = size * n, done = 0;
    while (done < total) {
        ssize_t w = ::write(st->fd, data + done, total - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            st->err = errno;
            return 0; // makes curl fail with CURLE_WRITE_ERROR
        }
        done += size_t(w);
    }
    return total;
}

// Empty on success, else why it failed.
std::string fetchOne(const std::string& url, const std::string& dest) {
    AutoCloseFD fd(::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw SysError("creating '" + dest + "'");
    const Curl& lib = ferrix::curl();
    CURL* curl = lib.easy_init();
    if (!curl) return "cannot initialise libcurl";
    WriteState st{fd.get()};
    char errbuf[CURL_ERROR_SIZE] = "";
    lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
    lib.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    lib.easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    lib.easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    // Give up on a transfer slower than 10 bytes/s for a minute.
    lib.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 10L);
    lib.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
#if LIBCURL_VERSION_NUM >= 0x075500
    lib.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
    lib.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    lib.easy_setopt(curl, CURLOPT_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
    lib.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    lib.easy_setopt(curl, CURLOPT_USERAGENT, "ferrix");
    lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, writeCallback);
    lib.easy_setopt(curl, CURLOPT_WRITEDATA, &st);
    lib.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = lib.easy_perform(curl);
    lib.easy_cleanup(curl);
    if (rc == CURLE_OK) return "";
    if (st.err) return "writing '" + dest + "': " + std::strerror(st.err);
    return errbuf[0] ? std::string(errbuf) : std::string(lib.easy_strerror(rc));
}

} // namespace

std::string fetchUrls(const std::vector<std::string>& urls, const std::string& dest) {
    if (urls.empty()) throw Error("nothing to download: no URL given");
    std::string errors;
    for (auto& url : urls) {
        std::string why = fetchOne(url, dest);
        if (why.empty()) return url;
        errors += "\n  " + url + ": " + why;
    }
    ::unlink(dest.c_str());
    throw Error("download failed, every URL was tried:" + errors);
}

} // namespace ferrix
