fn main() {
    println!("{} {}: {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"), env!("CARGO_PKG_DESCRIPTION"));
    println!("authors: {}", env!("CARGO_PKG_AUTHORS"));
    println!("util: {}", util::describe());
}
