// Derivations against a real nix-instantiate: random Nix expressions are instantiated in a chroot
// store, the same derivations are built in C++ from the generator's model (never from nix's
// files), and the text, .drv paths, output paths and parse round trips must agree byte for byte.
#include "ferrix/derivation.hh"

#include "nix-oracle.hh"

#include <chrono>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

using namespace ferrix;
using namespace ferrix::test;

namespace {

const StoreDir nixStore("/nix/store");

// ---------------------------------------------------------------------------------------------
// The model of a generated derivation expression

// One piece of a Nix string: literal text, "${dN}" / "${dN.output}", or "${builtins.toFile ...}".
struct Piece {
    enum Kind { Lit, Dep, File } kind = Lit;
    std::string text; // literal, or the file's contents
    std::string fileName;
    int dep = -1;
    std::string output; // "" = the dependency's default (first) output
};
using Str = std::vector<Piece>;

// An attribute value (or list element) as Nix coerces it into the environment.
struct Value {
    enum Kind { String, Int, Bool, Null, List, Whole } kind = String;
    Str str;
    long n = 0;
    bool b = false;
    std::vector<Value> list;
    int dep = -1; // Whole: the derivation itself, i.e. its default output
};

Piece lit(std::string text) {
    Piece p;
    p.text = std::move(text);
    return p;
}
Piece depOn(int dep, std::string output = "") {
    Piece p;
    p.kind = Piece::Dep;
    p.dep = dep;
    p.output = std::move(output);
    return p;
}
Value strValue(Str s) {
    Value v;
    v.str = std::move(s);
    return v;
}

struct Fixed {
    HashAlgo algo;
    Hash hash;
    std::string given; // outputHash as written (hex, nix32, base64 or SRI); env keeps it as is
    std::optional<std::string> mode; // outputHashMode, if written
    bool recursive() const { return mode && *mode == "recursive"; }
};

struct GenDrv {
    std::string name, system;
    Str builder;
    std::vector<Value> args;
    std::optional<std::vector<std::string>> outputs; // the `outputs` attribute, if written
    std::optional<Fixed> fixed;
    std::vector<std::pair<std::string, Value>> env;

    std::vector<std::string> outputNames() const {
        return outputs ? *outputs : std::vector<std::string>{"out"};
    }
};

// ---------------------------------------------------------------------------------------------
// Rendering as Nix source

std::string nixEscape(std::string_view s) {
    std::string r;
    for (char c : s) {
        switch (c) {
        case '"':
            r += "\\\"";
            break;
        case '\\':
            r += "\\\\";
            break;
        case '$':
            r += "\\$";
            break; // "${" would start an interpolation
        case '\n':
            r += "\\n";
            break;
        case '\r':
            r += "\\r";
            break; // a raw CR would be read as LF
        case '\t':
            r += "\\t";
            break;
        default:
            r += c;
        }
    }
    return r;
}

std::string renderStr(const Str& s) {
    std::string r = "\"";
    for (auto& p : s) {
        switch (p.kind) {
        case Piece::Lit:
            r += nixEscape(p.text);
            break;
        case Piece::Dep:
            r += "${d" + std::to_string(p.dep) + (p.output.empty() ? "" : ".\"" + p.output + "\"") +
                 "}";
            break;
        case Piece::File:
            r += "${builtins.toFile \"" + p.fileName + "\" \"" + nixEscape(p.text) + "\"}";
            break;
        }
    }
    return r + "\"";
}

std::string renderValue(const Value& v) {
    switch (v.kind) {
    case Value::String:
        return renderStr(v.str);
    case Value::Int:
        return std::to_string(v.n);
    case Value::Bool:
        return v.b ? "true" : "false";
    case Value::Null:
        return "null";
    case Value::Whole:
        return "d" + std::to_string(v.dep);
    case Value::List: {
        std::string r = "[";
        for (auto& e : v.list)
            r += " " + renderValue(e);
        return r + " ]";
    }
    }
    return "";
}

std::string renderDrv(const GenDrv& g) {
    std::string r = "derivation {\n    name = \"" + g.name + "\";\n    system = \"" +
                    nixEscape(g.system) + "\";\n    builder = " + renderStr(g.builder) + ";\n";
    if (!g.args.empty()) {
        r += "    args = [";
        for (auto& a : g.args)
            r += " " + renderValue(a);
        r += " ];\n";
    }
    if (g.outputs) {
        r += "    outputs = [";
        for (auto& o : *g.outputs)
            r += " \"" + o + "\"";
        r += " ];\n";
    }
    if (g.fixed) {
        r += "    outputHash = \"" + g.fixed->given + "\";\n";
        r += "    outputHashAlgo = \"" + std::string(algoName(g.fixed->algo)) + "\";\n";
        if (g.fixed->mode) r += "    outputHashMode = \"" + *g.fixed->mode + "\";\n";
    }
    for (auto& [k, v] : g.env)
        r += "    \"" + nixEscape(k) + "\" = " + renderValue(v) + ";\n";
    return r + "  }";
}

std::string renderFile(const std::vector<GenDrv>& gens) {
    std::string r = "let\n";
    for (size_t i = 0; i < gens.size(); ++i)
        r += "  d" + std::to_string(i) + " = " + renderDrv(gens[i]) + ";\n";
    r += "in [";
    for (size_t i = 0; i < gens.size(); ++i)
        r += " d" + std::to_string(i);
    return r + " ]\n";
}

// ---------------------------------------------------------------------------------------------
// Building the same derivations in C++

struct Built {
    Derivation drv;
    std::string drvPath;
};

class Builder {
public:
    Builder(const std::vector<GenDrv>& gens, DrvHashes& hashes) : gens(gens), hashes(hashes) {}

    const Built& build(size_t i) {
        const GenDrv& g = gens[i];
        Derivation d;
        d.name = g.name;
        d.platform = g.system;
        d.builder = str(d, g.builder);
        for (auto& a : g.args)
            d.args.push_back(value(d, a));
        d.env["name"] = g.name;
        d.env["system"] = g.system;
        d.env["builder"] = d.builder;
        if (g.outputs) {
            std::string joined;
            for (auto& o : *g.outputs)
                joined += (joined.empty() ? "" : " ") + o;
            d.env["outputs"] = joined;
        }
        for (auto& [k, v] : g.env)
            d.env[k] = value(d, v);
        if (g.fixed) {
            d.env["outputHash"] = g.fixed->given;
            d.env["outputHashAlgo"] = std::string(algoName(g.fixed->algo));
            if (g.fixed->mode) d.env["outputHashMode"] = *g.fixed->mode;
            fillFixedOutput(d, nixStore,
                            g.fixed->recursive() ? FileIngestion::Recursive : FileIngestion::Flat,
                            g.fixed->hash);
        } else {
            for (auto& o : g.outputNames())
                d.outputs[o] = {};
            fillInputAddressedOutputs(d, nixStore, hashes);
        }
        std::string p = drvPathOf(nixStore, d);
        built.push_back({std::move(d), p});
        return built.back();
    }

    const Built& at(size_t i) const { return built.at(i); }

private:
    const std::vector<GenDrv>& gens;
    DrvHashes& hashes;
    std::vector<Built> built;

    std::string depOutput(Derivation& d, int dep, const std::string& output) {
        const Built& b = built.at(dep);
        std::string o = output.empty() ? gens[dep].outputNames().front() : output;
        d.inputDrvs[nixStore.parse(b.drvPath)].insert(o);
        return nixStore.print(*b.drv.outputs.at(o).path);
    }

    std::string str(Derivation& d, const Str& s) {
        std::string r;
        for (auto& p : s) {
            switch (p.kind) {
            case Piece::Lit:
                r += p.text;
                break;
            case Piece::Dep:
                r += depOutput(d, p.dep, p.output);
                break;
            case Piece::File: {
                std::string path = nixStore.print(
                    nixStore.makeTextPath(p.fileName, hashString(HashAlgo::SHA256, p.text), {}));
                d.inputSrcs.insert(nixStore.parse(path));
                r += path;
                break;
            }
            }
        }
        return r;
    }

    std::string value(Derivation& d, const Value& v) {
        switch (v.kind) {
        case Value::String:
            return str(d, v.str);
        case Value::Int:
            return std::to_string(v.n);
        case Value::Bool:
            return v.b ? "1" : "";
        case Value::Null:
            return "";
        case Value::Whole:
            return depOutput(d, v.dep, "");
        case Value::List: {
            std::string r;
            for (size_t i = 0; i < v.list.size(); ++i)
                r += (i ? " " : "") + value(d, v.list[i]);
            return r;
        }
        }
        return "";
    }
};

// ---------------------------------------------------------------------------------------------
// The random generator

class Generator {
public:
    explicit Generator(uint64_t seed) : rng(seed) {}

    size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
    bool chance(int percent) { return below(100) < size_t(percent); }

    std::vector<GenDrv> batch(size_t n) {
        std::vector<GenDrv> gens;
        // Two fixed-output twins (same name and hash, different builders): their hashes modulo
        // are equal, so a dependant's masked text merges them into one input.
        GenDrv twin = fixedDrv(gens);
        twin.name = "twin";
        gens.push_back(twin);
        twin.builder = {lit("/other/builder")};
        gens.push_back(twin);
        while (gens.size() < n - 1)
            gens.push_back(chance(20) ? fixedDrv(gens) : plainDrv(gens));
        GenDrv top = plainDrv(gens);
        std::erase_if(top.env, [](auto& kv) { return kv.first == "twins"; });
        top.env.push_back({"twins", list({whole(0), whole(1)})});
        gens.push_back(top);
        return gens;
    }

private:
    std::mt19937_64 rng;

    std::string name() {
        static const std::string first =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        static const std::string rest = first + "+-._?=";
        std::string s(1, first[below(first.size())]);
        for (size_t i = below(14); i > 0; --i)
            s += rest[below(rest.size())];
        return s;
    }

    std::string text(size_t maxLen) {
        static const std::vector<std::string> atoms = {"\"",
                                                       "\\",
                                                       "\n",
                                                       "\r",
                                                       "\t",
                                                       "$",
                                                       "${",
                                                       "${x}",
                                                       "$$",
                                                       "{",
                                                       "}",
                                                       "'",
                                                       "''",
                                                       "\\n",
                                                       " ",
                                                       "caf\xc3\xa9",
                                                       "\xe2\x88\x9a",
                                                       "\xf0\x9f\xa6\x80",
                                                       "\xff",
                                                       "\x80",
                                                       "\x01",
                                                       "\x7f",
                                                       "(",
                                                       ")",
                                                       "[",
                                                       "]",
                                                       ",",
                                                       "/"};
        std::string s;
        for (size_t i = below(maxLen + 1); i > 0; --i) {
            if (chance(40))
                s += atoms[below(atoms.size())];
            else
                s += char('a' + below(26));
        }
        return s;
    }

    Piece depPiece(const std::vector<GenDrv>& gens) {
        // Prefer recent derivations so that chains form, but reach back too (diamonds).
        size_t n = gens.size();
        int dep = int(chance(60) ? n - 1 - below(std::min<size_t>(n, 4)) : below(n));
        auto outs = gens[dep].outputNames();
        return depOn(dep, chance(50) ? outs[below(outs.size())] : "");
    }

    Str randomStr(const std::vector<GenDrv>& gens) {
        Str s;
        for (size_t i = 1 + below(3); i > 0; --i) {
            if (!gens.empty() && chance(25)) {
                s.push_back(depPiece(gens));
            } else if (chance(8)) {
                Piece f = lit(text(20));
                f.kind = Piece::File;
                f.fileName = name();
                s.push_back(f);
            } else {
                s.push_back(lit(text(12)));
            }
        }
        return s;
    }

    static Value whole(int dep) {
        Value v;
        v.kind = Value::Whole;
        v.dep = dep;
        return v;
    }
    static Value list(std::vector<Value> items) {
        Value v;
        v.kind = Value::List;
        v.list = std::move(items);
        return v;
    }

    Value scalar(const std::vector<GenDrv>& gens) {
        Value v;
        switch (below(10)) {
        case 0:
            v.kind = Value::Int, v.n = long(below(100000));
            break;
        case 1:
            v.kind = Value::Bool, v.b = chance(50);
            break;
        case 2:
            v.kind = Value::Null;
            break;
        case 3:
            if (!gens.empty()) {
                v = whole(depPiece(gens).dep);
                break;
            }
            [[fallthrough]];
        default:
            v.str = randomStr(gens);
        }
        return v;
    }

    Value anyValue(const std::vector<GenDrv>& gens) {
        if (!chance(15)) return scalar(gens);
        std::vector<Value> items;
        for (size_t i = below(4); i > 0; --i)
            items.push_back(scalar(gens));
        return list(std::move(items));
    }

    void common(GenDrv& g, const std::vector<GenDrv>& gens) {
        static const std::vector<std::string> systems = {
            "x86_64-linux", "aarch64-darwin", "i686-linux", ":", "a b", "caf\xc3\xa9"};
        g.name = name();
        g.system = systems[below(systems.size())];
        g.builder = {lit("/bin/sh")};
        if (chance(50)) { // nix refuses an empty builder as if it were missing
            g.builder = randomStr(gens);
            g.builder.insert(g.builder.begin(), lit("/"));
        }
        for (size_t i = below(5); i > 0; --i)
            g.args.push_back(scalar(gens));
        std::set<std::string> taken = {"name",    "system",     "builder",        "args",
                                       "outputs", "outputHash", "outputHashAlgo", "outputHashMode"};
        for (auto& o : g.outputNames())
            taken.insert(o);
        for (size_t i = below(6); i > 0; --i) {
            std::string k = chance(70) ? name() : text(8);
            if (k.starts_with("__") || !taken.insert(k).second) continue;
            g.env.push_back({k, anyValue(gens)});
        }
    }

    GenDrv plainDrv(const std::vector<GenDrv>& gens) {
        GenDrv g;
        if (chance(50)) {
            static const std::vector<std::string> pool = {"out", "lib", "dev", "bin", "doc", "man"};
            std::vector<std::string> outs;
            if (chance(30)) {
                outs = {"out"};
            } else {
                for (auto& o : pool)
                    if (chance(40)) outs.push_back(o);
                if (chance(30)) outs.push_back(name());
                if (outs.empty()) outs = {"dev", "out"};
                std::sort(outs.begin(), outs.end());
                outs.erase(std::unique(outs.begin(), outs.end()), outs.end());
                outs.erase(std::remove(outs.begin(), outs.end(), "drv"), outs.end());
                std::shuffle(outs.begin(), outs.end(), rng); // Nix keeps the written order
            }
            g.outputs = outs;
        }
        common(g, gens);
        return g;
    }

    GenDrv fixedDrv(const std::vector<GenDrv>& gens) {
        GenDrv g;
        if (chance(30)) g.outputs = std::vector<std::string>{"out"};
        common(g, gens);
        static const HashAlgo algos[] = {HashAlgo::SHA256, HashAlgo::SHA1, HashAlgo::SHA512};
        Fixed f;
        f.algo = algos[below(3)];
        f.hash = hashString(f.algo, text(10));
        static const HashFormat formats[] = {HashFormat::Base16, HashFormat::Nix32,
                                             HashFormat::Base64, HashFormat::SRI};
        f.given = f.hash.to(formats[below(4)]);
        switch (below(3)) {
        case 0:
            break;
        case 1:
            f.mode = "flat";
            break;
        default:
            f.mode = "recursive";
        }
        g.fixed = f;
        return g;
    }
};

// ---------------------------------------------------------------------------------------------
// Running nix-instantiate

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> r;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) r.push_back(l);
    return r;
}

// The .drv paths nix-instantiate prints for a file evaluating to a list of derivations. A
// derivation whose first output is not "out" is printed as "<drv>!<output>".
std::vector<std::string> instantiate(const NixChrootStore& store, const std::string& file) {
    RunResult r = store.nix(NIX_INSTANTIATE_PROGRAM, {file});
    if (!r.ok()) throw Error("nix-instantiate failed (" + std::to_string(r.status) + "): " + r.err);
    std::vector<std::string> paths;
    for (auto& l : lines(r.out))
        paths.push_back(l.substr(0, l.find('!')));
    return paths;
}

// For each derivation of the file: its drvPath and each output's outPath, from `--eval`.
nlohmann::json evalPaths(const NixChrootStore& store, const std::string& file) {
    std::string expr = "map (d: { drv = d.drvPath; outs = builtins.listToAttrs (map (o: { name = "
                       "o; value = d.${o}.outPath; }) (d.outputs or [ \"out\" ])); }) (import " +
                       file + ")";
    RunResult r = store.nix(NIX_INSTANTIATE_PROGRAM, {"--eval", "--strict", "--json", "-E", expr});
    if (!r.ok()) throw Error("nix-instantiate --eval failed: " + r.err);
    return nlohmann::json::parse(r.out);
}

void checkBatch(uint64_t seed, size_t n) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FERRIX_TEST_SEED)");
    Generator gen(seed);
    std::vector<GenDrv> gens = gen.batch(n);
    NixChrootStore store;
    std::string file = store.root() + "/drvs.nix";
    writeFile(file, renderFile(gens));

    std::vector<std::string> nixPaths;
    try {
        nixPaths = instantiate(store, file);
    } catch (...) {
        store.keep();
        std::printf("kept the expression in %s\n", file.c_str());
        throw;
    }
    ASSERT_EQ(nixPaths.size(), gens.size());
    nlohmann::json eval = evalPaths(store, file);
    ASSERT_EQ(eval.size(), gens.size());

    // Inputs are read back from nix's own .drv files, as the store would read its own.
    DrvHashes hashes(directoryResolver(nixStore, store.physical("/nix/store")));
    Builder builder(gens, hashes);
    for (size_t i = 0; i < gens.size(); ++i) {
        SCOPED_TRACE("d" + std::to_string(i) + " = " + renderDrv(gens[i]));
        const Built& b = builder.build(i);
        std::string nixText = readFile(store.physical(nixPaths[i]));

        ASSERT_EQ(unparse(nixStore, b.drv, false), nixText);
        ASSERT_EQ(b.drvPath, nixPaths[i]);
        EXPECT_EQ(eval[i]["drv"], b.drvPath);
        ASSERT_EQ(eval[i]["outs"].size(), b.drv.outputs.size());
        for (auto& [o, out] : b.drv.outputs)
            EXPECT_EQ(eval[i]["outs"][o], nixStore.print(*out.path)) << "output " << o;

        std::string base = baseNameOf(nixPaths[i]);
        Derivation parsed = parseDerivation(nixText, b.drv.name, &nixStore);
        EXPECT_EQ(parsed, b.drv);
        EXPECT_EQ(unparse(nixStore, parsed, false), nixText);
        EXPECT_EQ(drvPathOf(nixStore, parsed), nixPaths[i]);
    }
    // The twins are two inputs of the last derivation with one hash modulo between them.
    const Derivation& top = builder.at(gens.size() - 1).drv;
    EXPECT_TRUE(top.inputDrvs.count(nixStore.parse(builder.at(0).drvPath)));
    EXPECT_TRUE(top.inputDrvs.count(nixStore.parse(builder.at(1).drvPath)));
    EXPECT_NE(builder.at(0).drvPath, builder.at(1).drvPath);
    EXPECT_EQ(hashes.get(builder.at(0).drvPath), hashes.get(builder.at(1).drvPath));

    if (::testing::Test::HasFailure()) {
        store.keep();
        std::printf("kept the nix store and expression in %s\n", store.root().c_str());
    }
}

} // namespace

TEST(NixDerivation, RandomBatches) {
    uint64_t seed = testSeed();
    std::printf("seed %llu\n", (unsigned long long)seed);
    for (uint64_t round = 0; round < 3; ++round) {
        checkBatch(seed + round, 40);
        if (HasFatalFailure()) return;
    }
}

// Spec section 7, rows 17-20, straight from nix-instantiate.
TEST(NixDerivation, SpecVectors) {
    NixChrootStore store;
    std::string file = store.root() + "/spec.nix";
    writeFile(file, R"(let
  bar = derivation { name = "bar"; system = ":"; builder = ":";
    outputHash = "08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba";
    outputHashAlgo = "sha256"; outputHashMode = "recursive"; };
  foo = derivation { name = "foo"; system = ":"; builder = ":"; inherit bar; };
  multi = derivation { name = "has-multi-out"; system = ":"; builder = ":";
    outputs = [ "out" "lib" ]; };
in [ bar foo multi ]
)");
    auto paths = instantiate(store, file);
    ASSERT_EQ(paths.size(), 3u);
    EXPECT_EQ(paths[0], "/nix/store/0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv");
    EXPECT_EQ(paths[1], "/nix/store/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv");
    EXPECT_EQ(paths[2], "/nix/store/h32dahq0bx5rp1krcdx3a53asj21jvhk-has-multi-out.drv");
    DrvHashes hashes(directoryResolver(nixStore, store.physical("/nix/store")));
    EXPECT_EQ(hashes.get(paths[0]).toBase16(),
              "724f3e3634fce4cbbbd3483287b8798588e80280660b9a63fd13a1bc90485b33");
    Derivation foo = parseDerivation(readFile(store.physical(paths[1])), "foo", &nixStore);
    EXPECT_EQ(nixStore.print(*foo.outputs.at("out").path),
              "/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo");
    Derivation multi =
        parseDerivation(readFile(store.physical(paths[2])), "has-multi-out", &nixStore);
    EXPECT_EQ(nixStore.print(*multi.outputs.at("lib").path),
              "/nix/store/2vixb94v0hy2xc6p7mbnxxcyc095yyia-has-multi-out-lib");
    EXPECT_EQ(nixStore.print(*multi.outputs.at("out").path),
              "/nix/store/55lwldka5nyxa08wnvlizyqw02ihy8ic-has-multi-out");
}

// `ferrix show-derivation` prints what `nix show-derivation` prints.
TEST(NixDerivation, JsonMatchesShowDerivation) {
    uint64_t seed = testSeed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    Generator gen(seed);
    std::vector<GenDrv> gens = gen.batch(12);
    NixChrootStore store;
    std::string file = store.root() + "/drvs.nix";
    writeFile(file, renderFile(gens));
    auto paths = instantiate(store, file);
    std::string nix = dirOf(NIX_STORE_PROGRAM) + "/nix";
    size_t compared = 0;
    for (auto& p : paths) {
        RunResult r =
            store.nix(nix, {"--extra-experimental-features", "nix-command", "show-derivation", p});
        ASSERT_TRUE(r.ok()) << r.err;
        nlohmann::ordered_json theirs;
        try {
            theirs = nlohmann::ordered_json::parse(r.out);
        } catch (nlohmann::json::parse_error&) {
            continue; // nix prints bytes that are not UTF-8 raw; nothing to compare with
        }
        Derivation d = parseDerivation(readFile(store.physical(p)), "", &nixStore);
        EXPECT_EQ(derivationToJson(nixStore, p, d).dump(2), theirs.dump(2));
        // Byte for byte too, as long as no \b or \f needs escaping (nix writes \u0008, \u000c).
        EXPECT_EQ(derivationToJson(nixStore, p, d).dump(2) + "\n", r.out);
        ++compared;
    }
    EXPECT_GT(compared, 0u);
}

// A generated graph of 1,000 derivations with a few inputs each: nix-instantiate's time against
// ferrix building, unparsing and hashing the same graph in process. Every path must agree.
TEST(NixDerivation, ThousandDerivationTiming) {
    const size_t n = 1000;
    std::mt19937_64 rng(1000);
    std::vector<GenDrv> gens;
    for (size_t i = 0; i < n; ++i) {
        GenDrv g;
        g.name = "pkg-" + std::to_string(i);
        g.system = "x86_64-linux";
        g.builder = {lit("/bin/sh")};
        g.args.push_back(strValue({lit("-c")}));
        g.args.push_back(strValue({lit("echo building " + g.name)}));
        if (i % 10 == 0) {
            Fixed f;
            f.algo = HashAlgo::SHA256;
            f.hash = hashString(HashAlgo::SHA256, g.name);
            f.given = f.hash.to(HashFormat::Nix32);
            f.mode = "recursive";
            g.fixed = f;
        } else {
            if (i % 3 == 0) g.outputs = std::vector<std::string>{"out", "lib"};
            for (size_t k = std::min<size_t>(i, 4); k > 0; --k) {
                int dep = int(std::uniform_int_distribution<size_t>(0, i - 1)(rng));
                Value v = strValue({lit("dep:"), depOn(dep)});
                g.env.push_back({"dep" + std::to_string(k), v});
            }
        }
        gens.push_back(std::move(g));
    }
    NixChrootStore store;
    std::string file = store.root() + "/graph.nix";
    writeFile(file, renderFile(gens));

    auto t0 = std::chrono::steady_clock::now();
    auto paths = instantiate(store, file);
    double nixMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(paths.size(), n);

    t0 = std::chrono::steady_clock::now();
    std::map<std::string, Derivation> drvs;
    DrvHashes hashes(memoryResolver(drvs));
    Builder builder(gens, hashes);
    for (size_t i = 0; i < n; ++i) {
        const Built& b = builder.build(i);
        hashes.add(b.drvPath, b.drv);
        std::string text = unparse(nixStore, b.drv, false); // what would be written to the store
        ASSERT_FALSE(text.empty());
    }
    double ourMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    for (size_t i = 0; i < n; ++i)
        ASSERT_EQ(builder.at(i).drvPath, paths[i]) << i;

    // Writing the texts as files (no database, no fsync) for a sense of the store's share.
    TempDir out("ferrix-drv-files");
    t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < n; ++i)
        writeFile(out.path() + "/" + baseNameOf(builder.at(i).drvPath),
                  unparse(nixStore, builder.at(i).drv, false));
    double writeMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ timing ] nix-instantiate: %.1f ms for %zu derivations; ferrix in process: "
                "%.1f ms (%.1f%%), plus %.1f ms to write the files\n",
                nixMs, n, ourMs, 100.0 * ourMs / nixMs, writeMs);
}
