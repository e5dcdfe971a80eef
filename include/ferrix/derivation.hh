// Derivations: the model, the ATerm text of .drv files (byte-compatible with Nix/Guix), the hash
// "modulo" fixed-output inputs that input-addressed output paths are computed from, and the
// construction of output and .drv paths. See doc/formats.md, section 4.
#pragma once

#include "ferrix/hash.hh"
#include "ferrix/store-path.hh"

#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ferrix {

struct DerivationOutput {
    // None only while construction computes it (the masked text hashed for input-addressed
    // outputs writes it empty).
    std::optional<StorePath> path;
    // Fixed outputs: "sha256" (flat) or "r:sha256" (recursive) and the lower-case hex hash.
    // Both empty for input-addressed outputs.
    std::string hashAlgo;
    std::string hash;

    bool isFixed() const { return !hash.empty(); }
    bool operator==(const DerivationOutput&) const = default;
};

// Input .drv -> names of the outputs used. Store paths of one directory order as their full
// paths do, bytewise: the order the ATerm needs.
using DerivationInputs = std::map<StorePath, std::set<std::string>>;
// The same, keyed by text: the hashes that replace input paths in hashDerivationModulo.
using DerivationInputKeys = std::map<std::string, std::set<std::string>>;

// Paths are store paths, printed and parsed in the StoreDir of the store the derivation is in.
struct Derivation {
    std::map<std::string, DerivationOutput> outputs;
    DerivationInputs inputDrvs;
    StorePathSet inputSrcs;
    std::string platform; // "system"
    std::string builder;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    // Not part of the text: the .drv's name without ".drv" (normally env["name"]).
    std::string name;

    // Exactly one output, "out", with a hash.
    bool isFixedOutput() const;
    bool operator==(const Derivation&) const = default;
};

// The ATerm, no spaces, no trailing newline, paths printed in `storeDir`. maskOutputs blanks
// every output path and every env value whose key is an output name; actualInputs, if given, is
// written instead of inputDrvs (hashDerivationModulo uses both).
std::string unparse(const StoreDir& storeDir, const Derivation& drv, bool maskOutputs,
                    const DerivationInputKeys* actualInputs = nullptr);

// Strict parser for .drv text: accepts exactly what unparse() writes, so unparse(parse(t)) == t
// and the .drv path recomputed from a parsed derivation is the file's own. Throws
// BadDerivation("bad derivation at byte N: ...") for truncation, trailing bytes, unterminated
// strings, a backslash in a raw field, escapes other than \" \\ \n \r \t or a raw LF/CR/TAB
// in an escaped one, unsorted or duplicate keys, relative paths, bad output names and malformed
// fixed-output hashes. An empty `name` is taken from env["name"]. Every path must be a store path
// in `storeDir` (input derivations ending in ".drv"); without one, in the directory of the first
// output path (see derivationStoreDir).
Derivation parseDerivation(std::string_view aterm, std::string name = "",
                           const StoreDir* storeDir = nullptr);
// The store directory of a .drv's text read without its store: that of its first output path.
// Throws BadDerivation.
StoreDir derivationStoreDir(std::string_view aterm);

// A .drv file read without its store: its name taken from the file name ("HASH-NAME.drv"), its
// store directory from its paths. Throws BadDerivation naming the file.
struct DerivationFile {
    StoreDir storeDir;
    Derivation drv;
};
DerivationFile readDerivationFile(const std::string& file);

// Reads the derivation stored at a full .drv path (the store plugs in reading from itself).
using DerivationResolver = std::function<Derivation(const std::string& drvPath)>;

// Resolves from a map; throws InvalidPath for unknown paths. An lvalue map is used by reference
// (the caller keeps it alive and may keep adding to it); a temporary one is moved in.
DerivationResolver memoryResolver(const std::map<std::string, Derivation>& drvs);
DerivationResolver memoryResolver(std::map<std::string, Derivation>&& drvs);
// Reads "<physicalDir>/<base name>" for a path in storeDir: a chroot store or a copy of one.
DerivationResolver directoryResolver(const StoreDir& storeDir, std::string physicalDir);

// Memoised unmasked hashDerivationModulo of input derivations, keyed by drv path, so that a large
// graph reads and hashes each derivation once.
class DrvHashes {
public:
    explicit DrvHashes(DerivationResolver resolve) : resolve(std::move(resolve)) {}
    // The hash of the derivation at drvPath, reading it (and its inputs) on first use.
    const Hash& get(const std::string& drvPath);
    // Records a derivation just built in memory, so that no resolver is needed for it later.
    const Hash& add(const std::string& drvPath, const Derivation& drv);
    size_t size() const { return cache.size(); }

private:
    DerivationResolver resolve;
    std::unordered_map<std::string, Hash> cache;
    std::unordered_set<std::string> inProgress;
};

// Fixed-output: sha256("fixed:out:<hashAlgo>:<hex>:<out path>"), whatever maskOutputs says.
// Otherwise sha256 of the ATerm with each input drv replaced by the hex of its own (unmasked)
// hash, outputs merged for equal hashes, and outputs masked if asked.
Hash hashDerivationModulo(const StoreDir& storeDir, const Derivation& drv, bool maskOutputs,
                          DrvHashes& hashes);

// Checks what construction needs: a valid name (also as "<name>.drv"), output names that give
// valid path names and are not "drv", a fixed output only alone and named "out", a platform the
// raw ATerm field can hold, input derivations that are .drv files, output paths. Throws
// BadDerivation.
void checkDerivation(const Derivation& drv);

// Input-addressed construction: for each output o (already in drv.outputs, paths ignored),
// env[o] = "" and no path, H = hashDerivationModulo(drv, true), then path_o =
// makeOutputPath(o, H, drv.name) and env[o] = path_o.
void fillInputAddressedOutputs(Derivation& drv, const StoreDir& storeDir, DrvHashes& hashes);

// Fixed-output construction: outputs = {"out": (path, "[r:]algo", hex)} and env["out"] = path,
// path = makeFixedOutputPath(drv.name, method, hash). Any other output is an error.
void fillFixedOutput(Derivation& drv, const StoreDir& storeDir, FileIngestion method,
                     const Hash& hash);

// inputSrcs ∪ input drv paths, as store paths: the .drv file's references.
StorePathSet derivationReferences(const StoreDir& storeDir, const Derivation& drv);
// makeTextPath(name + ".drv", sha256(unparse(drv)), references), as a full path.
std::string drvPathOf(const StoreDir& storeDir, const Derivation& drv);

// `nix show-derivation` shape, keys in Nix's order: {drvPath: {outputs: {name: {path, hashAlgo?,
// hash?}}, inputSrcs, inputDrvs, system, builder, args, env}} (include <nlohmann/json.hpp> to
// use it). Env values may hold bytes that are not UTF-8: dump with error_handler_t::replace.
nlohmann::ordered_json derivationToJson(const StoreDir& storeDir, const std::string& drvPath,
                                        const Derivation& drv);

} // namespace ferrix
