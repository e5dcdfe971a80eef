// Golden files: ferrix's byte formats (NAR, .drv, store paths) against files that a real nix
// wrote once (tests/data/golden, see its README), byte for byte, so that compatibility is tested
// where nix is absent, as Nix's own characterisation tests do. The inputs are made here, the
// same each time. FERRIX_REGENERATE_GOLDEN=1 rewrites the golden files from the nix-store and
// nix-instantiate found in PATH first (and the comparison then checks ferrix against them).
#include "ferrix/derivation.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"
#include "ferrix/nar.hh"
#include "ferrix/store-path.hh"
#include "ferrix/stream.hh"

#include "../nix/nix-oracle.hh"

#include <cstdlib>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace ferrix;
using namespace ferrix::test;

namespace {

const std::string goldenDir = FERRIX_SOURCE_DIR "/tests/data/golden";
const StoreDir nixStore("/nix/store");

bool regenerating() {
    const char* v = std::getenv("FERRIX_REGENERATE_GOLDEN");
    return v && *v && std::string(v) != "0";
}

// Where A and B first differ, readable for binary data too.
std::string firstDifference(const std::string& a, const std::string& b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i])
        i++;
    auto byteAt = [&](const std::string& s) {
        return i < s.size() ? std::to_string(static_cast<unsigned char>(s[i])) : "end";
    };
    return "ferrix's " + std::to_string(a.size()) + " bytes and the golden file's " +
           std::to_string(b.size()) + " differ at byte " + std::to_string(i) + " (" + byteAt(a) +
           " against " + byteAt(b) + ")";
}

// Compares OURS with the golden file REL. When regenerating, the file is first rewritten with
// what THEIRS (nix) returns.
void checkGolden(const std::string& rel, const std::string& ours,
                 const std::function<std::string()>& theirs) {
    std::string file = goldenDir + "/" + rel;
    if (regenerating()) {
        createDirs(dirOf(file));
        writeFile(file, theirs(), 0644);
    }
    ASSERT_TRUE(isRegularFile(file))
        << file << " is missing: regenerate it with FERRIX_REGENERATE_GOLDEN=1";
    std::string golden = readFile(file);
    EXPECT_TRUE(ours == golden) << rel << ": " << firstDifference(ours, golden);
}

// ---------------------------------------------------------------------------------------------
// The inputs: one file system object per NAR case.

void writeMode(const std::string& path, std::string_view contents, mode_t mode) {
    writeFile(path, contents, 0600);
    if (::chmod(path.c_str(), mode) != 0) throw SysError("chmod '" + path + "'");
}

void makeDirectory(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0) throw SysError("mkdir '" + path + "'");
}

void makeSymlink(const std::string& target, const std::string& path) {
    if (::symlink(target.c_str(), path.c_str()) != 0) throw SysError("symlink '" + path + "'");
}

// Creates the object of CASE at PATH.
void makeObject(const std::string& kind, const std::string& path) {
    if (kind == "regular") {
        writeMode(path, "Hello, NAR!\n", 0644);
    } else if (kind == "executable") {
        writeMode(path, "#!/bin/sh\necho golden\n", 0755);
    } else if (kind == "symlink") {
        makeSymlink("../a target/with spaces", path);
    } else if (kind == "empty-directory") {
        makeDirectory(path);
    } else if (kind == "nested-directory") {
        // Names sorted bytewise (upper case first), contents of every length modulo 8 that
        // padding distinguishes, a nested empty directory, a symlink inside.
        makeDirectory(path);
        writeMode(path + "/b-file", "thirteen byte", 0644);
        writeMode(path + "/A-tool", "#!/bin/sh\n", 0755);
        writeMode(path + "/z-empty", "", 0444);
        makeDirectory(path + "/dir");
        makeDirectory(path + "/dir/empty");
        makeDirectory(path + "/dir/sub");
        writeMode(path + "/dir/sub/eight", "12345678", 0644);
        writeMode(path + "/dir/sub/deep", "deep\n", 0600);
        makeSymlink("sub/deep", path + "/dir/link");
    } else {
        throw Error("no golden object " + kind);
    }
}

const std::vector<std::string> narCases = {"regular", "executable", "symlink", "empty-directory",
                                           "nested-directory"};

class Golden : public ::testing::Test {
protected:
    TempDir tmp{"ferrix-golden-"};

    std::string object(const std::string& kind) {
        std::string path = tmp / kind;
        if (!pathExists(path)) makeObject(kind, path);
        return path;
    }

    // A chroot store for nix, made when regenerating only.
    NixChrootStore& nix() {
        if (!nixStore_) nixStore_ = std::make_unique<NixChrootStore>();
        return *nixStore_;
    }
    std::string nixOut(const std::string& program, const std::vector<std::string>& args) {
        RunResult r = nix().nix(program, args);
        if (!r.ok()) throw Error(program + " failed (" + std::to_string(r.status) + "): " + r.err);
        return r.out;
    }

private:
    std::unique_ptr<NixChrootStore> nixStore_;
};

// ---------------------------------------------------------------------------------------------
// NAR

TEST_F(Golden, Nar) {
    for (auto& kind : narCases) {
        SCOPED_TRACE(kind);
        std::string path = object(kind);
        StringSink ours;
        dumpPath(path, ours);
        checkGolden("nar/" + kind + ".nar", ours.s, [&] {
            return runNix({"nix-store", "--dump", path});
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Derivations: those of derivations.nix, built here as ferrix builds any derivation.

struct Built {
    Derivation drv;
    std::string path;
};

class GoldenDerivations {
public:
    std::map<std::string, Built> built;
    // The text file the input-addressed derivation has among its sources.
    const std::string sourceName = "golden-source.txt";
    const std::string sourceText = "a source of the golden derivations\n";

    GoldenDerivations() {
        std::string source =
            nixStore.print(nixStore.makeTextPath(sourceName, sha256(sourceText), {}));

        Derivation flat = base("fixed-flat", "x86_64-linux", {"-c", "echo fixed > $out"});
        std::string flatHash = "0c3071418e6356e614898c84ed064ca95e88551bc0811b534bdf1952ecdae534";
        flat.env["outputHash"] = flatHash;
        flat.env["outputHashAlgo"] = "sha256";
        fillFixedOutput(flat, nixStore, FileIngestion::Flat,
                        Hash::parse(flatHash, HashAlgo::SHA256));
        add(std::move(flat));

        Derivation rec = base("fixed-recursive", "x86_64-linux", {"-c", "mkdir $out"});
        std::string recHash = "0d75vbn546fz9d9ip0f03daqhpm99h3fv14ci4afcmk3ir0p2c0c"; // nix32
        rec.env["outputHash"] = recHash;
        rec.env["outputHashAlgo"] = "sha256";
        rec.env["outputHashMode"] = "recursive";
        fillFixedOutput(rec, nixStore, FileIngestion::Recursive,
                        Hash::parse(recHash, HashAlgo::SHA256));
        add(std::move(rec));

        Derivation multi =
            base("multiple-outputs", "aarch64-linux", {"-c", "mkdir $out $dev $doc"});
        multi.env["outputs"] = "out dev doc";
        for (auto o : {"out", "dev", "doc"})
            multi.outputs[o] = {};
        fillInputAddressedOutputs(multi, nixStore, hashes);
        add(std::move(multi));

        const Built& f = built.at("fixed-flat");
        const Built& r = built.at("fixed-recursive");
        const Built& m = built.at("multiple-outputs");
        Derivation ia =
            base("input-addressed", "x86_64-linux",
                 {"-c", "cat " + source + " " + outPath(f, "out") + " > $out", outPath(m, "dev")});
        ia.env["source"] = source;
        ia.env["tools"] = outPath(r, "out");
        ia.env["quoted"] = "a \"quoted\" value\nwith\ttabs and a backslash \\";
        ia.inputSrcs.insert(nixStore.parse(source));
        ia.inputDrvs[nixStore.parse(f.path)].insert("out");
        ia.inputDrvs[nixStore.parse(r.path)].insert("out");
        ia.inputDrvs[nixStore.parse(m.path)].insert("dev");
        ia.outputs["out"] = {};
        fillInputAddressedOutputs(ia, nixStore, hashes);
        add(std::move(ia));
    }

    // The output path of NAME's OUTPUT computed from its hash modulo, not read from the .drv.
    std::string outputPath(const std::string& name, const std::string& output) {
        const Derivation& d = built.at(name).drv;
        return nixStore.print(nixStore.makeOutputPath(
            output, hashDerivationModulo(nixStore, d, true, hashes), d.name));
    }

    std::string sourcePath() const {
        return nixStore.print(nixStore.makeTextPath(sourceName, sha256(sourceText), {}));
    }

private:
    static std::string outPath(const Built& b, const std::string& output) {
        return nixStore.print(*b.drv.outputs.at(output).path);
    }

    DrvHashes hashes{memoryResolver(std::map<std::string, Derivation>{})};

    static Hash sha256(std::string_view s) { return hashString(HashAlgo::SHA256, s); }

    static Derivation base(const std::string& name, const std::string& system,
                           std::vector<std::string> args) {
        Derivation d;
        d.name = name;
        d.platform = system;
        d.builder = "/bin/sh";
        d.args = std::move(args);
        d.env["name"] = name;
        d.env["system"] = system;
        d.env["builder"] = d.builder;
        return d;
    }

    void add(Derivation d) {
        std::string path = drvPathOf(nixStore, d);
        hashes.add(path, d);
        std::string name = d.name;
        built.emplace(name, Built{std::move(d), path});
    }
};

const std::string derivationsNix = goldenDir + "/derivations.nix";

TEST_F(Golden, Derivation) {
    GoldenDerivations drvs;
    for (auto& [name, b] : drvs.built) {
        SCOPED_TRACE(name);
        std::string attr = name;
        checkGolden("drv/" + name + ".drv", unparse(nixStore, b.drv, false), [&] {
            std::string path = chomp(nixOut("nix-instantiate", {derivationsNix, "-A", attr}));
            return readFile(nix().physical(path));
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Store paths: one line per path, "KIND DESCRIPTION PATH".

TEST_F(Golden, StorePaths) {
    std::string ours, theirs;
    auto line = [&](const std::string& what, const std::string& path,
                    const std::function<std::string()>& nixPath) {
        ours += what + " " + path + "\n";
        if (regenerating()) theirs += what + " " + nixPath() + "\n";
    };
    auto evalString = [&](const std::string& expr) {
        return nlohmann::json::parse(nixOut("nix-instantiate", {"--eval", "--json", "-E", expr}))
            .get<std::string>();
    };

    // Text: builtins.toFile, with and without a reference.
    std::string text = "text contents\n";
    StorePath textPath =
        nixStore.makeTextPath("golden-text", hashString(HashAlgo::SHA256, text), {});
    std::string textExpr = "builtins.toFile \"golden-text\" \"text contents\\n\"";
    line("text golden-text", nixStore.print(textPath), [&] { return evalString(textExpr); });
    std::string refText = "refers to " + nixStore.print(textPath) + "\n";
    line("text golden-text-refs",
         nixStore.print(nixStore.makeTextPath("golden-text-refs",
                                              hashString(HashAlgo::SHA256, refText), {textPath})),
         [&] {
             return evalString("builtins.toFile \"golden-text-refs\" \"refers to ${" + textExpr +
                               "}\\n\"");
         });

    // Source: nix-store --add (recursive sha256).
    for (auto kind : {"regular", "nested-directory"}) {
        std::string path = object(kind);
        line(std::string("source ") + kind,
             nixStore.print(
                 nixStore.makeSourcePath(kind, hashPath(HashAlgo::SHA256, path).hash, {})),
             [&] {
                 return chomp(nixOut("nix-store", {"--add", path}));
             });
    }

    // Fixed output: nix-store --add-fixed, flat and recursive, sha256 and others.
    struct Fixed {
        const char* kind;
        FileIngestion method;
        HashAlgo algo;
        const char* algoName;
    };
    for (const Fixed& f :
         {Fixed{"regular", FileIngestion::Flat, HashAlgo::SHA256, "sha256"},
          Fixed{"executable", FileIngestion::Flat, HashAlgo::SHA1, "sha1"},
          Fixed{"nested-directory", FileIngestion::Recursive, HashAlgo::SHA1, "sha1"},
          Fixed{"empty-directory", FileIngestion::Recursive, HashAlgo::SHA512, "sha512"}}) {
        std::string path = object(f.kind);
        bool recursive = f.method == FileIngestion::Recursive;
        Hash h = recursive ? hashPath(f.algo, path).hash : hashFile(f.algo, path);
        line(std::string("fixed-output ") + (recursive ? "recursive " : "flat ") + f.algoName +
                 " " + f.kind,
             nixStore.print(nixStore.makeFixedOutputPath(f.kind, f.method, h)), [&] {
                 std::vector<std::string> args = {"--add-fixed"};
                 if (recursive) args.push_back("--recursive");
                 args.push_back(f.algoName);
                 args.push_back(path);
                 return chomp(nixOut("nix-store", args));
             });
    }

    // Derivations and their outputs (input-addressed), from derivations.nix.
    GoldenDerivations drvs;
    line("text " + drvs.sourceName, drvs.sourcePath(), [&] {
        return evalString("builtins.toFile \"" + drvs.sourceName +
                          "\" \"a source of the golden derivations\\n\"");
    });
    for (auto& [name, b] : drvs.built) {
        std::string expr = "(import " + derivationsNix + ").\"" + name + "\".drvPath";
        line("derivation " + name, b.path, [&] { return evalString(expr); });
    }
    const std::vector<std::pair<std::string, std::string>> outputs = {{"multiple-outputs", "out"},
                                                                      {"multiple-outputs", "dev"},
                                                                      {"multiple-outputs", "doc"},
                                                                      {"input-addressed", "out"}};
    for (auto& [drvName, output] : outputs) {
        std::string expr =
            "(import " + derivationsNix + ").\"" + drvName + "\"." + output + ".outPath";
        line("output " + drvName + " " + output, drvs.outputPath(drvName, output),
             [&] { return evalString(expr); });
    }

    checkGolden("store-paths.txt", ours, [&] { return theirs; });
}

} // namespace
