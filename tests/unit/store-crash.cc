// Crash safety: a child process adds items (text, flat files, trees, build outputs, batches of
// text items, roots, the odd gc) in a loop and is SIGKILLed at a random moment. Whatever phase
// the kill lands in, the store must afterwards verify clean (every registered item whole, no
// half-registered batch), and one gc must leave no temporary directory and no unregistered item
// behind.
#include "ferrix/store.hh"
#include "store-test-util.hh"

#include <atomic>
#include <chrono>
#include <csignal>
#include <gtest/gtest.h>
#include <new>
#include <random>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ferrix;
using namespace ferrix::test;

namespace {

// Shared with the child (an anonymous shared mapping), so the parent can tell where a kill landed.
struct ChildState {
    std::atomic<int> inBatch{0};
};

// Runs in the child until killed. `round` makes every run's items new, so adds do real work
// instead of finding the item already valid. Every fourth round adds batches only.
[[noreturn]] void addForever(const std::string& root, const std::string& work, int round,
                             int readyFd, ChildState& state) {
    try {
        LocalStore store(configAt(root));
        // The parent's clock starts when we say so: right away (the kill may land in the first
        // add, whose commit also starts a fresh WAL), after one add, or after twenty (past a
        // root and the child's own gc), so kills also reach steady-state adds.
        int readyAfter = round % 3 == 0 ? 0 : round % 3 == 1 ? 1 : 20;
        auto ready = [&] {
            if (readyFd >= 0 && ::write(readyFd, "r", 1) != 1) ::_exit(3);
            readyFd = -1;
        };
        if (readyAfter == 0) ready();
        std::mt19937 rng(round);
        std::vector<StorePath> made;
        auto refsText = [&] {
            std::string s;
            StorePathSet refs;
            for (size_t k = 0; k < made.size() && k < 3; k++) {
                auto& p = made[rng() % made.size()];
                s += store.printStorePath(p) + "\n";
                refs.insert(p);
            }
            return std::pair(s, refs);
        };
        for (int i = 0;; i++) {
            std::string tag = std::to_string(round) + "-" + std::to_string(i);
            size_t size = (rng() % 4 == 0) ? rng() % (512 * 1024) : rng() % 4096;
            auto [refText, refs] = refsText();
            StorePathSet candidates(made.begin(), made.end());
            switch (round % 4 == 3 ? 5 : i % 6) {
            case 0:
                made.push_back(store.addText("text-" + tag, refText + tag, refs));
                break;
            case 1: {
                std::string f = work + "/flat-" + tag;
                writeFile(f, std::string(size, char('a' + i % 26)) + tag);
                made.push_back(store.addPath(f, "flat-" + tag, FileIngestion::Flat));
                break;
            }
            case 2:
            case 3: {
                std::string d = work + "/tree-" + tag;
                createDirs(d + "/a/b");
                writeFile(d + "/big", std::string(size, 'x') + tag);
                writeFile(d + "/a/refs", refText, 0755);
                for (int k = 0; k < int(rng() % 20); k++)
                    writeFile(d + "/a/b/f" + std::to_string(k), tag + std::to_string(k));
                if (i % 5 == 2) {
                    made.push_back(store.addPath(d, "tree-" + tag, FileIngestion::Recursive,
                                                 HashAlgo::SHA256, candidates));
                } else {
                    StorePath target = store.storeDir().makeOutputPath(
                        "out", hashString(HashAlgo::SHA256, tag), "built-" + tag);
                    writeFile(d + "/self", store.printStorePath(target));
                    store.registerOutput(d, target, candidates);
                    made.push_back(target);
                }
                break;
            }
            case 4:
                store.addRoot(made[rng() % made.size()], "root-" + tag);
                break;
            case 5: {
                // Each item refers to the one before it and to a few earlier items.
                std::vector<TextItem> batch;
                int n = 2 + int(rng() % 40);
                for (int k = 0; k < n; k++) {
                    auto [text, r] = refsText();
                    if (!batch.empty()) {
                        auto& b = batch.back();
                        StorePath prev = store.storeDir().makeTextPath(
                            b.name, hashString(HashAlgo::SHA256, b.contents), b.references);
                        text += store.printStorePath(prev);
                        r.insert(prev);
                    }
                    batch.push_back({"batch-" + tag + "-" + std::to_string(k), text + tag, r});
                }
                // For the parent: which paths must be valid all together or not at all.
                std::string list;
                for (auto& b : batch)
                    list += store.printStorePath(store.storeDir().makeTextPath(
                                b.name, hashString(HashAlgo::SHA256, b.contents), b.references)) +
                            "\n";
                writeFile(work + "/batch-" + tag, list);
                state.inBatch = 1;
                auto paths = store.addTexts(batch);
                state.inBatch = 0;
                made.insert(made.end(), paths.begin(), paths.end());
                break;
            }
            }
            if (i % 17 == 16) store.collectGarbage();
            if (i + 1 >= readyAfter) ready();
        }
    } catch (std::exception& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        ::_exit(2);
    }
}

} // namespace

TEST(StoreCrash, SigkillAtRandomPointsLeavesAConsistentStore) {
    ScratchDir scratch("ferrix-store-crash-");
    std::string root = scratch.path + "/root";
    { LocalStore create(configAt(root)); } // created once, outside the kill loop
    std::mt19937 rng(20240611);
    const int rounds = 30;
    // Where the kills landed, judged by what they left: a half-built temporary item, an
    // unregistered item at its final path (killed between rename and commit), or neither.
    size_t maxValid = 0, midCopy = 0, beforeCommit = 0, inBatch = 0;
    void* shared = ::mmap(nullptr, sizeof(ChildState), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(shared, MAP_FAILED);
    auto* state = new (shared) ChildState;
    for (int round = 0; round < rounds; round++) {
        std::string work = scratch.path + "/work-" + std::to_string(round);
        createDirs(work);
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        state->inBatch = 0;
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(fds[0]);
            addForever(root, work, round, fds[1], *state);
        }
        ::close(fds[1]);
        char c;
        ASSERT_EQ(::read(fds[0], &c, 1), 1) << "child failed to open the store";
        ::close(fds[0]);
        // Mostly within the first few milliseconds (every phase of the first adds), sometimes
        // later (larger stores, roots, the child's own gc).
        int delayUs = (rng() % 3 == 0) ? int(rng() % 40000) : int(rng() % 5000);
        std::this_thread::sleep_for(std::chrono::microseconds(delayUs));
        ::kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with status " << status;
        inBatch += state->inBatch.load();

        LocalStore store(configAt(root));
        if (!tempEntries(store).empty()) midCopy++;
        // Every batch of this round (its items are this child's temporary roots, so its own gc
        // kept them) is registered whole or not at all.
        for (auto& name : listNames(work)) {
            if (!name.starts_with("batch-")) continue;
            std::string list = readFile(work + "/" + name);
            size_t n = 0, valid = 0;
            for (size_t pos = 0, nl; (nl = list.find('\n', pos)) != std::string::npos;
                 pos = nl + 1) {
                n++;
                valid += store.isValid(store.parseStorePath(list.substr(pos, nl - pos)));
            }
            EXPECT_TRUE(valid == 0 || valid == n)
                << "round " << round << ": " << valid << " of " << n << " items of " << name;
        }
        auto v = store.verify();
        maxValid = std::max(maxValid, v.checked);
        EXPECT_TRUE(v.ok()) << "round " << round << ": " << v.missing.size() << " missing, "
                            << v.corrupt.size() << " corrupt, " << v.badReferences.size()
                            << " bad references";
        if (!v.ok()) break;

        for (auto& l : store.collectGarbage().leftoversRemoved)
            if (l.find("/.ferrix-tmp/") == std::string::npos) beforeCommit++;
        EXPECT_TRUE(tempEntries(store).empty()) << "round " << round;
        auto valid = store.queryAllValidPaths();
        for (auto& name : storeEntries(store))
            EXPECT_TRUE(valid.contains(StorePath(name)))
                << "round " << round << ": unregistered leftover " << name;
        for (auto& p : valid) {
            for (auto& r : store.queryReferences(p))
                EXPECT_TRUE(store.isValid(r));
        }
        EXPECT_TRUE(store.verify().ok()) << "round " << round;
        EXPECT_TRUE(listNames(root + "/var/ferrix/locks").empty()) << "round " << round;
        deletePath(work);
    }
    // Some runs got past twenty adds (rooted ones survive the child's gc).
    EXPECT_GE(maxValid, 4u);
    // The batch-only rounds spend nearly all their time inside addTexts.
    EXPECT_GE(inBatch, 1u);
    std::printf("%d kills: %zu inside a batch, %zu left a temporary item, %zu an unregistered "
                "item; up to %zu valid paths\n",
                rounds, inBatch, midCopy, beforeCommit, maxValid);
    ::munmap(shared, sizeof(ChildState));
}
