include!("../dump-env.rs");

fn main() {
    dump_env();
}
