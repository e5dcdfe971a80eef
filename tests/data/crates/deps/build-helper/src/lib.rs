pub fn value() -> u32 { 6 * 7 }
