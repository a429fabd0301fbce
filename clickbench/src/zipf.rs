//! Zipf-skewed ranks: rank k (0-based) of n is drawn with weight 1 / (k + 1)^s.

/// Above this many ranks the continuous approximation replaces the exact table.
const TABLE_LIMIT: usize = 1 << 17;

/// A Zipf sampler over ranks 0..n: exact (cumulative table) for small n, the inverse of the
/// continuous density x^-s on [1, n + 1) for large n (no table, one `powf` per draw).
#[derive(Clone, Debug)]
pub enum Zipf {
    /// Normalised cumulative weights; a draw is a binary search.
    Table(Vec<f64>),
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
            Zipf::Table(cumulative)
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
            Zipf::Table(c) => c.partition_point(|&x| x <= u).min(c.len() - 1),
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
            Zipf::Table(c) => c.len(),
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
