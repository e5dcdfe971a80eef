// Build primitives: realising derivations (events going to the display or to a Scheme
// procedure) and finding build logs. Conversions and the boundary only; the keyword API is
// (ferrix store) 'build-derivations' and 'log-file'.
#include "convert.hh"
#include "guard.hh"
#include "primitive.hh"
#include "store-object.hh"

#include "ferrix/build-display.hh"
#include "ferrix/build-log.hh"
#include "ferrix/build-timings.hh"
#include "ferrix/cores.hh"
#include "ferrix/derivation-builder.hh"
#include "ferrix/scheduler.hh"

#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ferrix::guile {

namespace {

// Step 1: a non-negative exact integer that fits an unsigned int.
unsigned checkCount(SCM obj, int pos, const char* subr) {
    if (!scm_is_unsigned_integer(obj, 0, 1000000))
        scm_wrong_type_arg_msg(subr, pos, obj, "non-negative integer");
    return scm_to_uint(obj);
}

// Events of a run on other threads, kept until the Guile thread delivers them.
class EventQueue : public BuildObserver {
public:
    void event(const BuildEvent& e) override {
        std::lock_guard lk(m);
        queue.push_back(e);
        cv.notify_one();
    }
    void close() {
        std::lock_guard lk(m);
        closed = true;
        cv.notify_one();
    }
    // The events queued so far, waiting for some; empty once closed and drained.
    std::deque<BuildEvent> take() {
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return !queue.empty() || closed; });
        return std::exchange(queue, {});
    }

private:
    std::mutex m;
    std::condition_variable cv;
    std::deque<BuildEvent> queue;
    bool closed = false;
};

// Step 3 (in the trampoline): EVENT as an alist, its kind first, then the fields it has.
SCM eventToScheme(const BuildEvent& e) {
    SCM alist = SCM_EOL;
    auto add = [&alist](const char* key, SCM value) {
        alist = scm_cons(scm_cons(scm_from_utf8_symbol(key), value), alist);
    };
    auto addString = [&add](const char* key, const std::string& s) {
        if (!s.empty()) add(key, utf8(s));
    };
    using K = BuildEvent::Kind;
    addString("action", e.action);
    addString("version", e.version);
    addString("package", e.package);
    if (e.kind == K::Started || e.kind == K::Finished) {
        add("download?", scm_from_bool(e.download));
        add("check?", scm_from_bool(e.check));
    }
    if (e.kind == K::Finished || e.kind == K::Downloaded || e.kind == K::DownloadRetry)
        add("seconds", scm_from_double(e.seconds));
    if (e.kind == K::DownloadProgress || e.kind == K::DownloadsPlanned)
        add("total", scm_from_uint64(e.total));
    if (e.kind == K::DownloadsPlanned) add("builds", scm_from_uint64(e.builds));
    if (e.kind == K::DownloadProgress || e.kind == K::Downloaded)
        add("bytes", scm_from_uint64(e.done));
    addString("log-tail", e.logTail);
    addString("phase", e.phase);
    addString("cause", e.cause);
    addString("errors", e.errors);
    addString("backtrace", e.backtrace);
    if (e.kind == K::Failed) add("truncated?", scm_from_bool(e.truncated));
    addString("log-file", e.logPath);
    addString("text", e.text);
    addString("via", e.via);
    addString("url", e.url);
    addString("path", e.path);
    addString("name", e.name);
    addString("derivation", e.drv);
    add("kind", scm_from_utf8_symbol(BuildEvent::kindName(e.kind)));
    return alist;
}

// Runs the build on a thread of its own while this (Guile) thread hands each event to
// OBSERVER: Scheme is only ever called from the thread that called us. An error raised by
// OBSERVER stops the deliveries; it is raised once the build is over.
std::vector<std::map<std::string, std::string>>
buildObserved(LocalStore& store, const std::vector<DerivationRequest>& requests, BuildOptions o,
              SCM observer, BuildObserver* also = nullptr) {
    EventQueue queue;
    std::optional<TeeObserver> tee;
    if (also) tee.emplace(queue, *also);
    o.observer = tee ? static_cast<BuildObserver*>(&*tee) : &queue;
    std::vector<std::map<std::string, std::string>> results;
    std::exception_ptr buildError, observerError;
    std::thread worker([&] {
        try {
            results = buildDerivations(store, requests, o);
        } catch (...) {
            buildError = std::current_exception();
        }
        queue.close();
    });
    while (true) {
        std::deque<BuildEvent> batch = queue.take();
        if (batch.empty()) break;
        for (const BuildEvent& e : batch) {
            if (observerError) break;
            try {
                scheme([&] { return scm_call_1(observer, eventToScheme(e)); });
            } catch (...) {
                observerError = std::current_exception();
            }
        }
    }
    worker.join();
    if (observerError) std::rethrow_exception(observerError);
    if (buildError) std::rethrow_exception(buildError);
    return results;
}

// Step 1: the report's file and summary from TIMINGS, an alist (see the primitive's docstring).
TimingsInfo timingsInfo(SCM timings, std::string& file, const char* subr) {
    TimingsInfo info;
    auto ref = [&](const char* key) -> std::string {
        SCM v = scm_assq_ref(timings, scm_from_utf8_symbol(key));
        if (scm_is_false(v)) return "";
        if (!scm_is_string(v)) scm_wrong_type_arg_msg(subr, 10, timings, "alist of strings");
        return toString(v);
    };
    file = ref("file");
    if (file.empty()) scm_wrong_type_arg_msg(subr, 10, timings, "alist with a 'file");
    info.command = ref("command");
    info.ferrixVersion = ref("ferrix-version");
    info.rustcVersion = ref("rustc-version");
    info.profile = ref("profile");
    return info;
}

// The run of buildDerivations or buildObserved with a BuildTimings hearing the events too; the
// report is written whether the build succeeds or fails.
std::vector<std::map<std::string, std::string>>
buildTimed(LocalStore& store, const std::vector<DerivationRequest>& requests, BuildOptions o,
           SCM observer, const std::string& file, TimingsInfo info) {
    info.jobs = o.maxJobs;
    o.reportValid = true;
    BuildTimings timings;
    std::vector<std::map<std::string, std::string>> results;
    std::exception_ptr error;
    try {
        if (scm_is_true(observer)) {
            // buildObserved's queue hears the events first, then the timings.
            results = buildObserved(store, requests, o, observer, &timings);
        } else {
            DisplayOptions d = o.display;
            if (o.verbose) d.verbosity = std::max(d.verbosity, 2u);
            auto display = makeDisplay(o.progressFd, d);
            TeeObserver tee(*display, timings);
            o.observer = &tee;
            results = buildDerivations(store, requests, o);
        }
    } catch (...) {
        error = std::current_exception();
    }
    timings.stop();
    if (!error) {
        timings.write(file, info);
        return results;
    }
    // The build's own error is the one to report; the report, if it cannot be written, is lost.
    try {
        timings.write(file, info);
    } catch (...) {
    }
    std::rethrow_exception(error);
}

#define SUBR "%build-derivations"
SCM primBuildDerivations(SCM obj, SCM drvs, SCM maxJobs, SCM cores, SCM keepFailed, SCM check,
                         SCM timeout, SCM maxSilent, SCM keepGoing, SCM reporting) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkList(drvs, 2, SUBR);
    BuildOptions o;
    o.maxJobs = checkCount(maxJobs, 3, SUBR);
    o.cores = checkCount(cores, 4, SUBR);
    o.keepFailed = scm_is_true(keepFailed);
    o.keepGoing = scm_is_true(keepGoing);
    o.check = scm_is_true(check);
    o.timeout = checkCount(timeout, 7, SUBR);
    o.maxSilentTime = checkCount(maxSilent, 8, SUBR);
    // REPORTING: #f, the observer itself, or an alist of observer, timings and verbose?.
    SCM observer = reporting, timings = SCM_BOOL_F;
    if (scm_is_pair(reporting) || scm_is_null(reporting)) {
        observer = scm_assq_ref(reporting, scm_from_utf8_symbol("observer"));
        timings = scm_assq_ref(reporting, scm_from_utf8_symbol("timings"));
        o.verbose = scm_is_true(scm_assq_ref(reporting, scm_from_utf8_symbol("verbose?")));
        o.reportValid = o.verbose;
        SCM verbosity = scm_assq_ref(reporting, scm_from_utf8_symbol("verbosity"));
        if (scm_is_true(verbosity)) o.display.verbosity = checkCount(verbosity, 10, SUBR);
        o.display.backtraces =
            scm_is_true(scm_assq_ref(reporting, scm_from_utf8_symbol("backtraces?")));
    }
    if (scm_is_true(observer) && scm_is_false(scm_procedure_p(observer)))
        scm_wrong_type_arg_msg(SUBR, 10, observer, "#f or a procedure");
    if (scm_is_true(timings) && scm_is_false(scm_list_p(timings)))
        scm_wrong_type_arg_msg(SUBR, 10, timings, "#f or an alist");
    std::string timingsFile;
    std::optional<TimingsInfo> info;
    if (scm_is_true(timings)) info = timingsInfo(timings, timingsFile, SUBR);
    return guarded(SUBR, [&] {
        std::vector<DerivationRequest> requests;
        for (auto& d : toStringList(drvs, SUBR, 2))
            requests.push_back({d, {}});
        auto results = info ? buildTimed(h->store, requests, o, observer, timingsFile, *info)
                       : scm_is_true(observer) ? buildObserved(h->store, requests, o, observer)
                                               : buildDerivations(h->store, requests, o);
        return scheme([&] {
            SCM list = SCM_EOL;
            for (size_t i = results.size(); i-- > 0;) {
                SCM alist = SCM_EOL;
                for (auto it = results[i].rbegin(); it != results[i].rend(); ++it)
                    alist = scm_cons(scm_cons(utf8(it->first), utf8(it->second)), alist);
                list = scm_cons(alist, list);
            }
            return list;
        });
    });
}
#undef SUBR

#define SUBR "%log-file"
SCM primLogFile(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    return guarded(SUBR, [&] {
        std::optional<std::string> log = findBuildLog(h->store, toString(path));
        if (!log) return SCM_BOOL_F;
        return fromString(*log);
    });
}
#undef SUBR

#define SUBR "%plan-derivations"
SCM primPlanDerivations(SCM obj, SCM drvs) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkList(drvs, 2, SUBR);
    return guarded(SUBR, [&] {
        std::vector<DerivationRequest> requests;
        for (auto& d : toStringList(drvs, SUBR, 2))
            requests.push_back({d, {}});
        BuildPlan plan = planDerivations(h->store, requests);
        SCM builds = fromStringList(plan.builds);
        SCM downloads = fromStringList(plan.downloads);
        return scheme([&] { return scm_list_2(builds, downloads); });
    });
}
#undef SUBR

#define SUBR "%runnable-systems"
SCM primRunnableSystems() {
    return guarded(SUBR, [&] { return fromStringList(runnableSystems()); });
}
#undef SUBR

#define SUBR "%usable-cores"
SCM primUsableCores() {
    return guarded(SUBR, [&] { return scm_from_uint(usableCores()); });
}
#undef SUBR

const Primitive buildPrimitives[] = {
    {"%build-derivations", 10, 0, 0, asSubr(primBuildDerivations),
     "Realise DRVS, a list of .drv file names, in STORE: up to MAX-JOBS builds at once with\n"
     "CORES cores each (0: all), KEEP-FAILED?, CHECK?, TIMEOUT and MAX-SILENT-TIME (seconds, 0:\n"
     "none) and KEEP-GOING? as 'build-derivations' describes them.  REPORTING is #f (the\n"
     "display on standard error), an observer, or an alist of 'observer, 'timings and\n"
     "'verbose?, 'verbosity (0 to 3) and 'backtraces?.  An observer is a procedure called on this "
     "thread with each event of the run\n"
     "as an alist, (kind . SYMBOL) first.  Timings, an alist, has the run's timings written as\n"
     "an HTML report to its 'file, whether the build succeeds or fails, its summary naming its\n"
     "'command, 'ferrix-version, 'rustc-version and 'profile (strings, each optional).\n"
     "Verbose? adds the display's lines for each derivation, and Fresh for those already\n"
     "valid.  Return, per derivation, an alist (OUTPUT . PATH)."},
    {"%plan-derivations", 2, 0, 0, asSubr(primPlanDerivations),
     "Return what building DRVS, a list of .drv file names, in STORE would do, building\n"
     "nothing: a list of two lists of .drv file names, those that would be built and the\n"
     "builtin:download ones that would be downloaded, dependencies first."},
    {"%runnable-systems", 0, 0, 0, asSubr(primRunnableSystems),
     "Return the systems whose builders this machine runs, its own first (\"x86_64-linux\")."},
    {"%usable-cores", 0, 0, 0, asSubr(primUsableCores),
     "Return the processors this process may run on (its affinity mask), at least 1: what\n"
     "every core means for the builds' cores and the jobserver's tokens."},
    {"%log-file", 2, 0, 0, asSubr(primLogFile),
     "Return the build log of PATH in STORE, a .drv file name or an output built by a\n"
     "derivation, or #f if there is none."},
};

} // namespace

void defineBuildPrimitives() {
    definePrimitives(buildPrimitives);
}

} // namespace ferrix::guile
