pub fn describe() -> String {
    format!(
        "util {} (base: {}, extra: {})",
        env!("CARGO_PKG_VERSION"),
        cfg!(feature = "base"),
        cfg!(feature = "extra")
    )
}
