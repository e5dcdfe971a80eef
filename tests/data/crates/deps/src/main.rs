fn main() {
    println!("renamed: {}", hello::greeting());
    let side: sides::Either<u32, &str> = sides::Either::Left(1);
    println!("renamed from the registry: {side:?}");
    #[cfg(feature = "opt-on")]
    println!("optional: {}", opt_on::name());
    println!("unix: {}", unix_only::name());
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    println!("triple: {}", triple_dep::name());
    println!("build dependency: {}", env!("BUILD_HELPER_SAYS"));
}
