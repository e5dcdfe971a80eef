// Store primitives: open/close, adds, queries, roots. Conversions and the boundary only; the
// keyword API is (ferrix store).
#include "convert.hh"
#include "guard.hh"
#include "primitive.hh"
#include "store-object.hh"

#include "ferrix/error.hh"
#include "ferrix/file.hh"
#include "ferrix/stream.hh"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ferrix::guile {

namespace {

SCM storeType = SCM_BOOL_F;

StoreHandle* handleOf(SCM obj) {
    return reinterpret_cast<StoreHandle*>(SCM_STRUCT_DATA_REF(obj, 0));
}

void setHandle(SCM obj, StoreHandle* h) {
    SCM_STRUCT_DATA_SET(obj, 0, reinterpret_cast<scm_t_bits>(h));
}

void finalizeStore(SCM obj) {
    StoreHandle* h = handleOf(obj);
    if (!h) return;
    setHandle(obj, nullptr);
    delete h; // destructors do not throw
}

bool isStoreObject(SCM obj) {
    return scm_is_true(storeType) && SCM_STRUCTP(obj) &&
           scm_is_eq(SCM_STRUCT_VTABLE(obj), storeType);
}

// Scheme side: the handle of a store object, null once closed.
StoreHandle* storePointer(SCM obj, int pos, const char* subr) {
    if (!isStoreObject(obj)) scm_wrong_type_arg_msg(subr, pos, obj, "ferrix store");
    return handleOf(obj);
}

// #<ferrix-store ROOT> or #<ferrix-store closed>. Scheme side only.
SCM printStore(SCM obj, SCM port) {
    port = SCM_COERCE_OUTPORT(port); // a port with a print state, as printers get
    StoreHandle* h = handleOf(obj);
    scm_puts("#<ferrix-store ", port);
    if (h)
        scm_display(scm_from_utf8_string(h->store.root().c_str()), port);
    else
        scm_puts("closed", port);
    scm_puts(">", port);
    return SCM_UNSPECIFIED;
}

std::vector<std::string> printAll(LocalStore& store, const StorePathSet& paths) {
    std::vector<std::string> out;
    out.reserve(paths.size());
    for (auto& p : paths)
        out.push_back(store.printStorePath(p));
    return out;
}

// A list of strings; inside scheme() only.
SCM stringList(const std::vector<std::string>& strings) {
    SCM list = SCM_EOL;
    for (auto it = strings.rbegin(); it != strings.rend(); ++it)
        list = scm_cons(utf8(*it), list);
    return list;
}

// --- Primitives.

#define SUBR "%open-store"
SCM primOpenStore(SCM root, SCM storeDir) {
    checkStringOrFalse(root, 1, SUBR);
    checkStringOrFalse(storeDir, 2, SUBR);
    initStoreType();
    StoreHandle* handle = nullptr;
    guarded(SUBR, [&] {
        auto config = StoreConfig::resolve(toStringOpt(root), toStringOpt(storeDir));
        handle = new StoreHandle(config);
        return SCM_UNSPECIFIED;
    });
    // Nothing with a destructor is alive here; if making the object fails, the handle leaks
    // (out of Scheme memory) rather than being freed twice.
    // The initial value of an unboxed field is given as a Scheme integer: 0, then the pointer.
    SCM obj = scm_c_make_struct(storeType, 0, 1, SCM_UNPACK(SCM_INUM0));
    setHandle(obj, handle);
    return obj;
}
#undef SUBR

#define SUBR "%close-store"
SCM primCloseStore(SCM obj) {
    StoreHandle* h = storePointer(obj, 1, SUBR);
    if (!h) return SCM_UNSPECIFIED; // closing twice is harmless
    setHandle(obj, nullptr);
    return guarded(SUBR, [&] {
        delete h;
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

SCM primStore(SCM obj) {
    return scm_from_bool(isStoreObject(obj));
}

SCM primStoreOpen(SCM obj) {
    return scm_from_bool(storePointer(obj, 1, "%store-open?") != nullptr);
}

#define SUBR "%store-dir"
SCM primStoreDir(SCM obj) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(h->store.storeDir().dir()); });
}
#undef SUBR

#define SUBR "%store-root"
SCM primStoreRoot(SCM obj) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(h->store.root()); });
}
#undef SUBR

#define SUBR "%store-real-path"
SCM primStoreRealPath(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    return guarded(SUBR, [&] {
        // A path inside an item maps to the same place inside the item's physical copy.
        std::string p = toString(path);
        StorePath item = h->store.storeDir().toStorePath(p);
        std::string base = h->store.printStorePath(item);
        return fromString(h->store.realPath(item) + p.substr(base.size()));
    });
}
#undef SUBR

#define SUBR "%add-text-to-store"
SCM primAddTextToStore(SCM obj, SCM name, SCM text, SCM refs) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(name, 2, SUBR);
    checkStringOrBytevector(text, 3, SUBR);
    checkList(refs, 4, SUBR);
    return guarded(SUBR, [&] {
        std::string n = toString(name);
        std::string contents = toBytes(text);
        StorePathSet references;
        for (auto& r : toStringList(refs, SUBR, 4))
            references.insert(h->store.parseStorePath(r));
        StorePath p = h->store.addText(n, contents, references);
        return fromString(h->store.printStorePath(p));
    });
}
#undef SUBR

#define SUBR "%add-to-store"
SCM primAddToStore(SCM obj, SCM basename, SCM recursive, SCM algo, SCM file, SCM candidates) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(basename, 2, SUBR);
    checkSymbolOrString(algo, 4, SUBR);
    checkString(file, 5, SUBR);
    checkList(candidates, 6, SUBR);
    bool rec = scm_is_true(recursive);
    return guarded(SUBR, [&] {
        std::string name = toString(basename);
        HashAlgo a = parseHashAlgo(toName(algo));
        std::string src = absPath(toString(file));
        StorePathSet cands;
        for (auto& c : toStringList(candidates, SUBR, 6))
            cands.insert(h->store.parseStorePath(c));
        StorePath p = h->store.addPath(
            src, name, rec ? FileIngestion::Recursive : FileIngestion::Flat, a, cands);
        return fromString(h->store.printStorePath(p));
    });
}
#undef SUBR

#define SUBR "%source-hash"
SCM primSourceHash(SCM obj, SCM file) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(file, 2, SUBR);
    return guarded(SUBR, [&] {
        NarHash r = h->store.hashSource(toString(file));
        return scheme([&] { return bytevector(r.hash.view()); });
    });
}
#undef SUBR

#define SUBR "%source-path"
SCM primSourcePath(SCM obj, SCM name, SCM hash) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(name, 2, SUBR);
    checkBytevector(hash, 3, SUBR);
    return guarded(SUBR, [&] {
        std::string n = toString(name);
        std::string bytes = toBytes(hash);
        if (bytes.size() != 32) throw Error("%source-path: not a sha256 hash");
        Hash hh(HashAlgo::SHA256);
        std::copy(bytes.begin(), bytes.end(), hh.bytes);
        StorePath p = h->store.storeDir().makeFixedOutputPath(n, FileIngestion::Recursive, hh, {});
        return fromString(h->store.printStorePath(p));
    });
}
#undef SUBR

#define SUBR "%valid-path?"
SCM primValidPath(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    bool valid = false;
    guarded(SUBR, [&] {
        std::string p = toString(path);
        valid = h->store.storeDir().isStorePath(p) && h->store.isValid(h->store.parseStorePath(p));
        return SCM_UNSPECIFIED;
    });
    return scm_from_bool(valid);
}
#undef SUBR

#define SUBR "%query-path-info"
SCM primQueryPathInfo(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    return guarded(SUBR, [&] {
        LocalStore& store = h->store;
        ValidPathInfo info = store.queryPathInfo(store.parseStorePath(toString(path)));
        std::string full = store.printStorePath(info.path);
        std::string deriver = info.deriver ? store.printStorePath(*info.deriver) : "";
        std::vector<std::string> refs = printAll(store, info.references);
        // #(path deriver-or-#f nar-hash nar-size references registration-time ca-or-#f)
        return scheme([&] {
            SCM refList = SCM_EOL;
            for (auto it = refs.rbegin(); it != refs.rend(); ++it)
                refList = scm_cons(utf8(*it), refList);
            SCM v = scm_c_make_vector(7, SCM_BOOL_F);
            scm_c_vector_set_x(v, 0, utf8(full));
            if (!deriver.empty()) scm_c_vector_set_x(v, 1, utf8(deriver));
            scm_c_vector_set_x(v, 2, bytevector(info.narHash.view()));
            scm_c_vector_set_x(v, 3, scm_from_uint64(info.narSize));
            scm_c_vector_set_x(v, 4, refList);
            scm_c_vector_set_x(v, 5, scm_from_int64(int64_t(info.registrationTime)));
            if (!info.ca.empty()) scm_c_vector_set_x(v, 6, utf8(info.ca));
            return v;
        });
    });
}
#undef SUBR

#define SUBR "%references"
SCM primReferences(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    return guarded(SUBR, [&] {
        LocalStore& store = h->store;
        return fromStringList(
            printAll(store, store.queryReferences(store.parseStorePath(toString(path)))));
    });
}
#undef SUBR

#define SUBR "%referrers"
SCM primReferrers(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    return guarded(SUBR, [&] {
        LocalStore& store = h->store;
        return fromStringList(
            printAll(store, store.queryReferrers(store.parseStorePath(toString(path)))));
    });
}
#undef SUBR

#define SUBR "%requisites"
SCM primRequisites(SCM obj, SCM paths) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkList(paths, 2, SUBR);
    return guarded(SUBR, [&] {
        LocalStore& store = h->store;
        StorePathSet set;
        for (auto& p : toStringList(paths, SUBR, 2))
            set.insert(store.parseStorePath(p));
        return fromStringList(printAll(store, store.computeClosure(set)));
    });
}
#undef SUBR

#define SUBR "%add-root"
SCM primAddRoot(SCM obj, SCM path, SCM name) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    checkString(name, 3, SUBR);
    return guarded(SUBR, [&] {
        LocalStore& store = h->store;
        return fromString(store.addRoot(store.parseStorePath(toString(path)), toString(name)));
    });
}
#undef SUBR

#define SUBR "%remove-root"
SCM primRemoveRoot(SCM obj, SCM name) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(name, 2, SUBR);
    return guarded(SUBR, [&] {
        h->store.removeRoot(toString(name));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%add-temp-root"
SCM primAddTempRoot(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    return guarded(SUBR, [&] {
        h->store.addTempRoot(h->store.parseStorePath(toString(path)));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%store-exists?"
// Whether a store has been created under the root that ROOT and STORE-DIR resolve to, so that
// a command can avoid creating one (dumping an ordinary file).
SCM primStoreExists(SCM root, SCM storeDir) {
    checkStringOrFalse(root, 1, SUBR);
    checkStringOrFalse(storeDir, 2, SUBR);
    bool exists = false;
    guarded(SUBR, [&] {
        exists = StoreConfig::resolve(toStringOpt(root), toStringOpt(storeDir)).exists();
        return SCM_UNSPECIFIED;
    });
    return scm_from_bool(exists);
}
#undef SUBR

#define SUBR "%dump-store-item"
SCM primDumpStoreItem(SCM obj, SCM path, SCM fd) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    int out = scm_to_int(fd);
    return guarded(SUBR, [&] {
        FdSink sink(out);
        h->store.dump(h->store.parseStorePath(toString(path)), sink);
        sink.flush();
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%find-roots"
SCM primFindRoots(SCM obj) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    return guarded(SUBR, [&] {
        std::vector<std::pair<std::string, std::string>> roots;
        for (auto& [link, p] : h->store.findRoots())
            roots.emplace_back(link, h->store.printStorePath(p));
        return scheme([&] {
            SCM list = SCM_EOL;
            for (auto it = roots.rbegin(); it != roots.rend(); ++it)
                list = scm_cons(scm_cons(utf8(it->first), utf8(it->second)), list);
            return list;
        });
    });
}
#undef SUBR

GcOptions::Action gcAction(const std::string& name) {
    if (name == "delete-dead") return GcOptions::Action::DeleteDead;
    if (name == "print-dead") return GcOptions::Action::PrintDead;
    if (name == "print-live") return GcOptions::Action::PrintLive;
    if (name == "delete-specific") return GcOptions::Action::DeleteSpecific;
    throw UsageError("unknown garbage collection action '" + name + "'");
}

#define SUBR "%collect-garbage"
SCM primCollectGarbage(SCM obj, SCM action, SCM paths, SCM maxFreed) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkSymbolOrString(action, 2, SUBR);
    checkList(paths, 3, SUBR);
    if (scm_is_true(maxFreed) && !scm_is_unsigned_integer(maxFreed, 0, UINT64_MAX))
        scm_wrong_type_arg_msg(SUBR, 4, maxFreed, "#f or a number of bytes");
    uint64_t limit = scm_is_true(maxFreed) ? scm_to_uint64(maxFreed) : UINT64_MAX;
    return guarded(SUBR, [&] {
        LocalStore& store = h->store;
        GcOptions options;
        options.action = gcAction(toName(action));
        options.maxFreed = limit;
        for (auto& p : toStringList(paths, SUBR, 3))
            options.paths.insert(store.parseStorePath(p));
        GcResult r = store.collectGarbage(options);
        std::vector<std::string> done = printAll(store, r.paths);
        return scheme([&] {
            return scm_list_4(stringList(done), scm_from_uint64(r.bytesFreed),
                              stringList(r.leftoversRemoved), stringList(r.warnings));
        });
    });
}
#undef SUBR

#define SUBR "%verify-store"
SCM primVerifyStore(SCM obj, SCM repair) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    bool rep = scm_is_true(repair);
    return guarded(SUBR, [&] {
        LocalStore& store = h->store;
        VerifyResult r = store.verify(rep);
        std::vector<std::string> missing = printAll(store, r.missing);
        std::vector<std::string> invalidated = printAll(store, r.invalidated);
        std::vector<std::string> corruptPaths;
        for (auto& c : r.corrupt)
            corruptPaths.push_back(store.printStorePath(c.path));
        return scheme([&] {
            SCM corrupt = SCM_EOL, bad = SCM_EOL;
            for (size_t i = r.corrupt.size(); i-- > 0;) {
                auto& c = r.corrupt[i];
                SCM v = scm_c_make_vector(6, SCM_BOOL_F);
                scm_c_vector_set_x(v, 0, utf8(corruptPaths[i]));
                if (!c.error.empty()) scm_c_vector_set_x(v, 1, utf8(c.error));
                scm_c_vector_set_x(v, 2, bytevector(c.expectedHash.view()));
                scm_c_vector_set_x(v, 3, bytevector(c.actualHash.view()));
                scm_c_vector_set_x(v, 4, scm_from_uint64(c.expectedSize));
                scm_c_vector_set_x(v, 5, scm_from_uint64(c.actualSize));
                corrupt = scm_cons(v, corrupt);
            }
            for (auto it = r.badReferences.rbegin(); it != r.badReferences.rend(); ++it)
                bad = scm_cons(scm_cons(utf8(it->first), utf8(it->second)), bad);
            return scm_list_5(scm_from_size_t(r.checked), stringList(missing), corrupt, bad,
                              stringList(invalidated));
        });
    });
}
#undef SUBR

const Primitive storePrimitives[] = {
    {"%open-store", 2, 0, 0, asSubr(primOpenStore),
     "Open the store rooted at ROOT whose logical store directory is STORE-DIR (strings, or #f\n"
     "for the defaults), creating it if needed, and return it."},
    {"%close-store", 1, 0, 0, asSubr(primCloseStore),
     "Close STORE, releasing its locks and temporary roots; closing it again does nothing."},
    {"%store?", 1, 0, 0, asSubr(primStore), "Return true if OBJ is a store, open or closed."},
    {"%store-open?", 1, 0, 0, asSubr(primStoreOpen), "Return true if STORE is not closed."},
    {"%store-dir", 1, 0, 0, asSubr(primStoreDir),
     "Return the logical store directory of STORE, such as \"/nix/store\"."},
    {"%store-root", 1, 0, 0, asSubr(primStoreRoot), "Return the directory STORE lives under."},
    {"%store-real-path", 2, 0, 0, asSubr(primStoreRealPath),
     "Return where PATH, a store item of STORE or a file inside one, is on disk."},
    {"%store-exists?", 2, 0, 0, asSubr(primStoreExists),
     "Return true if the store that ROOT and STORE-DIR (strings or #f) designate has been\n"
     "created, without creating it."},
    {"%add-text-to-store", 4, 0, 0, asSubr(primAddTextToStore),
     "Add TEXT, a string (as UTF-8) or a bytevector, to STORE as the text item NAME referring\n"
     "to the store paths REFERENCES; return its store path."},
    {"%add-to-store", 6, 0, 0, asSubr(primAddToStore),
     "Copy FILE into STORE as BASENAME, as a tree when RECURSIVE? or a regular file otherwise,\n"
     "hashed with ALGO; scan it for references to the store paths CANDIDATES; return its store\n"
     "path."},
    {"%source-hash", 2, 0, 0, asSubr(primSourceHash),
     "Return the NAR sha256 of FILE, a tree outside the store, as a bytevector (cached by\n"
     "STORE)."},
    {"%source-path", 3, 0, 0, asSubr(primSourcePath),
     "Return the store path of a source item NAME whose NAR sha256 is the bytevector HASH."},
    {"%valid-path?", 2, 0, 0, asSubr(primValidPath),
     "Return true if PATH is a valid item of STORE."},
    {"%query-path-info", 2, 0, 0, asSubr(primQueryPathInfo),
     "Return what STORE knows about the valid item PATH: #(PATH DERIVER NAR-HASH NAR-SIZE\n"
     "REFERENCES REGISTRATION-TIME CA), DERIVER and CA #f when absent."},
    {"%references", 2, 0, 0, asSubr(primReferences),
     "Return the store paths that the valid item PATH of STORE refers to."},
    {"%referrers", 2, 0, 0, asSubr(primReferrers),
     "Return the valid items of STORE that refer to PATH."},
    {"%requisites", 2, 0, 0, asSubr(primRequisites),
     "Return the closure of the store paths PATHS in STORE, sorted."},
    {"%add-root", 3, 0, 0, asSubr(primAddRoot),
     "Make NAME a GC root of STORE for PATH and return the symlink created."},
    {"%remove-root", 2, 0, 0, asSubr(primRemoveRoot), "Remove the GC root NAME of STORE."},
    {"%find-roots", 1, 0, 0, asSubr(primFindRoots),
     "Return the GC roots of STORE as an alist of root symlinks and store paths, sorted."},
    {"%add-temp-root", 2, 0, 0, asSubr(primAddTempRoot), "Keep PATH alive while STORE is open."},
    {"%dump-store-item", 3, 0, 0, asSubr(primDumpStoreItem),
     "Write the NAR of PATH, a valid item of STORE, to the file descriptor FD."},
    {"%collect-garbage", 4, 0, 0, asSubr(primCollectGarbage),
     "Collect garbage in STORE. ACTION: delete-dead, print-dead, print-live or delete-specific\n"
     "(the store paths PATHS); stop once MAX-FREED bytes (#f: no limit) are freed. Return\n"
     "(PATHS BYTES-FREED LEFTOVERS WARNINGS): the paths deleted or printed, sorted, the\n"
     "leftovers removed, and what was skipped (junk in the store's directories), as sentences."},
    {"%verify-store", 2, 0, 0, asSubr(primVerifyStore),
     "Re-hash every item of STORE against its database; with REPAIR?, invalidate and delete\n"
     "bad items and their referrers. Return (CHECKED MISSING CORRUPT BAD-REFERENCES\n"
     "INVALIDATED); CORRUPT is a list of #(PATH ERROR EXPECTED-HASH ACTUAL-HASH EXPECTED-SIZE\n"
     "ACTUAL-SIZE), BAD-REFERENCES a list of (REFERRER . REFERENCE)."},
};

} // namespace

StoreHandle::StoreHandle(const StoreConfig& config)
    : store(config), drvHashes(directoryResolver(store.storeDir(), store.realStoreDir())) {}

void initStoreType() {
    // A plain struct vtable with one unboxed slot and an instance finalizer, made when the first
    // store is opened. Not scm_make_foreign_object_type: that goes through (system
    // foreign-object), which loads GOOPS (20-26 ms at the first open-store of every command).
    // Until then no object can be a store.
    if (scm_is_true(storeType)) return;
    SCM printer =
        scm_c_make_gsubr("ferrix-store-printer", 2, 0, 0, reinterpret_cast<scm_t_subr>(printStore));
    SCM type = scm_make_vtable(scm_from_utf8_string("uw"), printer);
    scm_set_struct_vtable_name_x(type, scm_from_utf8_symbol("ferrix-store"));
    SCM_SET_VTABLE_INSTANCE_FINALIZER(type, finalizeStore);
    storeType = scm_permanent_object(type);
}

StoreHandle* storeArg(SCM obj, int pos, const char* subr) {
    StoreHandle* h = storePointer(obj, pos, subr);
    if (!h) raiseFerrixError(subr, "store-error", "store is closed");
    return h;
}

void defineStorePrimitives() {
    definePrimitives(storePrimitives);
}

} // namespace ferrix::guile
