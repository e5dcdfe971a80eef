// The scheduler: the derivation graph, build slots, output locks, keep-going, and the steps of
// one build. See scheduler.hh and doc/build.md.
//
// One build, in order (buildOne):
//   1. take the locks of its outputs; if the outputs became valid meanwhile (another process
//      built them while we waited) there is nothing to do;
//   2. the input closure, kept alive while we build;
//   3. a fresh work directory ROOT/var/ferrix/builds/NAME-XXXXXX (downloads share the run's
//      one), the outputs' places and the log ROOT/var/log/ferrix/drvs/XX/REST.log;
//   4. run the builder in isolation (derivation-builder.hh) or download (builtin-download.hh);
//   5. on success check the outputs, then register them in one transaction, or with --check
//      compare them with the valid ones (build-outputs.hh); on failure delete them, keep the
//      log, remove the work directory (kept with -K) and report the failure with its log's tail.
#include "ferrix/scheduler.hh"

#include "ferrix/build-display.hh"
#include "ferrix/build-durations.hh"
#include "ferrix/build-failure.hh"
#include "ferrix/build-log.hh"
#include "ferrix/build-outputs.hh"
#include "ferrix/builtin-download.hh"
#include "ferrix/cores.hh"
#include "ferrix/derivation-builder.hh"
#include "ferrix/derivation.hh"
#include "ferrix/file.hh"
#include "ferrix/jobserver.hh"
#include "ferrix/sandbox.hh"
#include "ferrix/token-waiter.hh"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace ferrix {

namespace {

using Clock = std::chrono::steady_clock;

struct Node {
    StorePath drvPath;
    std::string drvPathStr;
    Derivation drv;
    bool check = false;
    bool download = false; // builtin:download: no build slot, the download engine
    std::vector<Node*> dependents;
    size_t pendingDeps = 0;
    bool building = false;             // in toBuild
    std::set<std::string> validOutput; // at load, then as they are registered
    // Per input derivation being built: the outputs of it this one still waits for.
    std::map<Node*, std::set<std::string>> waitsFor;
    double cost = -1;     // estimated: a recorded duration, else planPriorities' default
    double priority = -1; // the critical path's length from here (see planPriorities)
    explicit Node(StorePath p) : drvPath(std::move(p)) {}
};

// Where one build happens: its work directory, its outputs' places and its log.
struct BuildPlace {
    WorkDirectory work; // none for a download: it uses the run's shared directory
    OutputPlaces outputs;
    std::string logPath;
    std::set<std::string> early; // outputs registered while the builder ran, gone from `outputs`
    std::string earlyError;      // why one of them could not be

    void deleteOutputs() {
        for (auto& [o, place] : outputs) {
            try {
                if (pathExists(place.builtAt)) deletePath(place.builtAt);
            } catch (...) {
            }
        }
    }
};

// E with what the derivation says it is for people (build-events.hh).
// The display's options: -v (verbose) is verbosity 2 at least.
DisplayOptions displayOptions(const BuildOptions& o) {
    DisplayOptions d = o.display;
    if (o.verbose) d.verbosity = std::max(d.verbosity, 2u);
    return d;
}

BuildEvent labelled(BuildEvent e, const Derivation& drv) {
    auto attr = [&](const char* key) {
        auto it = drv.env.find(key);
        return it == drv.env.end() ? std::string() : it->second;
    };
    e.package = attr("ferrixPackage");
    e.version = attr("ferrixVersion");
    e.action = attr("ferrixAction");
    return e;
}

class Scheduler {
public:
    Scheduler(LocalStore& store, const BuildOptions& options)
        : store(store), opts(options),
          display(options.observer ? nullptr
                                   : makeDisplay(options.progressFd, displayOptions(options))),
          observer(options.observer ? *options.observer : *display),
          downloads(store, options.fetch, [this](const BuildEvent& e) { report(e); }) {}

    std::vector<std::map<std::string, std::string>>
    run(const std::vector<DerivationRequest>& requests);
    BuildPlan plan(const std::vector<DerivationRequest>& requests);

private:
    Node* load(const std::string& drvPath, bool top, const std::set<std::string>& wanted = {});
    bool needsBuild(const Node& n, const std::set<std::string>& wanted) const;
    void addEdge(Node& n, Node& dep, const std::set<std::string>& outputs);
    void outputValid(Node& n, const std::string& output, std::deque<Node*>& ready);
    void registerEarly(Node& n, const std::string& output, const StorePathSet& closure,
                       BuildPlace& place);
    void refuseInPlaceRebuild(const Node& n);
    void refuseForeignSystems();
    void loadRequests(const std::vector<DerivationRequest>& requests);
    void runGraph();
    void buildOne(Node& n);
    bool validMeanwhile(Node& n);
    StorePathSet inputClosure(const Node& n);
    BuildPlace prepare(const Node& n, bool check);
    void realise(Node& n, bool check, const StorePathSet& closure, BuildPlace& place);
    void removeWorkDirectory(BuildPlace& place, bool failed);
    void planPriorities();
    double pathFrom(Node& n);
    static void orderByPriority(std::deque<Node*>& ready);
    bool takeToken(unsigned activeBuilds);
    void buildEnded(unsigned activeBuilds);
    void releaseSpareTokens(unsigned activeBuilds);
    void reportFresh();
    [[noreturn]] void fail(const Node& n, const std::exception& e, const std::string& logPath);
    // Observers hear one event at a time, whichever thread reports it.
    void report(const BuildEvent& e) {
        std::lock_guard lk(reportMutex);
        observer.event(e);
    }

    LocalStore& store;
    BuildOptions opts;
    std::unique_ptr<BuildObserver> display;
    BuildObserver& observer;
    std::mutex reportMutex;
    std::map<std::string, std::unique_ptr<Node>> nodes;
    std::vector<Node*> toBuild;
    size_t built = 0;
    std::vector<std::string> failures;
    // Set by runGraph: output of a running build registered early (takes the graph's lock).
    std::function<void(Node&, const std::string&)> earlyOutputValid;
    std::optional<Jobserver> jobserver;      // while something is built (not only downloaded)
    std::optional<BuildDurations> durations; // likewise; under reportMutex once builds run
    // From the fifo: one per running build but the first, and spare ones, those of builds
    // that ended, until the next ready build takes them or they go back.
    unsigned heldTokens = 0;
    TokenWaiter* waiter = nullptr; // while runGraph runs, unless it could not be made
    double defaultCost = 1;        // of a build without a recorded duration
    DownloadBuilder downloads;     // the last member: its transfers end before the rest goes
};

// Loads the derivation and, if it must be built for `wanted` (empty: all its outputs), what it
// needs. Dependency edges are per output: a dependent waits only for the outputs it names.
Node* Scheduler::load(const std::string& drvPath, bool top, const std::set<std::string>& wanted) {
    if (auto it = nodes.find(drvPath); it != nodes.end()) {
        Node* n = it->second.get();
        if (top && opts.check) n->check = true;
        if (n->building || !needsBuild(*n, wanted)) return n;
        n->building = true;
        toBuild.push_back(n);
        for (auto& [input, outs] : n->drv.inputDrvs)
            addEdge(*n, *load(store.printStorePath(input), false, outs), outs);
        return n;
    }
    StorePath sp = store.parseStorePath(drvPath);
    if (!sp.isDerivation()) throw UsageError("'" + drvPath + "' is not a derivation");
    auto node = std::make_unique<Node>(sp);
    Node* n = node.get();
    nodes.emplace(drvPath, std::move(node));
    n->drvPathStr = drvPath;
    std::string name(sp.name().substr(0, sp.name().size() - 4));
    n->drv = parseDerivation(store.readText(sp), name, &store.storeDir());
    n->download = n->drv.builder == "builtin:download";
    store.addTempRoot(sp); // gc must not take the .drv while we build from it
    n->check = top && opts.check;
    for (auto& [o, out] : n->drv.outputs) {
        const StorePath& p = *out.path;
        if (store.isValid(p)) {
            n->validOutput.insert(o);
            store.addTempRoot(p);
        }
    }
    // A valid derivation's inputs are not even read: a no-op build reads one .drv.
    if (!needsBuild(*n, wanted)) return n;
    n->building = true;
    toBuild.push_back(n);
    for (auto& [input, outs] : n->drv.inputDrvs)
        addEdge(*n, *load(store.printStorePath(input), false, outs), outs);
    return n;
}

bool Scheduler::needsBuild(const Node& n, const std::set<std::string>& wanted) const {
    if (n.check) return true;
    for (auto& [o, out] : n.drv.outputs)
        if ((wanted.empty() || wanted.contains(o)) && !n.validOutput.contains(o)) return true;
    return false;
}

// `n` needs `outputs` of `dep`: it waits for those not valid yet, if dep is being built.
void Scheduler::addEdge(Node& n, Node& dep, const std::set<std::string>& outputs) {
    if (!dep.building || &dep == &n) return;
    std::set<std::string> missing;
    for (auto& o : outputs)
        if (dep.check || !dep.validOutput.contains(o)) missing.insert(o);
    if (missing.empty()) return;
    auto [it, fresh] = n.waitsFor.try_emplace(&dep);
    it->second.merge(missing);
    if (!fresh) return;
    dep.dependents.push_back(&n);
    n.pendingDeps++;
}

// With the graph's lock: `output` of `n` is valid; dependents that waited only for it (and for
// nothing else) become ready.
void Scheduler::outputValid(Node& n, const std::string& output, std::deque<Node*>& ready) {
    n.validOutput.insert(output);
    for (auto* d : n.dependents) {
        auto it = d->waitsFor.find(&n);
        if (it == d->waitsFor.end() || !it->second.erase(output) || !it->second.empty()) continue;
        if (--d->pendingDeps == 0) ready.push_back(d);
    }
}

std::vector<std::map<std::string, std::string>>
Scheduler::run(const std::vector<DerivationRequest>& requests) {
    loadRequests(requests);
    refuseForeignSystems();
    if (opts.maxJobs == 0) opts.maxJobs = 1;
    if (std::any_of(toBuild.begin(), toBuild.end(), [](Node* n) { return !n->download; }))
        // Enough tokens for -M single-threaded builds, or for the cores -c gives one build:
        // -c keeps meaning the cores of one build, and -M 8 -c 1 still runs eight at once.
        jobserver.emplace(store, std::max(opts.maxJobs, opts.cores ? opts.cores : usableCores()));
    planPriorities();
    if (opts.reportValid) reportFresh();
    runGraph();
    if (durations) durations->save();
    if (!failures.empty()) {
        std::string msg = failures.front();
        for (size_t i = 1; i < failures.size(); i++)
            msg += "; " + failures[i];
        size_t notBuilt = toBuild.size() - built - failures.size();
        if (notBuilt)
            msg += "; " + std::to_string(notBuilt) + " other derivation" +
                   (notBuilt == 1 ? " was" : "s were") + " not built";
        throw BuildError(msg);
    }

    std::vector<std::map<std::string, std::string>> result;
    for (auto& r : requests) {
        auto& drv = nodes.at(r.drvPath)->drv;
        std::map<std::string, std::string> outs;
        for (auto& [o, out] : drv.outputs)
            if (r.outputs.empty() || r.outputs.contains(o))
                outs[o] = store.printStorePath(*out.path);
        result.push_back(std::move(outs));
    }
    return result;
}

void Scheduler::loadRequests(const std::vector<DerivationRequest>& requests) {
    for (auto& r : requests) {
        Node* n = load(r.drvPath, true, r.outputs);
        for (auto& o : r.outputs)
            if (!n->drv.outputs.contains(o))
                throw UsageError("derivation '" + r.drvPath + "' has no output '" + o + "'");
    }
}

// A builder for another system would run this machine's programs, and its outputs would be
// registered as that system's: refused before anything starts.
void Scheduler::refuseForeignSystems() {
    const auto& systems = runnableSystems();
    for (auto* n : toBuild) {
        if (n->download) continue;
        const std::string& system = n->drv.platform;
        if (std::find(systems.begin(), systems.end(), system) != systems.end()) continue;
        std::string runs;
        for (auto& s : systems)
            runs += (runs.empty() ? "" : " and ") + s;
        throw BuildError("a '" + system + "' machine is needed to build '" + n->drvPathStr +
                         "', but this one runs " + runs + "; nothing was built");
    }
}

BuildPlan Scheduler::plan(const std::vector<DerivationRequest>& requests) {
    loadRequests(requests);
    BuildPlan p;
    // toBuild lists dependants before their dependencies: reversed, dependencies come first.
    for (auto it = toBuild.rbegin(); it != toBuild.rend(); ++it)
        ((*it)->download ? p.downloads : p.builds).push_back((*it)->drvPathStr);
    return p;
}

// Runs what is ready, up to the slots, until nothing runs and nothing more may start.
void Scheduler::runGraph() {
    std::mutex m;
    std::condition_variable cv;
    std::deque<Node*> ready;
    for (auto* n : toBuild)
        if (n->pendingDeps == 0) ready.push_back(n);
    earlyOutputValid = [&](Node& n, const std::string& output) {
        std::lock_guard lk(m);
        outputValid(n, output, ready);
        cv.notify_all();
    };
    size_t downloadCount = std::count_if(toBuild.begin(), toBuild.end(),
                                         [](Node* n) { return n->download && !n->check; });
    report({.kind = BuildEvent::Kind::DownloadsPlanned,
            .total = downloadCount,
            .builds = toBuild.size() - downloadCount});
    // Downloads take no build slot: each waits on the download engine in a thread of its own
    // (which also verifies and registers it). 64 at most: enough to keep the engine's transfers
    // (16 by default) fed, few enough for the open files of their logs and locks.
    unsigned maxDownloadThreads = 64;
    unsigned active = 0, activeDownloads = 0;
    std::vector<std::thread> threads;
    // Waits for a token in the fifo's queue while a build is ready and none is free (declared
    // after m and cv, which it uses, so that it is joined first).
    std::optional<TokenWaiter> tokenWaiter;
    if (jobserver) {
        try {
            tokenWaiter.emplace(*jobserver, [&] {
                std::lock_guard lk(m);
                cv.notify_all();
            });
            waiter = &*tokenWaiter;
        } catch (const std::exception&) {
            // Then the scheduler looks at the fifo now and then, as it did before it had one.
        }
    }
    {
        std::unique_lock lk(m);
        while (true) {
            orderByPriority(ready);
            bool waitingForToken = false;
            // After a failure, start nothing more unless -k; what depends on a failed build
            // never becomes ready.
            for (auto it = ready.begin();
                 (failures.empty() || opts.keepGoing) && it != ready.end();) {
                Node* n = *it;
                bool dl = n->download;
                if (dl ? activeDownloads >= maxDownloadThreads : active >= opts.maxJobs) {
                    ++it;
                    continue;
                }
                if (!dl && !takeToken(active)) {
                    waitingForToken = true;
                    ++it;
                    continue;
                }
                it = ready.erase(it);
                (dl ? activeDownloads : active)++;
                threads.emplace_back([&, n, dl] {
                    std::string error;
                    try {
                        buildOne(*n);
                    } catch (const std::exception& e) {
                        error = e.what();
                    }
                    std::lock_guard lk2(m);
                    (dl ? activeDownloads : active)--;
                    if (!dl) buildEnded(active);
                    if (error.empty()) {
                        built++;
                        for (auto& [o, out] : n->drv.outputs)
                            outputValid(*n, o, ready);
                    } else {
                        failures.push_back(error);
                    }
                    cv.notify_all();
                });
            }
            // No build waits: the waiter stops first (giving back a byte it got), so that it
            // does not take the spare tokens written next and write them again. Then those of
            // ended builds that no ready build took go back; then, if a build waits, the
            // waiter's turn (a build that waits left no token spare).
            try {
                if (waiter && !waitingForToken) waiter->cancel();
            } catch (const std::exception&) {
                // A token not given back: fewer for the clients until the fifo is refilled.
            }
            releaseSpareTokens(active);
            try {
                if (waiter && waitingForToken) waiter->request();
            } catch (const std::exception&) {
                // The scheduler looks at the fifo itself, below.
            }
            if (active + activeDownloads == 0) break;
            // Tokens come back through the fifo, from clients the scheduler does not hear: the
            // waiter hears them, else the scheduler looks now and then.
            if (waitingForToken && (!waiter || waiter->failed()))
                cv.wait_for(lk, std::chrono::milliseconds(10));
            else
                cv.wait(lk);
        }
    }
    for (auto& t : threads)
        t.join();
    waiter = nullptr;
}

void Scheduler::buildOne(Node& n) {
    // 1. The output locks; then look again.
    std::vector<StorePath> outPaths;
    for (auto& [o, out] : n.drv.outputs)
        outPaths.push_back(*out.path);
    OutputLocks locks(store, outPaths, [this](const BuildEvent& e) { report(e); });
    bool allValid = validMeanwhile(n);
    if (allValid && !n.check) return;
    bool check = n.check && allValid;
    if (!check) refuseInPlaceRebuild(n);
    // 2. The input closure.
    StorePathSet closure = inputClosure(n);
    // 3. Where it happens.
    BuildPlace place = prepare(n, check);
    // 4, 5.
    realise(n, check, closure, place);
}

// Whether every output is valid; if so, built by another process while we waited for the locks
// (or, with --check, built before): recorded as this derivation's and kept alive.
bool Scheduler::validMeanwhile(Node& n) {
    std::map<std::string, StorePath> outMap;
    for (auto& [o, out] : n.drv.outputs) {
        const StorePath& p = *out.path;
        if (!store.isValid(p)) return false;
        outMap.emplace(o, p);
    }
    if (n.check) return true;
    store.registerDerivationOutputs(n.drvPath, outMap);
    for (auto& [o, p] : outMap)
        store.addTempRoot(p);
    report(labelled({.kind = BuildEvent::Kind::AlreadyValid,
                     .drv = n.drvPathStr,
                     .name = std::string(n.drv.name)},
                    n.drv));
    return true;
}

StorePathSet Scheduler::inputClosure(const Node& n) {
    StorePathSet inputs = n.drv.inputSrcs;
    for (auto& [input, names] : n.drv.inputDrvs) {
        std::string inputPath = store.printStorePath(input);
        auto& dep = nodes.at(inputPath)->drv;
        for (auto& o : names) {
            auto it = dep.outputs.find(o);
            if (it == dep.outputs.end())
                throw BuildError("derivation '" + inputPath + "' has no output '" + o + "'");
            inputs.insert(*it->second.path);
        }
    }
    for (auto& p : inputs)
        store.addTempRoot(p);
    return store.computeClosure(inputs);
}

BuildPlace Scheduler::prepare(const Node& n, bool check) {
    BuildPlace place;
    if (n.download) {
        place.outputs = downloads.outputPlaces(n.drv);
    } else {
        place.work = WorkDirectory(store, std::string(n.drv.name) + "-");
        place.outputs = builderOutputPlaces(store, n.drv, n.drvPathStr, place.work.path, check);
    }
    place.logPath = buildLogPath(store, n.drvPath);
    createDirs(dirOf(place.logPath));
    return place;
}

void Scheduler::realise(Node& n, bool check, const StorePathSet& closure, BuildPlace& place) {
    BuilderHold hold; // the build user and gc lock, held until registration
    report(labelled({.kind = BuildEvent::Kind::Started,
                     .drv = n.drvPathStr,
                     .name = std::string(n.drv.name),
                     .check = check,
                     .download = n.download},
                    n.drv));
    auto start = Clock::now();
    try {
        BuildLogWriter log(place.logPath, n.drvPathStr, [this](const BuildEvent& e) { report(e); });
        AutoCloseFD jobserverFd;
        if (jobserver && !n.download) jobserverFd = jobserver->openForBuild();
        std::string url;
        if (n.download)
            url = downloads.build(n.drv, n.drvPathStr, place.outputs, log);
        else {
            // Without a private mount namespace outputs are built in place: an output
            // registered early, then a failure, would leave a derivation that cannot be built
            // again there. Such builds register every output at the end.
            if (!check && sandboxSupport().mode != SandboxMode::BuildUser)
                log.onOutputComplete = [&](const std::string& o) {
                    registerEarly(n, o, closure, place);
                };
            // Outputs registered early leave place.outputs as the builder runs (its output is
            // read in this thread), so that its end checks do not see them.
            runBuilder(store, n.drv, n.drvPathStr, place.work.path, closure, place.outputs,
                       {opts.cores, opts.timeout, opts.maxSilentTime, jobserverFd.get()}, log,
                       hold);
            if (!place.earlyError.empty()) throw BuildError(place.earlyError);
        }
        std::string ca = checkBuiltOutputs(n.drv, n.drvPathStr, place.outputs, store, url);
        if (check) {
            compareWithValidOutputs(store, n.drvPathStr, place.outputs);
            place.deleteOutputs();
        } else {
            StorePathSet candidates = closure; // the rest may refer to the early outputs
            for (auto& o : place.early)
                candidates.insert(*n.drv.outputs.at(o).path);
            registerBuiltOutputs(store, place.outputs, ca, candidates, n.drvPath);
        }
        removeWorkDirectory(place, false);
    } catch (const std::exception& e) {
        place.deleteOutputs();
        removeWorkDirectory(place, true);
        fail(n, e, place.logPath);
    }
    double secs =
        double(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()) /
        1000;
    if (durations && !n.download && !check) {
        std::lock_guard lk(reportMutex);
        durations->record(std::string(n.drv.name), secs);
    }
    report(labelled({.kind = BuildEvent::Kind::Finished,
                     .drv = n.drvPathStr,
                     .name = std::string(n.drv.name),
                     .seconds = secs,
                     .check = check,
                     .download = n.download},
                    n.drv));
}

// Every derivation of the graph already valid, as Fresh: those loaded and, below a valid one, its
// inputs, read here only (a valid derivation's inputs are never built, whatever their state).
void Scheduler::reportFresh() {
    std::set<std::string> seen;
    std::vector<std::pair<std::string, const Derivation*>> pending;
    std::deque<Derivation> read; // the derivations not loaded, kept while pending points at them
    for (auto& [path, node] : nodes)
        pending.emplace_back(path, &node->drv);
    while (!pending.empty()) {
        auto [path, drv] = pending.back();
        pending.pop_back();
        if (!seen.insert(path).second) continue;
        auto it = nodes.find(path);
        bool toBuildHere = it != nodes.end() && std::find(toBuild.begin(), toBuild.end(),
                                                          it->second.get()) != toBuild.end();
        if (toBuildHere) continue; // its inputs are loaded nodes themselves
        report(labelled(
            {.kind = BuildEvent::Kind::Fresh, .drv = path, .name = std::string(drv->name)}, *drv));
        for (auto& [input, outs] : drv->inputDrvs) {
            std::string inputPath = store.printStorePath(input);
            if (seen.contains(inputPath)) continue;
            if (auto n = nodes.find(inputPath); n != nodes.end()) {
                pending.emplace_back(inputPath, &n->second->drv);
                continue;
            }
            std::string name(input.name().substr(0, input.name().size() - 4));
            // An input .drv deleted since (gc --delete) is not Fresh either; it must not fail
            // a build that needs nothing of it.
            Derivation d;
            try {
                d = parseDerivation(store.readText(input), name, &store.storeDir());
            } catch (const Error&) {
                continue;
            }
            // An input gone since its dependent was built is not Fresh: nothing needs it now.
            if (!std::all_of(d.outputs.begin(), d.outputs.end(), [&](auto& o) {
                    return o.second.path && store.isValid(*o.second.path);
                }))
                continue;
            read.push_back(std::move(d));
            pending.emplace_back(inputPath, &read.back());
        }
    }
}

// The builder declared `output` complete while it runs: it is taken out of the builder's reach
// (copied into fresh inodes in the work directory, the builder's copy deleted), registered alone
// (an output already valid keeps its registration), kept alive, and what needs only it may
// start. Its references are looked for in the input closure and itself, not in the outputs still
// being built. A failure is kept for when the builder is done.
void Scheduler::registerEarly(Node& n, const std::string& output, const StorePathSet& closure,
                              BuildPlace& place) {
    if (!place.earlyError.empty() || place.early.contains(output)) return;
    try {
        auto it = place.outputs.find(output);
        if (it == place.outputs.end() || n.drv.isFixedOutput())
            throw BuildError("builder for '" + n.drvPathStr + "' declared output '" + output +
                             "' complete, but it has no such output that may be registered early");
        OutputPlace at = it->second;
        if (!pathExists(at.builtAt))
            throw BuildError("builder for '" + n.drvPathStr + "' declared output '" + output +
                             "' complete, but it does not exist (" + store.printStorePath(at.path) +
                             ")");
        std::string fresh = place.work.path + "/early-" + output;
        copyTree(at.builtAt, fresh);
        deletePath(at.builtAt);
        place.outputs.erase(it);
        place.early.insert(output);
        registerBuiltOutputs(store, {{output, OutputPlace{at.path, fresh}}}, "", closure,
                             n.drvPath);
        if (pathExists(fresh)) deletePath(fresh); // already valid: the build was discarded
        store.addTempRoot(at.path);
        report({.kind = BuildEvent::Kind::OutputValid,
                .drv = n.drvPathStr,
                .name = std::string(n.drv.name),
                .path = store.printStorePath(at.path),
                .text = output});
        earlyOutputValid(n, output);
    } catch (const std::exception& e) {
        place.earlyError = e.what();
    }
}

// Without a private mount namespace outputs are built in place, where a valid one is: a
// derivation with some outputs valid (an early output, then a failure) cannot be built again so.
void Scheduler::refuseInPlaceRebuild(const Node& n) {
    if (n.download || sandboxSupport().mode != SandboxMode::BuildUser) return;
    for (auto& [o, out] : n.drv.outputs)
        if (store.isValid(*out.path))
            throw BuildError("cannot build '" + n.drvPathStr + "' again: its output '" + o +
                             "' is valid, and without a private mount namespace it would be "
                             "built in place; delete it (ferrix store gc --delete " +
                             store.printStorePath(*out.path) + ") or use namespaces");
}

void Scheduler::removeWorkDirectory(BuildPlace& place, bool failed) {
    const std::string& top = place.work.path;
    if (top.empty()) return; // a download's: shared, its file is gone (registered or deleted)
    if (failed && opts.keepFailed) {
        try {
            writeFile(top + "/.ferrix-kept", "kept by ferrix build -K; gc leaves it\n", 0644);
        } catch (...) {
        }
        report({.kind = BuildEvent::Kind::Message,
                .text = "note: keeping build directory '" + top + "'"});
        return;
    }
    try {
        deletePath(top);
    } catch (...) {
    }
}

// Critical path first: a derivation's priority is the cost of the costliest chain of builds
// from it to a requested derivation through its dependents, itself included. Cargo's queue does
// likewise (its dependents' count plus a cost); a long chain started late is what leaves cores
// idle at the end.
void Scheduler::planPriorities() {
    if (!jobserver) return; // downloads only: they take no slot
    durations.emplace(store);
    // A build's cost: its last duration under the same name; else the mean of those known in
    // this graph; else 1.
    double sum = 0;
    size_t count = 0;
    for (auto* n : toBuild)
        if (auto d = durations->lookup(std::string(n->drv.name)); d && !n->download) {
            n->cost = *d;
            sum += *d;
            count++;
        }
    defaultCost = count ? std::max(sum / double(count), 0.001) : 1;
    for (auto* n : toBuild)
        pathFrom(*n);
}

double Scheduler::pathFrom(Node& n) {
    if (n.priority >= 0) return n.priority;
    double cost = n.download ? 0 : n.cost >= 0 ? n.cost : defaultCost;
    double below = 0;
    for (auto* d : n.dependents)
        below = std::max(below, pathFrom(*d));
    n.priority = below + cost;
    return n.priority;
}

// Highest priority first; among equals, the order they became ready in.
void Scheduler::orderByPriority(std::deque<Node*>& ready) {
    std::stable_sort(ready.begin(), ready.end(),
                     [](Node* a, Node* b) { return a->priority > b->priority; });
}

// A build about to start takes a token: the implicit one when no other build runs, else a
// spare one (an ended build's), else the one the waiter got, else one from the fifo if a client
// has not taken them all. Called with the graph's lock held.
bool Scheduler::takeToken(unsigned activeBuilds) {
    if (!jobserver || activeBuilds == 0) return true;
    if (heldTokens >= activeBuilds) return true; // a spare one: the build's now
    if (!(waiter && waiter->take()) && !jobserver->tryAcquire()) return false;
    heldTokens++;
    return true;
}

// A build ended (`activeBuilds` still run). Its token stays the scheduler's, for the next
// ready build: written to the fifo first, it would go to a client waiting there. With no build
// left, no client can hold a token: the fifo is made whole again, whatever a killed client
// took with it, and the waiter's token is among those written.
void Scheduler::buildEnded(unsigned activeBuilds) {
    if (!jobserver || activeBuilds > 0) return;
    heldTokens = 0;
    try {
        if (waiter)
            waiter->refill(*jobserver);
        else
            jobserver->refill();
    } catch (const std::exception&) {
        // Fewer tokens for the clients; the builds themselves are bounded by -M.
    }
}

// After the ready builds took what they could: the spare tokens go back to the fifo.
void Scheduler::releaseSpareTokens(unsigned activeBuilds) {
    unsigned needed = activeBuilds > 0 ? activeBuilds - 1 : 0;
    for (; heldTokens > needed; heldTokens--) {
        try {
            jobserver->release();
        } catch (const std::exception&) {
            // Fewer tokens for the clients until the fifo is refilled.
        }
    }
}

void Scheduler::fail(const Node& n, const std::exception& e, const std::string& logPath) {
    std::string msg = e.what();
    if (!dynamic_cast<const BuildError*>(&e))
        msg = "build of '" + n.drvPathStr + "' failed: " + msg;
    // What the log says went wrong: the phase, the build side's error, the compiler's errors.
    auto failure = BuildFailure::parse(readLogText(logPath), opts.logTailLines);
    report(labelled({.kind = BuildEvent::Kind::Failed,
                     .drv = n.drvPathStr,
                     .name = std::string(n.drv.name),
                     .text = msg,
                     .logPath = logPath,
                     .logTail = failure.tail,
                     .phase = failure.phase,
                     .cause = failure.error,
                     .errors = failure.compilerErrors,
                     .backtrace = failure.backtrace,
                     .truncated = failure.truncated},
                    n.drv));
    // The details went to the observer: the error itself is one line.
    throw BuildError(msg.substr(0, msg.find('\n')) + " (log: " + logPath + ")");
}

} // namespace

std::vector<std::map<std::string, std::string>>
buildDerivations(LocalStore& store, const std::vector<DerivationRequest>& requests,
                 const BuildOptions& options) {
    Scheduler s(store, options);
    return s.run(requests);
}

BuildPlan planDerivations(LocalStore& store, const std::vector<DerivationRequest>& requests) {
    NullObserver quiet;
    BuildOptions o;
    o.observer = &quiet;
    Scheduler s(store, o);
    return s.plan(requests);
}

} // namespace ferrix
