// The `ferrix` command: boots Guile and calls ((@ (ferrix ui) main) (command-line)).
//
// Which modules and extension it uses depends on where the binary is (/proc/self/exe):
//
//  - the file CMake built in the build tree (same device and inode): the source tree's modules,
//    the build tree's generated and compiled modules and its libguile-ferrix;
//  - an installed copy: the directories `cmake --install` put the modules, compiled modules and
//    extension in, found relative to the binary's own directory (FERRIX_REL_*, computed from
//    GNUInstallDirs at configure time), so that any --prefix works, and the installed tree can
//    move as a whole; a directory configured as an absolute path is used as it is;
//  - a copy under a prefix laid out like the build-side item (PREFIX/bin/ferrix next to
//    PREFIX/share/guile/site/3.0/ferrix and PREFIX/lib/libguile-ferrix.so, see
//    cmake/BuildSide.cmake): that prefix's modules, compiled modules (if any, under
//    PREFIX/lib/guile/3.0/site-ccache) and extension.
//
// Those directories come first in the search paths, so other versions elsewhere on
// GUILE_LOAD_PATH and friends cannot shadow them (which still add directories after them).
// Auto-compilation is off: a stale .go is ignored (Guile then reads the source) instead of being
// compiled into a cache in the user's home.
//
// `ferrix build-side SCRIPT...` is the builder of the derivations build systems make: it loads
// each SCRIPT with primitive-load, without (ferrix ui), which the build-side item does not hold.
#include "ferrix/cargo/unit-build.hh"

#include <libguile.h>

#include <climits>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct Paths {
    char modules[PATH_MAX];
    char generatedModules[PATH_MAX]; // or empty
    char compiled[PATH_MAX];         // or empty
};

bool sameFile(const char* a, const char* b) {
    struct stat sa, sb;
    return ::stat(a, &sa) == 0 && ::stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

bool isDirectory(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void set(char (&dst)[PATH_MAX], const std::string& src) {
    std::snprintf(dst, sizeof dst, "%s", src.c_str());
}

// The directory of the running binary, or "" if unknown.
std::string exeDirectory() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return "";
    std::string exe(buf, size_t(n));
    auto slash = exe.rfind('/');
    return slash == std::string::npos ? "" : exe.substr(0, slash);
}

// PREFIX for PREFIX/bin/ferrix, or "" if unknown.
std::string exePrefix(const std::string& bin) {
    auto slash = bin.rfind('/');
    if (slash == std::string::npos || bin.substr(slash + 1) != "bin") return "";
    return bin.substr(0, slash);
}

// An installed directory: `dir` itself when absolute, else relative to the binary's directory.
std::string installed(const std::string& bin, const char* dir) {
    return dir[0] == '/' ? std::string(dir) : bin + "/" + dir;
}

bool isFile(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void prependEnv(const char* var, const std::string& dir) {
    const char* old = std::getenv(var);
    std::string value = dir;
    if (old && *old) value += std::string(":") + old;
    ::setenv(var, value.c_str(), 1);
}

void choosePaths(Paths& paths) {
    paths.generatedModules[0] = paths.compiled[0] = 0;
    if (sameFile("/proc/self/exe", FERRIX_BUILD_BINARY)) {
        set(paths.modules, FERRIX_BUILD_MODULE_DIR);
        set(paths.generatedModules, FERRIX_BUILD_GENERATED_MODULE_DIR);
        set(paths.compiled, FERRIX_BUILD_CCACHE_DIR);
        prependEnv("GUILE_EXTENSIONS_PATH", FERRIX_BUILD_EXTENSION_DIR);
        return;
    }
    std::string bin = exeDirectory();
    std::string site = installed(bin, FERRIX_REL_SITE_DIR);
    std::string extensions = installed(bin, FERRIX_REL_EXTENSION_DIR);
    if (!bin.empty() && isFile(site + "/ferrix/ui.scm") &&
        isFile(extensions + "/libguile-ferrix.so")) {
        set(paths.modules, site);
        set(paths.compiled, installed(bin, FERRIX_REL_SITE_CCACHE_DIR));
        prependEnv("GUILE_EXTENSIONS_PATH", extensions);
        return;
    }
    std::string prefix = exePrefix(bin);
    site = prefix + "/share/guile/site/3.0";
    if (!prefix.empty() && isDirectory(site + "/ferrix")) {
        set(paths.modules, site);
        if (isDirectory(prefix + "/lib/guile/3.0/site-ccache"))
            set(paths.compiled, prefix + "/lib/guile/3.0/site-ccache");
        prependEnv("GUILE_EXTENSIONS_PATH", prefix + "/lib");
        return;
    }
    std::fprintf(stderr, "ferrix: error: no Scheme modules at %s/ferrix (a broken installation?)\n",
                 installed(bin, FERRIX_REL_SITE_DIR).c_str());
    std::exit(1);
}

void prependToVariable(const char* variable, const char* dir) {
    SCM var = scm_c_lookup(variable);
    scm_variable_set_x(var, scm_cons(scm_from_locale_string(dir), scm_variable_ref(var)));
}

// Runs in Guile mode. No C++ object with a destructor lives in this frame or below it: a Scheme
// exit (exit, an uncaught error) may longjmp out of any of these calls.
void innerMain(void* data, int argc, char** argv) {
    const auto* paths = static_cast<const Paths*>(data);
    if (paths->generatedModules[0]) prependToVariable("%load-path", paths->generatedModules);
    prependToVariable("%load-path", paths->modules);
    if (paths->compiled[0]) prependToVariable("%load-compiled-path", paths->compiled);
    scm_variable_set_x(scm_c_lookup("%load-should-auto-compile"), SCM_BOOL_F);
    if (argc >= 2 && std::strcmp(argv[1], "build-side") == 0) {
        for (int i = 2; i < argc; i++)
            scm_c_primitive_load(argv[i]);
        std::exit(0);
    }
    SCM main = scm_c_public_ref("ferrix ui", "main");
    scm_call_1(main, scm_program_arguments());
    std::exit(0);
}

} // namespace

int main(int argc, char** argv) {
    // A unit's builder (doc/per-crate.md): no Guile to start.
    if (argc == 2 && std::strcmp(argv[1], "unit") == 0) return ferrix::cargo::unitBuilderMain();
    static Paths paths;
    choosePaths(paths);
    // Like the `guile` executable: honour the user's locale unless GUILE_INSTALL_LOCALE=0.
    const char* install = std::getenv("GUILE_INSTALL_LOCALE");
    if (!install || std::strcmp(install, "0") != 0) std::setlocale(LC_ALL, "");
    scm_boot_guile(argc, argv, innerMain, &paths);
    return 0; // not reached: scm_boot_guile exits
}
