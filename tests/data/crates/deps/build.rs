fn main() {
    println!("cargo:rustc-env=BUILD_HELPER_SAYS={}", build_helper::value());
}
