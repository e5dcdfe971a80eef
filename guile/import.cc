// The importer's primitives, for (ferrix import crate). Loaded with
//   (load-extension "libguile-ferrix" "init_ferrix_import")
// Glue only: Cargo.lock is read by ferrix::cargo::readLockfile (manifest.hh), cfg() keys are
// evaluated by ferrix::cargo::targetApplies (platform.hh).
#include "convert.hh"
#include "guard.hh"
#include "primitive.hh"

#include "ferrix/cargo/manifest.hh"
#include "ferrix/cargo/platform.hh"

#include <optional>

namespace ferrix::guile {

namespace {

#define SUBR "%read-lockfile"
// FILE: (VERSION (NAME VERSION SOURCE CHECKSUM) ...) for the [[package]] entries of the Cargo.lock
// FILE, in file order; SOURCE and CHECKSUM are #f when absent. A malformed file raises a
// format-error whose message starts with FILE:LINE:COLUMN.
SCM primReadLockfile(SCM file) {
    checkString(file, 1, SUBR);
    return guarded(SUBR, [&] {
        cargo::Lockfile lock = cargo::readLockfile(toString(file));
        return scheme([&] {
            auto optional = [](const std::string& s) { return s.empty() ? SCM_BOOL_F : utf8(s); };
            SCM packages = SCM_EOL;
            for (size_t i = lock.packages.size(); i-- > 0;) {
                const cargo::LockedPackage& p = lock.packages[i];
                packages = scm_cons(scm_list_4(utf8(p.name), utf8(p.version), optional(p.source),
                                               optional(p.checksum)),
                                    packages);
            }
            return scm_cons(scm_from_int(lock.version), packages);
        });
    });
}
#undef SUBR

#define SUBR "%target-applies?"
// KEY TRIPLE: whether dependencies under [target.KEY] apply when building for the Rust target
// TRIPLE: #t, #f, or 'unknown when it cannot be decided (features, target_feature...).
SCM primTargetApplies(SCM key, SCM triple) {
    checkString(key, 1, SUBR);
    checkString(triple, 2, SUBR);
    return guarded(SUBR, [&] {
        std::optional<bool> applies = cargo::targetApplies(toString(key), toString(triple));
        return scheme(
            [&] { return applies ? scm_from_bool(*applies) : scm_from_utf8_symbol("unknown"); });
    });
}
#undef SUBR

const Primitive importPrimitives[] = {
    {"%read-lockfile", 1, 0, 0, asSubr(primReadLockfile),
     "Read the Cargo.lock FILE and return (VERSION (NAME VERSION SOURCE CHECKSUM) ...), its\n"
     "[[package]] entries in file order, SOURCE and CHECKSUM #f when absent.  Raise a\n"
     "format-error whose message starts with FILE:LINE:COLUMN if FILE is malformed."},
    {"%target-applies?", 2, 0, 0, asSubr(primTargetApplies),
     "Return #t if dependencies under [target.KEY] apply when building for the Rust target\n"
     "TRIPLE, #f if they do not, or 'unknown if that cannot be decided (features,\n"
     "target_feature...)."},
};

} // namespace

void defineImportPrimitives() {
    definePrimitives(importPrimitives);
}

} // namespace ferrix::guile

extern "C" void init_ferrix_import() {
    ferrix::guile::defineImportPrimitives();
}
