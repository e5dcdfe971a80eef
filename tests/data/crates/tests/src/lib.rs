//! Arithmetic for the test suite.

/// Adds two numbers.
///
/// ```
/// assert_eq!(tested::add(2, 3), 5);
/// ```
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

/// The n-th triangular number.
///
/// ```
/// assert_eq!(tested::triangle(4), 10);
/// ```
pub fn triangle(n: u32) -> u32 {
    (1..=n).fold(0, add)
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(super::add(40, 2), 42);
    }

    #[test]
    fn triangles() {
        assert_eq!(super::triangle(10), 55);
    }
}
