// Included by the build scripts: their environment, dumped into OUT_DIR/env (NUL-separated).
fn dump_env() {
    let mut v: Vec<_> = std::env::vars().collect();
    v.sort();
    let s: String = v.iter().map(|(k, v)| format!("{k}={v}\u{0}")).collect();
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out.join("env"), s).unwrap();
}
