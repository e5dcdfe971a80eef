// Writes a header into OUT_DIR and publishes it with `cargo:root` and `cargo::metadata`.
use std::env;
use std::fs;

fn main() {
    let out_dir = env::var("OUT_DIR").expect("OUT_DIR");
    fs::create_dir_all(format!("{out_dir}/include")).expect("include");
    fs::write(format!("{out_dir}/include/foo.h"), "#define FOO_LEVEL 7\n").expect("foo.h");
    println!("cargo:root={out_dir}");
    println!("cargo::metadata=version=1.2.3");
    println!("cargo:rerun-if-changed=build.rs");
}
