pub fn name() -> &'static str { "triple-dep is built" }
