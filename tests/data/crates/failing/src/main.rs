fn main() {
    // A type error on purpose: rustc reports error[E0308] (mismatched types).
    let count: u32 = "three";
    println!("{count}");
}
