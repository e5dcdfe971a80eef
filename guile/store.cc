// Store primitives: open/close, adds, queries, roots. Conversions and the boundary only; the
// keyword API is (ferrix store).
#include "convert.hh"
#include "guard.hh"
#include "store-object.hh"

#include "ferrix/file.hh"

#include <algorithm>
#include <string>
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

// --- Primitives.

#define SUBR "%open-store"
SCM openStore(SCM root, SCM storeDir) {
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
SCM closeStore(SCM obj) {
    StoreHandle* h = storePointer(obj, 1, SUBR);
    if (!h) return SCM_UNSPECIFIED; // closing twice is harmless
    setHandle(obj, nullptr);
    return guarded(SUBR, [&] {
        delete h;
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

SCM isStore(SCM obj) {
    return scm_from_bool(isStoreObject(obj));
}

SCM isOpen(SCM obj) {
    return scm_from_bool(storePointer(obj, 1, "%store-open?") != nullptr);
}

#define SUBR "%store-dir"
SCM storeDirectory(SCM obj) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(h->store.storeDir().dir()); });
}
#undef SUBR

#define SUBR "%store-root"
SCM storeRoot(SCM obj) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(h->store.root()); });
}
#undef SUBR

#define SUBR "%store-real-path"
SCM storeRealPath(SCM obj, SCM path) {
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
SCM addTextToStore(SCM obj, SCM name, SCM text, SCM refs) {
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
SCM addToStore(SCM obj, SCM basename, SCM recursive, SCM algo, SCM file, SCM candidates) {
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
SCM sourceHash(SCM obj, SCM file) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(file, 2, SUBR);
    return guarded(SUBR, [&] {
        NarHash r = h->store.hashSource(toString(file));
        return scheme([&] { return bytevector(r.hash.view()); });
    });
}
#undef SUBR

#define SUBR "%source-path"
SCM sourcePath(SCM obj, SCM name, SCM hash) {
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
SCM validPath(SCM obj, SCM path) {
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
SCM queryPathInfo(SCM obj, SCM path) {
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
SCM references(SCM obj, SCM path) {
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
SCM referrers(SCM obj, SCM path) {
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
SCM requisites(SCM obj, SCM paths) {
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
SCM addRoot(SCM obj, SCM path, SCM name) {
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
SCM removeRoot(SCM obj, SCM name) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(name, 2, SUBR);
    return guarded(SUBR, [&] {
        h->store.removeRoot(toString(name));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%add-temp-root"
SCM addTempRoot(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    return guarded(SUBR, [&] {
        h->store.addTempRoot(h->store.parseStorePath(toString(path)));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

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
    auto def = [](const char* name, int req, auto fn) {
        scm_c_define_gsubr(name, req, 0, 0, reinterpret_cast<scm_t_subr>(fn));
    };
    def("%open-store", 2, openStore);
    def("%close-store", 1, closeStore);
    def("%store?", 1, isStore);
    def("%store-open?", 1, isOpen);
    def("%store-dir", 1, storeDirectory);
    def("%store-root", 1, storeRoot);
    def("%store-real-path", 2, storeRealPath);
    def("%add-text-to-store", 4, addTextToStore);
    def("%add-to-store", 6, addToStore);
    def("%source-hash", 2, sourceHash);
    def("%source-path", 3, sourcePath);
    def("%valid-path?", 2, validPath);
    def("%query-path-info", 2, queryPathInfo);
    def("%references", 2, references);
    def("%referrers", 2, referrers);
    def("%requisites", 2, requisites);
    def("%add-root", 3, addRoot);
    def("%remove-root", 2, removeRoot);
    def("%add-temp-root", 2, addTempRoot);
}

} // namespace ferrix::guile
