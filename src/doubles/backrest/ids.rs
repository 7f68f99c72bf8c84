//! Identifier generation (snapshot ids, tree ids, log refs): seeded for reproducible datasets,
//! random for a running double.

/// A small splitmix64 generator; not cryptographic, only for plausible-looking ids.
#[derive(Clone, Debug)]
pub struct IdGen(u64);

impl IdGen {
    /// A generator whose output depends only on `seed`.
    pub fn seeded(seed: &str) -> Self {
        // FNV-1a over the seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        IdGen(h)
    }

    /// A randomly seeded generator.
    pub fn random() -> Self {
        IdGen(rand::random())
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n + 16);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }

    /// A restic-style 64 hex id.
    pub fn object_id(&mut self) -> String {
        self.hex(64)
    }

    /// A random (v4-shaped) UUID.
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    /// Uniform value in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
