//! Deterministic, incompressible filler bytes.

/// Returns `len` pseudo-random bytes from a SplitMix64 sequence started at
/// `seed`. The same arguments always give the same bytes, and zstd cannot
/// shrink them, so an archive grows by about `len` bytes.
pub fn filler_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^= mixed >> 31;
        bytes.extend_from_slice(&mixed.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

#[cfg(test)]
mod tests {
    use super::filler_bytes;

    #[test]
    fn filler_is_deterministic() {
        assert_eq!(filler_bytes(1000, 7), filler_bytes(1000, 7));
        assert_ne!(filler_bytes(1000, 7), filler_bytes(1000, 8));
    }

    #[test]
    fn filler_has_requested_length() {
        assert_eq!(filler_bytes(0, 1).len(), 0);
        assert_eq!(filler_bytes(13, 1).len(), 13);
    }
}
