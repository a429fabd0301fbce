//! Value text formatting as ClickHouse prints values: the TabSeparated escaping, and the
//! quoted-literal form used inside arrays, maps and tuples.

mod datetime;
pub mod input;
mod number;
pub mod output;
#[cfg(test)]
mod tests;
mod text;

pub use datetime::{write_date, write_datetime, write_datetime64};
pub use number::{write_decimal, write_f32, write_f64};
pub use text::{
    format_tsv, write_escaped, write_quoted_value, write_tsv, write_tsv_value, write_uuid,
};
