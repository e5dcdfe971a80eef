fn main() {
    println!("triangle(10) = {}", tested::triangle(10));
}
