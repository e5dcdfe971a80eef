fn main() {
    println!("foo: {}", env!("FOO_FROM_DEP"));
    println!("answer: {}", foo_sys::answer());
}
