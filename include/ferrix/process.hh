// Running a child process the way a build runs: exactly the given environment, a working
// directory, stdout and stderr into one pipe read by the caller, stdin from /dev/null, its own
// session (so its whole process group can be killed), optionally contained (sandbox.hh), with a
// wall-clock timeout and a silence timeout.
//
// Everything the child does between fork() and execve() is a system call on memory prepared
// before fork(): safe in a multi-threaded parent (the scheduler forks from worker threads, and
// Guile has threads of its own).
#pragma once

#include "ferrix/sandbox.hh"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace ferrix {

struct SpawnOptions {
    std::string program;                    // absolute path, run as is (no PATH search)
    std::vector<std::string> args;          // argv[1...]; argv[0] is program
    std::map<std::string, std::string> env; // the whole environment
    std::string cwd;
    // Contained: its namespaces, root file system and identity (see sandbox.hh); the plan
    // must outlive the call. Null: run as the caller, in its namespaces.
    const SandboxPlan* sandbox = nullptr;
    unsigned timeout = 0;       // seconds, 0 = none: kill after that long
    unsigned maxSilentTime = 0; // seconds, 0 = none: kill after that long without output
    // Called with each chunk of the child's output, in order, from the calling thread.
    std::function<void(std::string_view)> onOutput;
    // Called once the child exists, with its pid (= its process group).
    std::function<void(pid_t)> onStart;
    // A descriptor the child gets as both 3 and 4 (a jobserver's read and write ends, see
    // jobserver.hh); -1: none, nothing but 0, 1 and 2 reaches it.
    int sharedFd = -1;
};

struct ProcessResult {
    int status = 0; // as from waitpid
    bool timedOut = false;
    bool silentTooLong = false;
    bool success() const;
    // "exited with status 2", "killed by signal 9", "timed out after 10 seconds"...
    std::string describe(const SpawnOptions& options) const;
};

// Runs the child to completion (and kills what is left of its process group once it has
// exited; in a PID namespace the kernel kills every process of the build when the builder, its
// first process, exits). Throws SysError if it cannot be
// started; a program that cannot be executed exits with status 127 after writing why.
ProcessResult runProcess(const SpawnOptions& options);

// A plain child of the calling process, as a build side starts rustc, a build script or a test:
// argv[0] searched on PATH (a file the kernel cannot execute, a script without #!, is run by
// /bin/sh, as execvp does), the caller's environment and directory, its standard output and
// error on the given descriptors (any of them, even crossed: output to 2 and error to 1), the
// jobserver descriptor (if any) as 3 and 4 through a file
// description of its own (a client making it non-blocking changes nothing for the caller),
// nothing else inherited, default signal dispositions and an empty mask. posix_spawn: no copy of
// the caller's memory and no loop over every possible descriptor, which cost Guile's system*
// about 20 ms a child under a high RLIMIT_NOFILE. Returns its pid, for the caller to wait for;
// throws SysError if it cannot be started.
struct CommandSpawn {
    std::vector<std::string> argv;
    int stdoutFd = 1;
    int stderrFd = 2;
    int jobserverFd = -1;
};
pid_t spawnCommand(const CommandSpawn& command);

} // namespace ferrix
