fn main() {
    println!("Hello from a ferrix store!");
}
