#include "ferrix/derivation.hh"

#include "ferrix/file.hh"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

namespace ferrix {

bool Derivation::isFixedOutput() const {
    return outputs.size() == 1 && outputs.begin()->first == "out" &&
           outputs.begin()->second.isFixed();
}

// ---------------------------------------------------------------------------------------------
// Writing

// Builder, args and env go through this; everything else is written raw, as Nix does.
static void appendEscaped(std::string& out, std::string_view s) {
    out += '"';
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        const char* rep;
        switch (s[i]) {
        case '"':
            rep = "\\\"";
            break;
        case '\\':
            rep = "\\\\";
            break;
        case '\n':
            rep = "\\n";
            break;
        case '\r':
            rep = "\\r";
            break;
        case '\t':
            rep = "\\t";
            break;
        default:
            continue;
        }
        out.append(s.substr(start, i - start));
        out += rep;
        start = i + 1;
    }
    out.append(s.substr(start));
    out += '"';
}

static void appendRaw(std::string& out, std::string_view s) {
    out += '"';
    out.append(s);
    out += '"';
}

template <typename Range, typename F>
static void appendList(std::string& out, const Range& items, F&& each) {
    out += '[';
    bool first = true;
    for (auto& item : items) {
        if (!first) out += ',';
        first = false;
        each(item);
    }
    out += ']';
}

std::string unparse(const StoreDir& storeDir, const Derivation& drv, bool maskOutputs,
                    const DerivationInputKeys* actualInputs) {
    std::string s;
    s.reserve(1024);
    s += "Derive(";

    appendList(s, drv.outputs, [&](auto& o) {
        s += '(';
        appendRaw(s, o.first);
        s += ',';
        appendRaw(s,
                  maskOutputs || !o.second.path ? std::string() : storeDir.print(*o.second.path));
        s += ',';
        appendRaw(s, o.second.hashAlgo);
        s += ',';
        appendRaw(s, o.second.hash);
        s += ')';
    });
    s += ',';

    auto appendInput = [&](std::string_view path, const std::set<std::string>& outs) {
        s += '(';
        appendRaw(s, path);
        s += ',';
        appendList(s, outs, [&](auto& o) { appendRaw(s, o); });
        s += ')';
    };
    if (actualInputs)
        appendList(s, *actualInputs, [&](auto& i) { appendInput(i.first, i.second); });
    else
        appendList(s, drv.inputDrvs,
                   [&](auto& i) { appendInput(storeDir.print(i.first), i.second); });
    s += ',';

    appendList(s, drv.inputSrcs, [&](auto& p) { appendRaw(s, storeDir.print(p)); });
    s += ',';
    appendRaw(s, drv.platform);
    s += ',';
    appendEscaped(s, drv.builder);
    s += ',';
    appendList(s, drv.args, [&](auto& a) { appendEscaped(s, a); });
    s += ',';

    appendList(s, drv.env, [&](auto& e) {
        s += '(';
        appendEscaped(s, e.first);
        s += ',';
        appendEscaped(s, maskOutputs && drv.outputs.count(e.first) ? std::string_view()
                                                                   : std::string_view(e.second));
        s += ')';
    });
    s += ')';
    return s;
}

// ---------------------------------------------------------------------------------------------
// Parsing

static std::string describeByte(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    char b[16];
    std::snprintf(b, sizeof b, "byte 0x%02x", u);
    return b;
}

static bool isLowerHex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

namespace {

// Accepts exactly what unparse() writes, so that unparse(parse(t)) == t for every accepted t:
// a .drv whose text we would re-serialise differently would get a different store path.
class AtermParser {
public:
    AtermParser(std::string_view s, const StoreDir* storeDir) : s(s), storeDir(storeDir) {}

    // The directory paths are parsed in: the one given, else that of the first output path.
    const StoreDir* directory() const {
        return storeDir ? storeDir : inferred ? &*inferred : nullptr;
    }

    Derivation parse() {
        Derivation drv;
        literal("Derive(");

        list([&] { parseOutput(drv); });
        if (drv.outputs.empty()) failAt(pos - 1, "a derivation needs at least one output");
        checkFixedOutputs(drv);
        expect(',');

        list([&] { parseInputDrv(drv); });
        expect(',');

        list([&] {
            size_t at = pos + 1;
            std::string p = raw("input source path");
            StorePath sp = checkPath(at, p, "input source", false);
            if (!drv.inputSrcs.empty() && !(*drv.inputSrcs.rbegin() < sp))
                failAt(at, orderMessage("input sources",
                                        directory()->print(*drv.inputSrcs.rbegin()), p));
            drv.inputSrcs.emplace_hint(drv.inputSrcs.end(), std::move(sp));
        });
        expect(',');

        drv.platform = raw("system");
        expect(',');
        drv.builder = escaped();
        expect(',');
        list([&] { drv.args.push_back(escaped()); });
        expect(',');

        list([&] {
            expect('(');
            size_t at = pos + 1;
            std::string key = escaped();
            expect(',');
            std::string value = escaped();
            expect(')');
            if (!drv.env.empty() && !(drv.env.rbegin()->first < key))
                failAt(at, orderMessage("environment variables", drv.env.rbegin()->first, key));
            drv.env.emplace_hint(drv.env.end(), std::move(key), std::move(value));
        });
        expect(')');
        if (pos != s.size()) expected("end of input");
        return drv;
    }

private:
    std::string_view s;
    const StoreDir* storeDir;
    std::optional<StoreDir> inferred;
    size_t pos = 0;

    [[noreturn]] void failAt(size_t at, const std::string& msg) const {
        throw BadDerivation("bad derivation at byte " + std::to_string(at) + ": " + msg);
    }

    [[noreturn]] void expected(std::string_view what) const {
        failAt(pos, "expected " + std::string(what) + " but found " +
                        (pos < s.size() ? describeByte(s[pos]) : std::string("end of input")));
    }

    void expect(char c) {
        if (pos >= s.size() || s[pos] != c) expected(std::string("'") + c + "'");
        ++pos;
    }

    void literal(std::string_view lit) {
        for (char c : lit) {
            if (pos >= s.size() || s[pos] != c) expected("'" + std::string(lit) + "'");
            ++pos;
        }
    }

    // "[" [item ("," item)*] "]"
    template <typename F> void list(F&& item) {
        expect('[');
        if (pos < s.size() && s[pos] == ']') {
            ++pos;
            return;
        }
        while (true) {
            item();
            if (pos < s.size() && s[pos] == ',') {
                ++pos;
                continue;
            }
            if (pos >= s.size() || s[pos] != ']') expected("',' or ']'");
            ++pos;
            return;
        }
    }

    // A field Nix writes without escaping: any byte but '"' and '\' (Nix's reader would decode an
    // escape that its writer would then not reproduce).
    std::string raw(std::string_view what) {
        size_t open = pos;
        if (pos >= s.size() || s[pos] != '"') expected("'\"' opening the " + std::string(what));
        ++pos;
        size_t start = pos;
        while (true) {
            if (pos >= s.size())
                failAt(pos, "unterminated " + std::string(what) + " (opened at byte " +
                                std::to_string(open) + ")");
            char c = s[pos];
            if (c == '"') break;
            if (c == '\\')
                failAt(pos, "backslash in the " + std::string(what) +
                                ", a field written without escapes");
            ++pos;
        }
        std::string r(s.substr(start, pos - start));
        ++pos;
        return r;
    }

    // Builder, args, env: decodes \" \\ \n \r \t. A needless escape or a raw LF/CR/TAB is
    // refused, since the writer never produces one and it would not round-trip.
    std::string escaped() {
        size_t open = pos;
        if (pos >= s.size() || s[pos] != '"') expected("'\"'");
        ++pos;
        std::string r;
        while (true) {
            if (pos >= s.size())
                failAt(pos, "unterminated string (opened at byte " + std::to_string(open) + ")");
            char c = s[pos];
            if (c == '"') break;
            if (c == '\\') {
                if (pos + 1 >= s.size())
                    failAt(pos + 1,
                           "unterminated string (opened at byte " + std::to_string(open) + ")");
                char e = s[pos + 1];
                switch (e) {
                case '"':
                    r += '"';
                    break;
                case '\\':
                    r += '\\';
                    break;
                case 'n':
                    r += '\n';
                    break;
                case 'r':
                    r += '\r';
                    break;
                case 't':
                    r += '\t';
                    break;
                default:
                    failAt(pos, "needless escape '\\" + std::string(1, e) +
                                    "' (the writer escapes only \" \\ LF CR TAB)");
                }
                pos += 2;
                continue;
            }
            if (c == '\n' || c == '\r' || c == '\t')
                failAt(pos, "raw " + describeByte(c) + " in a string (the writer escapes it)");
            r += c;
            ++pos;
        }
        ++pos;
        return r;
    }

    static std::string orderMessage(std::string_view what, std::string_view prev,
                                    std::string_view next) {
        if (prev == next)
            return "duplicate " + std::string(what) + " entry '" + std::string(next) + "'";
        return std::string(what) + " not sorted: '" + std::string(next) + "' after '" +
               std::string(prev) + "'";
    }

    template <typename Set>
    void insertSorted(Set& set, std::string v, size_t at, std::string_view what) {
        if (!set.empty() && !(*set.rbegin() < v)) failAt(at, orderMessage(what, *set.rbegin(), v));
        set.emplace_hint(set.end(), std::move(v));
    }

    StorePath checkPath(size_t at, const std::string& p, std::string_view what, bool drv) {
        if (p.empty() || p[0] != '/')
            failAt(at, std::string(what) + " path '" + p + "' is not absolute");
        if (!directory()) {
            auto slash = p.rfind('/');
            try {
                inferred.emplace(slash == 0 ? std::string("/") : p.substr(0, slash));
            } catch (Error& e) {
                failAt(at, std::string(what) + ": " + e.what());
            }
        }
        std::optional<StorePath> sp;
        try {
            sp = directory()->parse(p);
        } catch (BadStorePath& e) {
            failAt(at, std::string(what) + ": " + e.what());
        }
        if (drv && !sp->isDerivation())
            failAt(at, std::string(what) + " '" + p + "' is not a .drv file");
        return std::move(*sp);
    }

    void checkOutputName(size_t at, const std::string& name) {
        if (name == "drv") failAt(at, "'drv' is not allowed as an output name");
        try {
            checkStorePathName(name);
        } catch (BadStorePath& e) {
            failAt(at, "bad output name: " + std::string(e.what()));
        }
    }

    void parseOutput(Derivation& drv) {
        expect('(');
        size_t at = pos + 1;
        std::string name = raw("output name");
        checkOutputName(at, name);
        if (!drv.outputs.empty() && !(drv.outputs.rbegin()->first < name))
            failAt(at, orderMessage("outputs", drv.outputs.rbegin()->first, name));
        expect(',');
        DerivationOutput o;
        size_t pathAt = pos + 1;
        o.path = checkPath(pathAt, raw("output path"), "output", false);
        expect(',');
        size_t algoAt = pos + 1;
        o.hashAlgo = raw("output hash algorithm");
        expect(',');
        size_t hashAt = pos + 1;
        o.hash = raw("output hash");
        expect(')');
        if (!o.hashAlgo.empty() || !o.hash.empty()) {
            std::string_view algo = o.hashAlgo;
            if (algo.starts_with("r:")) algo.remove_prefix(2);
            auto a = parseHashAlgoOpt(algo);
            if (!a) failAt(algoAt, "unknown output hash algorithm '" + o.hashAlgo + "'");
            if (o.hash.size() != 2 * hashSize(*a) || !isLowerHex(o.hash))
                failAt(hashAt, "output hash '" + o.hash + "' is not " +
                                   std::to_string(2 * hashSize(*a)) + " lower-case hex digits");
        }
        drv.outputs.emplace_hint(drv.outputs.end(), std::move(name), std::move(o));
    }

    void checkFixedOutputs(const Derivation& drv) {
        for (auto& [name, o] : drv.outputs)
            if (o.isFixed() && !drv.isFixedOutput())
                failAt(pos - 1, "fixed output '" + name +
                                    "' must be the derivation's only output, named 'out'");
    }

    void parseInputDrv(Derivation& drv) {
        expect('(');
        size_t at = pos + 1;
        std::string path = raw("input derivation path");
        StorePath sp = checkPath(at, path, "input derivation", true);
        if (!drv.inputDrvs.empty() && !(drv.inputDrvs.rbegin()->first < sp))
            failAt(at, orderMessage("input derivations",
                                    directory()->print(drv.inputDrvs.rbegin()->first), path));
        expect(',');
        std::set<std::string> outs;
        list([&] {
            size_t oat = pos + 1;
            std::string o = raw("output name");
            checkOutputName(oat, o);
            insertSorted(outs, std::move(o), oat, "input derivation outputs");
        });
        expect(')');
        drv.inputDrvs.emplace_hint(drv.inputDrvs.end(), std::move(sp), std::move(outs));
    }
};

} // namespace

Derivation parseDerivation(std::string_view aterm, std::string name, const StoreDir* storeDir) {
    Derivation drv = AtermParser(aterm, storeDir).parse();
    if (name.empty()) {
        auto i = drv.env.find("name");
        if (i != drv.env.end()) name = i->second;
    }
    drv.name = std::move(name);
    return drv;
}

StoreDir derivationStoreDir(std::string_view aterm) {
    AtermParser parser(aterm, nullptr);
    parser.parse(); // a derivation has an output, so a directory
    return *parser.directory();
}

DerivationFile readDerivationFile(const std::string& file) {
    std::string base = baseNameOf(file);
    if (!base.ends_with(".drv")) throw BadDerivation("'" + file + "' is not a .drv file");
    std::string name = base.substr(0, base.size() - 4);
    if (name.size() > storePathHashLen + 1 && name[storePathHashLen] == '-')
        name = name.substr(storePathHashLen + 1);
    std::string text = readFile(file);
    try {
        StoreDir storeDir = derivationStoreDir(text);
        Derivation drv = parseDerivation(text, name, &storeDir);
        return {std::move(storeDir), std::move(drv)};
    } catch (BadDerivation& e) {
        throw BadDerivation(file + ": " + e.what());
    }
}

// ---------------------------------------------------------------------------------------------
// Resolvers and the hash modulo

DerivationResolver memoryResolver(const std::map<std::string, Derivation>& drvs) {
    return [&drvs](const std::string& drvPath) -> Derivation {
        auto i = drvs.find(drvPath);
        if (i == drvs.end()) throw InvalidPath("derivation '" + drvPath + "' is not known");
        return i->second;
    };
}

DerivationResolver memoryResolver(std::map<std::string, Derivation>&& drvs) {
    auto owned = std::make_shared<const std::map<std::string, Derivation>>(std::move(drvs));
    return [owned](const std::string& drvPath) -> Derivation {
        auto i = owned->find(drvPath);
        if (i == owned->end()) throw InvalidPath("derivation '" + drvPath + "' is not known");
        return i->second;
    };
}

DerivationResolver directoryResolver(const StoreDir& storeDir, std::string physicalDir) {
    return [storeDir, dir = std::move(physicalDir)](const std::string& drvPath) -> Derivation {
        StorePath p = storeDir.parse(drvPath);
        if (!p.isDerivation())
            throw InvalidPath("'" + drvPath + "' is not a derivation (no .drv suffix)");
        std::string_view name = p.name();
        name.remove_suffix(4);
        try {
            return parseDerivation(readFile(dir + "/" + p.to_string()), std::string(name),
                                   &storeDir);
        } catch (BadDerivation& e) {
            throw BadDerivation(drvPath + ": " + e.what());
        }
    };
}

const Hash& DrvHashes::get(const std::string& drvPath) {
    auto i = cache.find(drvPath);
    if (i != cache.end()) return i->second;
    // A cycle cannot come from real hashes, but a hand-made resolver could loop forever.
    if (!inProgress.insert(drvPath).second)
        throw BadDerivation("cycle in input derivations through '" + drvPath + "'");
    Hash h;
    try {
        // A .drv's directory is its store's.
        h = hashDerivationModulo(StoreDir(dirOf(drvPath)), resolve(drvPath), false, *this);
    } catch (...) {
        inProgress.erase(drvPath);
        throw;
    }
    inProgress.erase(drvPath);
    return cache.emplace(drvPath, h).first->second;
}

const Hash& DrvHashes::add(const std::string& drvPath, const Derivation& drv) {
    Hash h = hashDerivationModulo(StoreDir(dirOf(drvPath)), drv, false, *this);
    return cache.insert_or_assign(drvPath, h).first->second;
}

Hash hashDerivationModulo(const StoreDir& storeDir, const Derivation& drv, bool maskOutputs,
                          DrvHashes& hashes) {
    if (drv.isFixedOutput()) {
        auto& o = drv.outputs.begin()->second;
        return hashString(HashAlgo::SHA256, "fixed:out:" + o.hashAlgo + ":" + o.hash + ":" +
                                                (o.path ? storeDir.print(*o.path) : ""));
    }
    // Two fixed-output inputs with equal hashes and names get equal keys: merge their outputs.
    DerivationInputKeys inputs;
    for (auto& [path, outs] : drv.inputDrvs)
        inputs[hashes.get(storeDir.print(path)).toBase16()].insert(outs.begin(), outs.end());
    return hashString(HashAlgo::SHA256, unparse(storeDir, drv, maskOutputs, &inputs));
}

// ---------------------------------------------------------------------------------------------
// Construction

// Everything but output paths, which construction has yet to fill.
static void checkShape(const Derivation& drv) {
    try {
        checkStorePathName(drv.name);
        checkStorePathName(drv.name + ".drv");
    } catch (BadStorePath& e) {
        throw BadDerivation("bad derivation name: " + std::string(e.what()));
    }
    if (drv.outputs.empty()) throw BadDerivation("derivation '" + drv.name + "' has no outputs");
    for (auto& [o, out] : drv.outputs) {
        if (o == "drv")
            throw BadDerivation("derivation '" + drv.name + "': 'drv' is not an allowed output");
        try {
            checkStorePathName(o);
            checkStorePathName(outputPathName(drv.name, o));
        } catch (BadStorePath& e) {
            throw BadDerivation("derivation '" + drv.name + "', output '" + o + "': " + e.what());
        }
        if (out.isFixed() != !out.hashAlgo.empty())
            throw BadDerivation("derivation '" + drv.name + "', output '" + o +
                                "': hash and hash algorithm must be given together");
        if (out.isFixed() && !drv.isFixedOutput())
            throw BadDerivation("derivation '" + drv.name +
                                "': a fixed output must be the only output, named 'out'");
    }
    // Nix treats an empty builder or system as a missing one.
    if (drv.builder.empty()) throw BadDerivation("derivation '" + drv.name + "' has no builder");
    if (drv.platform.empty()) throw BadDerivation("derivation '" + drv.name + "' has no system");
    if (drv.platform.find_first_of("\"\\") != std::string::npos)
        throw BadDerivation("derivation '" + drv.name + "': system '" + drv.platform +
                            "' contains '\"' or '\\', which the raw field cannot hold");
    // Store paths are valid by construction; what is left is what they name.
    for (auto& [p, outs] : drv.inputDrvs) {
        if (!p.isDerivation())
            throw BadDerivation("input derivation '" + p.to_string() + "' is not a .drv file");
        for (auto& o : outs)
            if (o.empty() || o.find_first_of("\"\\") != std::string::npos)
                throw BadDerivation("input derivation '" + p.to_string() + "': bad output name '" +
                                    o + "'");
    }
}

void checkDerivation(const Derivation& drv) {
    checkShape(drv);
    for (auto& [o, out] : drv.outputs)
        if (!out.path)
            throw BadDerivation("derivation '" + drv.name + "': output '" + o + "' has no path");
}

void fillInputAddressedOutputs(Derivation& drv, const StoreDir& storeDir, DrvHashes& hashes) {
    checkShape(drv);
    if (drv.isFixedOutput())
        throw BadDerivation("derivation '" + drv.name +
                            "' is fixed-output; its path comes from its hash");
    // The masked text must list every output in env, blank, whether or not it was there.
    for (auto& [o, out] : drv.outputs) {
        out.path.reset();
        drv.env[o].clear();
    }
    Hash h = hashDerivationModulo(storeDir, drv, true, hashes);
    for (auto& [o, out] : drv.outputs) {
        out.path = storeDir.makeOutputPath(o, h, drv.name);
        drv.env[o] = storeDir.print(*out.path);
    }
}

void fillFixedOutput(Derivation& drv, const StoreDir& storeDir, FileIngestion method,
                     const Hash& hash) {
    if (drv.outputs.size() > 1 || (drv.outputs.size() == 1 && !drv.outputs.count("out")))
        throw BadDerivation("fixed-output derivation '" + drv.name +
                            "' must have the single output 'out'");
    DerivationOutput out;
    out.hashAlgo = std::string(method == FileIngestion::Recursive ? "r:" : "") +
                   std::string(algoName(hash.algo));
    out.hash = hash.toBase16();
    drv.outputs["out"] = out;
    checkShape(drv);
    out.path = storeDir.makeFixedOutputPath(drv.name, method, hash);
    drv.outputs["out"] = out;
    drv.env["out"] = storeDir.print(*out.path);
}

StorePathSet derivationReferences(const StoreDir&, const Derivation& drv) {
    StorePathSet refs = drv.inputSrcs;
    for (auto& [p, outs] : drv.inputDrvs)
        refs.insert(p);
    return refs;
}

std::string drvPathOf(const StoreDir& storeDir, const Derivation& drv) {
    checkDerivation(drv);
    return storeDir.print(storeDir.makeTextPath(
        drv.name + ".drv", hashString(HashAlgo::SHA256, unparse(storeDir, drv, false)),
        derivationReferences(storeDir, drv)));
}

// ---------------------------------------------------------------------------------------------
// JSON

nlohmann::ordered_json derivationToJson(const StoreDir& storeDir, const std::string& drvPath,
                                        const Derivation& drv) {
    using J = nlohmann::ordered_json;
    J outputs = J::object();
    for (auto& [o, out] : drv.outputs) {
        J j = J::object();
        j["path"] = out.path ? storeDir.print(*out.path) : "";
        if (out.isFixed()) {
            j["hashAlgo"] = out.hashAlgo;
            j["hash"] = out.hash;
        }
        outputs[o] = std::move(j);
    }
    J inputDrvs = J::object();
    for (auto& [p, outs] : drv.inputDrvs)
        inputDrvs[storeDir.print(p)] = J(outs);
    J inputSrcs = J::array();
    for (auto& p : drv.inputSrcs)
        inputSrcs.push_back(storeDir.print(p));
    J env = J::object();
    for (auto& [k, v] : drv.env)
        env[k] = v;

    J d = J::object();
    d["outputs"] = std::move(outputs);
    d["inputSrcs"] = std::move(inputSrcs);
    d["inputDrvs"] = std::move(inputDrvs);
    d["system"] = drv.platform;
    d["builder"] = drv.builder;
    d["args"] = J(drv.args);
    d["env"] = std::move(env);
    J top = J::object();
    top[drvPath] = std::move(d);
    return top;
}

} // namespace ferrix
