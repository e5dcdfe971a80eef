pub fn name() -> &'static str { "unix-only is built" }
