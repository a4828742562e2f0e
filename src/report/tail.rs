//! A bounded buffer that keeps the last bytes of a stream, for reports.

use std::collections::VecDeque;

/// How much output a JUnit `system-out` shows, and what [`OutputTail::default`] keeps: 1 MiB.
pub const SYSTEM_OUT_LIMIT: usize = 1 << 20;

/// The last `limit` bytes of a stream plus how many bytes it had in all.
///
/// Memory stays at `limit` bytes however much is pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputTail {
    limit: usize,
    kept: VecDeque<u8>,
    total: u64,
}

impl Default for OutputTail {
    fn default() -> Self {
        Self::new(SYSTEM_OUT_LIMIT)
    }
}

impl OutputTail {
    /// An empty tail that keeps the last `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            kept: VecDeque::new(),
            total: 0,
        }
    }

    /// A tail holding `bytes` (cut to the last [`SYSTEM_OUT_LIMIT`] bytes).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut tail = Self::default();
        tail.push(bytes);
        tail
    }

    /// Appends `chunk`, dropping the oldest bytes beyond the limit.
    pub fn push(&mut self, chunk: &[u8]) {
        self.total = self.total.saturating_add(chunk.len() as u64);
        let chunk = &chunk[chunk.len().saturating_sub(self.limit)..];
        let overflow = (self.kept.len() + chunk.len()).saturating_sub(self.limit);
        self.kept.drain(..overflow);
        self.kept.extend(chunk);
    }

    /// How many bytes were pushed in all.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// Whether older bytes were dropped.
    pub fn is_cut(&self) -> bool {
        self.total > self.kept.len() as u64
    }

    /// The kept bytes, oldest first.
    pub fn to_vec(&self) -> Vec<u8> {
        let (front, back) = self.kept.as_slices();
        [front, back].concat()
    }

    /// Replaces the kept bytes (e.g. with a masked copy), keeping the total count.
    pub fn replace_kept(&mut self, bytes: &[u8]) {
        self.kept.clear();
        self.kept
            .extend(&bytes[bytes.len().saturating_sub(self.limit)..]);
    }
}

#[cfg(test)]
mod tests {
    use super::OutputTail;

    #[test]
    fn keeps_the_last_bytes_and_counts_all() {
        let mut tail = OutputTail::new(5);
        tail.push(b"abc");
        assert!(!tail.is_cut());
        tail.push(b"defg");
        assert_eq!(tail.to_vec(), b"cdefg");
        tail.push(b"0123456789");
        assert_eq!(tail.to_vec(), b"56789");
        assert_eq!(tail.total_bytes(), 17);
        assert!(tail.is_cut());
    }

    #[test]
    fn from_bytes_keeps_small_output_whole() {
        let tail = OutputTail::from_bytes(b"hello");
        assert_eq!(tail.to_vec(), b"hello");
        assert_eq!(tail.total_bytes(), 5);
        assert!(!tail.is_cut());
    }
}
