fn main() {
    println!("cargo:rustc-env=BUILD_SIDE={}", common::features());
}
