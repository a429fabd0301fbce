//! Zipf-skewed ranks: rank k (0-based) of n is drawn with weight 1 / (k + 1)^s.

/// Above this many ranks the continuous approximation replaces the exact table.
const TABLE_LIMIT: usize = 1 << 17;
/// Buckets of the guide that narrows a table search (a power of two, so that a draw's
/// bucket `floor(u * GUIDE_BUCKETS)` and the bucket bounds are exact in floating point).
const GUIDE_BUCKETS: usize = 1 << 12;

/// A normalised cumulative table with a guide: `guide[k]` is the first rank whose cumulative
/// weight exceeds `k / GUIDE_BUCKETS`, so a draw in bucket `k` searches only
/// `guide[k]..=guide[k + 1]` (few entries, in cache) instead of the whole table, and finds
/// the same rank.
#[derive(Clone, Debug)]
pub struct Table {
    cumulative: Vec<f64>,
    guide: Vec<u32>,
}

impl Table {
    fn new(cumulative: Vec<f64>) -> Table {
        let guide = (0..=GUIDE_BUCKETS)
            .map(|k| {
                let bound = k as f64 / GUIDE_BUCKETS as f64;
                cumulative.partition_point(|&x| x <= bound) as u32
            })
            .collect();
        Table { cumulative, guide }
    }

    /// The first rank whose cumulative weight exceeds `u` (clamped to the last rank).
    #[inline]
    fn rank(&self, u: f64) -> usize {
        let c = &self.cumulative;
        let k = ((u * GUIDE_BUCKETS as f64) as usize).min(GUIDE_BUCKETS - 1);
        // Ranks before guide[k] have weights <= k / B <= u; ranks from guide[k + 1] on have
        // weights > (k + 1) / B > u: the answer lies in between, inclusive.
        let (lo, hi) = (self.guide[k] as usize, self.guide[k + 1] as usize);
        let found = lo + c[lo..hi.min(c.len())].partition_point(|&x| x <= u);
        found.min(c.len() - 1)
    }
}

/// A Zipf sampler over ranks 0..n: exact (cumulative table) for small n, the inverse of the
/// continuous density x^-s on [1, n + 1) for large n (no table, one `powf` per draw).
#[derive(Clone, Debug)]
pub enum Zipf {
    /// Normalised cumulative weights; a draw is a guided binary search.
    Table(Table),
    /// Continuous inverse CDF parameters.
    Continuous {
        /// Number of ranks.
        n: usize,
        /// (n + 1)^(1 - s) - 1, or ln(n + 1) when s = 1.
        span: f64,
        /// 1 / (1 - s), or 0 when s = 1.
        inv: f64,
    },
}

impl Zipf {
    /// A sampler over `n` ranks (n >= 1) with exponent `s` (s >= 0).
    pub fn new(n: usize, s: f64) -> Zipf {
        let n = n.max(1);
        if n <= TABLE_LIMIT {
            let mut acc = 0.0;
            let mut cumulative: Vec<f64> = (0..n)
                .map(|k| {
                    acc += 1.0 / ((k + 1) as f64).powf(s);
                    acc
                })
                .collect();
            for c in &mut cumulative {
                *c /= acc;
            }
            Zipf::Table(Table::new(cumulative))
        } else if (s - 1.0).abs() < 1e-9 {
            Zipf::Continuous {
                n,
                span: ((n + 1) as f64).ln(),
                inv: 0.0,
            }
        } else {
            Zipf::Continuous {
                n,
                span: ((n + 1) as f64).powf(1.0 - s) - 1.0,
                inv: 1.0 / (1.0 - s),
            }
        }
    }

    /// The rank for a uniform `u` in [0, 1).
    #[inline]
    pub fn rank(&self, u: f64) -> usize {
        match self {
            Zipf::Table(t) => t.rank(u),
            Zipf::Continuous { n, span, inv } => {
                let x = if *inv == 0.0 {
                    (u * span).exp()
                } else {
                    (1.0 + u * span).powf(*inv)
                };
                ((x as usize).saturating_sub(1)).min(n - 1)
            }
        }
    }

    /// The number of ranks.
    pub fn len(&self) -> usize {
        match self {
            Zipf::Table(t) => t.cumulative.len(),
            Zipf::Continuous { n, .. } => *n,
        }
    }

    /// True when there are no ranks (never: `new` makes at least one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guided_search_finds_the_plain_search_rank() {
        for (n, s) in [
            (1, 1.0),
            (40, 1.2),
            (2_000, 1.5),
            (20_000, 1.4),
            (100_000, 1.0),
        ] {
            let Zipf::Table(t) = Zipf::new(n, s) else {
                panic!("a table of {n}");
            };
            let c = &t.cumulative;
            let plain = |u: f64| c.partition_point(|&x| x <= u).min(c.len() - 1);
            let mut h = 1u64;
            for i in 0..20_000u64 {
                h = crate::rng::mix(h.wrapping_add(i));
                let u = crate::rng::unit_of(h);
                assert_eq!(t.rank(u), plain(u), "n {n}, u {u}");
            }
            for k in 0..=GUIDE_BUCKETS {
                let u = (k as f64 / GUIDE_BUCKETS as f64).min(1.0 - f64::EPSILON);
                assert_eq!(t.rank(u), plain(u), "n {n}, bound {k}");
            }
            for &x in c.iter().take(50) {
                assert_eq!(t.rank(x), plain(x), "n {n}, at {x}");
            }
        }
    }

    #[test]
    fn head_is_heavier_than_tail_in_both_forms() {
        for z in [Zipf::new(1000, 1.1), Zipf::new(1_000_000, 1.0)] {
            let mut counts = [0usize; 2];
            for i in 0..10_000 {
                let r = z.rank((i as f64 + 0.5) / 10_000.0);
                assert!(r < z.len());
                if r == 0 {
                    counts[0] += 1;
                } else if r == 9 {
                    counts[1] += 1;
                }
            }
            assert!(counts[0] > 3 * counts[1], "{counts:?}");
        }
    }
}
