#[test]
fn triangle_is_a_sum() {
    for n in 0..20 {
        assert_eq!(tested::triangle(n + 1), tested::triangle(n) + n + 1);
    }
}
