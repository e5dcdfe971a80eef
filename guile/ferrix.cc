// The `ferrix` command: boots Guile and calls ((@ (ferrix ui) main) (command-line)).
//
// Which modules and extension it uses depends on where it runs from. The binary in the build
// tree (recognised by device and inode: /proc/self/exe is the file CMake built) uses the source
// tree's modules, the build tree's generated and compiled modules and the build tree's
// libguile-ferrix; any other copy (the installed one) uses the directories it was installed to.
// Those come first in the search paths, so other versions elsewhere on GUILE_LOAD_PATH and
// friends cannot shadow them. Auto-compilation is off: a stale .go is ignored (Guile then reads
// the source) instead of being compiled into a cache in the user's home.
#include <libguile.h>

#include <clocale>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>

namespace {

struct Paths {
    const char* modules;
    const char* generatedModules; // or null
    const char* compiled;
};

bool runningFromBuildTree() {
    struct stat self, built;
    return ::stat("/proc/self/exe", &self) == 0 && ::stat(FERRIX_BUILD_BINARY, &built) == 0 &&
           self.st_dev == built.st_dev && self.st_ino == built.st_ino;
}

void prependEnv(const char* var, const char* dir) {
    const char* old = std::getenv(var);
    std::string value = dir;
    if (old && *old) value += std::string(":") + old;
    ::setenv(var, value.c_str(), 1);
}

void prependToVariable(const char* variable, const char* dir) {
    SCM var = scm_c_lookup(variable);
    scm_variable_set_x(var, scm_cons(scm_from_locale_string(dir), scm_variable_ref(var)));
}

// Runs in Guile mode. No C++ object with a destructor lives in this frame or below it: a Scheme
// exit (exit, an uncaught error) may longjmp out of any of these calls.
void innerMain(void* data, int, char**) {
    const auto* paths = static_cast<const Paths*>(data);
    if (paths->generatedModules) prependToVariable("%load-path", paths->generatedModules);
    prependToVariable("%load-path", paths->modules);
    prependToVariable("%load-compiled-path", paths->compiled);
    scm_variable_set_x(scm_c_lookup("%load-should-auto-compile"), SCM_BOOL_F);
    SCM main = scm_c_public_ref("ferrix ui", "main");
    scm_call_1(main, scm_program_arguments());
    std::exit(0);
}

} // namespace

int main(int argc, char** argv) {
    static Paths paths;
    if (runningFromBuildTree()) {
        paths = {FERRIX_BUILD_MODULE_DIR, FERRIX_BUILD_GENERATED_MODULE_DIR, FERRIX_BUILD_CCACHE_DIR};
        prependEnv("GUILE_EXTENSIONS_PATH", FERRIX_BUILD_EXTENSION_DIR);
    } else {
        paths = {FERRIX_SITE_DIR, nullptr, FERRIX_SITE_CCACHE_DIR};
        prependEnv("GUILE_EXTENSIONS_PATH", FERRIX_EXTENSION_DIR);
    }
    // Like the `guile` executable: honour the user's locale unless GUILE_INSTALL_LOCALE=0.
    const char* install = std::getenv("GUILE_INSTALL_LOCALE");
    if (!install || std::strcmp(install, "0") != 0) std::setlocale(LC_ALL, "");
    scm_boot_guile(argc, argv, innerMain, &paths);
    return 0; // not reached: scm_boot_guile exits
}
