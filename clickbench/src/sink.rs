//! Where generated values go: one call per column, in `create.sql`'s order, then `end_row`.

use std::io;

/// A consumer of generated rows. The generator calls one value method per column in
/// [`crate::schema::COLUMNS`] order, then [`Sink::end_row`].
pub trait Sink {
    /// An integer column (Int16, Int32 or Int64).
    fn int(&mut self, v: i64);
    /// A String column (raw bytes, not escaped).
    fn text(&mut self, v: &[u8]);
    /// A Date column, as days since 1970-01-01.
    fn date(&mut self, days: i64);
    /// A DateTime column, as seconds since the epoch (UTC).
    fn datetime(&mut self, secs: i64);
    /// The end of a row; a sink may write out buffered rows here.
    fn end_row(&mut self) -> io::Result<()>;
    /// The end of the data: flush everything.
    fn finish(&mut self) -> io::Result<()>;
}
