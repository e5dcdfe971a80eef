#include "ferrix/references.hh"
#include "ferrix/file.hh"

#include <cstdlib>
#include <gtest/gtest.h>
#include <random>
#include <unistd.h>

using namespace ferrix;

namespace {

const std::string h1 = "dc04vv14dak1c1r48qa0m23vr9jy8sm0";
const std::string h2 = "zc842j0rz61mjsp3h3wp5ly71ak6qgdn";
const std::string h3 = "0000000000000000000000000000000z"; // never present

std::set<std::string> scanChunked(std::string_view data, const std::set<std::string>& cands,
                                  size_t chunk) {
    RefScanSink s(cands);
    for (size_t i = 0; i < data.size(); i += chunk)
        s(data.substr(i, chunk));
    return s.found();
}

} // namespace

// Row 22: both hashes are found however the input is cut, down to one byte at a time.
TEST(References, SpecVectorInEveryChunking) {
    std::string data = "foobar" + h1 + "xyzzy" + h2;
    std::set<std::string> want = {h1, h2};
    for (size_t chunk = 1; chunk <= data.size(); chunk++)
        EXPECT_EQ(scanChunked(data, {h1, h2, h3}, chunk), want) << "chunk size " << chunk;
}

TEST(References, EverySplitPoint) {
    std::string data = "foobar" + h1 + "xyzzy" + h2;
    for (size_t a = 0; a <= data.size(); a++)
        for (size_t b = a; b <= data.size(); b++) {
            RefScanSink s({h1, h2});
            s(std::string_view(data).substr(0, a));
            s(std::string_view(data).substr(a, b - a));
            s(std::string_view(data).substr(b));
            EXPECT_EQ(s.found(), (std::set<std::string>{h1, h2})) << a << " " << b;
        }
}

TEST(References, InsideLongNix32Runs) {
    // Hashes embedded in runs of nix32 characters, adjacent to each other and overlapping the
    // start and end of the data.
    std::string data = h1 + "0123456789abcd" + h2 + h1 + "zzzz";
    EXPECT_EQ(scanChunked(data, {h1, h2, h3}, data.size()), (std::set<std::string>{h1, h2}));
    EXPECT_EQ(scanChunked(data, {h1, h2, h3}, 7), (std::set<std::string>{h1, h2}));
    EXPECT_EQ(scanChunked(h2, {h2}, 1), (std::set<std::string>{h2}));
}

TEST(References, NearMissesAreNotFound) {
    std::string almost = h1;
    almost[31] = 'e'; // 'e' is not a nix32 character
    std::string shorter = h1.substr(1);
    std::string data = almost + " " + shorter + " " + h1.substr(0, 31) + "E";
    EXPECT_TRUE(scanChunked(data, {h1}, data.size()).empty());
    EXPECT_TRUE(scanChunked(data, {h1}, 1).empty());
}

TEST(References, RandomDataAgreesWithNaiveSearch) {
    std::mt19937 rng(20240611);
    const std::string alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
    std::vector<std::string> cands;
    for (int i = 0; i < 20; i++) {
        std::string h;
        for (int j = 0; j < 32; j++)
            h.push_back(alphabet[rng() % 32]);
        cands.push_back(h);
    }
    std::set<std::string> candSet(cands.begin(), cands.end());
    for (int round = 0; round < 200; round++) {
        std::string data;
        size_t len = rng() % 600;
        while (data.size() < len) {
            unsigned r = rng() % 100;
            if (r < 3)
                data += cands[rng() % cands.size()];
            else if (r < 70)
                data.push_back(alphabet[rng() % 32]);
            else
                data.push_back(char(rng() % 256));
        }
        std::set<std::string> want;
        for (auto& c : cands)
            if (data.find(c) != std::string::npos) want.insert(c);
        size_t chunk = 1 + rng() % 64;
        EXPECT_EQ(scanChunked(data, candSet, chunk), want) << "round " << round;
    }
}

TEST(References, BadCandidate) {
    EXPECT_THROW(RefScanSink({"tooshort"}), Error);
}

class ReferencesFs : public ::testing::Test {
protected:
    std::string tmp;
    void SetUp() override {
        const char* t = std::getenv("TMPDIR");
        tmp = makeTempDir(t && *t ? t : "/tmp", "ferrix-refs-test-");
    }
    void TearDown() override { deletePath(tmp); }
};

TEST_F(ReferencesFs, ScanTree) {
    StoreDir sd("/nix/store");
    StorePath a(h1 + "-a"), b(h2 + "-b"), c(h3 + "-c");
    std::string d = tmp + "/d";
    createDirs(d + "/sub");
    // One reference in a file's contents, another only as a symlink target; a third is in an
    // entry name.
    std::string big(1 << 20, 'x');
    big.replace(big.size() / 2, 32 + 11, sd.print(a));
    writeFile(d + "/sub/file", big);
    ASSERT_EQ(::symlink(sd.print(b).c_str(), (d + "/link").c_str()), 0);
    EXPECT_EQ(scanForReferences(d, sd, {a, b, c}), (StorePathSet{a, b}));

    writeFile(d + "/" + h3 + "-c.txt", "");
    NarScan s = hashAndScan(d, {a, b, c});
    EXPECT_EQ(s.references, (StorePathSet{a, b, c}));
    NarHash h = hashPath(HashAlgo::SHA256, d);
    EXPECT_EQ(s.nar.hash, h.hash);
    EXPECT_EQ(s.nar.size, h.size);
    EXPECT_TRUE(hashAndScan(d, {}).references.empty());
}
