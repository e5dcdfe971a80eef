// %cli-main: the C++ commands of lib/cli.cc (hash, store, show-derivation), run in-process by
// the (ferrix scripts ...) modules.
#include "convert.hh"
#include "guard.hh"

#include "ferrix/cli.hh"

namespace ferrix::guile {

namespace {

#define SUBR "%cli-main"
// COMMAND ARGS STORE-ROOT STORE-DIR -> exit status. STORE-ROOT and STORE-DIR (strings or #f)
// are the global --store and --store-dir options. The command prints its own errors.
SCM primCliMain(SCM command, SCM args, SCM root, SCM storeDir) {
    checkString(command, 1, SUBR);
    checkList(args, 2, SUBR);
    checkStringOrFalse(root, 3, SUBR);
    checkStringOrFalse(storeDir, 4, SUBR);
    int status = 1;
    guarded(SUBR, [&] {
        status = cli::run(toString(command), toStringList(args, SUBR, 2), toStringOpt(root),
                          toStringOpt(storeDir));
        return SCM_UNSPECIFIED;
    });
    return scm_from_int(status);
}
#undef SUBR

} // namespace

void defineCliPrimitives() {
    scm_c_define_gsubr("%cli-main", 4, 0, 0, reinterpret_cast<scm_t_subr>(primCliMain));
}

} // namespace ferrix::guile
