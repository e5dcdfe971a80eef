use serde_derive::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Crate {
    name: String,
    version: (u32, u32, u32),
    proc_macro: bool,
}

fn main() {
    let c = Crate { name: shout::shout!("ferrix"), version: (0, 1, 0), proc_macro: true };
    let json = serde_json::to_string(&c).expect("serialize");
    println!("json: {json}");
    let back: Crate = serde_json::from_str(&json).expect("deserialize");
    println!("round trip: {}", back == c);
}
