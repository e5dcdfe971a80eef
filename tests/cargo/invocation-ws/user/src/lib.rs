pub fn f() -> u32 {
    links_a::a()
}

#[cfg(test)]
mod t {
    #[test]
    fn f() {
        assert_eq!(super::f(), 1);
    }
}
