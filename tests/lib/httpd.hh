// tests/lib/httpd.py from C++ tests and benchmarks: started as a child process on 127.0.0.1,
// stopped (by its pid) when the object goes away.
#pragma once

#include "ferrix/error.hh"
#include "ferrix/file.hh"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace ferrix::test {

class TestServer {
public:
    // Serves `root`; `options` are httpd.py's (--fault GLOB=SPEC, --latency MS...). The request
    // log records client ports (--log-connections).
    TestServer(const std::string& root, const std::string& stateDir,
               std::vector<std::string> options = {}) {
        portFile = stateDir + "/port";
        logFile = stateDir + "/requests.log";
        std::vector<std::string> argv = {"python3",
                                         FERRIX_SOURCE_DIR "/tests/lib/httpd.py",
                                         "--root",
                                         root,
                                         "--port-file",
                                         portFile,
                                         "--log",
                                         logFile,
                                         "--log-connections",
                                         "--max-seconds",
                                         "600"};
        argv.insert(argv.end(), options.begin(), options.end());
        std::vector<char*> cargv;
        for (auto& a : argv)
            cargv.push_back(a.data());
        cargv.push_back(nullptr);
        if (int e = ::posix_spawnp(&pid, "python3", nullptr, nullptr, cargv.data(), environ))
            throw SysError(e, "starting httpd.py");
        // Python can take seconds to start on a loaded machine: wait for its port file as
        // long as it lives, two minutes at most.
        bool exited = false;
        for (int i = 0; i < 4800 && !ready(); i++) {
            int st;
            if (::waitpid(pid, &st, WNOHANG) == pid) {
                exited = true;
                pid = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        if (!ready()) {
            stop();
            throw Error(exited ? "httpd.py exited before it gave its port"
                               : "httpd.py gave no port within two minutes");
        }
        port = std::stoi(readFile(portFile));
        url = "http://127.0.0.1:" + std::to_string(port);
    }
    ~TestServer() { stop(); }
    bool ready() const { return pathExists(portFile); } // httpd.py renames it into place
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    void stop() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int st;
            ::waitpid(pid, &st, 0);
            pid = -1;
        }
    }

    // The request log's lines ("METHOD PATH STATUS PORT").
    std::vector<std::string> requests() const {
        std::vector<std::string> out;
        std::ifstream in(logFile);
        std::string line;
        while (std::getline(in, line))
            out.push_back(line);
        return out;
    }
    // Requests whose line contains `text`.
    size_t count(const std::string& text) const {
        size_t n = 0;
        for (auto& l : requests())
            if (l.find(text) != std::string::npos) n++;
        return n;
    }

    pid_t pid = -1;
    int port = 0;
    std::string url, portFile, logFile;
};

} // namespace ferrix::test
