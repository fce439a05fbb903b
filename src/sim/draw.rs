//! Deterministic draws: a stable 64-bit hash of (seed, purpose, key) and a small SplitMix64
//! stream, so that one seed gives the same profiles and faults on every machine and Rust
//! version (std's hasher makes no such promise). Not for cryptography.

/// Hashes `key` under `seed` and a purpose label, so different purposes draw independently.
pub(super) fn hash_key(seed: u64, purpose: &str, key: &[u8]) -> u64 {
    // FNV-1a over purpose and key, then a SplitMix64 finaliser to spread the low bits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for b in purpose.bytes().chain([0xff]).chain(key.iter().copied()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// The SplitMix64 finaliser: a bijection on u64 with good avalanche.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) from a hash.
pub(super) fn unit_of(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A stream of draws for one profile or one request (SplitMix64).
#[derive(Debug, Clone)]
pub(super) struct Draws {
    state: u64,
}

impl Draws {
    pub(super) fn new(seed: u64) -> Draws {
        Draws { state: seed }
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        unit_of(self.next_u64())
    }

    /// Uniform in [lo, hi] (inclusive); `lo` when the range is empty.
    pub(super) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal draw (Box-Muller).
    pub(super) fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_and_seed_hash_alike_and_a_different_seed_does_not() {
        assert_eq!(hash_key(7, "p", b"jack"), hash_key(7, "p", b"jack"));
        assert_ne!(hash_key(7, "p", b"jack"), hash_key(8, "p", b"jack"));
        assert_ne!(hash_key(7, "p", b"jack"), hash_key(7, "q", b"jack"));
    }

    #[test]
    fn unit_draws_stay_in_the_half_open_interval() {
        let mut d = Draws::new(1);
        for _ in 0..10_000 {
            let u = d.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
