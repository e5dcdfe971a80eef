// Derivation primitives: %derivation builds and writes a .drv with the core's construction
// (output paths, hash modulo of inputs read from the store), %read-derivation parses one. Both
// return the derivation as a list of its fields, which (ferrix derivations) turns into records:
//   (FILE-NAME OUTPUTS INPUTS SOURCES SYSTEM BUILDER ARGS ENV)
//   OUTPUTS ((NAME PATH HASH-ALGO HASH-HEX) ...)   HASH-ALGO "r:sha256", "sha1" or ""
//   INPUTS  ((DRV-PATH OUTPUT ...) ...)   SOURCES (PATH ...)   ARGS (STRING ...)
//   ENV     ((KEY . VALUE) ...)
#include "convert.hh"
#include "guard.hh"
#include "primitive.hh"
#include "store-object.hh"

#include "ferrix/derivation.hh"
#include "ferrix/file.hh"

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <vector>

namespace ferrix::guile {

namespace {

SCM derivationFields(const StoreDir& storeDir, const std::string& file, const Derivation& drv) {
    // Paths printed first: the trampoline's lambda creates no C++ object.
    std::vector<std::string> outPaths, inputPaths, sourcePaths;
    for (auto& [o, out] : drv.outputs)
        outPaths.push_back(out.path ? storeDir.print(*out.path) : "");
    for (auto& [p, outs] : drv.inputDrvs)
        inputPaths.push_back(storeDir.print(p));
    for (auto& p : drv.inputSrcs)
        sourcePaths.push_back(storeDir.print(p));
    return scheme([&] {
        SCM outputs = SCM_EOL, inputs = SCM_EOL, sources = SCM_EOL, args = SCM_EOL, env = SCM_EOL;
        size_t i = outPaths.size();
        for (auto it = drv.outputs.rbegin(); it != drv.outputs.rend(); ++it)
            outputs = scm_cons(scm_list_4(utf8(it->first), utf8(outPaths[--i]),
                                          utf8(it->second.hashAlgo), utf8(it->second.hash)),
                               outputs);
        i = inputPaths.size();
        for (auto it = drv.inputDrvs.rbegin(); it != drv.inputDrvs.rend(); ++it) {
            SCM outs = SCM_EOL;
            for (auto o = it->second.rbegin(); o != it->second.rend(); ++o)
                outs = scm_cons(utf8(*o), outs);
            inputs = scm_cons(scm_cons(utf8(inputPaths[--i]), outs), inputs);
        }
        for (auto it = sourcePaths.rbegin(); it != sourcePaths.rend(); ++it)
            sources = scm_cons(utf8(*it), sources);
        for (auto it = drv.args.rbegin(); it != drv.args.rend(); ++it)
            args = scm_cons(utf8(*it), args);
        for (auto it = drv.env.rbegin(); it != drv.env.rend(); ++it)
            env = scm_cons(scm_cons(utf8(it->first), utf8(it->second)), env);
        return scm_list_n(utf8(file), outputs, inputs, sources, utf8(drv.platform),
                          utf8(drv.builder), args, env, SCM_UNDEFINED);
    });
}

#define SUBR "%derivation"
// STORE NAME SYSTEM BUILDER ARGS ENV INPUTS SOURCES OUTPUTS FIXED
//   ENV ((KEY . VALUE) ...), written as given (output names get their paths);
//   INPUTS ((DRV-PATH OUTPUT ...) ...); SOURCES (STORE-PATH ...); OUTPUTS (NAME ...);
//   FIXED #f, or (HASH-ALGO HASH RECURSIVE?) with HASH a bytevector or a string in any
//   encoding Hash::parse knows (base16, nix32, base64, SRI).
SCM primDerivation(SCM store, SCM name, SCM system, SCM builder, SCM args, SCM env, SCM inputs,
                   SCM sources, SCM outputs, SCM fixed) {
    StoreHandle* h = storeArg(store, 1, SUBR);
    checkString(name, 2, SUBR);
    checkString(system, 3, SUBR);
    checkString(builder, 4, SUBR);
    checkList(args, 5, SUBR);
    checkList(env, 6, SUBR);
    checkList(inputs, 7, SUBR);
    checkList(sources, 8, SUBR);
    checkList(outputs, 9, SUBR);
    SCM fixedAlgo = SCM_BOOL_F, fixedHash = SCM_BOOL_F;
    bool recursive = false;
    if (scm_is_true(fixed)) {
        if (scm_ilength(fixed) != 3)
            scm_wrong_type_arg_msg(SUBR, 10, fixed, "#f or (ALGO HASH RECURSIVE?)");
        fixedAlgo = scm_car(fixed);
        fixedHash = scm_cadr(fixed);
        recursive = scm_is_true(scm_caddr(fixed));
        checkSymbolOrString(fixedAlgo, 10, SUBR);
        checkStringOrBytevector(fixedHash, 10, SUBR);
    }
    return guarded(SUBR, [&] {
        Derivation drv;
        drv.name = toString(name);
        drv.platform = toString(system);
        drv.builder = toString(builder);
        drv.args = toStringList(args, SUBR, 5);
        for (auto& [k, v] : toStringAlist(env, SUBR, 6))
            drv.env.insert_or_assign(k, v);
        LocalStore& st = h->store;
        const StoreDir& storeDir = st.storeDir();
        for (auto& input : toStringLists(inputs, SUBR, 7)) {
            StorePath p = storeDir.parse(input[0]);
            if (!p.isDerivation())
                throw BadDerivation("input derivation '" + input[0] + "' is not a .drv file");
            auto& outs = drv.inputDrvs[p];
            if (input.size() == 1) outs.insert("out");
            outs.insert(input.begin() + 1, input.end());
        }
        for (auto& s : toStringList(sources, SUBR, 8))
            drv.inputSrcs.insert(storeDir.parse(s));
        for (auto& o : toStringList(outputs, SUBR, 9))
            drv.outputs[o] = {};
        if (drv.outputs.empty())
            throw BadDerivation("derivation '" + drv.name + "' has no outputs");

        if (scm_is_true(fixed)) {
            HashAlgo algo = parseHashAlgo(toName(fixedAlgo));
            Hash hash(algo);
            if (scm_is_bytevector(fixedHash)) {
                std::string bytes = toBytes(fixedHash);
                if (bytes.size() != hash.size)
                    throw BadHash("a " + std::string(algoName(algo)) + " hash has " +
                                  std::to_string(hash.size) + " bytes, not " +
                                  std::to_string(bytes.size()));
                std::copy(bytes.begin(), bytes.end(), hash.bytes);
            } else {
                hash = Hash::parse(toString(fixedHash), algo);
            }
            fillFixedOutput(drv, storeDir,
                            recursive ? FileIngestion::Recursive : FileIngestion::Flat, hash);
        } else {
            std::lock_guard lock(h->drvMutex);
            fillInputAddressedOutputs(drv, storeDir, h->drvHashes);
        }
        StorePath path = st.addText(drv.name + ".drv", unparse(storeDir, drv, false),
                                    derivationReferences(storeDir, drv));
        std::string file = st.printStorePath(path);
        {
            std::lock_guard lock(h->drvMutex);
            h->drvHashes.add(file, drv);
        }
        return derivationFields(storeDir, file, drv);
    });
}
#undef SUBR

#define SUBR "%read-derivation"
// FILE: the derivation in FILE, its name taken from the file name ("<hash>-NAME.drv").
SCM primReadDerivation(SCM file) {
    checkString(file, 1, SUBR);
    return guarded(SUBR, [&] {
        std::string f = toString(file);
        DerivationFile d = readDerivationFile(f);
        return derivationFields(d.storeDir, f, d.drv);
    });
}
#undef SUBR

#define SUBR "%derivations->json"
// The derivation's name is its file's, less the store hash and ".drv", as %read-derivation takes
// it; each derivation is keyed by its file's absolute name, as `nix show-derivation` prints it.
SCM primDerivationsToJson(SCM files) {
    checkList(files, 1, SUBR);
    return guarded(SUBR, [&] {
        nlohmann::ordered_json all = nlohmann::ordered_json::object();
        for (auto& f : toStringList(files, SUBR, 1)) {
            DerivationFile d = readDerivationFile(f);
            all.update(derivationToJson(d.storeDir, absPath(f), d.drv));
        }
        // Bytes, not a string: the text is UTF-8 whatever the locale of the output port.
        return fromBytes(all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    });
}
#undef SUBR

const Primitive derivationPrimitives[] = {
    {"%derivation", 10, 0, 0, asSubr(primDerivation),
     "Write to STORE the derivation NAME running BUILDER with ARGS on SYSTEM and return its\n"
     "fields.  ENV is an alist of strings (output names get their paths); INPUTS a list of\n"
     "(DRV-PATH OUTPUT ...); SOURCES a list of store paths; OUTPUTS a list of names; FIXED #f or\n"
     "(HASH-ALGO HASH RECURSIVE?), HASH a bytevector or a string in base16, nix32, base64 or SRI."},
    {"%read-derivation", 1, 0, 0, asSubr(primReadDerivation),
     "Return the fields of the derivation in FILE, its name taken from the file name\n"
     "(\"HASH-NAME.drv\") and its store directory from its paths."},
    {"%derivations->json", 1, 0, 0, asSubr(primDerivationsToJson),
     "Return the derivations in FILES, a list of .drv file names, as one JSON object in the\n"
     "shape of `nix show-derivation`: its UTF-8 text, in a bytevector."},
};

} // namespace

void defineDerivationPrimitives() {
    definePrimitives(derivationPrimitives);
}

} // namespace ferrix::guile
