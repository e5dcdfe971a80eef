// The C++ command line. Each subcommand parses its options, calls the core, prints; no logic of
// its own beyond presentation. Errors: ferrix::Error -> exit 1, UsageError -> exit 2.
#include "ferrix/cli.hh"
#include "ferrix/build.hh"
#include "ferrix/config.hh"
#include "ferrix/derivation.hh"
#include "ferrix/error.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"
#include "ferrix/nar.hh"
#include "ferrix/store.hh"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <fcntl.h>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#ifndef FERRIX_VERSION
#define FERRIX_VERSION "unknown"
#endif

namespace ferrix::cli {

namespace {

// A small option parser: "-x", "-xVALUE", "-x VALUE", "--long", "--long=VALUE", "--long VALUE",
// clustered short flags ("-rf"), and "--" ending options.
struct Option {
    char shortName; // 0 if none
    std::string longName;
    bool takesValue;
    std::function<void(const std::string&)> handler;
};

class Args {
public:
    Args(std::string command, std::string usage, std::string help)
        : command(std::move(command)), usage(std::move(usage)), help(std::move(help)) {}

    void flag(char s, std::string l, std::function<void()> f) {
        opts.push_back({s, std::move(l), false, [f](const std::string&) { f(); }});
    }
    void value(char s, std::string l, std::function<void(const std::string&)> f) {
        opts.push_back({s, std::move(l), true, std::move(f)});
    }

    // Returns the positional arguments, or nullopt when --help was printed.
    std::optional<std::vector<std::string>> parse(const std::vector<std::string>& argv) {
        std::vector<std::string> pos;
        for (size_t i = 0; i < argv.size(); i++) {
            const std::string& a = argv[i];
            if (a == "--") {
                pos.insert(pos.end(), argv.begin() + long(i) + 1, argv.end());
                break;
            }
            if (a == "--help" || a == "-h") {
                std::cout << "Usage: ferrix " << command << " " << usage << "\n" << help;
                return std::nullopt;
            }
            if (a.starts_with("--")) {
                std::string name = a.substr(2), val;
                auto eq = name.find('=');
                bool hasVal = eq != std::string::npos;
                if (hasVal) {
                    val = name.substr(eq + 1);
                    name = name.substr(0, eq);
                }
                const Option& o = findLong(name);
                if (o.takesValue && !hasVal) {
                    if (i + 1 >= argv.size()) fail("option '--" + name + "' needs a value");
                    val = argv[++i];
                } else if (!o.takesValue && hasVal) {
                    fail("option '--" + name + "' takes no value");
                }
                o.handler(val);
            } else if (a.size() > 1 && a[0] == '-') {
                for (size_t j = 1; j < a.size(); j++) {
                    const Option& o = findShort(a[j]);
                    if (!o.takesValue) {
                        o.handler("");
                        continue;
                    }
                    if (j + 1 < a.size())
                        o.handler(a.substr(j + 1));
                    else if (i + 1 < argv.size())
                        o.handler(argv[++i]);
                    else
                        fail(std::string("option '-") + a[j] + "' needs a value");
                    break;
                }
            } else {
                pos.push_back(a);
            }
        }
        return pos;
    }

    [[noreturn]] void fail(const std::string& msg) const {
        throw UsageError(command + ": " + msg + "\nTry 'ferrix " + command + " --help'.");
    }

private:
    std::string command, usage, help;
    std::vector<Option> opts;

    const Option& findLong(const std::string& n) const {
        for (auto& o : opts)
            if (o.longName == n) return o;
        fail("unrecognised option '--" + n + "'");
    }
    const Option& findShort(char c) const {
        for (auto& o : opts)
            if (o.shortName == c) return o;
        fail(std::string("unrecognised option '-") + c + "'");
    }
};

// Global options that may precede the command, and the store they select.
struct Globals {
    std::optional<std::string> storeRoot, storeDir;
    std::unique_ptr<LocalStore> store;

    LocalStore& openStore() {
        if (!store) store = std::make_unique<LocalStore>(StoreConfig::resolve(storeRoot, storeDir));
        return *store;
    }
};

const char* storeOptionsHelp =
    "      --store=DIR       use the store rooted at DIR (default $FERRIX_STORE or\n"
    "                        ${XDG_DATA_HOME:-~/.local/share}/ferrix)\n"
    "      --store-dir=PATH  logical store directory, e.g. /nix/store\n"
    "                        (default $FERRIX_STORE_DIR or <root>/store)\n";

void addStoreOptions(Args& args, Globals& g) {
    args.value(0, "store", [&](const std::string& v) { g.storeRoot = v; });
    args.value(0, "store-dir", [&](const std::string& v) { g.storeDir = v; });
}

// ---------------------------------------------------------------- hash

HashFormat parseFormatOption(const std::string& f) {
    if (f == "nix32" || f == "nix-base32" || f == "base32") return HashFormat::Nix32;
    if (f == "base16" || f == "hex" || f == "hexadecimal") return HashFormat::Base16;
    if (f == "base64") return HashFormat::Base64;
    if (f == "sri") return HashFormat::SRI;
    throw UsageError("hash: unknown format '" + f +
                     "' (expected nix32, base16, base64 or sri)\nTry 'ferrix hash --help'.");
}

int cmdHash(const std::vector<std::string>& argv, Globals&) {
    bool nar = false;
    HashAlgo algo = HashAlgo::SHA256;
    HashFormat fmt = HashFormat::Nix32;
    Args args(
        "hash", "[OPTION]... FILE...",
        "Print the cryptographic hash of each FILE (\"-\" is standard input), like `guix hash`\n"
        "and `nix-hash`.\n\n"
        "  -r, --recursive        hash the NAR serialisation of FILE (same as -S nar)\n"
        "  -S, --serializer=TYPE  'none' (the file's bytes, default) or 'nar'\n"
        "  -H, --hash=ALGO        md5, sha1, sha256 (default) or sha512\n"
        "  -f, --format=FMT       nix32 (default), base16, base64 or sri\n"
        "  -h, --help             show this help\n");
    args.flag('r', "recursive", [&] { nar = true; });
    args.value('S', "serializer", [&](const std::string& v) {
        if (v == "nar")
            nar = true;
        else if (v == "none" || v == "flat")
            nar = false;
        else
            args.fail("unknown serializer '" + v + "' (expected none or nar)");
    });
    args.value('H', "hash", [&](const std::string& v) {
        auto a = parseHashAlgoOpt(v);
        if (!a)
            args.fail("unknown hash algorithm '" + v + "' (expected md5, sha1, sha256, sha512)");
        algo = *a;
    });
    args.value('f', "format", [&](const std::string& v) { fmt = parseFormatOption(v); });
    auto files = args.parse(argv);
    if (!files) return 0;
    if (files->empty()) args.fail("no file given");
    for (auto& f : *files) {
        Hash h;
        if (f == "-") {
            if (nar) args.fail("standard input cannot be hashed as a NAR");
            FdSource in(0);
            HashSink sink(algo);
            in.drainInto(sink);
            h = sink.finish();
        } else if (nar) {
            h = hashPath(algo, f).hash;
        } else {
            struct stat st;
            if (::stat(f.c_str(), &st) != 0) throw SysError("getting status of '" + f + "'");
            if (S_ISDIR(st.st_mode))
                throw Error("'" + f + "' is a directory; hash it with -S nar (or -r)");
            h = hashFile(algo, f);
        }
        std::cout << h.to(fmt) << "\n";
    }
    return 0;
}

// ---------------------------------------------------------------- show-derivation

int cmdShowDerivation(const std::vector<std::string>& argv, Globals&) {
    Args args("show-derivation", "FILE.drv...",
              "Print each derivation as JSON, in the shape of `nix show-derivation`.\n\n"
              "  -h, --help             show this help\n");
    auto files = args.parse(argv);
    if (!files) return 0;
    if (files->empty()) args.fail("no derivation given");
    nlohmann::ordered_json all = nlohmann::ordered_json::object();
    for (auto& f : *files) {
        std::string base = baseNameOf(f);
        if (!base.ends_with(".drv")) throw Error("'" + f + "' is not a .drv file");
        // The derivation's name is the file's, less the store hash and ".drv".
        std::string name = base.substr(0, base.size() - 4);
        if (name.size() > storePathHashLen + 1 && name[storePathHashLen] == '-')
            name = name.substr(storePathHashLen + 1);
        std::string text = readFile(f);
        Derivation drv;
        std::optional<StoreDir> dir;
        try {
            dir.emplace(derivationStoreDir(text));
            drv = parseDerivation(text, name, &*dir);
        } catch (BadDerivation& e) {
            throw BadDerivation(f + ": " + e.what());
        }
        all.update(derivationToJson(*dir, absPath(f), drv));
    }
    std::cout << all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
}

// ---------------------------------------------------------------- store

std::string formatTime(time_t t) {
    char buf[64];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// A store path given on the command line: a full logical path, a path inside an item, or a
// symlink to one (like a GC root or ./result).
StorePath resolveStorePathArg(LocalStore& store, const std::string& arg) {
    std::string p = arg;
    for (int i = 0; i < 40; i++) {
        std::string a = absPath(p);
        if (a.starts_with(store.storeDir().dir() + "/")) return store.storeDir().toStorePath(a);
        struct stat st;
        if (::lstat(a.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
        std::string target = readLink(a);
        p = target.starts_with("/") ? target : dirOf(a) + "/" + target;
    }
    throw BadStorePath("'" + arg + "' is not a path in the store " + store.storeDir().dir());
}

int storeAdd(const std::vector<std::string>& argv, Globals& g) {
    std::optional<std::string> name;
    FileIngestion method = FileIngestion::Recursive;
    HashAlgo algo = HashAlgo::SHA256;
    std::vector<std::string> refArgs;
    std::optional<std::string> root;
    Args args(
        "store add", "[OPTION]... PATH...",
        "Copy each PATH into the store and print its store path, like `nix-store --add` and\n"
        "`nix-store --add-fixed`.\n\n"
        "  -n, --name=NAME        store path name (default: PATH's base name)\n"
        "  -S, --serializer=TYPE  'nar' (default: the whole tree) or 'none' (one regular file)\n"
        "  -H, --hash=ALGO        sha256 (default: a source path) or md5/sha1/sha512\n"
        "                         (a fixed-output path)\n"
        "  -R, --references-from=PATH  scan the new item for references to PATH's closure\n"
        "      --root=NAME        also register a GC root named NAME\n" +
            std::string(storeOptionsHelp) + "  -h, --help             show this help\n");
    addStoreOptions(args, g);
    args.value('n', "name", [&](const std::string& v) { name = v; });
    args.value('S', "serializer", [&](const std::string& v) {
        if (v == "nar")
            method = FileIngestion::Recursive;
        else if (v == "none" || v == "flat")
            method = FileIngestion::Flat;
        else
            args.fail("unknown serializer '" + v + "'");
    });
    args.flag('r', "recursive", [&] { method = FileIngestion::Recursive; });
    args.value('H', "hash", [&](const std::string& v) {
        auto a = parseHashAlgoOpt(v);
        if (!a) args.fail("unknown hash algorithm '" + v + "'");
        algo = *a;
    });
    args.value('R', "references-from", [&](const std::string& v) { refArgs.push_back(v); });
    args.value(0, "root", [&](const std::string& v) { root = v; });
    auto paths = args.parse(argv);
    if (!paths) return 0;
    if (paths->empty()) args.fail("no path given");
    if (name && paths->size() > 1) args.fail("--name needs exactly one PATH");
    if (root && paths->size() > 1) args.fail("--root needs exactly one PATH");
    LocalStore& store = g.openStore();
    StorePathSet candidates;
    for (auto& r : refArgs) {
        auto closure = store.computeClosure({resolveStorePathArg(store, r)});
        candidates.insert(closure.begin(), closure.end());
    }
    for (auto& p : *paths) {
        std::string src = absPath(p);
        auto sp = store.addPath(src, name ? *name : baseNameOf(src), method, algo, candidates);
        if (root) store.addRoot(sp, *root);
        std::cout << store.printStorePath(sp) << "\n";
    }
    return 0;
}

int storeAddText(const std::vector<std::string>& argv, Globals& g) {
    std::vector<std::string> refArgs;
    Args args("store add-text", "[OPTION]... NAME [FILE]",
              "Add the contents of FILE (default: standard input) to the store as a text item\n"
              "named NAME, like `builtins.toFile`, and print its store path.\n\n"
              "      --reference=PATH   the text refers to store item PATH (repeatable)\n" +
                  std::string(storeOptionsHelp) + "  -h, --help             show this help\n");
    addStoreOptions(args, g);
    args.value(0, "reference", [&](const std::string& v) { refArgs.push_back(v); });
    auto pos = args.parse(argv);
    if (!pos) return 0;
    if (pos->empty() || pos->size() > 2) args.fail("expected NAME and at most one FILE");
    std::string contents;
    if (pos->size() == 2 && (*pos)[1] != "-") {
        contents = readFile((*pos)[1]);
    } else {
        FdSource in(0);
        contents = in.drain();
    }
    LocalStore& store = g.openStore();
    StorePathSet refs;
    for (auto& r : refArgs)
        refs.insert(resolveStorePathArg(store, r));
    std::cout << store.printStorePath(store.addText((*pos)[0], contents, refs)) << "\n";
    return 0;
}

int storeDump(const std::vector<std::string>& argv, Globals& g) {
    Args args("store dump", "PATH",
              "Write the NAR serialisation of PATH to standard output, like `nix-store --dump`.\n"
              "PATH may be a store item or any file, directory or symlink.\n\n" +
                  std::string(storeOptionsHelp) + "  -h, --help             show this help\n");
    addStoreOptions(args, g);
    auto pos = args.parse(argv);
    if (!pos) return 0;
    if (pos->size() != 1) args.fail("expected exactly one PATH");
    if (isatty(1)) throw Error("refusing to write a NAR to a terminal; redirect standard output");
    FdSink out(1);
    std::string p = absPath((*pos)[0]);
    // Store items are dumped through the store, which notices a registered but missing item.
    std::optional<StorePath> sp;
    // Open the store only if it exists: dumping an ordinary file must not create one.
    auto config = StoreConfig::resolve(g.storeRoot, g.storeDir);
    if (pathExists(config.root + "/var/ferrix/db/db.sqlite")) {
        LocalStore& store = g.openStore();
        if (store.storeDir().isStorePath(p)) sp = store.parseStorePath(p);
        if (sp) store.dump(*sp, out);
    }
    if (!sp) dumpPath(p, out);
    out.flush();
    return 0;
}

int storeRestore(const std::vector<std::string>& argv, Globals&) {
    Args args("store restore", "PATH",
              "Read a NAR from standard input and recreate it at PATH, which must not exist,\n"
              "like `nix-store --restore`. A bad NAR leaves nothing behind.\n\n"
              "  -h, --help             show this help\n");
    auto pos = args.parse(argv);
    if (!pos) return 0;
    if (pos->size() != 1) args.fail("expected exactly one PATH");
    std::string p = absPath((*pos)[0]);
    if (pathExists(p)) throw Error("'" + p + "' already exists");
    FdSource in(0);
    restorePath(p, in);
    return 0;
}

int storePathInfo(const std::vector<std::string>& argv, Globals& g) {
    bool json = false, closure = false, showHash = false, showSize = false;
    HashFormat fmt = HashFormat::Nix32;
    Args args("store path-info", "[OPTION]... PATH...",
              "Print what the store knows about each PATH: NAR hash and size, references,\n"
              "deriver and registration time.\n\n"
              "  -r, --recursive        also every path in the closures\n"
              "      --json             print JSON\n"
              "      --hash             print only \"PATH<TAB>NAR hash\" lines\n"
              "  -s, --size             print only \"PATH<TAB>NAR size\" lines\n"
              "  -f, --format=FMT       hash format: nix32 (default), base16, base64, sri\n" +
                  std::string(storeOptionsHelp) + "  -h, --help             show this help\n");
    addStoreOptions(args, g);
    args.flag('r', "recursive", [&] { closure = true; });
    args.flag(0, "json", [&] { json = true; });
    args.flag(0, "hash", [&] { showHash = true; });
    args.flag('s', "size", [&] { showSize = true; });
    args.value('f', "format", [&](const std::string& v) { fmt = parseFormatOption(v); });
    auto pos = args.parse(argv);
    if (!pos) return 0;
    if (pos->empty()) args.fail("no path given");
    LocalStore& store = g.openStore();
    StorePathSet paths;
    for (auto& p : *pos)
        paths.insert(resolveStorePathArg(store, p));
    if (closure) paths = store.computeClosure(paths);
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (auto& p : paths) {
        ValidPathInfo info = store.queryPathInfo(p);
        std::string full = store.printStorePath(p);
        std::string hash = info.narHash.to(fmt, fmt != HashFormat::SRI);
        if (json) {
            nlohmann::ordered_json j;
            j["path"] = full;
            j["narHash"] = hash;
            j["narSize"] = info.narSize;
            j["references"] = nlohmann::ordered_json::array();
            for (auto& r : info.references)
                j["references"].push_back(store.printStorePath(r));
            if (info.deriver) j["deriver"] = store.printStorePath(*info.deriver);
            j["registrationTime"] = info.registrationTime;
            if (!info.ca.empty()) j["ca"] = info.ca;
            j["valid"] = true;
            out.push_back(j);
        } else if (showHash || showSize) {
            std::cout << full;
            if (showHash) std::cout << "\t" << hash;
            if (showSize) std::cout << "\t" << info.narSize;
            std::cout << "\n";
        } else {
            std::cout << full << "\n"
                      << "  NAR hash:     " << hash << "\n"
                      << "  NAR size:     " << info.narSize << "\n"
                      << "  registered:   " << formatTime(info.registrationTime) << "\n";
            if (info.deriver)
                std::cout << "  deriver:      " << store.printStorePath(*info.deriver) << "\n";
            if (!info.ca.empty()) std::cout << "  content addr: " << info.ca << "\n";
            std::cout << "  references:  ";
            if (info.references.empty()) std::cout << " (none)";
            std::cout << "\n";
            for (auto& r : info.references)
                std::cout << "    " << store.printStorePath(r) << "\n";
        }
    }
    if (json) std::cout << out.dump(2) << "\n";
    return 0;
}

int storeReferences(const std::vector<std::string>& argv, Globals& g) {
    bool closure = false, referrers = false;
    Args args("store references", "[OPTION]... PATH...",
              "Print the store paths that each PATH refers to, one per line, sorted.\n\n"
              "  -r, --recursive        the whole closure (including PATH itself)\n"
              "      --referrers        the paths that refer to PATH instead\n" +
                  std::string(storeOptionsHelp) + "  -h, --help             show this help\n");
    addStoreOptions(args, g);
    args.flag('r', "recursive", [&] { closure = true; });
    args.flag(0, "referrers", [&] { referrers = true; });
    auto pos = args.parse(argv);
    if (!pos) return 0;
    if (pos->empty()) args.fail("no path given");
    if (closure && referrers) args.fail("--recursive and --referrers cannot be combined");
    LocalStore& store = g.openStore();
    StorePathSet paths, result;
    for (auto& p : *pos)
        paths.insert(resolveStorePathArg(store, p));
    if (closure) {
        result = store.computeClosure(paths);
    } else {
        for (auto& p : paths) {
            auto r = referrers ? store.queryReferrers(p) : store.queryPathInfo(p).references;
            result.insert(r.begin(), r.end());
        }
    }
    for (auto& p : result)
        std::cout << store.printStorePath(p) << "\n";
    return 0;
}

int storeVerify(const std::vector<std::string>& argv, Globals& g) {
    bool repair = false;
    Args args("store verify", "[OPTION]...",
              "Re-hash every item in the store and compare with the database; check that every\n"
              "reference is valid. Exits 1 if anything is wrong.\n\n"
              "      --repair           invalidate and delete bad items and everything referring\n"
              "                         to them\n" +
                  std::string(storeOptionsHelp) + "  -h, --help             show this help\n");
    addStoreOptions(args, g);
    args.flag(0, "repair", [&] { repair = true; });
    auto pos = args.parse(argv);
    if (!pos) return 0;
    if (!pos->empty()) args.fail("unexpected argument '" + (*pos)[0] + "'");
    LocalStore& store = g.openStore();
    VerifyResult r = store.verify(repair);
    for (auto& p : r.missing)
        std::cerr << "missing: " << store.printStorePath(p) << " is registered but not on disk\n";
    for (auto& c : r.corrupt) {
        std::cerr << "corrupt: " << store.printStorePath(c.path);
        if (!c.error.empty())
            std::cerr << ": " << c.error << "\n";
        else
            std::cerr << ": NAR hash " << c.actualHash.to(HashFormat::Nix32, true) << " size "
                      << c.actualSize << ", expected " << c.expectedHash.to(HashFormat::Nix32, true)
                      << " size " << c.expectedSize << "\n";
    }
    for (auto& [a, b] : r.badReferences)
        std::cerr << "bad reference: " << a << " -> " << b << " (not a valid path)\n";
    for (auto& p : r.invalidated)
        std::cerr << "removed: " << store.printStorePath(p) << "\n";
    std::cerr << "checked " << r.checked << " items: "
              << (r.ok()   ? "all good"
                  : repair ? "problems found and repaired"
                           : "problems found")
              << "\n";
    return r.ok() ? 0 : 1;
}

int storeGc(const std::vector<std::string>& argv, Globals& g) {
    GcOptions opts;
    bool deleteSpecific = false;
    Args args(
        "store gc", "[OPTION]... [--delete PATH...]",
        "Delete store items that no GC root keeps alive, and leftovers of interrupted adds.\n\n"
        "      --print-dead, --dry-run  list what would be deleted; delete nothing\n"
        "      --print-live       list what the roots keep alive\n"
        "      --delete           delete just the given PATHs (refused if any is alive)\n"
        "      --max-freed=BYTES  stop after freeing this many bytes\n" +
            std::string(storeOptionsHelp) + "  -h, --help             show this help\n");
    addStoreOptions(args, g);
    args.flag(0, "print-dead", [&] { opts.action = GcOptions::Action::PrintDead; });
    args.flag(0, "dry-run", [&] { opts.action = GcOptions::Action::PrintDead; });
    args.flag(0, "print-live", [&] { opts.action = GcOptions::Action::PrintLive; });
    args.flag(0, "delete", [&] { deleteSpecific = true; });
    args.value(0, "max-freed", [&](const std::string& v) {
        try {
            size_t used = 0;
            opts.maxFreed = std::stoull(v, &used);
            if (used != v.size()) throw std::invalid_argument(v);
        } catch (std::exception&) {
            args.fail("--max-freed needs a number of bytes, not '" + v + "'");
        }
    });
    auto pos = args.parse(argv);
    if (!pos) return 0;
    LocalStore& store = g.openStore();
    if (deleteSpecific) {
        if (pos->empty()) args.fail("--delete needs at least one PATH");
        opts.action = GcOptions::Action::DeleteSpecific;
        for (auto& p : *pos)
            opts.paths.insert(resolveStorePathArg(store, p));
    } else if (!pos->empty()) {
        args.fail("unexpected argument '" + (*pos)[0] + "' (did you mean --delete?)");
    }
    GcResult r = store.collectGarbage(opts);
    for (auto& p : r.paths)
        std::cout << store.printStorePath(p) << "\n";
    if (opts.action == GcOptions::Action::DeleteDead ||
        opts.action == GcOptions::Action::DeleteSpecific)
        std::cerr << "deleted " << r.paths.size() << " items, " << r.leftoversRemoved.size()
                  << " leftovers; " << r.bytesFreed << " bytes freed\n";
    return 0;
}

int storeRoots(const std::vector<std::string>& argv, Globals& g) {
    std::optional<std::string> add, remove;
    Args args("store roots", "[--add=NAME PATH | --remove=NAME]",
              "List GC roots (\"ROOT -> PATH\"), or add or remove one. NAME without '/' makes a\n"
              "root in the store's gcroots directory; otherwise it is a symlink to create (an\n"
              "indirect root, like `nix-store --add-root --indirect`).\n\n"
              "      --add=NAME         make NAME a root for PATH\n"
              "      --remove=NAME      remove root NAME\n" +
                  std::string(storeOptionsHelp) + "  -h, --help             show this help\n");
    addStoreOptions(args, g);
    args.value(0, "add", [&](const std::string& v) { add = v; });
    args.value(0, "remove", [&](const std::string& v) { remove = v; });
    auto pos = args.parse(argv);
    if (!pos) return 0;
    LocalStore& store = g.openStore();
    if (add) {
        if (pos->size() != 1) args.fail("--add needs exactly one PATH");
        std::cout << store.addRoot(resolveStorePathArg(store, (*pos)[0]), *add) << "\n";
    } else if (remove) {
        if (!pos->empty()) args.fail("--remove takes no PATH");
        store.removeRoot(*remove);
    } else {
        if (!pos->empty()) args.fail("unexpected argument '" + (*pos)[0] + "'");
        for (auto& [link, p] : store.findRoots())
            std::cout << link << " -> " << store.printStorePath(p) << "\n";
    }
    return 0;
}

// ---------------------------------------------------------------- download

// The base name of a URL's path (no query, no fragment), as url-fetch names its output.
std::string urlBaseName(const std::string& url) {
    std::string path = url.substr(0, url.find_first_of("?#"));
    while (path.ends_with("/"))
        path.pop_back();
    return path.substr(path.rfind('/') + 1);
}

int cmdDownload(const std::vector<std::string>& argv, Globals& g) {
    std::optional<std::string> name;
    bool executable = false;
    HashAlgo algo = HashAlgo::SHA256;
    HashFormat format = HashFormat::Nix32;
    ConfigOverrides overrides;
    Args args(
        "download", "[OPTION]... URL",
        "Download URL into the store and print its store path and its hash (sha256 in\n"
        "nix32 by default), like `guix download`. The store item is the output of the\n"
        "url-fetch origin with that name and sha256: building such an origin afterwards\n"
        "downloads nothing. Mirrors and retries come from the configuration file\n"
        "(doc/fetch.md: $FERRIX_CONFIG or ${XDG_CONFIG_HOME:-~/.config}/ferrix/config.toml).\n\n"
        "  -n, --name=NAME        the store item's name (default: URL's base name)\n"
        "      --executable       make the file executable\n"
        "  -H, --hash=ALGO        hash printed: sha256 (default), sha512, sha1 or md5\n"
        "  -f, --format=FMT       nix32 (default), base16, base64 or sri\n"
        "      --mirror=PREFIX=URL  also try URLs starting with PREFIX at URL + the rest,\n"
        "                         before the configured mirrors (repeatable)\n"
        "      --content-mirror=TEMPLATE  a content-addressed mirror (repeatable; only\n"
        "                         used where a hash is known, i.e. in builds)\n"
        "      --no-config        ignore the configuration file\n" +
            std::string(storeOptionsHelp) +
            "  -h, --help             show this help\n\n"
            "Exit status: 0 on success, 1 when the download fails, 2 on a usage error.\n");
    addStoreOptions(args, g);
    args.value('n', "name", [&](const std::string& v) { name = v; });
    args.flag(0, "executable", [&] { executable = true; });
    args.value('H', "hash", [&](const std::string& v) {
        auto a = parseHashAlgoOpt(v);
        if (!a) args.fail("unknown hash algorithm '" + v + "'");
        algo = *a;
    });
    args.value('f', "format", [&](const std::string& v) {
        if (v == "nix32" || v == "nix-base32" || v == "base32")
            format = HashFormat::Nix32;
        else if (v == "base16" || v == "hex" || v == "hexadecimal")
            format = HashFormat::Base16;
        else if (v == "base64")
            format = HashFormat::Base64;
        else if (v == "sri")
            format = HashFormat::SRI;
        else
            args.fail("unknown format '" + v + "' (expected nix32, base16, base64 or sri)");
    });
    args.value(0, "mirror", [&](const std::string& v) {
        try {
            overrides.prefixMirrors.push_back(parseMirrorOption(v));
        } catch (const UsageError& e) {
            args.fail(e.what());
        }
    });
    args.value(0, "content-mirror",
               [&](const std::string& v) { overrides.contentMirrors.push_back(v); });
    args.flag(0, "no-config", [&] { overrides.noConfig = true; });
    auto pos = args.parse(argv);
    if (!pos) return 0;
    if (pos->size() != 1) args.fail(pos->empty() ? "no URL given" : "exactly one URL expected");
    const std::string& url = pos->front();
    if (url.starts_with("/"))
        args.fail("'" + url + "' is a file name: give a URL (file://" + url + ")");
    if (url.find("://") == std::string::npos) args.fail("'" + url + "' is not a URL");
    if (!name) name = urlBaseName(url);
    if (name->empty()) args.fail("cannot name the file after '" + url + "': use --name");
    setConfigOverrides(overrides);
    FetchOptions options = userFetchOptions();
    LocalStore& store = g.openStore();
    std::cout.flush();
    DownloadedFile f = downloadToStore(store, url, *name, executable, options);
    Hash h = algo == HashAlgo::SHA256 ? f.sha256 : hashFile(algo, store.realPath(f.path));
    std::cout << store.printStorePath(f.path) << "\n" << h.to(format) << "\n";
    return 0;
}

using Command = int (*)(const std::vector<std::string>&, Globals&);

const std::map<std::string, std::pair<Command, const char*>> storeCommands = {
    {"add", {storeAdd, "copy files or directories into the store"}},
    {"add-text", {storeAddText, "add a text item"}},
    {"dump", {storeDump, "write the NAR of a path to standard output"}},
    {"restore", {storeRestore, "recreate a path from a NAR on standard input"}},
    {"path-info", {storePathInfo, "show NAR hash, size, references of store items"}},
    {"references", {storeReferences, "list references, closures or referrers"}},
    {"verify", {storeVerify, "re-hash every item against the database"}},
    {"gc", {storeGc, "collect garbage"}},
    {"roots", {storeRoots, "list, add or remove GC roots"}},
};

int cmdStore(const std::vector<std::string>& argv, Globals& g) {
    // Global store options may come before the subcommand.
    size_t i = 0;
    for (; i < argv.size(); i++) {
        const std::string& a = argv[i];
        if (a.starts_with("--store="))
            g.storeRoot = a.substr(8);
        else if (a.starts_with("--store-dir="))
            g.storeDir = a.substr(12);
        else if ((a == "--store" || a == "--store-dir") && i + 1 < argv.size())
            (a == "--store" ? g.storeRoot : g.storeDir) = argv[++i];
        else
            break;
    }
    if (i == argv.size() || argv[i] == "--help" || argv[i] == "-h") {
        bool help = i < argv.size();
        (help ? std::cout : std::cerr) << "Usage: ferrix store COMMAND [OPTION]...\n\nCommands:\n";
        for (auto& [name, c] : storeCommands) {
            std::string pad(12 > name.size() ? 12 - name.size() : 1, ' ');
            (help ? std::cout : std::cerr) << "  " << name << pad << c.second << "\n";
        }
        if (!help) throw UsageError("store: no command given");
        return 0;
    }
    auto it = storeCommands.find(argv[i]);
    if (it == storeCommands.end())
        throw UsageError("store: unknown command '" + argv[i] + "'\nTry 'ferrix store --help'.");
    return it->second.first(std::vector<std::string>(argv.begin() + long(i) + 1, argv.end()), g);
}

const std::map<std::string, std::pair<Command, const char*>> commands = {
    {"hash", {cmdHash, "compute the hash of files"}},
    {"store", {cmdStore, "manipulate the store"}},
    {"show-derivation", {cmdShowDerivation, "print derivations as JSON"}},
    {"download", {cmdDownload, "download a file into the store and print its hash"}},
};

void printMainHelp(std::ostream& out) {
    out << "Usage: ferrix [--store=DIR] [--store-dir=PATH] COMMAND [OPTION]...\n\n"
           "A functional package builder for Rust crates.\n\nCommands:\n";
    for (auto& [name, c] : commands) {
        std::string pad(18 > name.size() ? 18 - name.size() : 1, ' ');
        out << "  " << name << pad << c.second << "\n";
    }
    out << "\nRun 'ferrix COMMAND --help' for a command's options.\n";
}

} // namespace

namespace {

// Prints an exception escaping a command the way the command line does; returns the exit status.
int report(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (UsageError& e) {
        std::cerr << "ferrix: " << e.what() << "\n";
        return 2;
    } catch (Error& e) {
        std::cerr << "ferrix: error: " << e.what() << "\n";
        return 1;
    } catch (std::bad_alloc&) {
        std::cerr << "ferrix: error: out of memory\n";
        return 1;
    } catch (std::exception& e) {
        std::cerr << "ferrix: internal error: " << e.what() << "\n";
        return 1;
    }
}

int runWith(const std::string& cmd, const std::vector<std::string>& args, Globals& g) {
    int rc;
    try {
        auto it = commands.find(cmd);
        if (it == commands.end())
            throw UsageError("unknown command '" + cmd + "'\nTry 'ferrix --help'.");
        rc = it->second.first(args, g);
    } catch (...) {
        std::cout.flush();
        return report(std::current_exception());
    }
    std::cout.flush();
    return rc;
}

} // namespace

int run(const std::string& command, const std::vector<std::string>& args,
        const std::optional<std::string>& storeRoot, const std::optional<std::string>& storeDir) {
    try {
        Globals g;
        g.storeRoot = storeRoot;
        g.storeDir = storeDir;
        return runWith(command, args, g);
    } catch (...) {
        return report(std::current_exception());
    }
}

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        Globals g;
        size_t i = 0;
        for (; i < args.size(); i++) {
            const std::string& a = args[i];
            if (a.starts_with("--store="))
                g.storeRoot = a.substr(8);
            else if (a.starts_with("--store-dir="))
                g.storeDir = a.substr(12);
            else if ((a == "--store" || a == "--store-dir") && i + 1 < args.size())
                (a == "--store" ? g.storeRoot : g.storeDir) = args[++i];
            else
                break;
        }
        if (i == args.size()) {
            printMainHelp(std::cerr);
            return 2;
        }
        const std::string& cmd = args[i];
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            printMainHelp(std::cout);
            return 0;
        }
        if (cmd == "--version" || cmd == "-V") {
            std::cout << "ferrix " FERRIX_VERSION "\n";
            return 0;
        }
        return runWith(cmd, std::vector<std::string>(args.begin() + long(i) + 1, args.end()), g);
    } catch (...) {
        return report(std::current_exception());
    }
}

} // namespace ferrix::cli
