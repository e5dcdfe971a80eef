# The installed tree (doc/install.md): `cmake --install` of this build puts everything under the
# prefix and works from any prefix, even after moving; with the source and build trees' modules,
# extension, libraries and headers hidden (a private mount namespace), the installed `ferrix`
# builds examples/hello.scm, a plain `guile` uses the installed modules, a C++ program builds
# against the installed library with pkg-config and with find_package(ferrix), shared and static;
# every man page renders without warnings and the completion scripts load and complete.
#
# Environment (tests/CMakeLists.txt): FERRIX_BUILD_DIR, FERRIX_SOURCE_DIR, GUILE, TEST_TMP and the
# install directories relative to the prefix: LIBDIR, SITEDIR, SITECCACHEDIR, EXTENSIONDIR.

# The hiding below needs a mount namespace of our own; without one, the test still runs.
if [ -z "${FERRIX_TEST_NAMESPACE:-}" ] && unshare --mount true 2>/dev/null; then
  exec unshare --mount env FERRIX_TEST_NAMESPACE=1 bash "$0" "$@"
fi
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
T=$TEST_TMP
src=$FERRIX_SOURCE_DIR
build=$FERRIX_BUILD_DIR
cp -r "$src/examples/hello" "$src/examples/hello.scm" "$src/tests/install/embed" "$T/"

# --- Everything under the prefix, and relocatable: installed with DESTDIR under a prefix that
# never exists, then moved elsewhere; nothing was configured for either place.
prefix=/opt/ferrix-install-test
expect_status "cmake --install" 0 env DESTDIR="$T/dest" cmake --install "$build" --prefix "$prefix"
outside=$(cd "$T/dest" && find . -mindepth 1 ! -type d ! -path ".$prefix/*")
expect_eq "nothing installed outside the prefix" "$outside" ""
mv "$T/dest$prefix" "$T/p"
P=$T/p
for f in bin/ferrix include/ferrix/store.hh include/ferrix/cargo/manifest.hh \
  "$LIBDIR/libferrix.a" "$LIBDIR/pkgconfig/ferrix.pc" "$LIBDIR/cmake/ferrix/ferrixConfig.cmake" \
  "$LIBDIR/cmake/ferrix/ferrixConfigVersion.cmake" "$LIBDIR/cmake/ferrix/ferrixTargets.cmake" \
  "$SITEDIR/ferrix/store.scm" "$SITEDIR/ferrix/config.scm" "$SITECCACHEDIR/ferrix/store.go" \
  "$EXTENSIONDIR/libguile-ferrix.so" libexec/ferrix/build-side/bin/ferrix \
  share/man/man1/ferrix.1 share/man/man1/ferrix-build.1 \
  share/bash-completion/completions/ferrix share/zsh/vendor-completions/_ferrix; do
  if [ -e "$P/$f" ]; then ok "installed: $f"; else not_ok "installed: $f is missing"; fi
done
soname=$(readelf -d "$P/$LIBDIR/libferrix.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
expect_match "libferrix.so's SONAME carries the ABI version" "$soname" '^libferrix\.so\.[0-9]+\.[0-9]+$'
expect_eq "the SONAME's file is installed" "$(readlink "$P/$LIBDIR/libferrix.so")" "$soname"
private=$(cd "$P/include" && grep -rhoE '#include [<"][^>"]+[>"]' . | grep -vE '[<"]ferrix/|<([a-z_]+|sys/[a-z]+\.h|nlohmann/json_fwd\.hpp)>' || true)
expect_eq "public headers include only public headers, the standard library and nlohmann" "$private" ""

# --- From here on the installed tree is all there is: the source and build trees' modules,
# extension, libraries, headers and launcher are hidden (empty), in this namespace only.
if [ -n "${FERRIX_TEST_NAMESPACE:-}" ]; then
  mount --make-rprivate /
  for d in "$src/modules" "$src/include" "$src/lib" "$src/guile" "$src/examples" "$src/cmake" \
    "$build/guile" "$build/modules" "$build/guile-ccache" "$build/build-side" "$build/lib" \
    "$build/doc"; do
    [ -d "$d" ] && mount -t tmpfs none "$d"
  done
  mount --bind /dev/null "$build/ferrix"
  expect_eq "the build tree's modules are hidden" "$(ls "$build/guile-ccache")" ""
else
  echo "# no mount namespace: the source and build trees stay visible"
fi
export FERRIX_STORE=$T/store XDG_CACHE_HOME=$T/cache
unset GUILE_LOAD_PATH GUILE_LOAD_COMPILED_PATH GUILE_EXTENSIONS_PATH FERRIX_BUILD_SIDE_DIRECTORY

# --- The installed ferrix builds a real package (a cargo-build-system one, real rustc).
expect_status "installed ferrix --version" 0 "$P/bin/ferrix" --version
expect_eq "--version: nothing on stderr (the installed .go files are used)" "$err" ""
expect_status "installed ferrix builds examples/hello.scm" 0 "$P/bin/ferrix" build -f "$T/hello.scm"
hello=$(tail -n 1 <<<"$out")
expect_status "the built program runs" 0 "$hello/bin/hello"
expect_eq "the built program's output" "$out" "Hello from a ferrix store!"
expect_status "installed ferrix lowers it" 0 "$P/bin/ferrix" build -d -f "$T/hello.scm"
drv=$out

# --- A plain guile with the installed directories on its paths.
export GUILE_LOAD_PATH=$P/$SITEDIR GUILE_LOAD_COMPILED_PATH=$P/$SITECCACHEDIR
export GUILE_EXTENSIONS_PATH=$P/$EXTENSIONDIR
code='(use-modules (ferrix store) (ferrix packages))
(let ((hello (load (getenv "HELLO"))))
  (with-store store
    (display (package-name hello)) (newline)
    (display (derivation-file-name (package-derivation store hello))) (newline)))
(let ((store (open-store #:root (getenv "NIX_ROOT") #:store-dir "/nix/store")))
  (display (add-text-to-store store "greeting" "hello, world")) (newline)
  (close-store store))'
expect_status "plain guile: (ferrix store) and (ferrix packages)" 0 \
  env HELLO="$T/hello.scm" NIX_ROOT="$T/nix-guile" "$GUILE" -c "(use-modules (ferrix derivations)) $code"
# Auto-compilation is on, as for any user: a stale installed .go would be compiled into the
# cache (hello.scm itself is, being loaded with `load`).
expect_eq "plain guile: no installed module compiled" "$(grep -E 'newer than compiled|compil.*/ferrix/' <<<"$err" || true)" ""
expect_eq "plain guile: the package and its derivation, as the installed ferrix lowers it" \
  "$(head -n 2 <<<"$out")" "hello
$drv"
guile_text=$(tail -n 1 <<<"$out")
compiled=$( (find "$T/cache/guile" -path "*/$SITEDIR/*.go" 2>/dev/null || true) | wc -l)
expect_eq "plain guile: no installed module auto-compiled" "$compiled" "0"
unset GUILE_LOAD_PATH GUILE_LOAD_COMPILED_PATH GUILE_EXTENSIONS_PATH

# --- A C++ program against the installed library: pkg-config and CMake, shared and static.
printf 'hello, world' >"$T/text"
expect_status "ferrix hash" 0 "$P/bin/ferrix" hash "$T/text"
want_hash=$out
expect_status "ferrix store add-text" 0 "$P/bin/ferrix" --store "$T/nix" --store-dir /nix/store \
  store add-text greeting "$T/text"
want_path=$out
expect_eq "the Scheme and the command agree (/nix/store)" "$guile_text" "$want_path"

# check_embed LABEL PROGRAM LINKAGE: runs PROGRAM on a new store, compares with the command's.
check_embed() {
  local label=$1 program=$2 linkage=$3
  expect_status "$label: runs" 0 env LD_LIBRARY_PATH= "$program" "$T/store-$label" greeting \
    'hello, world'
  expect_eq "$label: same store path and hash as ferrix" "$out" "$want_path
$want_hash"
  local needed
  needed=$(readelf -d "$program" | grep -c 'NEEDED.*libferrix' || true)
  if [ "$linkage" = shared ]; then
    expect_eq "$label: linked with libferrix.so" "$needed" "1"
    expect_match "$label: found through its run path" \
      "$(env LD_LIBRARY_PATH= ldd "$program" | grep libferrix)" "$P/$LIBDIR/libferrix\.so"
  else
    expect_eq "$label: no libferrix.so needed" "$needed" "0"
  fi
}
export PKG_CONFIG_PATH=$P/$LIBDIR/pkgconfig
expect_status "pkg-config --cflags --libs ferrix" 0 pkg-config --cflags --libs ferrix
cflags=$(pkg-config --cflags ferrix)
includedir=$(pkg-config --variable=includedir ferrix)
expect_eq "pkg-config: the installed headers" "$(realpath "$includedir")" "$(realpath "$P/include")"
libs=$(pkg-config --libs ferrix)
# shellcheck disable=SC2086
expect_status "pkg-config, shared: compiles" 0 \
  g++ -o "$T/embed-pc" "$T/embed/main.cc" $cflags $libs -Wl,-rpath,"$P/$LIBDIR"
check_embed pkg-config-shared "$T/embed-pc" shared
static_libs=$(pkg-config --static --libs ferrix | sed 's/-lferrix\b/-l:libferrix.a/')
# shellcheck disable=SC2086
expect_status "pkg-config --static: compiles" 0 \
  g++ -o "$T/embed-pc-static" "$T/embed/main.cc" $cflags $static_libs
check_embed pkg-config-static "$T/embed-pc-static" static
unset PKG_CONFIG_PATH
for kind in shared static; do
  static=OFF
  [ $kind = static ] && static=ON
  expect_status "find_package(ferrix), $kind: configures" 0 \
    cmake -S "$T/embed" -B "$T/embed-cmake-$kind" -DCMAKE_PREFIX_PATH="$P" -DFERRIX_STATIC=$static
  expect_status "find_package(ferrix), $kind: builds" 0 cmake --build "$T/embed-cmake-$kind"
  check_embed "cmake-$kind" "$T/embed-cmake-$kind/embed" $kind
done

# --- Man pages: one per command module (and subcommand), each rendering without a warning.
commands=()
for f in "$P/$SITEDIR"/ferrix/scripts/*.scm; do
  name=$(basename "$f" .scm)
  grep -q "(define (ferrix-$name[ )]" "$f" && commands+=("$name")
done
expect_match "command modules found" "${#commands[@]}" '^[1-9][0-9]*$'
for name in "${commands[@]}"; do
  if [ -f "$P/share/man/man1/ferrix-$name.1" ]; then ok "man page: ferrix-$name.1"; else
    not_ok "man page: ferrix-$name.1 is missing"; fi
done
for page in "$P"/share/man/man1/*.1; do
  warnings=$(groff -ww -z -man "$page" 2>&1)
  expect_eq "groff -ww: $(basename "$page")" "$warnings" ""
  expect_status "man -l $(basename "$page")" 0 env MANWIDTH=80 man -l "$page"
  expect_match "man -l $(basename "$page"): rendered" "$out" "NAME"
done
expect_match "ferrix-build.1 documents --derivations" "$(man -l "$P/share/man/man1/ferrix-build.1")" "--derivations"

# --- Bash completion: loads, completes the commands, subcommands and every option of --help.
comp=$P/share/bash-completion/completions/ferrix
expect_status "bash: the completion loads" 0 bash -c "source '$comp'; complete -p ferrix"
expect_match "bash: registered for ferrix" "$out" "-F _ferrix ferrix$"
# complete WORD...: the completions of the last WORD of `ferrix WORD...`, one per line.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=(ferrix "$@"); COMP_CWORD=$#; _ferrix
           printf "%s\n" "${COMPREPLY[@]}"' complete "$comp" "$@"
}
expect_eq "bash: 'ferrix bu'" "$(complete_words bu)" "build"
expect_eq "bash: 'ferrix --store DIR bu'" "$(complete_words --store /x bu)" "build"
expect_eq "bash: 'ferrix --st'" "$(complete_words --st)" "--store
--store-dir"
expect_eq "bash: 'ferrix store g'" "$(complete_words store g)" "gc"
expect_match "bash: 'ferrix store gc --print-'" "$(complete_words store gc --print-)" "--print-dead"
# Options of a help text: the option column of lines starting with spaces and a dash.
help_options() {
  grep -E '^ {2,}-' | sed -E 's/^ +//; s/ {2,}.*//' |
    grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9_-]*' | sed -E 's/^[ ,]//' | sort -u
}
missing=""
for name in "${commands[@]}"; do
  expect_eq "bash: the command $name completes" "$(complete_words "${name:0:3}" | grep -cx "$name")" "1"
  candidates=$(complete_words "$name" -)
  for opt in $("$P/bin/ferrix" "$name" --help 2>/dev/null | help_options); do
    grep -qx -- "$opt" <<<"$candidates" || missing="$missing $name:$opt"
  done
done
for sub in "store gc" "store add" "import crate" "registry export"; do
  # shellcheck disable=SC2086
  candidates=$(complete_words $sub -)
  # shellcheck disable=SC2086
  for opt in $("$P/bin/ferrix" $sub --help 2>/dev/null | help_options); do
    grep -qx -- "$opt" <<<"$candidates" || missing="$missing ${sub// /-}:$opt"
  done
done
expect_eq "bash: every option of every --help completes" "$missing" ""

# --- Zsh completion: valid zsh (when zsh is there).
if command -v zsh >/dev/null; then
  expect_status "zsh -n _ferrix" 0 zsh -n "$P/share/zsh/vendor-completions/_ferrix"
  expect_match "zsh: a #compdef file" "$(head -n 1 "$P/share/zsh/vendor-completions/_ferrix")" "^#compdef ferrix"
  # zcomplete CURRENT WORD...: what _ferrix offers for word CURRENT of `ferrix WORD...`, with
  # compadd, _describe (names only) and _files standing in for zsh's completion system.
  zcomplete() {
    local current=$1
    shift
    ZFILE=$P/share/zsh/vendor-completions/_ferrix zsh -f -c '
      compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }
      _files() { print -r -- "(files)"; }
      _describe() { local -a described; described=("${(@P)4}"); print -rl -- "${described[@]%%:*}"; }
      words=("${@:2}"); CURRENT=$1; PREFIX=${words[CURRENT]}
      source "$ZFILE"' zcomplete "$current" ferrix "$@"
  }
  expect_eq "zsh: the commands" "$(zcomplete 2 "" | sort)" "$(printf '%s\n' "${commands[@]}" | sort)"
  expect_eq "zsh: after --store DIR, the commands" "$(zcomplete 4 --store /x "" | sort)" \
    "$(printf '%s\n' "${commands[@]}" | sort)"
  expect_match "zsh: 'ferrix store '" "$(zcomplete 3 store "")" "(^|"$'\n'")gc("$'\n'"|$)"
  expect_match "zsh: 'ferrix store gc --'" "$(zcomplete 4 store gc --)" "--print-dead"
  expect_match "zsh: 'ferrix build --'" "$(zcomplete 3 build --)" "--derivations"
  expect_eq "zsh: 'ferrix build FILE'" "$(zcomplete 3 build x)" "(files)"
else
  echo "# no zsh: _ferrix not checked"
fi
finish
