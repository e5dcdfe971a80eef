// Build primitives: realising derivations and finding build logs. Conversions and the boundary
// only; the keyword API is (ferrix store) 'build-derivations' and 'log-file'.
#include "convert.hh"
#include "guard.hh"
#include "store-object.hh"

#include "ferrix/build.hh"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferrix::guile {

namespace {

// Step 1: a non-negative exact integer that fits an unsigned int.
unsigned checkCount(SCM obj, int pos, const char* subr) {
    if (!scm_is_unsigned_integer(obj, 0, 1000000))
        scm_wrong_type_arg_msg(subr, pos, obj, "non-negative integer");
    return scm_to_uint(obj);
}

#define SUBR "%build-derivations"
// (%build-derivations STORE DRVS MAX-JOBS CORES KEEP-FAILED? CHECK? TIMEOUT MAX-SILENT-TIME
//                     KEEP-GOING?)
// DRVS: list of .drv file names. Returns, per derivation, an alist (OUTPUT . PATH).
SCM buildDerivationsPrim(SCM obj, SCM drvs, SCM maxJobs, SCM cores, SCM keepFailed, SCM check,
                         SCM timeout, SCM maxSilent, SCM keepGoing) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkList(drvs, 2, SUBR);
    BuildOptions o;
    o.maxJobs = checkCount(maxJobs, 3, SUBR);
    o.cores = checkCount(cores, 4, SUBR);
    o.keepFailed = scm_is_true(keepFailed);
    o.keepGoing = scm_is_true(keepGoing);
    o.check = scm_is_true(check);
    o.timeout = checkCount(timeout, 7, SUBR);
    o.maxSilentTime = checkCount(maxSilent, 8, SUBR);
    return guarded(SUBR, [&] {
        std::vector<DerivationRequest> requests;
        for (auto& d : toStringList(drvs, SUBR, 2))
            requests.push_back({d, {}});
        auto results = buildDerivations(h->store, requests, o);
        return scheme([&] {
            SCM list = SCM_EOL;
            for (size_t i = results.size(); i-- > 0;) {
                SCM alist = SCM_EOL;
                for (auto it = results[i].rbegin(); it != results[i].rend(); ++it)
                    alist = scm_cons(scm_cons(utf8(it->first), utf8(it->second)), alist);
                list = scm_cons(alist, list);
            }
            return list;
        });
    });
}
#undef SUBR

#define SUBR "%log-file"
// (%log-file STORE PATH): the build log of a .drv or of an output, or #f.
SCM logFilePrim(SCM obj, SCM path) {
    StoreHandle* h = storeArg(obj, 1, SUBR);
    checkString(path, 2, SUBR);
    return guarded(SUBR, [&] {
        std::optional<std::string> log = findBuildLog(h->store, toString(path));
        if (!log) return SCM_BOOL_F;
        return fromString(*log);
    });
}
#undef SUBR

} // namespace

void defineBuildPrimitives() {
    scm_c_define_gsubr("%build-derivations", 9, 0, 0,
                       reinterpret_cast<scm_t_subr>(buildDerivationsPrim));
    scm_c_define_gsubr("%log-file", 2, 0, 0, reinterpret_cast<scm_t_subr>(logFilePrim));
}

} // namespace ferrix::guile
