// NAR, NAR hashes and store paths of random trees, checked byte for byte against a real Nix.
#include "nix-oracle.hh"

#include "ferrix/file.hh"
#include "ferrix/hash.hh"
#include "ferrix/nar.hh"
#include "ferrix/store-path.hh"

#include <gtest/gtest.h>
#include <memory>

using namespace ferrix;
using namespace ferrix::test;

namespace {

constexpr int nTrees = 30;

// Where two byte strings first differ, for readable failures on megabyte-sized NARs.
std::string describeDiff(const std::string& a, const std::string& b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i])
        i++;
    if (i == a.size() && i == b.size()) return "identical";
    return "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
           ", first difference at byte " + std::to_string(i);
}

std::string dump(const std::string& path) {
    StringSink s;
    dumpPath(path, s);
    return s.s;
}

// Each parameter is one random tree. Most roots are directories; some are a single file or a
// symlink, since the format and the store treat those differently.
class NixNar : public ::testing::TestWithParam<int> {
protected:
    enum class Root { Directory, File, Symlink };

    uint64_t seed = 0;
    Root kind = Root::Directory;
    std::string name; // a valid store path name, as nix-store --add requires
    std::string path;
    std::unique_ptr<TempDir> tmp;
    std::unique_ptr<RandomTree> tree;
    NixChrootStore nix;
    StoreDir storeDir{"/nix/store"};

    void SetUp() override {
        seed = testSeed(20240601) + uint64_t(GetParam());
        tmp = std::make_unique<TempDir>("ferrix-nix-nar-");
        tree = std::make_unique<RandomTree>(seed);
        switch (seed % 10) {
        case 0:
        case 5:
            kind = Root::File;
            name = "file-" + std::to_string(seed);
            path = *tmp / name;
            tree->generateFile(path, seed % 20 == 0 ? 3 * 1024 * 1024 : 5000);
            break;
        case 1:
            kind = Root::Symlink;
            name = "link-" + std::to_string(seed);
            path = *tmp / name;
            if (::symlink(tree->randomName(100).c_str(), path.c_str()) != 0)
                throw SysError("symlink");
            break;
        default:
            name = "tree-" + std::to_string(seed);
            path = *tmp / name;
            tree->generateDirectory(path);
        }
    }

    std::string trace() const {
        return "seed " + std::to_string(seed) +
               " (replay: FERRIX_TEST_SEED=" + std::to_string(seed) +
               " --gtest_filter='*/NixNar.*/0')";
    }

    std::string nixOut(const std::string& program, const std::vector<std::string>& args) {
        RunResult r = nix.nix(program, args);
        EXPECT_EQ(r.status, 0) << program << " failed: " << r.err;
        return r.out;
    }
};

} // namespace

TEST_P(NixNar, DumpMatchesNixStoreDump) {
    SCOPED_TRACE(trace());
    std::string theirs = nixOut(NIX_STORE_PROGRAM, {"--dump", path});
    std::string ours = dump(path);
    EXPECT_TRUE(ours == theirs) << describeDiff(ours, theirs);
}

TEST_P(NixNar, NarHashesMatchNixHash) {
    SCOPED_TRACE(trace());
    for (HashAlgo algo : {HashAlgo::MD5, HashAlgo::SHA1, HashAlgo::SHA256, HashAlgo::SHA512}) {
        std::string type(algoName(algo));
        NarHash h = hashPath(algo, path);
        EXPECT_EQ(h.size, dump(path).size());
        EXPECT_EQ(h.hash.toBase16(), chomp(nixOut(NIX_HASH_PROGRAM, {"--type", type, path})))
            << type;
        EXPECT_EQ(h.hash.toNix32(),
                  chomp(nixOut(NIX_HASH_PROGRAM, {"--type", type, "--base32", path})))
            << type;
    }
}

TEST_P(NixNar, FlatHashesMatchNixHash) {
    SCOPED_TRACE(trace());
    size_t checked = 0;
    for (const auto& f : tree->files) {
        if (checked++ == 4) break;
        EXPECT_EQ(hashFile(HashAlgo::SHA256, f).toBase16(),
                  chomp(nixOut(NIX_HASH_PROGRAM, {"--flat", "--type", "sha256", f})))
            << f;
        EXPECT_EQ(hashFile(HashAlgo::SHA1, f).toNix32(),
                  chomp(nixOut(NIX_HASH_PROGRAM, {"--flat", "--base32", "--type", "sha1", f})))
            << f;
    }
}

TEST_P(NixNar, StorePathsMatchNixStoreAdd) {
    SCOPED_TRACE(trace());
    Hash narSha256 = hashPath(HashAlgo::SHA256, path).hash;
    StorePath added = storeDir.makeFixedOutputPath(name, FileIngestion::Recursive, narSha256);
    EXPECT_EQ(chomp(nixOut(NIX_STORE_PROGRAM, {"--add", path})), storeDir.print(added));
    // What landed in Nix's store has the same NAR.
    std::string inStore = nix.realStoreDir() + "/" + added.to_string();
    EXPECT_EQ(hashPath(HashAlgo::SHA256, inStore).hash, narSha256);

    Hash narSha1 = hashPath(HashAlgo::SHA1, path).hash;
    EXPECT_EQ(
        chomp(nixOut(NIX_STORE_PROGRAM, {"--add-fixed", "--recursive", "sha1", path})),
        storeDir.print(storeDir.makeFixedOutputPath(name, FileIngestion::Recursive, narSha1)));

    // Flat (non-recursive) additions of regular files: the root if it is one, and copies of a
    // couple of the tree's files under a valid store name.
    std::vector<std::pair<std::string, std::string>> flat; // (path, store name)
    if (kind == Root::File) flat.emplace_back(path, name);
    for (size_t i = 0; i < tree->files.size() && i < 2; i++) {
        std::string copyName = "flat-" + std::to_string(i);
        writeFile(*tmp / copyName, readFile(tree->files[i]));
        flat.emplace_back(*tmp / copyName, copyName);
    }
    for (auto& [file, storeName] : flat) {
        Hash h = hashFile(HashAlgo::SHA256, file);
        EXPECT_EQ(chomp(nixOut(NIX_STORE_PROGRAM, {"--add-fixed", "sha256", file})),
                  storeDir.print(storeDir.makeFixedOutputPath(storeName, FileIngestion::Flat, h)))
            << file;
    }
}

TEST_P(NixNar, RestoreOfOurNarDumpsLikeTheOriginal) {
    SCOPED_TRACE(trace());
    std::string original = nixOut(NIX_STORE_PROGRAM, {"--dump", path});
    std::string ours = dump(path);
    std::string target = *tmp / "restored";
    StringSource src(ours);
    restorePath(target, src);
    EXPECT_EQ(src.pos, ours.size());
    std::string again = nixOut(NIX_STORE_PROGRAM, {"--dump", target});
    EXPECT_TRUE(again == original) << describeDiff(again, original);
}

TEST_P(NixNar, ParseAndRestoreNixsDump) {
    SCOPED_TRACE(trace());
    std::string theirs = nixOut(NIX_STORE_PROGRAM, {"--dump", path});
    std::string stream = theirs + "trailing bytes that are not part of the NAR";
    StringSource src(stream);
    StringSink copy;
    copyNar(src, copy);
    EXPECT_EQ(src.pos, theirs.size());
    EXPECT_TRUE(copy.s == theirs) << describeDiff(copy.s, theirs);

    std::string target = *tmp / "from-nix";
    StringSource src2(theirs);
    restorePath(target, src2);
    std::string ours = dump(target);
    EXPECT_TRUE(ours == theirs) << describeDiff(ours, theirs);
}

// Nix restores our NAR (nix-store --restore) into the same tree.
TEST_P(NixNar, NixRestoresOurNar) {
    SCOPED_TRACE(trace());
    std::string ours = dump(path);
    std::string target = *tmp / "nix-restored";
    RunResult r = nix.nix(NIX_STORE_PROGRAM, {"--restore", target}, ours);
    ASSERT_EQ(r.status, 0) << r.err;
    std::string again = dump(target);
    EXPECT_TRUE(again == ours) << describeDiff(again, ours);
}

INSTANTIATE_TEST_SUITE_P(RandomTrees, NixNar, ::testing::Range(0, nTrees));
