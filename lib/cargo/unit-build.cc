#include "ferrix/cargo/unit-build.hh"

#include "ferrix/cargo/build-script.hh"
#include "ferrix/file.hh"
#include "ferrix/process.hh"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ferrix::cargo {

using json = nlohmann::json;

// --- The spec. -----------------------------------------------------------------------------------

std::string UnitSpec::description() const {
    std::string d = "`" + crate + "' " + version + " (" + kind;
    if (!targetName.empty() && targetName != crate && kind != "custom-build")
        d += " \"" + targetName + "\"";
    return d + ")";
}

namespace {

const json& field(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) throw UnitSpecError(std::string("the unit's spec has no \"") + key + "\"");
    return *it;
}

std::string stringField(const json& j, const char* key) {
    const json& v = field(j, key);
    if (!v.is_string())
        throw UnitSpecError(std::string("the unit's spec: \"") + key + "\" is not a string");
    return v.get<std::string>();
}

std::vector<std::string> stringsField(const json& j, const char* key) {
    const json& v = field(j, key);
    std::vector<std::string> out;
    if (v.is_array())
        for (auto& e : v)
            if (e.is_string()) out.push_back(e.get<std::string>());
    if (!v.is_array() || out.size() != v.size())
        throw UnitSpecError(std::string("the unit's spec: \"") + key +
                            "\" is not a list of strings");
    return out;
}

} // namespace

UnitSpec UnitSpec::parse(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw UnitSpecError("the unit's spec is not a JSON object");
    UnitSpec s;
    s.crate = stringField(j, "crate");
    s.version = stringField(j, "version");
    s.kind = stringField(j, "kind");
    s.targetName = stringField(j, "target-name");
    s.crateTypes = stringsField(j, "crate-types");
    s.mode = stringField(j, "mode");
    s.metadata = stringField(j, "metadata");
    s.program = stringField(j, "program");
    s.arguments = stringsField(j, "arguments");
    s.directory = stringField(j, "directory");
    s.placeholder = stringField(j, "placeholder");
    s.cargoVersion = stringField(j, "cargo-version");
    s.inputs = stringsField(j, "inputs");
    const json& link = field(j, "link-libs");
    if (!link.is_boolean()) throw UnitSpecError("the unit's spec: \"link-libs\" is not a boolean");
    s.linkLibs = link.get<bool>();
    const json& env = field(j, "environment");
    if (!env.is_array()) throw UnitSpecError("the unit's spec: \"environment\" is not a list");
    for (auto& e : env) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string())
            throw UnitSpecError("the unit's spec: \"environment\" holds something other than "
                                "a [NAME, VALUE] pair");
        s.environment.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    }
    const json& scripts = field(j, "scripts");
    if (!scripts.is_array()) throw UnitSpecError("the unit's spec: \"scripts\" is not a list");
    for (auto& e : scripts) {
        if (!e.is_object()) throw UnitSpecError("the unit's spec: a script is not an object");
        ScriptUse u{stringField(e, "item"), stringField(e, "what"), stringField(e, "links")};
        if (u.what != "own" && u.what != "link-search" && u.what != "metadata")
            throw UnitSpecError("the unit's spec: a script's use is \"" + u.what +
                                "\", not own, link-search or metadata");
        s.scripts.push_back(std::move(u));
    }
    return s;
}

std::string UnitSpec::toJSON() const {
    json env = json::array(), scriptList = json::array();
    for (auto& [k, v] : environment)
        env.push_back({k, v});
    for (auto& u : scripts)
        scriptList.push_back({{"item", u.item}, {"what", u.what}, {"links", u.links}});
    // One line, keys sorted: the derivation's hash depends on this text.
    json j = {{"crate", crate},
              {"version", version},
              {"kind", kind},
              {"target-name", targetName},
              {"crate-types", crateTypes},
              {"mode", mode},
              {"metadata", metadata},
              {"program", program},
              {"arguments", arguments},
              {"environment", env},
              {"directory", directory},
              {"scripts", scriptList},
              {"placeholder", placeholder},
              {"link-libs", linkLibs},
              {"cargo-version", cargoVersion},
              {"inputs", inputs}};
    return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

// --- The directives of the scripts a unit uses. ---------------------------------------------

namespace {

// Each run's directives, read once: a unit looks at the same script several times.
const BuildScriptOutput& directivesOf(const std::string& item) {
    static std::map<std::string, BuildScriptOutput> cache;
    auto it = cache.find(item);
    if (it == cache.end()) {
        std::string file = item + "/directives";
        it = cache.emplace(item, BuildScriptOutput::deserialise(readFile(file), file)).first;
    }
    return it->second;
}

} // namespace

bool linkArgApplies(const std::string& which, const std::string& kind,
                    const std::string& targetName, const std::vector<std::string>& crateTypes,
                    bool test) {
    auto has = [&](const char* t) {
        return std::find(crateTypes.begin(), crateTypes.end(), t) != crateTypes.end();
    };
    if (which.empty()) return true;
    if (which == "cdylib") return !test && has("cdylib");
    if (which == "bins") return kind == "bin";
    if (which == "tests") return kind == "test";
    if (which == "benches") return kind == "bench";
    if (which == "examples") return kind == "example" && has("bin");
    return kind == "bin" && which == "bin:" + targetName;
}

std::vector<std::string> scriptArguments(const std::vector<ScriptUse>& scripts,
                                         const std::string& kind, const std::string& targetName,
                                         const std::vector<std::string>& crateTypes, bool linkLibs,
                                         bool test) {
    std::vector<std::string> args;
    for (auto& u : scripts) {
        if (u.what == "metadata") continue;
        const BuildScriptOutput& d = directivesOf(u.item);
        bool own = u.what == "own";
        for (auto& s : d.linkSearch)
            args.insert(args.end(), {"-L", s});
        if (own && linkLibs)
            for (auto& l : d.linkLibs)
                args.insert(args.end(), {"-l", l});
        for (auto& [which, arg] : d.linkArgs)
            if ((own || which == "cdylib") &&
                linkArgApplies(which, kind, targetName, crateTypes, test))
                args.insert(args.end(), {"-C", "link-arg=" + arg});
    }
    for (auto& u : scripts) {
        if (u.what != "own") continue;
        const BuildScriptOutput& d = directivesOf(u.item);
        for (auto& c : d.cfgs)
            args.insert(args.end(), {"--cfg", c});
        for (auto& c : d.checkCfgs)
            args.insert(args.end(), {"--check-cfg", c});
    }
    return args;
}

EnvList scriptEnvironment(const std::vector<ScriptUse>& scripts) {
    EnvList env;
    for (auto& u : scripts) {
        if (u.what == "own") {
            env.emplace_back("OUT_DIR", u.item + "/out");
            for (auto& kv : directivesOf(u.item).env)
                env.push_back(kv);
        } else if (u.what == "metadata") {
            for (auto& [k, v] : directivesOf(u.item).metadata)
                env.emplace_back("DEP_" + envify(u.links) + "_" + envify(k), v);
        }
    }
    return env;
}

EnvList searchPathVariables(const std::vector<std::string>& inputs) {
    std::string path, pkgConfig;
    auto add = [](std::string& list, const std::string& dir) {
        if (!isDirectory(dir)) return;
        if (!list.empty()) list += ':';
        list += dir;
    };
    for (auto& i : inputs)
        add(path, i + "/bin");
    for (auto& i : inputs)
        add(pkgConfig, i + "/lib/pkgconfig");
    for (auto& i : inputs)
        add(pkgConfig, i + "/share/pkgconfig");
    EnvList env = {{"PATH", path.empty() ? "/usr/bin:/bin" : path + ":/usr/bin:/bin"}};
    if (!pkgConfig.empty()) {
        const char* old = std::getenv("PKG_CONFIG_PATH");
        env.emplace_back("PKG_CONFIG_PATH", old && *old ? pkgConfig + ":" + old : pkgConfig);
    }
    env.emplace_back("SOURCE_DATE_EPOCH", "1");
    return env;
}

// --- Running the unit. -----------------------------------------------------------------------

namespace {

void say(const std::string& text, FILE* to = stdout) {
    std::fwrite(text.data(), 1, text.size(), to);
    std::fflush(to);
}

[[noreturn]] void fail(const std::string& message) {
    throw UnitBuildError(message);
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
    if (from.empty()) return s;
    for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
        s.replace(at, from.size(), to);
    return s;
}

void setVariable(const std::string& name, const std::string& value) {
    if (setenv(name.c_str(), value.c_str(), 1) != 0) throw SysError("setenv " + name);
}

// Descriptor 3 when it is the build's jobserver, which CARGO_MAKEFLAGS announces
// (lib/jobserver.cc); else -1.
int jobserverDescriptor() {
    const char* flags = std::getenv("CARGO_MAKEFLAGS");
    if (!flags) return -1;
    std::string f = std::string(" ") + flags + " ";
    if (f.find(" --jobserver-auth=3,4 ") == std::string::npos) return -1;
    struct stat st;
    if (fstat(3, &st) != 0 || !S_ISFIFO(st.st_mode)) return -1;
    return 3;
}

int waitFor(pid_t pid);

// Starts `command` as spawnCommand does; a program that cannot be started (not executable, no
// interpreter, an environment too large) says why and gives status 127, as a shell would, so that
// the unit fails with its own sentence. Returns the pid, or -1 with `status` set.
pid_t start(const CommandSpawn& command, int& status) {
    try {
        return spawnCommand(command);
    } catch (const SysError& e) {
        say(std::string(e.what()) + "\n", stderr);
        status = 127 << 8;
        return -1;
    }
}

// The status of a command started by start().
int finish(pid_t pid, int status) {
    return pid < 0 ? status : waitFor(pid);
}

int waitFor(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw SysError("waitpid");
    return status;
}

std::string describeStatus(int status) {
    if (WIFEXITED(status))
        return "the build script exited with status " + std::to_string(WEXITSTATUS(status));
    return "the build script was killed by signal " + std::to_string(WTERMSIG(status));
}

void showFile(const char* title, const std::string& file) {
    struct stat st;
    if (stat(file.c_str(), &st) != 0 || st.st_size == 0) return;
    say(std::string(title) + "\n" + readFile(file), stderr);
}

// A build script run: its standard output saved as `output` and read for directives, its
// standard error kept aside for the failure's report.
void runBuildScript(const UnitSpec& spec, const std::string& out,
                    const std::vector<std::string>& argv, int jobserver) {
    std::string stdoutFile = out + "/output";
    const char* tmp = std::getenv("TMPDIR");
    std::string stderrFile = std::string(tmp && *tmp ? tmp : "/tmp") + "/build-script-stderr";
    createDirs(out + "/out");
    int status;
    {
        AutoCloseFD o(open(stdoutFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!o) throw SysError("open " + stdoutFile);
        AutoCloseFD e(open(stderrFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!e) throw SysError("open " + stderrFile);
        pid_t pid = start({argv, o.get(), e.get(), jobserver}, status);
        status = finish(pid, status);
    }
    auto showAndFail = [&](const std::string& why) {
        say(why + "\n", stderr);
        showFile("--- stdout", stdoutFile);
        showFile("--- stderr", stderrFile);
        fail("failed to run custom build command for " + spec.description());
    };
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) showAndFail(describeStatus(status));
    BuildScriptOutput d;
    try {
        d = BuildScriptOutput::parse(readFile(stdoutFile), spec.cargoVersion);
    } catch (const BuildScriptError& e) {
        showAndFail(e.what());
    }
    writeFile(out + "/directives", d.serialise(), 0644);
    std::string who = spec.crate + "@" + spec.version;
    for (auto& w : d.warnings)
        say("warning: " + who + ": " + w + "\n", stderr);
    if (!d.errors.empty()) {
        for (auto& e : d.errors)
            say("error: " + who + ": " + e + "\n", stderr);
        showAndFail("the build script reported errors");
    }
}

// The string value of `key` in one of rustc's JSON messages, or "".
std::string messageField(const json& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->is_string() ? it->get<std::string>() : "";
}

// rustc with JSON messages (standard output and error on one pipe): each diagnostic shown as
// rustc renders it, and as soon as the .rmeta is written it is copied into META/lib and META
// declared complete (doc/build.md, "Early outputs") while rustc goes on with the .rlib. Returns
// rustc's status; `declared` says whether META was.
int runRustcPipelined(const std::vector<std::string>& argv, int jobserver, const std::string& meta,
                      bool& declared) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe");
    AutoCloseFD readEnd(fds[0]), writeEnd(fds[1]);
    int status = 0;
    pid_t pid = start({argv, writeEnd.get(), writeEnd.get(), jobserver}, status);
    writeEnd.close();
    if (pid < 0) return status;
    std::string pending;
    auto line = [&](const std::string& l) {
        if (l.empty() || l[0] != '{') {
            say(l + "\n", stderr);
            return;
        }
        json m = json::parse(l, nullptr, false);
        if (m.is_discarded() || !m.is_object()) {
            say(l + "\n", stderr);
            return;
        }
        std::string artifact = messageField(m, "artifact");
        if (!artifact.empty()) {
            if (!declared && artifact.ends_with(".rmeta")) {
                createDirs(meta + "/lib");
                writeFile(meta + "/lib/" + baseNameOf(artifact), readFile(artifact), 0644);
                say("@ferrix output-complete meta\n");
                declared = true;
            }
            return;
        }
        std::string rendered = messageField(m, "rendered");
        if (!rendered.empty()) say(rendered, stderr);
    };
    try {
        char buf[65536];
        for (;;) {
            ssize_t n = read(readEnd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SysError("reading rustc's messages");
            if (n == 0) break;
            pending.append(buf, n);
            for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
                line(pending.substr(0, nl));
                pending.erase(0, nl + 1);
            }
        }
        if (!pending.empty()) line(pending);
    } catch (...) {
        // Its output goes nowhere any more: nothing of rustc outlives the unit.
        kill(pid, SIGTERM);
        waitFor(pid);
        throw;
    }
    return waitFor(pid);
}

// Leaves the .rmeta rustc wrote in OUT/lib only in META/lib: copied there already when
// `declared`, moved there otherwise.
void finishMeta(const std::string& out, const std::string& meta, bool declared) {
    std::string lib = out + "/lib";
    if (!isDirectory(lib)) return;
    for (auto& entry : readDirectory(lib)) {
        if (!entry.ends_with(".rmeta")) continue;
        std::string file = lib + "/" + entry;
        if (declared) {
            deletePath(file);
        } else {
            createDirs(meta + "/lib");
            if (rename(file.c_str(), (meta + "/lib/" + entry).c_str()) != 0)
                throw SysError("rename " + file);
        }
    }
}

// The executable rustc wrote as CRATE-METADATA (-C extra-filename) renamed as cargo uplifts it:
// bin/build-script-build, bin/TARGET for a binary, bin/TARGET-METADATA for a test.
void uplift(const UnitSpec& spec, const std::string& out) {
    if (spec.metadata.empty()) return;
    std::string crate = replaceAll(spec.targetName, "-", "_");
    std::string written = out + "/bin/" + crate + "-" + spec.metadata;
    std::string wanted =
        out + "/bin/" +
        (spec.kind == "custom-build"                     ? "build-script-build"
         : spec.mode == "test" || spec.mode == "doctest" ? spec.targetName + "-" + spec.metadata
                                                         : spec.targetName);
    if (written != wanted && pathExists(written) && rename(written.c_str(), wanted.c_str()) != 0)
        throw SysError("rename " + written);
}

// Out of lib/ and bin/ goes what the outputs of doc/per-crate.md do not hold: dep-info files,
// directories (incremental data); an emptied directory goes too.
void cleanOutput(const std::string& out) {
    for (const char* dir : {"/lib", "/bin"}) {
        std::string path = out + dir;
        if (!isDirectory(path)) continue;
        for (auto& entry : readDirectory(path)) {
            std::string file = path + "/" + entry;
            if (entry.ends_with(".d") || S_ISDIR(lstatPath(file).st_mode)) deletePath(file);
        }
        if (readDirectory(path).empty()) deletePath(path);
    }
}

} // namespace

void buildUnit(const UnitSpec& spec, const std::string& out, const std::string& meta) {
    auto subst = [&](const std::string& s) { return replaceAll(s, spec.placeholder, out); };
    std::string program = subst(spec.program);
    std::string directory = subst(spec.directory);
    std::vector<std::string> argv = {program};
    for (auto& a : spec.arguments)
        argv.push_back(subst(a));
    if (!spec.run()) {
        auto more = scriptArguments(spec.scripts, spec.kind, spec.targetName, spec.crateTypes,
                                    spec.linkLibs, spec.mode == "test");
        argv.insert(argv.end(), more.begin(), more.end());
        if (!meta.empty()) argv.insert(argv.end(), {"--error-format=json", "--json=artifacts"});
    }

    for (auto& [k, v] : searchPathVariables(spec.inputs))
        setVariable(k, v);
    if (!pathExists(program)) fail(spec.description() + ": " + program + ": no such file");
    for (auto& [k, v] : spec.environment)
        setVariable(k, subst(v));
    for (auto& [k, v] : scriptEnvironment(spec.scripts))
        setVariable(k, v);
    int jobserver = jobserverDescriptor();
    // A build script's NUM_JOBS, as cargo gives it: the run's cores, which the jobserver's
    // tokens bound; without one, the unit's own value stays.
    const char* cores = std::getenv("NIX_BUILD_CORES");
    if (spec.run() && cores && jobserver >= 0) setVariable("NUM_JOBS", cores);

    createDirs(out);
    // rustc writes into --out-dir, or -o's directory, which must exist.
    for (size_t i = 1; i + 1 < argv.size(); i++) {
        if (argv[i] == "--out-dir") createDirs(argv[i + 1]);
        if (argv[i] == "-o") createDirs(dirOf(argv[i + 1]));
    }
    std::string command;
    for (auto& a : argv)
        command += (command.empty() ? "" : " ") + a;
    say(std::string(spec.run() ? "running " : "compiling ") + spec.description() + "\n  in " +
        directory + "\n  " + command + "\n");
    if (chdir(directory.c_str()) != 0) throw SysError("chdir " + directory);

    if (spec.run()) {
        runBuildScript(spec, out, argv, jobserver);
        return;
    }
    bool declared = false;
    // rustc's codegen threads take the run's tokens.
    int status = 0;
    if (meta.empty()) {
        pid_t pid = start({argv, 1, 2, jobserver}, status);
        status = finish(pid, status);
    } else {
        status = runRustcPipelined(argv, jobserver, meta, declared);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("could not compile " + spec.description());
    if (!meta.empty()) finishMeta(out, meta, declared);
    if (spec.kind != "lib") uplift(spec, out);
    cleanOutput(out);
}

int unitBuilderMain() {
    try {
        // The spec comes as a file (passAsFile): a unit with hundreds of dependencies has a
        // spec larger than the kernel takes for one variable.
        const char* file = std::getenv("ferrixUnitPath");
        const char* out = std::getenv("out");
        if (!file || !out)
            throw UnitSpecError("`ferrix unit' runs as a unit's builder: ferrixUnitPath and out "
                                "are not set");
        UnitSpec spec = UnitSpec::parse(readFile(file));
        const char* meta = std::getenv("meta");
        // Neither rustc nor a build script needs it.
        unsetenv("ferrixUnitPath");
        buildUnit(spec, out, meta ? meta : "");
        return 0;
    } catch (const std::exception& e) { // ferrix's errors, and out of memory
        std::fflush(stdout);
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

} // namespace ferrix::cargo
