//! Count the lines (with memchr) and words of standard input, printing the
//! numbers with itoa: a small program whose dependencies come from other
//! ferrix packages.
use std::io::{self, Read, Write};

fn main() -> io::Result<()> {
    let mut input = Vec::new();
    io::stdin().read_to_end(&mut input)?;
    let lines = memchr::memchr_iter(b'\n', &input).count();
    let words = input
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .count();
    let mut buffer = itoa::Buffer::new();
    let mut out = io::stdout().lock();
    writeln!(out, "{} lines", buffer.format(lines))?;
    writeln!(out, "{} words", buffer.format(words))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_newlines() {
        assert_eq!(memchr::memchr_iter(b'\n', b"a\nb\n").count(), 2);
    }
}
