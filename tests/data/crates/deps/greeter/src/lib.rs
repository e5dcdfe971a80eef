pub fn greeting() -> &'static str { "hello from greeter" }
