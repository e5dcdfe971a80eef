pub fn a() -> u32 { if cfg!(links_a_cfg) { 1 } else { 0 } }
