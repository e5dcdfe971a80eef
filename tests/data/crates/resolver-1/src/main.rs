fn main() {
    println!("normal dependency: {}", common::features());
    println!("build dependency: {}", env!("BUILD_SIDE"));
}
