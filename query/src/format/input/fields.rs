//! A column of text fields being read: bytes back to back with offsets, and per row
//! whether it is a value, NULL (`\N`) or missing (to be filled with the default).

use arrow::array::{BinaryArray, BooleanArray};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};

use crate::error::{ErrorCode, QueryError, Result};

const VALUE: u8 = 0;
const NULL: u8 = 1;
const MISSING: u8 = 2;

/// The text fields of one column.
#[derive(Debug)]
pub struct Fields {
    data: Vec<u8>,
    offsets: Vec<usize>,
    state: Vec<u8>,
    any_special: bool,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            data: Vec::new(),
            offsets: vec![0],
            state: Vec::new(),
            any_special: false,
        }
    }
}

impl Fields {
    /// Rows so far.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// Appends a value.
    #[inline]
    pub fn push(&mut self, v: &[u8]) {
        self.data.extend_from_slice(v);
        self.offsets.push(self.data.len());
        self.state.push(VALUE);
    }

    /// Appends a value whose bytes were written with [`Fields::buf`] since the last push.
    #[inline]
    pub fn push_written(&mut self) {
        self.offsets.push(self.data.len());
        self.state.push(VALUE);
    }

    /// The byte buffer, to write the next value into before [`Fields::push_written`].
    #[inline]
    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// Appends NULL.
    pub fn push_null(&mut self) {
        self.offsets.push(self.data.len());
        self.state.push(NULL);
        self.any_special = true;
    }

    /// Appends a missing value (the column's default).
    pub fn push_missing(&mut self) {
        self.offsets.push(self.data.len());
        self.state.push(MISSING);
        self.any_special = true;
    }

    /// Drops rows from `rows` on (and bytes written after them).
    pub fn truncate(&mut self, rows: usize) {
        if rows < self.state.len() {
            self.state.truncate(rows);
            self.offsets.truncate(rows + 1);
        }
        let end = self.offsets.last().copied().unwrap_or(0);
        self.data.truncate(end);
    }

    /// The rows that are NULL.
    pub fn null_rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.state
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == NULL)
            .map(|(i, _)| i)
    }

    /// True for rows that take the column's default: missing ones, and NULL ones when
    /// `null_too`. `None` if there are none.
    pub fn default_mask(&self, null_too: bool) -> Option<BooleanArray> {
        let hit = |s: u8| s == MISSING || (null_too && s == NULL);
        if !self.any_special || !self.state.iter().any(|s| hit(*s)) {
            return None;
        }
        Some(BooleanArray::from_iter(
            self.state.iter().map(|s| Some(hit(*s))),
        ))
    }

    /// The fields as a Binary array (NULL and missing rows are nulls).
    pub fn to_binary(&self) -> Result<BinaryArray> {
        Fields {
            data: self.data.clone(),
            offsets: self.offsets.clone(),
            state: self.state.clone(),
            any_special: self.any_special,
        }
        .into_binary()
    }

    /// The fields as a Binary array, consuming them.
    pub fn into_binary(self) -> Result<BinaryArray> {
        if self.data.len() > i32::MAX as usize {
            return Err(QueryError::new(
                ErrorCode::TooManyRowsOrBytes,
                "Input column is larger than 2 GiB in one INSERT",
            ));
        }
        let offsets: Vec<i32> = self.offsets.iter().map(|o| *o as i32).collect();
        let nulls = self
            .any_special
            .then(|| NullBuffer::from_iter(self.state.iter().map(|s| *s == VALUE)));
        Ok(BinaryArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            self.data.into(),
            nulls,
        )?)
    }
}
