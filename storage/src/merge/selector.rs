//! Choosing which parts to merge: a size-tiered selector in the spirit of ClickHouse's
//! `SimpleMergeSelector`.
//!
//! Two numbers are balanced: write amplification (how often a row is rewritten) and the
//! number of active parts (what every query pays for). Merging `n` parts is allowed when
//! their total size is at least `base` times the largest of them (plus a fixed cost per part,
//! so tiny parts look alike): parts of similar size merge about `base` at a time, which makes
//! the merge tree's depth, hence write amplification, logarithmic with that base. The base is
//! lowered towards 2 when a partition has many parts or the parts are old, so the part count
//! stays bounded under a steady stream of small inserts and a quiet table still converges.
//! Among allowed ranges the one with the lowest `sum_size / (count - 1.9)` wins: small merges
//! of many parts first.

use std::ops::Range;

use crate::settings::MergeTreeSettings;

/// What the selector needs to know about an active part (parts of ONE partition, given in
/// block order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeCandidate {
    /// The part's name.
    pub name: String,
    /// Bytes on disk.
    pub bytes: u64,
    /// Rows.
    pub rows: u64,
    /// Merge level (0 for an inserted part).
    pub level: u32,
    /// Seconds since the part was written.
    pub age_secs: u64,
}

/// The selector's coefficients (ClickHouse's defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct SelectorTuning {
    /// Least ratio of a merge's total size to its largest part, before lowering.
    pub base: f64,
    /// Total size below which the age needed to lower the base is the "small" one.
    pub min_size_to_lower_base: u64,
    /// Total size above which the age needed to lower the base is the "large" one.
    pub max_size_to_lower_base: u64,
    /// Age (seconds) at which lowering starts, for small merges.
    pub min_age_to_lower_base_at_min_size: u64,
    /// Age (seconds) at which lowering starts, for large merges.
    pub min_age_to_lower_base_at_max_size: u64,
    /// Age (seconds) at which the base is fully lowered, for small merges.
    pub max_age_to_lower_base_at_min_size: u64,
    /// Age (seconds) at which the base is fully lowered, for large merges.
    pub max_age_to_lower_base_at_max_size: u64,
    /// Part count of the partition at which lowering starts.
    pub min_parts_to_lower_base: usize,
    /// Part count of the partition at which the base is fully lowered.
    pub max_parts_to_lower_base: usize,
    /// Bytes added to every part's size: merging even tiny parts has a fixed cost.
    pub size_fixed_cost_to_add: u64,
    /// Ranges ending in parts smaller than this fraction of the total drop those parts.
    pub remove_small_parts_at_right_ratio: f64,
    /// Only the first this many start positions are considered, to bound the work.
    pub max_start_positions: usize,
}

impl Default for SelectorTuning {
    fn default() -> Self {
        SelectorTuning {
            base: 5.0,
            min_size_to_lower_base: 1 << 20,
            max_size_to_lower_base: 100 << 30,
            min_age_to_lower_base_at_min_size: 10,
            min_age_to_lower_base_at_max_size: 10,
            max_age_to_lower_base_at_min_size: 3600,
            max_age_to_lower_base_at_max_size: 30 * 86400,
            min_parts_to_lower_base: 10,
            max_parts_to_lower_base: 50,
            size_fixed_cost_to_add: 5 << 20,
            remove_small_parts_at_right_ratio: 0.01,
            max_start_positions: 1000,
        }
    }
}

/// A size-tiered choice in the spirit of ClickHouse's SimpleMergeSelector: returns the index
/// range `[start, end)` of ADJACENT parts worth merging now, or None.
///
/// Respects `settings.max_parts_to_merge_at_once` and
/// `settings.max_bytes_to_merge_at_max_space_in_pool`; prefers merging similar-sized, small
/// parts; never selects fewer than 2 parts. `parts` must be contiguous in block order and
/// free to merge: with some parts already being merged, use [`select_merge_excluding`].
pub fn select_merge(
    parts: &[MergeCandidate],
    settings: &MergeTreeSettings,
) -> Option<Range<usize>> {
    select_merge_with(parts, settings, &SelectorTuning::default(), &[])
}

/// [`select_merge`] over a partition where `busy[i]` marks parts already taken by a running
/// merge: a range never contains or spans a busy part. A `busy` shorter than `parts` counts
/// the missing entries as free.
pub fn select_merge_excluding(
    parts: &[MergeCandidate],
    settings: &MergeTreeSettings,
    busy: &[bool],
) -> Option<Range<usize>> {
    select_merge_with(parts, settings, &SelectorTuning::default(), busy)
}

/// [`select_merge_excluding`] with explicit coefficients.
pub fn select_merge_with(
    parts: &[MergeCandidate],
    settings: &MergeTreeSettings,
    tuning: &SelectorTuning,
    busy: &[bool],
) -> Option<Range<usize>> {
    let n = parts.len();
    let max_parts = settings.max_parts_to_merge_at_once.max(2);
    let max_bytes = settings.max_bytes_to_merge_at_max_space_in_pool;
    let fixed = tuning.size_fixed_cost_to_add as f64;
    let is_busy = |i: usize| busy.get(i).copied().unwrap_or(false);
    let log_min_size = (1.0 + tuning.min_size_to_lower_base as f64).ln();
    let log_max_size = (1.0 + tuning.max_size_to_lower_base as f64).ln();
    let mut best: Option<(Range<usize>, f64)> = None;
    for begin in 0..n.min(tuning.max_start_positions) {
        if is_busy(begin) {
            continue;
        }
        let mut sum = parts[begin].bytes as f64;
        let mut max = sum;
        let mut min_age = parts[begin].age_secs;
        for end in begin + 2..=n {
            if end - begin > max_parts || is_busy(end - 1) {
                break;
            }
            let p = &parts[end - 1];
            sum += p.bytes as f64;
            max = max.max(p.bytes as f64);
            min_age = min_age.min(p.age_secs);
            if max_bytes > 0 && sum > max_bytes as f64 {
                break;
            }
            let count = (end - begin) as f64;
            // The base, lowered by age (relative to size) and by the partition's part count.
            let size_norm = unit_ramp((1.0 + sum).ln(), log_min_size, log_max_size);
            let min_age_to_lower = lerp(
                tuning.min_age_to_lower_base_at_min_size as f64,
                tuning.min_age_to_lower_base_at_max_size as f64,
                size_norm,
            );
            let max_age_to_lower = lerp(
                tuning.max_age_to_lower_base_at_min_size as f64,
                tuning.max_age_to_lower_base_at_max_size as f64,
                size_norm,
            );
            let age_norm = unit_ramp(min_age as f64, min_age_to_lower, max_age_to_lower);
            let parts_norm = unit_ramp(
                n as f64,
                tuning.min_parts_to_lower_base as f64,
                tuning.max_parts_to_lower_base as f64,
            );
            let base = lerp(tuning.base, 2.0, (age_norm + parts_norm).min(1.0));
            if (sum + count * fixed) / (max + fixed) < base {
                continue;
            }
            // Parts much smaller than the whole at the right end only add a merge's cost.
            let mut stop = end;
            while stop >= begin + 3
                && (parts[stop - 1].bytes as f64) < tuning.remove_small_parts_at_right_ratio * sum
            {
                stop -= 1;
            }
            let kept: f64 = parts[begin..stop].iter().map(|p| p.bytes as f64).sum();
            let score = (kept + fixed * (stop - begin) as f64) / ((stop - begin) as f64 - 1.9);
            if best.as_ref().is_none_or(|(_, s)| score < *s) {
                best = Some((begin..stop, score));
            }
        }
    }
    best.map(|(r, _)| r)
}

/// 0 below `min`, 1 above `max`, linear between.
fn unit_ramp(value: f64, min: f64, max: f64) -> f64 {
    if value <= min {
        0.0
    } else if value >= max {
        1.0
    } else {
        (value - min) / (max - min)
    }
}

fn lerp(from: f64, to: f64, t: f64) -> f64 {
    from + (to - from) * t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(bytes: u64) -> MergeCandidate {
        MergeCandidate {
            name: String::new(),
            bytes,
            rows: bytes / 10,
            level: 0,
            age_secs: 0,
        }
    }

    #[test]
    fn needs_two_parts_and_similar_sizes() {
        let s = MergeTreeSettings::default();
        assert_eq!(select_merge(&[], &s), None);
        assert_eq!(select_merge(&[part(1000)], &s), None);
        // Two fresh small parts: not yet worth it (base 5).
        assert_eq!(select_merge(&[part(1000), part(1000)], &s), None);
        let five: Vec<_> = (0..5).map(|_| part(1000)).collect();
        assert_eq!(select_merge(&five, &s), Some(0..5));
        // A huge part and four small ones: only the small ones are merged.
        let mut mixed = vec![part(50 << 30)];
        mixed.extend((0..5).map(|_| part(1 << 20)));
        assert_eq!(select_merge(&mixed, &s), Some(1..6));
    }

    #[test]
    fn respects_limits_and_busy_parts() {
        let mut s = MergeTreeSettings::default();
        let parts: Vec<_> = (0..12).map(|_| part(1000)).collect();
        s.max_parts_to_merge_at_once = 6;
        let r = select_merge(&parts, &s).unwrap();
        assert!(r.len() <= 6 && r.len() >= 2, "{r:?}");
        s.max_bytes_to_merge_at_max_space_in_pool = 2500;
        let r = select_merge(&parts, &s);
        assert!(r.clone().is_none_or(|r| r.len() <= 2), "{r:?}");
        let s = MergeTreeSettings::default();
        let mut busy = vec![false; 12];
        busy[5] = true;
        let r = select_merge_excluding(&parts, &s, &busy).unwrap();
        assert!(!r.contains(&5), "{r:?}");
    }

    #[test]
    fn old_parts_merge_with_a_lower_base() {
        let s = MergeTreeSettings::default();
        let mut two = vec![part(1000), part(1000)];
        two.iter_mut().for_each(|p| p.age_secs = 7200);
        assert_eq!(select_merge(&two, &s), Some(0..2));
    }

    fn tuning_fixed_cost() -> u64 {
        SelectorTuning::default().size_fixed_cost_to_add
    }

    /// 1000 inserts of equal small parts, merging (instantly) whatever the selector picks
    /// after each: the part count stays small and each byte is rewritten a few times.
    #[test]
    fn steady_inserts_keep_part_count_and_write_amplification_low() {
        let s = MergeTreeSettings::default();
        for insert_bytes in [10_000u64, 1 << 20, 64 << 20] {
            let mut parts: Vec<MergeCandidate> = Vec::new();
            let (mut inserted, mut written, mut max_parts) = (0u64, 0u64, 0usize);
            for _ in 0..1000 {
                parts.push(part(insert_bytes));
                inserted += insert_bytes;
                while let Some(r) = select_merge(&parts, &s) {
                    assert!(r.len() >= 2);
                    let merged: Vec<_> = parts.drain(r.clone()).collect();
                    let bytes = merged.iter().map(|p| p.bytes).sum();
                    let level = merged.iter().map(|p| p.level).max().unwrap_or(0) + 1;
                    written += bytes;
                    parts.insert(
                        r.start,
                        MergeCandidate {
                            level,
                            ..part(bytes)
                        },
                    );
                }
                max_parts = max_parts.max(parts.len());
            }
            let amplification = written as f64 / inserted as f64;
            assert!(max_parts < 30, "{insert_bytes}: {max_parts} parts");
            // log5(1000) ~ 4.3 rewrites per byte. Parts far below the fixed cost of a merge
            // (5 MiB) are merged more eagerly, as in ClickHouse: rewriting them is cheap.
            let limit = if insert_bytes < tuning_fixed_cost() {
                16.0
            } else {
                5.0
            };
            assert!(
                amplification < limit,
                "{insert_bytes}: write amplification {amplification}"
            );
        }
    }
}
