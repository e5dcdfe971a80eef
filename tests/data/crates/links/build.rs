// DEP_FOO_* come from foo-sys's build script (its `links = "foo"`): they reach direct dependents.
use std::env;
use std::fs;

fn main() {
    let root = env::var("DEP_FOO_ROOT").expect("DEP_FOO_ROOT");
    let version = env::var("DEP_FOO_VERSION").expect("DEP_FOO_VERSION");
    // The root is foo-sys's OUT_DIR: the file its build script wrote must still be there.
    let header = fs::read_to_string(format!("{root}/include/foo.h")).expect("foo.h");
    let level = header
        .lines()
        .find_map(|l| l.strip_prefix("#define FOO_LEVEL "))
        .expect("FOO_LEVEL");
    println!("cargo:rustc-env=FOO_FROM_DEP=version {version}, level {level}");
    println!("cargo:rerun-if-env-changed=DEP_FOO_ROOT");
}
