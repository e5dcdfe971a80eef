pub fn name() -> &'static str { "opt-on is built" }
