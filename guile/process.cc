// Starting children from the build side, for (ferrix build utils). Loaded with
//   (load-extension "libguile-ferrix" "init_ferrix_process")
// Glue only: the child is started by ferrix::spawnCommand (process.hh).
#include "convert.hh"
#include "guard.hh"
#include "primitive.hh"

#include "ferrix/process.hh"

namespace ferrix::guile {

namespace {

int descriptor(SCM obj, int pos, const char* subr) {
    if (!scm_is_signed_integer(obj, 0, INT_MAX))
        scm_wrong_type_arg_msg(subr, pos, obj, "a file descriptor");
    return scm_to_int(obj);
}

#define SUBR "%spawn-command"
SCM primSpawnCommand(SCM command, SCM output, SCM error, SCM jobserver) {
    checkList(command, 1, SUBR);
    CommandSpawn c;
    c.stdoutFd = descriptor(output, 2, SUBR);
    c.stderrFd = descriptor(error, 3, SUBR);
    if (scm_is_true(jobserver)) c.jobserverFd = descriptor(jobserver, 4, SUBR);
    return guarded(SUBR, [&] {
        c.argv = toStringList(command, SUBR, 1);
        pid_t pid = spawnCommand(c);
        return scheme([&] { return scm_from_int(pid); });
    });
}
#undef SUBR

const Primitive processPrimitives[] = {
    {"%spawn-command", 4, 0, 0, asSubr(primSpawnCommand),
     "Start COMMAND, a list of a program (searched on PATH) and its arguments, in this\n"
     "process's environment and directory, its standard output on the descriptor OUTPUT and\n"
     "its standard error on ERROR, the descriptor JOBSERVER (or #f) as its 3 and 4 through a\n"
     "file description of its own, and no other descriptor; return its pid, for 'waitpid'."},
};

} // namespace

void defineProcessPrimitives() {
    definePrimitives(processPrimitives);
}

} // namespace ferrix::guile

extern "C" void init_ferrix_process() {
    ferrix::guile::defineProcessPrimitives();
}
