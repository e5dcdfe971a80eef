// Golden files: ferrix's byte formats (NAR, .drv, store paths) against files that a real nix
// wrote once (tests/data/golden, see its README), byte for byte, so that compatibility is tested
// where nix is absent, as Nix's own characterisation tests do. The inputs are made here, the
// same each time. FERRIX_REGENERATE_GOLDEN=1 rewrites the golden files from the nix-store and
// nix-instantiate found in PATH first (and the comparison then checks ferrix against them).
#include "ferrix/derivation.hh"
#include "ferrix/file.hh"
#include "ferrix/hash.hh"
#include "ferrix/nar.hh"
#include "ferrix/narinfo.hh"
#include "ferrix/store-path.hh"
#include "ferrix/stream.hh"

#include "../nix/nix-oracle.hh"

#include <archive.h>
#include <cstdlib>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
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

// ---------------------------------------------------------------------------------------------
// Narinfo: what `nix copy --to file://DIR` writes for store items that ferrix computes itself
// (path, NAR hash and size, references, deriver, content address), uncompressed, in xz, and
// signed.

const std::string narinfoNix = goldenDir + "/narinfo.nix";

struct CacheItem {
    std::string name; // of the golden file
    ValidPathInfo info;
    std::string nar; // ferrix's NAR of the contents
};

// The NAR of the file system object at PATH, as ferrix dumps it.
std::string narOf(const std::string& path) {
    StringSink nar;
    dumpPath(path, nar);
    return nar.s;
}

// The NAR of a regular file holding TEXT.
std::string narOfText(const TempDir& tmp, const std::string& text) {
    std::string path = tmp / "narinfo-text";
    if (pathExists(path)) deletePath(path);
    writeFile(path, text, 0644);
    return narOf(path);
}

// Nix's ed25519 signature check, done with OpenSSL: does SIG ("NAME:BASE64") by the key
// PUBLICKEY ("NAME:BASE64") sign FINGERPRINT?
bool signatureValid(const std::string& sig, const std::string& publicKey,
                    const std::string& fingerprint) {
    size_t sc = sig.find(':'), kc = publicKey.find(':');
    if (sc == std::string::npos || kc == std::string::npos) return false;
    if (sig.substr(0, sc) != publicKey.substr(0, kc)) return false;
    std::string s = base64Decode(sig.substr(sc + 1)), k = base64Decode(publicKey.substr(kc + 1));
    if (k.size() != 32 || s.size() != 64) return false;
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(k.data()), k.size());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = key && ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
              EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                               reinterpret_cast<const unsigned char*>(fingerprint.data()),
                               fingerprint.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

// The raw contents of the xz file at PATH, with libarchive.
std::string unxz(const std::string& path) {
    archive* a = archive_read_new();
    archive_read_support_filter_xz(a);
    archive_read_support_format_raw(a);
    std::string out;
    archive_entry* e;
    if (archive_read_open_filename(a, path.c_str(), 65536) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK) {
        std::string err = archive_error_string(a) ? archive_error_string(a) : "unknown error";
        archive_read_free(a);
        throw Error("cannot read '" + path + "': " + err);
    }
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
        out.append(buf, size_t(n));
    archive_read_free(a);
    if (n < 0) throw Error("cannot decompress '" + path + "'");
    return out;
}

class GoldenNarInfo : public Golden {
protected:
    const std::string narinfoDir = goldenDir + "/narinfo";

    // The items of the caches, as ferrix computes them.
    std::vector<std::unique_ptr<CacheItem>> items;

    void SetUp() override {
        // nix-store --add: a source, recursive sha256.
        std::string regular = object("regular");
        NarHash src = hashPath(HashAlgo::SHA256, regular);
        auto& source = item("source", nixStore.makeSourcePath("regular", src.hash, {}));
        source.nar = narOf(regular);
        source.info.ca = "fixed:r:sha256:" + src.hash.toNix32();

        // nix-store --add-fixed sha1: flat, not sha256.
        std::string executable = object("executable");
        Hash sha1 = hashFile(HashAlgo::SHA1, executable);
        auto& fixed = item("fixed-flat-sha1",
                           nixStore.makeFixedOutputPath("executable", FileIngestion::Flat, sha1));
        fixed.nar = narOf(executable);
        fixed.info.ca = "fixed:sha1:" + sha1.toNix32();

        // builtins.toFile, without and with a reference.
        std::string textContents = "text contents\n";
        Hash textHash = hashString(HashAlgo::SHA256, textContents);
        StorePath textPath = nixStore.makeTextPath("golden-text", textHash, {});
        auto& text = item("text", textPath);
        text.nar = narOfText(tmp, textContents);
        text.info.ca = "text:sha256:" + textHash.toNix32();

        std::string refsContents = "refers to " + nixStore.print(textPath) + "\n";
        Hash refsHash = hashString(HashAlgo::SHA256, refsContents);
        auto& refs =
            item("text-refs", nixStore.makeTextPath("golden-text-refs", refsHash, {textPath}));
        refs.nar = narOfText(tmp, refsContents);
        refs.info.references = {textPath};
        refs.info.ca = "text:sha256:" + refsHash.toNix32();

        // A derivation's output: input-addressed, with a deriver and a reference.
        Derivation d;
        d.name = "golden-built";
        d.platform = "x86_64-linux";
        d.builder = "/bin/sh";
        d.args = {"-c", "echo built from " + nixStore.print(textPath) + " > $out"};
        d.env = {{"name", d.name}, {"system", d.platform}, {"builder", d.builder}};
        d.inputSrcs = {textPath};
        d.outputs["out"] = {};
        DrvHashes hashes{memoryResolver(std::map<std::string, Derivation>{})};
        fillInputAddressedOutputs(d, nixStore, hashes);
        auto& built = item("built", *d.outputs.at("out").path);
        built.nar = narOfText(tmp, "built from " + nixStore.print(textPath) + "\n");
        built.info.references = {textPath};
        built.info.deriver = nixStore.parse(drvPathOf(nixStore, d));

        for (auto& i : items) {
            i->info.narHash = hashString(HashAlgo::SHA256, i->nar);
            i->info.narSize = i->nar.size();
        }
    }

    CacheItem& find(const std::string& name) {
        for (auto& i : items)
            if (i->name == name) return *i;
        throw Error("no cache item " + name);
    }

    // An uncompressed NAR's narinfo, as `nix copy --to file://DIR?compression=none` writes it.
    static NarInfo uncompressed(const CacheItem& i) {
        return NarInfo(i.info, "nar/" + i.info.narHash.toNix32() + ".nar", "none", i.info.narHash,
                       i.info.narSize);
    }

    // Checks that the golden file REL reads back as itself.
    void checkRoundTrip(const std::string& rel) {
        std::string file = goldenDir + "/" + rel;
        ASSERT_TRUE(isRegularFile(file)) << file << " is missing";
        std::string golden = readFile(file);
        std::string again = NarInfo::parse(nixStore, golden, file).toString(nixStore);
        EXPECT_TRUE(again == golden)
            << rel << " parsed and rendered: " << firstDifference(again, golden);
    }

    // The caches nix writes, made on first use when regenerating: "none", "xz" and "signed"
    // under one directory, and the public key of the signed one.
    struct NixCaches {
        std::string dir, publicKey;
        std::string narinfo(const std::string& cache, const StorePath& p) const {
            return readFile(dir + "/" + cache + "/" + std::string(p.hashPart()) + ".narinfo");
        }
    };
    const NixCaches& nixCaches() {
        if (caches) return *caches;
        caches = std::make_unique<NixCaches>();
        caches->dir = tmp / "caches";
        nixOut("nix-store", {"--add", object("regular")});
        nixOut("nix-store", {"--add-fixed", "sha1", object("executable")});
        // A chroot store builds in a sandbox: the host's shell and its libraries go in.
        std::string sandboxPaths;
        for (auto dir : {"/bin", "/lib", "/lib64", "/usr"})
            if (pathExists(dir))
                sandboxPaths += (sandboxPaths.empty() ? "" : " ") + std::string(dir);
        nixOut("nix-build", {narinfoNix, "-A", "built", "--no-out-link", "--option",
                             "sandbox-paths", sandboxPaths});
        nixOut("nix-instantiate", {"--read-write-mode", "--eval", narinfoNix, "-A", "text-refs"});
        std::string secretKey = tmp / "golden-1.sec", publicKey = tmp / "golden-1.pub";
        runNix({"nix-store", "--generate-binary-cache-key", "golden-1", secretKey, publicKey});
        caches->publicKey = readFile(publicKey);

        auto copy = [&](const std::string& query, const std::vector<std::string>& names) {
            std::vector<std::string> args = {"--extra-experimental-features", "nix-command", "copy",
                                             "--to", "file://" + caches->dir + "/" + query};
            for (auto& n : names)
                args.push_back(nixStore.print(find(n).info.path));
            nixOut("nix", args);
        };
        copy("none?compression=none", {"source", "fixed-flat-sha1", "text", "text-refs", "built"});
        copy("xz?compression=xz", {"built"});
        copy("signed?compression=none&secret-key=" + secretKey, {"text-refs"});
        return *caches;
    }

private:
    std::unique_ptr<NixCaches> caches;

    CacheItem& item(const std::string& name, const StorePath& path) {
        items.push_back(std::make_unique<CacheItem>(CacheItem{name, ValidPathInfo(path), {}}));
        return *items.back();
    }
};

TEST_F(GoldenNarInfo, Uncompressed) {
    for (auto& i : items) {
        SCOPED_TRACE(i->name);
        std::string rel = "narinfo/" + i->name + ".narinfo";
        const StorePath& path = i->info.path;
        checkGolden(rel, uncompressed(*i).toString(nixStore),
                    [&] { return nixCaches().narinfo("none", path); });
        checkRoundTrip(rel);
    }
}

// Nix compresses; ferrix checks the file nix wrote decompresses to its own NAR, and describes it.
TEST_F(GoldenNarInfo, Xz) {
    const CacheItem& built = find("built");
    std::string xzFile = narinfoDir + "/built.nar.xz";
    if (regenerating()) {
        NarInfo theirs = NarInfo::parse(nixStore, nixCaches().narinfo("xz", built.info.path), "xz");
        createDirs(narinfoDir);
        writeFile(xzFile, readFile(nixCaches().dir + "/xz/" + theirs.url), 0644);
    }
    ASSERT_TRUE(isRegularFile(xzFile)) << xzFile << " is missing";
    EXPECT_TRUE(unxz(xzFile) == built.nar) << xzFile << " is not ferrix's NAR compressed";
    std::string compressed = readFile(xzFile);
    Hash fileHash = hashString(HashAlgo::SHA256, compressed);
    NarInfo ours(built.info, "nar/" + fileHash.toNix32() + ".nar.xz", "xz", fileHash,
                 compressed.size());
    checkGolden("narinfo/built-xz.narinfo", ours.toString(nixStore),
                [&] { return nixCaches().narinfo("xz", built.info.path); });
    checkRoundTrip("narinfo/built-xz.narinfo");
}

// The signature nix made is over ferrix's fingerprint, and sits where ferrix renders it.
TEST_F(GoldenNarInfo, Signed) {
    const CacheItem& refs = find("text-refs");
    std::string rel = "narinfo/text-refs-signed.narinfo";
    std::string keyFile = narinfoDir + "/golden-1.pub";
    if (regenerating()) {
        createDirs(narinfoDir);
        writeFile(keyFile, nixCaches().publicKey + "\n", 0644);
        writeFile(goldenDir + "/" + rel, nixCaches().narinfo("signed", refs.info.path), 0644);
    }
    ASSERT_TRUE(isRegularFile(keyFile)) << keyFile << " is missing";
    std::string publicKey = chomp(readFile(keyFile));
    NarInfo ours = uncompressed(refs);
    NarInfo golden = NarInfo::parse(nixStore, readFile(goldenDir + "/" + rel), rel);
    ASSERT_EQ(golden.sigs.size(), 1u);
    for (auto& sig : golden.sigs)
        EXPECT_TRUE(signatureValid(sig, publicKey, ours.fingerprint(nixStore)))
            << sig << " does not sign " << ours.fingerprint(nixStore);
    ours.sigs = golden.sigs;
    checkGolden(rel, ours.toString(nixStore),
                [&] { return nixCaches().narinfo("signed", refs.info.path); });
    checkRoundTrip(rel);
}

} // namespace
