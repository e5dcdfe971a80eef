// The outputs of a build: their locks, the checks they must pass (existence, a fixed output's
// hash, a --check rebuild's equality with the valid output) and their registration.
#pragma once

#include "ferrix/build-events.hh"
#include "ferrix/derivation.hh"
#include "ferrix/hash.hh"
#include "ferrix/lock.hh"
#include "ferrix/store.hh"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferrix {

// An output's store path and where it is being built.
struct OutputPlace {
    StorePath path;
    std::string builtAt;
};
using OutputPlaces = std::map<std::string, OutputPlace>; // by output name

// The locks of outputs being made, taken in path order so that two processes cannot deadlock;
// a Waiting event is reported for each one another process holds. Released on destruction.
class OutputLocks {
public:
    OutputLocks(LocalStore& store, std::vector<StorePath> paths,
                const std::function<void(const BuildEvent&)>& report);

private:
    std::vector<PathLock> locks;
};

// "hash mismatch in fixed-output derivation 'DRV' (downloaded from URL): expected..., actual...",
// with how to update the definition; `url` may be empty.
std::string hashMismatchMessage(const std::string& drvPath, const std::string& url,
                                const Hash& expected, const Hash& actual);

// The output's declared hash: "sha256" (flat) or "r:sha256" (recursive) and hex.
struct FixedHash {
    Hash hash;
    bool recursive;
    static FixedHash of(const DerivationOutput& out);
    // The content address recorded with such an output: "fixed:[r:]sha256:NIX32".
    std::string contentAddress() const;
};

// Every output must exist at its place and a fixed output must have the hash it promised (`url`:
// where it was downloaded from, if it was). Returns the outputs' content address ("" for
// input-addressed ones). Throws BuildError.
std::string checkBuiltOutputs(const Derivation& drv, const std::string& drvPath,
                              const OutputPlaces& outputs, const LocalStore& store,
                              const std::string& url = "");

// --check: each rebuilt output must have the valid one's NAR hash; throws BuildError listing the
// files that differ.
void compareWithValidOutputs(LocalStore& store, const std::string& drvPath,
                             const OutputPlaces& outputs);

// Moves the outputs into the store and registers them, in one transaction, scanned for
// references among `closure` and each other; with a deriver, also records its output mapping.
void registerBuiltOutputs(LocalStore& store, const OutputPlaces& outputs, const std::string& ca,
                          const StorePathSet& closure, const std::optional<StorePath>& deriver);

} // namespace ferrix
