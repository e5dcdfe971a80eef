mod generated {
    include!(concat!(env!("OUT_DIR"), "/generated.rs"));
}

fn main() {
    println!("greeting: {}", generated::GREETING);
    println!("squares: {:?}", generated::SQUARES);
    println!("cfg has_generated: {}", cfg!(has_generated));
    println!("note: {}", env!("BUILD_SCRIPT_NOTE"));
}
