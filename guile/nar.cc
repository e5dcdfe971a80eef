// NAR primitives: serialising a file tree to a file descriptor and recreating one from it, as
// 'ferrix store dump' and 'ferrix store restore' do outside the store.
#include "convert.hh"
#include "extension.hh"
#include "guard.hh"
#include "primitive.hh"

#include "ferrix/nar.hh"
#include "ferrix/stream.hh"

namespace ferrix::guile {

namespace {

#define SUBR "%dump-path"
SCM primDumpPath(SCM file, SCM fd) {
    checkString(file, 1, SUBR);
    int out = scm_to_int(fd);
    return guarded(SUBR, [&] {
        FdSink sink(out);
        dumpPath(toString(file), sink);
        sink.flush();
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%restore-path"
SCM primRestorePath(SCM file, SCM fd) {
    checkString(file, 1, SUBR);
    int in = scm_to_int(fd);
    return guarded(SUBR, [&] {
        FdSource source(in);
        restorePath(toString(file), source);
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

const Primitive narPrimitives[] = {
    {"%dump-path", 2, 0, 0, asSubr(primDumpPath),
     "Write the NAR serialisation of FILE (a file, directory or symlink, not followed) to the\n"
     "file descriptor FD."},
    {"%restore-path", 2, 0, 0, asSubr(primRestorePath),
     "Read a NAR from the file descriptor FD and recreate it at FILE, which must not exist; a\n"
     "bad NAR leaves nothing at FILE."},
};

} // namespace

void defineNarPrimitives() {
    definePrimitives(narPrimitives);
}

} // namespace ferrix::guile
