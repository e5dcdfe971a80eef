#[test]
fn t() {
    assert_eq!(user::f(), 1);
}
