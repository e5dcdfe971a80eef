pub fn features() -> String {
    let all = [
        ("build", cfg!(feature = "build")),
        ("dev", cfg!(feature = "dev")),
        ("normal", cfg!(feature = "normal")),
        ("windows", cfg!(feature = "windows")),
    ];
    let on: Vec<&str> = all.iter().filter(|f| f.1).map(|f| f.0).collect();
    on.join(",")
}
