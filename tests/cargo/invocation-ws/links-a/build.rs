include!("../dump-env.rs");

fn main() {
    dump_env();
    println!("cargo:root=/some/where");
    println!("cargo::metadata=include=/some/where/include");
    println!("cargo:rustc-cfg=links_a_cfg");
    println!("cargo::rustc-check-cfg=cfg(links_a_cfg)");
    println!("cargo:rustc-link-search=native=/some/where/lib");
}
