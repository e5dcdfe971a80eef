// The local store: a directory of immutable items plus a SQLite database recording which items are
// valid, their NAR hashes and their references. Items are added atomically (temporary copy,
// canonicalise, hash, rename, register in one transaction), kept alive by GC roots, collected when
// unreachable, and can be re-verified against the database.
//
// Crash invariant: a path registered in the database is always whole on disk (or reported by
// verify as missing if someone else deleted it). Anything else found in the store directory —
// temporary directories, unregistered items — is a leftover that gc removes.
#pragma once

#include "ferrix/hash.hh"
#include "ferrix/nar.hh"
#include "ferrix/store-path.hh"
#include "ferrix/stream.hh"

#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferrix {

struct StoreConfig {
    // Everything lives under here: var/ferrix/{db,gcroots,temproots,locks}, and the items.
    std::string root;
    // The logical store directory printed in paths (/nix/store, /gnu/store, <root>/store...).
    // Unset means: whatever the database recorded, else "<root>/store".
    std::optional<std::string> storeDir;

    // root = flag, else $FERRIX_STORE, else ${XDG_DATA_HOME:-$HOME/.local/share}/ferrix;
    // storeDir = flag, else $FERRIX_STORE_DIR, else unset. Paths are made absolute.
    static StoreConfig resolve(std::optional<std::string> rootFlag,
                               std::optional<std::string> storeDirFlag);

    // Whether a store has been created under root, for commands that must not create one.
    bool exists() const;
};

struct ValidPathInfo {
    StorePath path;
    Hash narHash;
    uint64_t narSize = 0;
    StorePathSet references;
    StorePathSet referrers; // filled by queryPathInfo only
    std::optional<StorePath> deriver;
    time_t registrationTime = 0;
    // Content address, empty for input-addressed items: "text:sha256:<nix32>",
    // "fixed:r:sha256:<nix32>", "fixed:<algo>:<nix32>", "fixed:r:<algo>:<nix32>".
    std::string ca;

    explicit ValidPathInfo(StorePath p) : path(std::move(p)) {}
};

// One item of a batch written by LocalStore::addTexts.
struct TextItem {
    std::string name;
    std::string contents;
    // Valid paths, or paths of other items of the same batch.
    StorePathSet references;
};

struct GcOptions {
    enum class Action {
        DeleteDead,     // delete everything unreachable from the roots, and leftovers
        PrintDead,      // report what DeleteDead would delete; change nothing
        PrintLive,      // report what is reachable from the roots
        DeleteSpecific, // delete `paths`; refuses (deleting nothing) if any is alive
    };
    Action action = Action::DeleteDead;
    StorePathSet paths; // for DeleteSpecific
    // Stop deleting once this many bytes were freed.
    uint64_t maxFreed = UINT64_MAX;
};

struct GcResult {
    // Deleted paths (DeleteDead/DeleteSpecific), or the dead/live set (Print*).
    StorePathSet paths;
    uint64_t bytesFreed = 0;
    // Physical paths of temporary directories and unregistered items that were removed.
    std::vector<std::string> leftoversRemoved;
    // Entries gc skipped (junk in its directories, a leftover it could not remove), as sentences.
    std::vector<std::string> warnings;
};

struct VerifyResult {
    struct Corrupt {
        StorePath path;
        Hash expectedHash, actualHash;
        uint64_t expectedSize = 0, actualSize = 0;
        std::string error; // set when the item could not be read at all
    };
    size_t checked = 0;
    StorePathSet missing;         // registered, absent on disk
    std::vector<Corrupt> corrupt; // NAR hash or size differs
    // (referrer, reference) rows naming an id that is not a valid path, printed "#<id>".
    std::vector<std::pair<std::string, std::string>> badReferences;
    // With repair: every path invalidated (and deleted): the bad ones and all their referrers.
    StorePathSet invalidated;

    bool ok() const { return missing.empty() && corrupt.empty() && badReferences.empty(); }
};

// Safe to share between threads, and any number of processes may open the same store at once
// (file locks and SQLite coordinate them). Not to be used across fork(): a child opens its own.
class LocalStore {
public:
    // Creates the layout and database if needed. Throws StoreError when the configured store
    // directory differs from the one the database was created with.
    explicit LocalStore(const StoreConfig& config);
    ~LocalStore();
    LocalStore(const LocalStore&) = delete;
    LocalStore& operator=(const LocalStore&) = delete;

    const StoreDir& storeDir() const;
    const std::string& root() const;
    // Where items physically live: the store directory itself if it is under root, else
    // root + storeDir (chroot-style, like `nix --store DIR`).
    const std::string& realStoreDir() const;
    std::string dbPath() const;
    std::string printStorePath(const StorePath& p) const { return storeDir().print(p); }
    // Accepts a full logical store path; throws BadStorePath.
    StorePath parseStorePath(std::string_view fullPath) const { return storeDir().parse(fullPath); }
    // Physical location of an item (whether or not it exists).
    std::string realPath(const StorePath& p) const;

    // --- Places under ROOT/var/ferrix for whoever builds or downloads into the store.

    // The PathLock file of `p` while it is being built or downloaded, so that it is made once.
    // Adding to the store does not take it: the database's write lock serialises registration.
    std::string outputLockPath(const StorePath& p) const;
    // gc.lock: taken shared by whoever writes items in place, exclusive by gc.
    const std::string& gcLockPath() const;
    // Where builds and downloads make their working directories; gc removes the abandoned ones.
    std::string buildsDir() const;
    // ROOT/var/ferrix: the database, locks, roots, logs; never visible to a builder.
    const std::string& stateDir() const;

    // --- Adding. Every add is atomic and idempotent (re-adding an item that is registered but
    // missing on disk puts it back); the result is a temporary root until the LocalStore is
    // destroyed. Invalid names throw BadStorePath and references to invalid paths throw
    // InvalidPath, leaving no row, no item and no temporary file behind.

    // A text item (like builtins.toFile and .drv files): path from the contents and references.
    StorePath addText(std::string_view name, std::string_view contents,
                      const StorePathSet& references);
    // Many text items at once (a whole derivation graph): the paths, in the order of `items`.
    // An item may refer to any other item of the batch. All or nothing: the items are
    // registered in one transaction, and a bad name or a reference that is neither valid nor in
    // the batch writes nothing. Much cheaper per item than addText: one gc-lock acquisition, one
    // look-up transaction and one write transaction for the whole batch.
    std::vector<StorePath> addTexts(const std::vector<TextItem>& items);
    // Copies `srcPath` into the store. Flat: a single regular file hashed flat. Recursive with
    // SHA256: a source path whose references are those of `candidates` found in its NAR.
    // Anything else: a fixed-output path (like `nix-store --add-fixed`), without references.
    StorePath addPath(const std::string& srcPath, std::string_view name,
                      FileIngestion method = FileIngestion::Recursive,
                      HashAlgo algo = HashAlgo::SHA256, const StorePathSet& candidates = {});
    // The NAR hash and size of the file or tree at `srcPath` (what a recursive sha256 source item
    // of it would have), cached under the store's state directory by a signature of the tree's
    // metadata (names, modes, sizes, inodes, mtimes and ctimes of every entry): a source seen
    // before and unchanged is walked with lstat, not read. Any change to the tree is noticed.
    NarHash hashSource(const std::string& srcPath);
    // Restores a NAR read from `nar` (validated while restoring) as a recursive content-addressed
    // item. With `expected`, its algorithm chooses the path kind (sha256: source path; other:
    // fixed-output) and a mismatch throws StoreError with both hashes, registering nothing.
    StorePath addNar(std::string_view name, Source& nar,
                     const std::optional<Hash>& expected = std::nullopt,
                     const StorePathSet& candidates = {});
    // Restores a NAR as the known path info.path (e.g. from a binary cache): its NAR hash and
    // size must equal info's; info.references must be valid (or the path itself).
    void importNar(const ValidPathInfo& info, Source& nar);
    // Moves a file or directory built elsewhere (consumed: renamed or copied then deleted) into
    // place as `target` (input-addressed, known in advance), with references scanned for among
    // `candidates` and the target itself. If target is already valid the build is discarded.
    ValidPathInfo registerOutput(const std::string& builtPath, const StorePath& target,
                                 const StorePathSet& candidates,
                                 const std::optional<StorePath>& deriver = std::nullopt);
    // Several outputs of one build at once (one may refer to another), like registerOutput but
    // all or nothing in ONE transaction: each is scanned for references among `candidates` and
    // every target. A cycle between them (a refers to b and b to a) is refused, as Nix does.
    // `ca` is the content address of a fixed output ("fixed:r:sha256:...", see
    // ValidPathInfo::ca), empty for input-addressed ones. Targets already valid keep their
    // registration and their build is discarded. Returns the infos in the order given.
    struct BuiltOutput {
        std::string builtPath;
        StorePath target;
        std::string ca;
    };
    std::vector<ValidPathInfo> registerOutputs(const std::vector<BuiltOutput>& outputs,
                                               const StorePathSet& candidates,
                                               const std::optional<StorePath>& deriver);
    // Records a derivation's outputs (the .drv must be valid).
    void registerDerivationOutputs(const StorePath& drv,
                                   const std::map<std::string, StorePath>& outputs);
    std::map<std::string, StorePath> queryDerivationOutputs(const StorePath& drv);

    // --- Queries.
    bool isValid(const StorePath& p);
    // Throws InvalidPath.
    ValidPathInfo queryPathInfo(const StorePath& p);
    std::optional<ValidPathInfo> queryPathInfoOpt(const StorePath& p);
    StorePathSet queryReferences(const StorePath& p);
    StorePathSet queryReferrers(const StorePath& p);
    // The paths and everything they refer to, transitively. Throws InvalidPath.
    StorePathSet computeClosure(const StorePathSet& paths);
    StorePathSet queryAllValidPaths();

    // NAR of a valid item; throws InvalidPath, or StoreError if registered but missing on disk.
    void dump(const StorePath& p, Sink& sink);
    // Contents of a valid item that is a regular file.
    std::string readText(const StorePath& p);

    // --- Roots. A root is a symlink under var/ferrix/gcroots (searched recursively) pointing at
    // a store path, or at a symlink elsewhere that points at one (an indirect root).

    // rootName without '/': creates gcroots/<rootName> -> path. Otherwise it is a link path:
    // creates that symlink -> path plus an indirect root gcroots/auto/<hash> -> link. Replaces an
    // existing root of that name atomically. Returns the symlink created for the user.
    std::string addRoot(const StorePath& p, const std::string& rootNameOrLink);
    void removeRoot(const std::string& rootNameOrLink);
    // Root symlink -> store path. Dangling indirect roots are removed when found.
    std::map<std::string, StorePath> findRoots();
    // Keeps `p` alive while this LocalStore is open (a per-process, flock-held file).
    void addTempRoot(const StorePath& p);

    GcResult collectGarbage(const GcOptions& options = {});
    // Re-hashes every valid item and checks references. With repair, invalidates and deletes
    // bad items and, transitively, everything referring to them.
    VerifyResult verify(bool repair = false);

    // Defined in lib/store-impl.hh; named here only so lib/store-*.cc can share it.
    struct Impl;

private:
    std::unique_ptr<Impl> impl;
};

} // namespace ferrix
