# `ferrix build`'s options that say what to build and where the result goes (doc/build.md):
# -n lists exactly what a build builds and downloads; -S builds packages' sources only; -s for a
# system this machine does not run is refused before anything is built (in the front end and, for
# a .drv given as is, in the scheduler); -r NAME makes ./NAME a symlink and an indirect GC root
# that gc honours while the link exists; -q, --verbosity=3 and --verbosity 3; --target without
# the target's std is refused. Builders are /bin/sh: no cargo.
source "$(dirname "$0")/lib/assert.bash"
cd "$TEST_TMP"
T=$TEST_TMP
export FERRIX_CONFIG=/dev/null
build() { "$FERRIX" build "$@"; }
# out_of DRV: DRV's "out" output.
out_of() {
  "$FERRIX" show-derivation "$1" | python3 -c '
import json, sys
print(next(iter(json.load(sys.stdin).values()))["outputs"]["out"]["path"])'
}

# A graph of two derivations: top reads dep's output.
cat >graph.scm <<'SCM'
(use-modules (ferrix store) (ferrix derivations))
(with-store store
  (let* ((dep (derivation store "dep" "/bin/sh"
                          (list "-c" "echo dep line; echo dep > $out")))
         (top (derivation store "top" "/bin/sh"
                          (list "-c" (string-append "echo top line; cat "
                                                    (derivation->output-path dep)
                                                    " > $out"))
                          #:inputs (list (list dep "out")))))
    top))
SCM
top_drv=$(build -d -f graph.scm)
dep_drv=$("$FERRIX" store references "$top_drv" | grep -- '-dep\.drv$')

# --- -n: what would be built, in Guix's words, on stderr; nothing built, nothing on stdout.
expect_status "-n: exit 0" 0 build -n -f graph.scm
expect_eq "-n: nothing on stdout" "$out" ""
expect_eq "-n: the plural heading" "$(head -n 1 <<<"$err")" "The following derivations would be built:"
expect_eq "-n: both derivations, dependency first" "$(tail -n +2 <<<"$err")" \
  "$(printf '   %s\n   %s' "$dep_drv" "$top_drv")"
expect_eq "-n: top's output not built" "$(test -e "$(out_of "$top_drv")" && echo built || echo no)" "no"
# The build builds what -n listed, no more.
expect_status "build after -n" 0 build -f graph.scm
expect_eq "the builds are those -n listed" \
  "$(grep -o "^building '[^']*'" <<<"$err" | sed "s/^building '//; s/'$//" | sort)" \
  "$(printf '%s\n%s' "$dep_drv" "$top_drv" | sort)"
expect_status "-n after the build: exit 0" 0 build -n -f graph.scm
expect_eq "-n after the build: nothing to list" "$err" ""
# With dep alone collected from the graph's point of view: a new top over the same dep.
sed 's/echo top line/echo top line again/' graph.scm >graph2.scm
top2_drv=$(build -d -f graph2.scm)
expect_status "-n, dep valid" 0 build -n -f graph2.scm
expect_eq "-n, dep valid: the new top alone, singular heading" "$err" \
  "$(printf 'The following derivation would be built:\n   %s' "$top2_drv")"

# --- -n for a download: the file that would be downloaded.
printf 'some source\n' >source.txt
good=$("$FERRIX" hash source.txt)
cat >fetch.scm <<SCM
(use-modules (ferrix store) (ferrix download) (ferrix base32))
(with-store store
  (url-fetch store "file://$T/source.txt" 'sha256
             (nix-base32-string->bytevector "$good") "source.txt"))
SCM
fetched=$(out_of "$(build -d -f fetch.scm)")
expect_status "-n, download: exit 0" 0 build -n -f fetch.scm
expect_eq "-n, download: listed as a file to download" "$err" \
  "$(printf 'The following file would be downloaded:\n   %s' "$fetched")"

# --- -S: a package's source, not the package.
mkdir -p pkg/src
printf 'fn main() {}\n' >pkg/src/main.rs
printf '[package]\nname = "pkg"\nversion = "0.1.0"\n' >pkg/Cargo.toml
cat >local.scm <<'SCM'
(use-modules (ferrix packages) (ferrix build-system cargo))
(package
  (name "pkg") (version "0.1.0")
  (source (local-file "pkg" #:recursive? #t))
  (build-system cargo-build-system)
  (synopsis "s") (description "d") (license #f) (home-page #f))
SCM
expect_status "-S, a local file: exit 0" 0 build -S -f local.scm
expect_match "-S, a local file: a store item" "$out" "^$FERRIX_STORE/store/[0-9a-z]{32}-pkg$"
expect_eq "-S, a local file: the directory's contents" \
  "$("$FERRIX" hash -r "$out")" "$("$FERRIX" hash -r pkg)"
expect_eq "-S: nothing was built" "$(grep -c "^building" <<<"$err" || true)" "0"
cat >origin.scm <<SCM
(use-modules (ferrix packages) (ferrix download) (ferrix build-system cargo))
(package
  (name "pkg") (version "0.1.0")
  (source (origin (method url-fetch) (uri "file://$T/source.txt")
                  (sha256 (base32 "$good"))))
  (build-system cargo-build-system)
  (synopsis "s") (description "d") (license #f) (home-page #f))
SCM
expect_status "-S -d, an origin: its .drv" 0 build -S -d -f origin.scm
expect_match "-S -d: a fixed-output derivation" "$out" "^$FERRIX_STORE/store/[0-9a-z]{32}-source\.txt\.drv$"
expect_status "-S, an origin: downloaded" 0 build -S -f origin.scm
expect_eq "-S, an origin: its contents" "$(cat "$out")" "some source"
expect_status "-S with a .drv: a usage error" 2 build -S "$top_drv"

# --- -s: a system this machine does not run.
host=$(uname -m)-linux
other=aarch64-linux
[ "$host" = aarch64-linux ] && other=x86_64-linux
before=$(ls "$FERRIX_STORE/store" | sort)
expect_status "-s $other: refused with exit 1" 1 build -s "$other" -f graph.scm
expect_match "-s $other: says why" "$err" "cannot build for system '$other': this machine runs $host"
expect_eq "-s $other: nothing built or added" "$(ls "$FERRIX_STORE/store" | sort)" "$before"
expect_status "-s $other -d: lowering is allowed" 0 build -s "$other" -d -f graph.scm
foreign=$out
expect_status "the foreign .drv given as is: refused by the scheduler" 1 build "$foreign"
expect_match "the scheduler names the system" "$err" "a '$other' machine is needed to build '$foreign', but this one runs $host"
expect_eq "the foreign .drv: nothing built" "$(grep -c "^building" <<<"$err" || true)" "0"
expect_status "-s $host: the host's own system is fine" 0 build -s "$host" -f graph.scm
if [ "$host" = x86_64-linux ]; then
  # The kernel may run i686 programs, but the toolchain would build x86-64 ones.
  before=$(ls "$FERRIX_STORE/store" | sort)
  expect_status "-s i686-linux: refused with exit 1" 1 build -s i686-linux -f graph.scm
  expect_match "-s i686-linux: says why" "$err" "cannot build for system 'i686-linux': this machine runs $host"$'\n'"hint"
  expect_eq "-s i686-linux: nothing built or added" "$(ls "$FERRIX_STORE/store" | sort)" "$before"
fi

# --- --target: refused when the Rust toolchain has no standard library for the target.
hello=$FERRIX_SOURCE_DIR/examples/hello.scm
sysroot=$(rustc --print sysroot 2>/dev/null || true)
if [ -n "$sysroot" ] && [ -d "$sysroot/lib/rustlib/aarch64-unknown-linux-gnu/lib" ]; then
  echo "# skipped: --target: the toolchain has aarch64's std, so cross-compilation is not refused"
else
  expect_status "--target without the target's std: refused with exit 1" 1 \
    build --target=aarch64-linux-gnu -f "$hello"
  expect_match "--target: says why" "$err" \
    "error: cannot cross-compile for 'aarch64-linux-gnu': the Rust toolchain at [^"$'\n'"]* has no standard library for aarch64-unknown-linux-gnu"
  expect_match "--target: how to add it" "$err" "hint: [^"$'\n'"]*rustup target add aarch64-unknown-linux-gnu"
  expect_eq "--target: nothing built" "$(grep -c '^building' <<<"$err" || true)" 0
  expect_status "--target -d: lowering is allowed" 0 build -d --target=aarch64-linux-gnu -f "$hello"
  if [ -n "$sysroot" ]; then
    # A package's own #:rust is the toolchain checked: one whose sysroot has aarch64's std
    # (empty: the plan is only listed) passes, though the default toolchain has none.
    mkdir -p own/bin own/lib/rustlib/aarch64-unknown-linux-gnu/lib
    printf '#!/bin/sh\nexec %s/bin/rustc "$@"\n' "$sysroot" >own/bin/rustc
    printf '#!/bin/sh\nexec %s/bin/cargo "$@"\n' "$sysroot" >own/bin/cargo
    chmod +x own/bin/rustc own/bin/cargo
    sed "s|#:install-source? #f|#:install-source? #f #:rust \"$T/own\"|" "$hello" >own-rust.scm
    sed -i "s|(local-file \"hello\"|(local-file \"$FERRIX_SOURCE_DIR/examples/hello\"|" own-rust.scm
    expect_status "--target -n, a package whose #:rust has the target's std: accepted" 0 \
      build -n --target=aarch64-linux-gnu -f own-rust.scm
  fi
fi

# --- -r: ./NAME, an indirect GC root.
mkdir -p work
(cd work && "$FERRIX" build -r result -f ../graph.scm >../r.out 2>../r.err) || not_ok "-r: build failed: $(cat r.err)"
item=$(cat r.out)
expect_eq "-r: ./result is a symlink to the output" "$(readlink work/result)" "$item"
expect_match "-r: store roots lists the link" "$("$FERRIX" store roots)" "$T/work/result -> $item"
"$FERRIX" store gc >/dev/null 2>&1
expect_eq "-r: gc keeps the item while the link exists" "$(test -e "$item" && echo kept)" "kept"
rm work/result
"$FERRIX" store gc >/dev/null 2>&1
expect_eq "-r: gc collects it once the link is removed" "$(test -e "$item" && echo kept || echo gone)" "gone"
(cd work && "$FERRIX" build -r two -f ../graph.scm -f ../graph2.scm >/dev/null 2>&1)
expect_eq "-r with two packages: NAME, NAME-1" "$(cd work && ls)" "$(printf 'two\ntwo-1')"

# --- -q: nothing but failures; --verbosity=3: the builders' lines.
sed 's/echo top line/echo top quiet/' graph.scm >quiet.scm
expect_status "-q: exit 0" 0 build -q -f quiet.scm
expect_eq "-q: nothing on stderr" "$err" ""
expect_match "-q: the output on stdout" "$out" "-top$"
sed 's/echo top line/echo top streamed/' graph.scm >loud.scm
expect_status "--verbosity=3: exit 0" 0 build --verbosity=3 -f loud.scm
expect_eq "--verbosity=3: the builder's output streamed" "$(grep -cx "top streamed" <<<"$err" || true)" "1"
sed 's/echo top line/echo top vv/' graph.scm >vv.scm
expect_status "-vv: exit 0" 0 build -vv -f vv.scm
expect_match "-vv: streamed too" "$err" "top vv"
sed 's/echo top line/echo top plain/' graph.scm >plain.scm
expect_status "default verbosity: exit 0" 0 build -v 1 -f plain.scm
expect_eq "-v 1: not streamed" "$(grep -c "top plain" <<<"$err" || true)" "0"
expect_status "--verbosity=9: a usage error" 2 build --verbosity=9 -f plain.scm
expect_status "-v 9: a usage error" 2 build -v 9 -f plain.scm
expect_match "-v 9: says why" "$err" "option '--verbosity' takes a verbosity from 0 to 3, not '9'"
expect_status "--verbosity 9: a usage error" 2 build --verbosity 9 -f plain.scm
sed 's/echo top line/echo top spaced/' graph.scm >spaced.scm
expect_status "--verbosity 3: exit 0" 0 build --verbosity 3 -f spaced.scm
expect_eq "--verbosity 3: level 3, the builder's output streamed" "$(grep -cx "top spaced" <<<"$err" || true)" "1"
expect_eq "--verbosity 3: '3' is not read as a package" "$(grep -c "'3'" <<<"$err" || true)" "0"
expect_status "-v alone takes no value from the next argument" 0 build -v -f plain.scm
expect_status "--verbose alone too" 0 build --verbose -f plain.scm

finish
