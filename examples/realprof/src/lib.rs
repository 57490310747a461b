//! Shared helpers of the three recorded programs.

/// A deterministic pseudo-random sequence (xorshift64), so every run does the same work.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn word(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        for _ in 0..len {
            s.push((b'a' + (self.next() % 26) as u8) as char);
        }
        s
    }
}

/// The first command-line argument as a number, else `default`.
pub fn arg(default: usize) -> usize {
    std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(default)
}
