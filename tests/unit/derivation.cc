#include "ferrix/derivation.hh"

#include "ferrix/file.hh"

#include <chrono>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>

using namespace ferrix;

static const StoreDir nixStore("/nix/store");

// A store path of nixStore, and an output's path printed ("" for none).
static StorePath SP(std::string_view full) {
    return nixStore.parse(full);
}
static std::string P(const std::optional<StorePath>& p) {
    return p ? nixStore.print(*p) : "";
}

static const char* barAterm =
    R"(Derive([("out","/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar","r:sha256","08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba")],[],[],":",":",[],[("builder",":"),("name","bar"),("out","/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar"),("outputHash","08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba"),("outputHashAlgo","sha256"),("outputHashMode","recursive"),("system",":")]))";
static const char* fooMasked =
    R"(Derive([("out","","","")],[("724f3e3634fce4cbbbd3483287b8798588e80280660b9a63fd13a1bc90485b33",["out"])],[],":",":",[],[("bar","/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar"),("builder",":"),("name","foo"),("out",""),("system",":")]))";
static const char* multiMasked =
    R"(Derive([("lib","","",""),("out","","","")],[],[],":",":",[],[("builder",":"),("lib",""),("name","has-multi-out"),("out",""),("outputs","out lib"),("system",":")]))";

static Derivation basic(const std::string& name) {
    Derivation d;
    d.name = name;
    d.platform = ":";
    d.builder = ":";
    d.env = {{"builder", ":"}, {"name", name}, {"system", ":"}};
    return d;
}

static Derivation makeBar() {
    Derivation d = basic("bar");
    std::string hex = "08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba";
    d.env["outputHash"] = hex;
    d.env["outputHashAlgo"] = "sha256";
    d.env["outputHashMode"] = "recursive";
    fillFixedOutput(d, nixStore, FileIngestion::Recursive, Hash::parse(hex, HashAlgo::SHA256));
    return d;
}

static void expectError(std::string_view text, std::string_view needle) {
    try {
        parseDerivation(text);
        ADD_FAILURE() << "accepted: " << text;
    } catch (BadDerivation& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
            << "message: " << e.what() << "\nwanted: " << needle << "\ninput: " << text;
    }
}

// ---------------------------------------------------------------------------------------------
// Spec section 7, rows 16-20

TEST(Derivation, SpecPlaceholder) {
    EXPECT_EQ(hashPlaceholder("out"), "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9");
}

TEST(Derivation, SpecBar) {
    Derivation bar = makeBar();
    EXPECT_EQ(unparse(nixStore, bar, false), barAterm);
    EXPECT_EQ(P(bar.outputs.at("out").path), "/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar");
    EXPECT_EQ(drvPathOf(nixStore, bar), "/nix/store/0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv");
    DrvHashes hashes(memoryResolver({}));
    EXPECT_EQ(hashDerivationModulo(nixStore, bar, false, hashes).toBase16(),
              "724f3e3634fce4cbbbd3483287b8798588e80280660b9a63fd13a1bc90485b33");
    // Fixed-output: masking makes no difference.
    EXPECT_EQ(hashDerivationModulo(nixStore, bar, true, hashes).toBase16(),
              "724f3e3634fce4cbbbd3483287b8798588e80280660b9a63fd13a1bc90485b33");
    EXPECT_EQ(parseDerivation(barAterm, "bar"), bar);
}

TEST(Derivation, SpecFoo) {
    Derivation bar = makeBar();
    std::string barPath = drvPathOf(nixStore, bar);
    std::map<std::string, Derivation> drvs{{barPath, bar}};
    DrvHashes hashes(memoryResolver(drvs));

    Derivation foo = basic("foo");
    foo.inputDrvs[SP(barPath)] = {"out"};
    foo.env["bar"] = P(bar.outputs.at("out").path);
    foo.outputs["out"] = {};
    foo.env["out"] = "";
    DerivationInputKeys masked{{hashes.get(barPath).toBase16(), {"out"}}};
    EXPECT_EQ(unparse(nixStore, foo, true, &masked), fooMasked);

    fillInputAddressedOutputs(foo, nixStore, hashes);
    EXPECT_EQ(P(foo.outputs.at("out").path), "/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo");
    EXPECT_EQ(foo.env.at("out"), P(foo.outputs.at("out").path));
    EXPECT_EQ(drvPathOf(nixStore, foo), "/nix/store/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv");
    EXPECT_EQ(derivationReferences(nixStore, foo),
              StorePathSet{StorePath("0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv")});
    EXPECT_EQ(parseDerivation(unparse(nixStore, foo, false), "foo"), foo);
}

TEST(Derivation, SpecMultiOutput) {
    Derivation d = basic("has-multi-out");
    d.outputs["out"] = {};
    d.outputs["lib"] = {};
    d.env["outputs"] = "out lib";
    DrvHashes hashes(memoryResolver({}));
    d.env["out"] = d.env["lib"] = "";
    EXPECT_EQ(unparse(nixStore, d, true), multiMasked);
    fillInputAddressedOutputs(d, nixStore, hashes);
    EXPECT_EQ(P(d.outputs.at("lib").path),
              "/nix/store/2vixb94v0hy2xc6p7mbnxxcyc095yyia-has-multi-out-lib");
    EXPECT_EQ(P(d.outputs.at("out").path),
              "/nix/store/55lwldka5nyxa08wnvlizyqw02ihy8ic-has-multi-out");
    EXPECT_EQ(d.env.at("lib"), P(d.outputs.at("lib").path));
    EXPECT_EQ(drvPathOf(nixStore, d),
              "/nix/store/h32dahq0bx5rp1krcdx3a53asj21jvhk-has-multi-out.drv");
    // The masked text does not depend on what the paths were before.
    EXPECT_EQ(unparse(nixStore, d, true), multiMasked);
}

// ---------------------------------------------------------------------------------------------
// Escaping

TEST(Derivation, EscapingExact) {
    Derivation d = basic("esc");
    d.outputs["out"] = {SP("/nix/store/00000000000000000000000000000000-esc"), "", ""};
    d.builder = "a\"b\\c\nd\re\tf";
    d.args = {
        "\"", "\\", "\n", "\r", "\t", "", "$ ${x}", "caf\xc3\xa9 \xe2\x88\x9a", "\x01\x7f\x80\xff"};
    d.env = {{"k\"\n", "v\\\t\r"}, {"u", "\xf0\x9f\x98\x80"}};
    std::string t = unparse(nixStore, d, false);
    EXPECT_EQ(t, "Derive([(\"out\",\"/nix/store/00000000000000000000000000000000-esc\",\"\",\"\")],"
                 "[],[],\":\",\"a\\\"b\\\\c\\nd\\re\\tf\",[\"\\\"\",\"\\\\\",\"\\n\",\"\\r\","
                 "\"\\t\",\"\",\"$ ${x}\",\"caf\xc3\xa9 \xe2\x88\x9a\",\"\x01\x7f\x80\xff\"],"
                 "[(\"k\\\"\\n\",\"v\\\\\\t\\r\"),(\"u\",\"\xf0\x9f\x98\x80\")])");
    Derivation back = parseDerivation(t, "esc");
    EXPECT_EQ(back, d);
    EXPECT_EQ(unparse(nixStore, back, false), t);
}

TEST(Derivation, EveryByteRoundTrips) {
    Derivation d = basic("bytes");
    d.outputs["out"] = {SP("/nix/store/00000000000000000000000000000000-bytes"), "", ""};
    std::string all;
    for (int c = 1; c < 256; ++c)
        all += static_cast<char>(c);
    all += '\0';
    d.builder = all;
    d.args = {all, all.substr(100)};
    d.env[all] = all;
    std::string t = unparse(nixStore, d, false);
    EXPECT_EQ(parseDerivation(t, "bytes"), d);
    EXPECT_EQ(unparse(nixStore, parseDerivation(t, "bytes"), false), t);
}

TEST(Derivation, RawFieldsAreNotEscaped) {
    // Nix writes system raw: a newline stays a newline, and the parser reads it back.
    Derivation d = basic("raw");
    d.outputs["out"] = {SP("/nix/store/00000000000000000000000000000000-raw"), "", ""};
    d.platform = "x\ny\tz";
    std::string t = unparse(nixStore, d, false);
    EXPECT_NE(t.find("\"x\ny\tz\""), std::string::npos);
    EXPECT_EQ(parseDerivation(t, "raw"), d);
}

// ---------------------------------------------------------------------------------------------
// Random round trips

namespace {
struct RandomDrv {
    std::mt19937_64 rng;
    explicit RandomDrv(uint64_t seed) : rng(seed) {}

    size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }

    std::string anyString(size_t maxLen) {
        static const std::string specials = "\"\\\n\r\t$ {}()[],";
        std::string s;
        size_t n = below(maxLen + 1);
        for (size_t i = 0; i < n; ++i) {
            switch (below(4)) {
            case 0:
                s += specials[below(specials.size())];
                break;
            case 1:
                s += static_cast<char>(below(256));
                break;
            default:
                s += static_cast<char>('a' + below(26));
            }
        }
        return s;
    }

    std::string name() {
        static const std::string cs =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=";
        std::string s(1, static_cast<char>('a' + below(26)));
        size_t n = below(12);
        for (size_t i = 0; i < n; ++i)
            s += cs[below(cs.size())];
        return s;
    }

    std::string outputName() {
        std::string o = name();
        return o == "drv" ? "out" : o;
    }

    std::string path(const std::string& suffix = "") {
        std::string h;
        for (int i = 0; i < 32; ++i)
            h += "0123456789abcdfghijklmnpqrsvwxyz"[below(32)];
        return "/nix/store/" + h + "-" + name() + suffix;
    }

    Derivation make() {
        Derivation d;
        d.name = name();
        if (below(4) == 0) {
            static const char* algos[] = {"md5", "sha1", "sha256", "sha512"};
            auto algo = parseHashAlgo(algos[below(4)]);
            std::string hex;
            for (size_t i = 0; i < 2 * hashSize(algo); ++i)
                hex += "0123456789abcdef"[below(16)];
            d.outputs["out"] = {SP(path()), (below(2) ? "r:" : "") + std::string(algoName(algo)),
                                hex};
        } else {
            size_t n = 1 + below(4);
            for (size_t i = 0; i < n; ++i) {
                d.outputs[outputName()] = {SP(path()), "", ""};
            }
        }
        for (size_t i = below(4); i > 0; --i) {
            auto& outs = d.inputDrvs[SP(path(".drv"))];
            for (size_t j = below(3); j > 0; --j)
                outs.insert(outputName());
        }
        for (size_t i = below(4); i > 0; --i)
            d.inputSrcs.insert(SP(path()));
        d.platform = below(2) ? "x86_64-linux" : name();
        d.builder = anyString(20);
        for (size_t i = below(5); i > 0; --i)
            d.args.push_back(anyString(30));
        for (size_t i = below(8); i > 0; --i)
            d.env[anyString(10)] = anyString(40);
        return d;
    }
};
} // namespace

TEST(Derivation, RandomRoundTrips) {
    uint64_t seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomDrv gen(seed);
    for (int i = 0; i < 2000; ++i) {
        Derivation d = gen.make();
        std::string t = unparse(nixStore, d, false);
        Derivation back;
        ASSERT_NO_THROW(back = parseDerivation(t, d.name)) << t;
        ASSERT_EQ(back, d) << t;
        ASSERT_EQ(unparse(nixStore, back, false), t);
    }
}

// Any single-byte change either is refused or round-trips exactly: nothing is accepted loosely.
TEST(Derivation, MutationsAreRefusedOrExact) {
    uint64_t seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomDrv gen(seed);
    const std::string alphabet = "\"\\()[],nrtabc/\n\x01\xff";
    size_t accepted = 0;
    for (int i = 0; i < 200; ++i) {
        std::string t = unparse(nixStore, gen.make(), false);
        for (int j = 0; j < 50; ++j) {
            std::string m = t;
            size_t at = gen.below(m.size());
            switch (gen.below(3)) {
            case 0:
                m[at] = alphabet[gen.below(alphabet.size())];
                break;
            case 1:
                m.erase(at, 1);
                break;
            default:
                m.insert(at, 1, alphabet[gen.below(alphabet.size())]);
            }
            try {
                // Read without a store: in the directory of its first output, maybe mutated.
                Derivation d = parseDerivation(m);
                ASSERT_EQ(unparse(derivationStoreDir(m), d, false), m);
                ++accepted;
            } catch (BadDerivation&) {
            }
        }
    }
    EXPECT_GT(accepted, 0u); // changes inside free-text fields stay valid
}

// ---------------------------------------------------------------------------------------------
// Bad input

TEST(Derivation, TruncatedAtEveryOffset) {
    Derivation bar = makeBar();
    Derivation esc = basic("esc");
    esc.outputs["out"] = {SP("/nix/store/00000000000000000000000000000000-esc"), "", ""};
    esc.inputDrvs[SP("/nix/store/00000000000000000000000000000000-a.drv")] = {"dev", "out"};
    esc.inputSrcs.insert(SP("/nix/store/00000000000000000000000000000000-src"));
    esc.args = {"a\"b", "\\"};
    for (const std::string& t : {std::string(barAterm), unparse(nixStore, esc, false)}) {
        for (size_t n = 0; n < t.size(); ++n) {
            try {
                parseDerivation(t.substr(0, n));
                ADD_FAILURE() << "accepted a prefix of " << n << " bytes";
            } catch (BadDerivation& e) {
                std::string msg = e.what();
                EXPECT_TRUE(msg.starts_with("bad derivation at byte ")) << msg;
                EXPECT_TRUE(msg.find("end of input") != std::string::npos ||
                            msg.find("unterminated") != std::string::npos)
                    << n << ": " << msg;
            }
        }
    }
}

TEST(Derivation, MalformedMessages) {
    const std::string o = R"([("out","/nix/store/00000000000000000000000000000000-x","",""))";
    const std::string tail = R"(],[],[],"s","b",[],[("name","x")]))";
    auto good = "Derive(" + o + tail;
    ASSERT_NO_THROW(parseDerivation(good));

    expectError("", "bad derivation at byte 0: expected 'Derive(' but found end of input");
    expectError("Derive[", "bad derivation at byte 6: expected 'Derive(' but found '['");
    expectError(good + "x", "expected end of input but found 'x'");
    expectError(good + "\n", "expected end of input but found byte 0x0a");
    expectError("Derive(" + o + "]," + tail.substr(5),
                "expected '[' but found '\"'"); // missing field: inputSrcs gone
    expectError("Derive(" + o + tail.substr(0, tail.size() - 1) + "]",
                "bad derivation at byte " + std::to_string(good.size() - 1) +
                    ": expected ')' but found ']'");
    expectError("Derive(" + o + R"(],[],[],"s","b",[],[("name","x"]))",
                "expected ')' but found ']'");
    expectError("Derive(" + o + R"(],[],[],"s","b",["a" "b"],[]))", "expected ',' or ']'");
    expectError("Derive(" + o + R"(],[],[],"s","b,[],[]))", "unterminated string (opened at byte");
    expectError("Derive(" + o + R"(],[],[],"s","b\q",[],[]))", "needless escape '\\q'");
    expectError("Derive(" + o + "],[],[],\"s\",\"b\nc\",[],[])", "raw byte 0x0a in a string");
    expectError("Derive(" + o + "],[],[],\"s\\n\",\"b\",[],[])", "backslash in the system");
    expectError("Derive(" + o + R"(],[],["src"],"s","b",[],[]))",
                "input source path 'src' is not absolute");
    expectError(
        "Derive(" + o +
            R"(],[],["/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a","/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a"],"s","b",[],[]))",
        "duplicate input sources entry '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a'");
    expectError(
        "Derive(" + o +
            R"(],[],["/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a"],"s","b",[],[]))",
        "input sources not sorted: '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a' after "
        "'/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b'");
    expectError("Derive(" + o + R"(],[],[],"s","b",[],[("b",""),("a","")]))",
                "environment variables not sorted: 'a' after 'b'");
    expectError("Derive(" + o + R"(],[],[],"s","b",[],[("a",""),("a","")]))",
                "duplicate environment variables entry 'a'");
    expectError(R"(Derive([],[],[],"s","b",[],[]))", "a derivation needs at least one output");
    expectError(R"(Derive([("out","x","","")],[],[],"s","b",[],[]))",
                "output path 'x' is not absolute");
    expectError(R"(Derive([("out","","","")],[],[],"s","b",[],[]))",
                "output path '' is not absolute");
    expectError(
        R"(Derive([("b","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","",""),("a","/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a","","")],[],[],"s","b",[],[]))",
        "outputs not sorted: 'a' after 'b'");
    expectError(
        R"(Derive([("a","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","",""),("a","/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a","","")],[],[],"s","b",[],[]))",
        "duplicate outputs entry 'a'");
    expectError(
        R"(Derive([("a b","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","","")],[],[],"s","b",[],[]))",
        "bad output name: invalid character ' '");
    expectError(
        R"(Derive([("drv","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","","")],[],[],"s","b",[],[]))",
        "'drv' is not allowed as an output name");
    expectError(
        R"(Derive([("out","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","sha257","00")],[],[],"s","b",[],[]))",
        "unknown output hash algorithm 'sha257'");
    expectError(
        R"(Derive([("out","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","r:sha1","00")],[],[],"s","b",[],[]))",
        "output hash '00' is not 40 lower-case hex digits");
    expectError(
        R"(Derive([("out","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","sha1","0BEEC7B5EA3F0FDBC95D0DD47F3C5BC275DA8A33")],[],[],"s","b",[],[]))",
        "is not 40 lower-case hex digits");
    expectError(
        R"(Derive([("out","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","","0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33")],[],[],"s","b",[],[]))",
        "unknown output hash algorithm ''");
    expectError(
        R"(Derive([("lib","/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a","",""),("out","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b","sha1","0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33")],[],[],"s","b",[],[]))",
        "fixed output 'out' must be the derivation's only output");
    expectError(
        "Derive(" + o +
            R"(],[("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b.drv",["out"]),("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a.drv",["out"])],[],"s","b",[],[]))",
        "input derivations not sorted: '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a.drv' after "
        "'/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b.drv'");
    expectError(
        "Derive(" + o +
            R"(],[("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a.drv",["out","dev"])],[],"s","b",[],[]))",
        "input derivation outputs not sorted: 'dev' after 'out'");
    expectError("Derive(" + o + R"(],[("a.drv",["out"])],[],"s","b",[],[]))",
                "input derivation path 'a.drv' is not absolute");
    expectError(
        "Derive(" + o +
            R"(],[("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a.drv",["out"],[],"s","b",[],[]))",
        "expected ')' but found ','");
    expectError("Derive(" + o + R"(],[("/a\.drv",["out"])],[],"s","b",[],[]))",
                "backslash in the input derivation path");
    expectError("Derive(" + o + R"(],[],[],s,"b",[],[]))",
                "expected '\"' opening the system but found 's'");
}

TEST(Derivation, StoreDirChecks) {
    const std::string good =
        R"(Derive([("out","/nix/store/00000000000000000000000000000000-x","",""))"
        R"(],[("/nix/store/00000000000000000000000000000000-a.drv",["out"])],)"
        R"(["/nix/store/00000000000000000000000000000000-s"],"s","b",[],[]))";
    EXPECT_NO_THROW(parseDerivation(good, "x", &nixStore));
    StoreDir gnu("/gnu/store");
    try {
        parseDerivation(good, "x", &gnu);
        ADD_FAILURE();
    } catch (BadDerivation& e) {
        EXPECT_NE(std::string(e.what()).find("is not in the store /gnu/store"), std::string::npos)
            << e.what();
    }
    std::string notDrv = good;
    notDrv.replace(notDrv.find("-a.drv"), 6, "-a.txt");
    try {
        parseDerivation(notDrv, "x", &nixStore);
        ADD_FAILURE();
    } catch (BadDerivation& e) {
        EXPECT_NE(std::string(e.what()).find("is not a .drv file"), std::string::npos) << e.what();
    }
}

TEST(Derivation, NameFromEnv) {
    EXPECT_EQ(parseDerivation(barAterm).name, "bar");
    EXPECT_EQ(parseDerivation(barAterm, "given").name, "given");
}

// ---------------------------------------------------------------------------------------------
// Construction

TEST(Derivation, ConstructionChecks) {
    DrvHashes hashes(memoryResolver({}));
    auto expectBad = [&](Derivation d, std::string_view needle) {
        try {
            fillInputAddressedOutputs(d, nixStore, hashes);
            ADD_FAILURE() << "accepted";
        } catch (BadDerivation& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    Derivation d = basic("ok");
    d.outputs["out"] = {};
    {
        Derivation x = d;
        EXPECT_NO_THROW(fillInputAddressedOutputs(x, nixStore, hashes));
        EXPECT_NO_THROW(checkDerivation(x));
    }
    Derivation x = d;
    x.name = "a b";
    expectBad(x, "bad derivation name: invalid character ' '");
    x.name = std::string(208, 'a'); // fine alone, too long with ".drv"
    expectBad(x, "bad derivation name");
    x = d;
    x.outputs.clear();
    expectBad(x, "has no outputs");
    x = d;
    x.outputs["drv"] = {};
    expectBad(x, "'drv' is not an allowed output");
    x = d;
    x.outputs["a/b"] = {};
    expectBad(x, "output 'a/b'");
    x = d;
    x.name = std::string(205, 'a');
    x.outputs["longoutput"] = {}; // the output path name grows past 211
    expectBad(x, "output 'longoutput'");
    x = d;
    x.builder = "";
    expectBad(x, "has no builder");
    x = d;
    x.platform = "";
    expectBad(x, "has no system");
    x = d;
    x.platform = "a\\b";
    expectBad(x, "which the raw field cannot hold");
    x = d;
    x.inputDrvs[SP("/nix/store/00000000000000000000000000000000-a")] = {"out"};
    expectBad(x, "is not a .drv file");
    x = makeBar();
    expectBad(x, "is fixed-output");

    Derivation two = d;
    two.outputs["lib"] = {};
    EXPECT_THROW(
        fillFixedOutput(two, nixStore, FileIngestion::Flat, hashString(HashAlgo::SHA256, "")),
        BadDerivation);
    Derivation unfilled = d;
    EXPECT_THROW(drvPathOf(nixStore, unfilled), BadDerivation); // output path still empty
}

TEST(Derivation, FixedFlatSha1) {
    Derivation d = basic("fo");
    fillFixedOutput(d, nixStore, FileIngestion::Flat,
                    Hash::parse("0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33", HashAlgo::SHA1));
    auto& out = d.outputs.at("out");
    EXPECT_EQ(out.hashAlgo, "sha1");
    EXPECT_EQ(out.hash, "0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33");
    EXPECT_EQ(P(out.path), d.env.at("out"));
    EXPECT_TRUE(d.isFixedOutput());
}

// Two fixed-output inputs with the same name and hash have the same hash modulo: their entries
// merge into one in the masked text.
TEST(Derivation, EqualInputHashesMerge) {
    Derivation a = makeBar();
    Derivation b = makeBar();
    b.builder = "/other";
    std::map<std::string, Derivation> drvs{{drvPathOf(nixStore, a), a},
                                           {drvPathOf(nixStore, b), b}};
    ASSERT_EQ(drvs.size(), 2u);
    DrvHashes hashes(memoryResolver(drvs));
    Derivation top = basic("top");
    top.outputs["out"] = {};
    for (auto& [p, _] : drvs)
        top.inputDrvs[SP(p)] = {"out"};
    top.env["out"] = "";
    DerivationInputKeys merged{
        {"724f3e3634fce4cbbbd3483287b8798588e80280660b9a63fd13a1bc90485b33", {"out"}}};
    EXPECT_EQ(hashDerivationModulo(nixStore, top, true, hashes),
              hashString(HashAlgo::SHA256, unparse(nixStore, top, true, &merged)));
}

TEST(Derivation, HashesAreMemoised) {
    // A diamond: top -> {l, r} -> base. Each is read once.
    std::map<std::string, Derivation> drvs;
    std::map<std::string, int> reads;
    DrvHashes hashes([&](const std::string& p) {
        ++reads[p];
        return drvs.at(p);
    });
    auto add = [&](Derivation d) {
        d.outputs["out"] = {};
        fillInputAddressedOutputs(d, nixStore, hashes);
        std::string p = drvPathOf(nixStore, d);
        drvs[p] = d;
        return p;
    };
    std::string base = add(basic("base"));
    Derivation l = basic("l"), r = basic("r");
    l.inputDrvs[SP(base)] = {"out"};
    r.inputDrvs[SP(base)] = {"out"};
    std::string lp = add(l), rp = add(r);
    Derivation top = basic("top");
    top.inputDrvs[SP(lp)] = {"out"};
    top.inputDrvs[SP(rp)] = {"out"};
    add(top);
    EXPECT_EQ(hashes.size(), 3u);
    for (auto& [p, n] : reads)
        EXPECT_EQ(n, 1) << p;
    // add() of a known derivation needs no resolver at all.
    DrvHashes fresh(memoryResolver({}));
    for (auto& p : {base, lp, rp})
        fresh.add(p, drvs.at(p));
    EXPECT_EQ(fresh.get(lp), hashes.get(lp));
}

TEST(Derivation, CycleIsAnError) {
    std::map<std::string, Derivation> drvs;
    Derivation a = basic("a"), b = basic("b");
    a.outputs["out"] =
        b.outputs["out"] = {SP("/nix/store/00000000000000000000000000000000-x"), "", ""};
    a.inputDrvs[SP("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b.drv")] = {"out"};
    b.inputDrvs[SP("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a.drv")] = {"out"};
    drvs["/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a.drv"] = a;
    drvs["/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b.drv"] = b;
    DrvHashes hashes(memoryResolver(drvs));
    EXPECT_THROW(hashes.get("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a.drv"), BadDerivation);
    EXPECT_THROW(hashes.get("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a.drv"),
                 BadDerivation); // still a cycle, not a stale marker
    DrvHashes missing(memoryResolver({}));
    EXPECT_THROW(missing.get("/nix/store/cccccccccccccccccccccccccccccccc-nope.drv"), InvalidPath);
}

TEST(Derivation, DirectoryResolver) {
    std::string dir = makeTempDir("/tmp", "ferrix-drv-test");
    Derivation bar = makeBar();
    std::string barPath = drvPathOf(nixStore, bar);
    writeFile(dir + "/" + baseNameOf(barPath), unparse(nixStore, bar, false));
    DrvHashes hashes(directoryResolver(nixStore, dir));
    EXPECT_EQ(hashes.get(barPath).toBase16(),
              "724f3e3634fce4cbbbd3483287b8798588e80280660b9a63fd13a1bc90485b33");
    EXPECT_THROW(hashes.get("/nix/store/00000000000000000000000000000000-x.drv"), SysError);
    writeFile(dir + "/00000000000000000000000000000000-bad.drv", "Derive(");
    try {
        hashes.get("/nix/store/00000000000000000000000000000000-bad.drv");
        ADD_FAILURE();
    } catch (BadDerivation& e) {
        EXPECT_NE(std::string(e.what()).find("-bad.drv: bad derivation at byte 7"),
                  std::string::npos)
            << e.what();
    }
    deletePath(dir);
}

TEST(Derivation, Json) {
    Derivation bar = makeBar();
    std::string barPath = drvPathOf(nixStore, bar);
    auto j = derivationToJson(nixStore, barPath, bar);
    EXPECT_EQ(
        j.dump(),
        R"({")" + barPath +
            R"(":{"outputs":{"out":{"path":"/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar","hashAlgo":"r:sha256","hash":"08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba"}},"inputSrcs":[],"inputDrvs":{},"system":":","builder":":","args":[],"env":{"builder":":","name":"bar","out":"/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar","outputHash":"08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba","outputHashAlgo":"sha256","outputHashMode":"recursive","system":":"}}})");
    Derivation foo = basic("foo");
    foo.outputs["out"] = {SP("/nix/store/00000000000000000000000000000000-foo"), "", ""};
    foo.inputDrvs[SP(barPath)] = {"out", "dev"};
    foo.args = {"-c", "x"};
    auto f = derivationToJson(nixStore, "/f.drv", foo)["/f.drv"];
    EXPECT_EQ(f["outputs"].dump(),
              R"({"out":{"path":"/nix/store/00000000000000000000000000000000-foo"}})");
    EXPECT_EQ(f["inputDrvs"][barPath].dump(), R"(["dev","out"])");
    EXPECT_EQ(f["args"].dump(), R"(["-c","x"])");
    // The plain json type converts too (keys then sorted).
    nlohmann::json plain = f;
    EXPECT_EQ(plain["system"], ":");
}

// ---------------------------------------------------------------------------------------------
// Scale: a generated graph of 1,000 derivations, each with a few inputs.

TEST(Derivation, ThousandDerivationGraph) {
    std::mt19937_64 rng(42);
    std::map<std::string, Derivation> drvs;
    std::vector<std::string> paths;
    DrvHashes hashes(memoryResolver(drvs));
    auto t0 = std::chrono::steady_clock::now();
    size_t bytes = 0;
    for (int i = 0; i < 1000; ++i) {
        Derivation d = basic("pkg-" + std::to_string(i));
        d.platform = "x86_64-linux";
        d.builder = "/nix/store/00000000000000000000000000000000-bash/bin/bash";
        d.args = {"-e", "/nix/store/00000000000000000000000000000000-builder.sh"};
        d.inputSrcs.insert(SP("/nix/store/00000000000000000000000000000000-builder.sh"));
        d.env["src"] = "/nix/store/00000000000000000000000000000000-source";
        d.env["buildPhase"] = std::string(200, 'x');
        if (i % 10 == 0) {
            fillFixedOutput(d, nixStore, FileIngestion::Recursive,
                            hashString(HashAlgo::SHA256, std::to_string(i)));
        } else {
            d.outputs["out"] = {};
            if (i % 3 == 0) d.outputs["lib"] = {};
            for (size_t k = std::min<size_t>(paths.size(), 4); k > 0; --k) {
                auto& p = paths[std::uniform_int_distribution<size_t>(0, paths.size() - 1)(rng)];
                d.inputDrvs[SP(p)].insert("out");
                d.env["dep" + std::to_string(k)] = P(drvs.at(p).outputs.at("out").path);
            }
            fillInputAddressedOutputs(d, nixStore, hashes);
        }
        std::string text = unparse(nixStore, d, false);
        bytes += text.size();
        std::string p = drvPathOf(nixStore, d);
        hashes.add(p, d);
        drvs.emplace(p, std::move(d));
        paths.push_back(p);
    }
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
    std::printf("[ timing ] 1000 derivations built, unparsed and hashed (%zu bytes) in %.1f ms\n",
                bytes, ms.count());
    EXPECT_EQ(drvs.size(), 1000u); // speed is the benchmarks' business (tests/bench)

    // Parsing them all back, and recomputing every hash through the resolver from scratch.
    t0 = std::chrono::steady_clock::now();
    DrvHashes cold(memoryResolver(drvs));
    for (auto& [p, d] : drvs) {
        Derivation back = parseDerivation(unparse(nixStore, d, false), d.name);
        ASSERT_EQ(back, d);
        cold.get(p);
    }
    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
    std::printf("[ timing ] 1000 derivations parsed and re-hashed cold in %.1f ms\n", ms.count());
    EXPECT_EQ(cold.size(), 1000u);
}

// Read without its store, a .drv's paths are in the directory of its first output path.
TEST(Derivation, StoreDirOfTheText) {
    std::string gnu = unparse(StoreDir("/gnu/store"), makeBar(), false);
    EXPECT_EQ(derivationStoreDir(barAterm).dir(), "/nix/store");
    EXPECT_EQ(derivationStoreDir(gnu).dir(), "/gnu/store");
    Derivation d = parseDerivation(gnu, "bar");
    EXPECT_EQ(unparse(derivationStoreDir(gnu), d, false), gnu);
    EXPECT_EQ(d, parseDerivation(barAterm, "bar")); // the same paths: store paths have no directory
    std::string mixed = R"(Derive([("out","/nix/store/00000000000000000000000000000000-x","",""))"
                        R"(],[],["/gnu/store/00000000000000000000000000000000-s"],"s","b",[],[]))";
    expectError(mixed, "input source: ");
    EXPECT_THROW(derivationStoreDir("Derive("), BadDerivation);
}
