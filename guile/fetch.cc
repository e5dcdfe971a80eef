// Fetch primitives: downloading into the store, and the command line's fetch settings.
// Conversions and the boundary only; the Scheme API is (ferrix download).
#include "convert.hh"
#include "extension.hh"
#include "guard.hh"
#include "primitive.hh"
#include "store-object.hh"

#include "ferrix/builtin-download.hh"
#include "ferrix/config.hh"

#include <string>

namespace ferrix::guile {

namespace {

#define SUBR "%download-to-store"
SCM primDownloadToStore(SCM obj, SCM url, SCM name, SCM executable) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(url, 2, SUBR);
    checkString(name, 3, SUBR);
    return guarded(SUBR, [&] {
        DownloadedFile f = downloadToStore(h->store, toString(url), toString(name),
                                           scm_is_true(executable), userFetchOptions());
        std::string path = h->store.printStorePath(f.path);
        std::string hash(f.sha256.view());
        return scheme([&] { return scm_cons(utf8(path), bytevector(hash)); });
    });
}
#undef SUBR

#define SUBR "%set-fetch-options!"
SCM primSetFetchOptions(SCM noConfig, SCM mirrors, SCM contentMirrors, SCM maxDownloads) {
    checkList(mirrors, 2, SUBR);
    checkList(contentMirrors, 3, SUBR);
    if (scm_is_true(maxDownloads) && !scm_is_unsigned_integer(maxDownloads, 1, 100000))
        scm_wrong_type_arg_msg(SUBR, 4, maxDownloads, "#f or a positive integer");
    return guarded(SUBR, [&] {
        ConfigOverrides o;
        o.noConfig = scm_is_true(noConfig);
        for (auto& m : toStringList(mirrors, SUBR, 2))
            o.prefixMirrors.push_back(parseMirrorOption(m));
        o.contentMirrors = toStringList(contentMirrors, SUBR, 3);
        if (scm_is_true(maxDownloads)) o.maxDownloads = scm_to_uint(maxDownloads);
        setConfigOverrides(std::move(o));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%user-crates-from"
SCM primUserCratesFrom() {
    return guarded(SUBR, [&] {
        std::string from = userCratesFrom();
        return scheme([&] { return from.empty() ? SCM_BOOL_F : utf8(from); });
    });
}
#undef SUBR

const Primitive fetchPrimitives[] = {
    {"%download-to-store", 4, 0, 0, asSubr(primDownloadToStore),
     "Download URL into STORE as the flat, fixed-output sha256 item NAME (executable when\n"
     "EXECUTABLE?), with the user's fetch options (configuration file and\n"
     "%set-fetch-options!), progress on standard error.  Return (PATH . SHA256-BYTEVECTOR)."},
    {"%set-fetch-options!", 4, 0, 0, asSubr(primSetFetchOptions),
     "Set, for the rest of the process, fetch settings over the configuration file's: NO-CONFIG?\n"
     "ignores the file; MIRRORS is a list of \"PREFIX=URL\" strings, CONTENT-MIRRORS a list of\n"
     "templates, MAX-DOWNLOADS #f or a count."},
    {"%user-crates-from", 0, 0, 0, asSubr(primUserCratesFrom),
     "Return the configuration file's [crates] from (where the crates of Cargo.lock files come\n"
     "from), or #f when it has none or %set-fetch-options! ignores the file."},
};

} // namespace

void defineFetchPrimitives() {
    definePrimitives(fetchPrimitives);
}

} // namespace ferrix::guile
