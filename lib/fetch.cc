// The downloader. See fetch.hh.
#include "ferrix/fetch.hh"

#include "ferrix/error.hh"
#include "ferrix/file.hh"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <curl/curl.h>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace ferrix {

namespace {

void initCurl() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
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
    CURL* curl = curl_easy_init();
    if (!curl) return "cannot initialise libcurl";
    WriteState st{fd.get()};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    // Give up on a transfer slower than 10 bytes/s for a minute.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 10L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ferrix");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, writeCallback);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK) return "";
    if (st.err) return "writing '" + dest + "': " + std::strerror(st.err);
    return errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
}

} // namespace

std::string fetchUrls(const std::vector<std::string>& urls, const std::string& dest) {
    initCurl();
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
