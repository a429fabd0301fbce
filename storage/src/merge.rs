//! Merges: choosing parts to merge ([`selector`]), merging their rows by sort key
//! ([`sorted_stream`]), combining rows with equal keys by the table engine's rule ([`mode`])
//! and writing the result as one new part ([`merger`]).
//!
//! The caller (the table's merge task or `OPTIMIZE`) picks parts with [`select_merge`],
//! calls [`merge_parts`] and commits the returned part in place of its sources. The same
//! merging modes serve `SELECT ... FINAL` through [`apply_mode_to_sorted`].

pub mod merger;
pub mod mode;
pub mod selector;
pub mod sorted_stream;

pub use merger::{merge_parts, merge_parts_with, MergeOptions};
pub use mode::{
    apply_mode_to_sorted, apply_mode_to_sorted_with, merging_mode, merging_mode_for, MergeContext,
    MergingMode, RunCombiner, SortedChunk,
};
pub use selector::{select_merge, select_merge_excluding, MergeCandidate};
pub use sorted_stream::{MergedBlock, MergingSortedStream};

#[cfg(test)]
mod tests;
