//! How a column of a given type is laid out in a part: its substreams (one `.bin` file each,
//! like ClickHouse's `col.bin`, `col.null.bin`, `col.size0.bin`) and, for
//! `LowCardinality`, its dictionary file.

use crate::types::DataType;

/// One substream of a column: a `.bin` file of compressed blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSpec {
    /// Appended to the column's file name: `""`, `".null"`, `".size0"`, `".keys"`...
    pub suffix: String,
    /// Bytes per value for the codecs (0 for variable-width bytes).
    pub value_width: usize,
}

/// How values of a fixed-width type are converted between Arrow and disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixedConv {
    /// The Arrow buffer's bytes are the disk bytes.
    Plain,
    /// Arrow `Decimal128` stored in 4 or 8 bytes (ClickHouse's Decimal32 / Decimal64).
    NarrowDecimal,
}

/// The layout tree of a column type; each node names the substreams it owns by index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// Fixed-width little-endian values.
    Fixed {
        /// Substream index.
        stream: usize,
        /// Bytes per value on disk.
        width: usize,
        /// Conversion between Arrow and disk.
        conv: FixedConv,
    },
    /// `Bool`: one byte per value.
    Bool {
        /// Substream index.
        stream: usize,
    },
    /// `String`: per granule, the lengths as u32 then the bytes.
    Str {
        /// Substream index.
        stream: usize,
    },
    /// `LowCardinality(T)`: u32 keys into the part's dictionary of T.
    LowCard {
        /// Substream index of the keys.
        stream: usize,
        /// Substream index of the null map, for `LowCardinality(Nullable(T))`.
        null_stream: Option<usize>,
        /// Index of this node's dictionary among the column's dictionaries.
        dict: usize,
        /// Bytes per dictionary value: 0 for String, N for FixedString(N).
        value_width: usize,
    },
    /// `Nullable(T)`: a null map (1 = NULL) then T's values for every row.
    Nullable {
        /// Substream index of the null map.
        null_stream: usize,
        /// The inner type's layout.
        inner: Box<Node>,
    },
    /// `Array(T)`: u32 element count per row, then T's elements.
    Array {
        /// Substream index of the sizes.
        size_stream: usize,
        /// The element layout.
        inner: Box<Node>,
    },
    /// `Map(K, V)`: u32 entry count per row, then keys and values.
    Map {
        /// Substream index of the sizes.
        size_stream: usize,
        /// The key layout.
        keys: Box<Node>,
        /// The value layout.
        values: Box<Node>,
    },
}

/// A column's whole layout: the tree, its substreams in order and its dictionary suffixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnLayout {
    /// The layout tree.
    pub node: Node,
    /// Substreams; marks list one entry per substream in this order.
    pub streams: Vec<StreamSpec>,
    /// File suffixes of `LowCardinality` dictionaries (`.dict` files), by dictionary index.
    pub dicts: Vec<String>,
}

impl ColumnLayout {
    /// The layout of a column of type `t`.
    pub fn of(t: &DataType) -> ColumnLayout {
        let mut l = ColumnLayout {
            node: Node::Bool { stream: 0 },
            streams: Vec::new(),
            dicts: Vec::new(),
        };
        l.node = l.build(t, "", 0);
        l
    }

    fn stream(&mut self, suffix: String, value_width: usize) -> usize {
        self.streams.push(StreamSpec {
            suffix,
            value_width,
        });
        self.streams.len() - 1
    }

    fn build(&mut self, t: &DataType, suffix: &str, depth: usize) -> Node {
        match t {
            DataType::Nullable(inner) => {
                let null_stream = self.stream(format!("{suffix}.null"), 1);
                let inner = Box::new(self.build(inner, suffix, depth));
                Node::Nullable { null_stream, inner }
            }
            DataType::LowCardinality(inner) => {
                let null_stream = inner
                    .is_nullable()
                    .then(|| self.stream(format!("{suffix}.null"), 1));
                let stream = self.stream(format!("{suffix}.keys"), 4);
                self.dicts.push(format!("{suffix}.dict"));
                let value_width = match inner.base() {
                    DataType::FixedString(n) => *n,
                    _ => 0,
                };
                Node::LowCard {
                    stream,
                    null_stream,
                    dict: self.dicts.len() - 1,
                    value_width,
                }
            }
            DataType::Array(inner) => {
                let size_stream = self.stream(format!("{suffix}.size{depth}"), 4);
                let inner = Box::new(self.build(inner, suffix, depth + 1));
                Node::Array { size_stream, inner }
            }
            DataType::Map(k, v) => {
                let size_stream = self.stream(format!("{suffix}.size{depth}"), 4);
                let keys = Box::new(self.build(k, &format!("{suffix}.keys"), depth + 1));
                let values = Box::new(self.build(v, &format!("{suffix}.values"), depth + 1));
                Node::Map {
                    size_stream,
                    keys,
                    values,
                }
            }
            // An aggregate state is a byte string; a SimpleAggregateFunction is its T.
            DataType::String | DataType::AggregateFunction(_) => Node::Str {
                stream: self.stream(suffix.to_string(), 0),
            },
            DataType::SimpleAggregateFunction(_, inner) => self.build(inner, suffix, depth),
            DataType::Bool => Node::Bool {
                stream: self.stream(suffix.to_string(), 1),
            },
            DataType::Decimal { precision, .. } if *precision <= 18 => {
                let width = crate::types::decimal_width(*precision);
                Node::Fixed {
                    stream: self.stream(suffix.to_string(), width),
                    width,
                    conv: FixedConv::NarrowDecimal,
                }
            }
            other => {
                // Every remaining type is fixed-width (see DataType::fixed_width).
                let width = other.fixed_width().unwrap_or(1);
                Node::Fixed {
                    stream: self.stream(suffix.to_string(), width),
                    width,
                    conv: FixedConv::Plain,
                }
            }
        }
    }
}

/// Escapes a column name for use in file names: ASCII letters, digits and `_` stay, every
/// other byte becomes `%XX` (as ClickHouse does).
pub fn escape_file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_of_nested_types() {
        let l = ColumnLayout::of(&DataType::parse("Map(String, Array(Nullable(Int32)))").unwrap());
        let suffixes: Vec<_> = l.streams.iter().map(|s| s.suffix.as_str()).collect();
        assert_eq!(
            suffixes,
            [
                ".size0",
                ".keys",
                ".values.size1",
                ".values.null",
                ".values"
            ]
        );
        let l = ColumnLayout::of(&DataType::parse("LowCardinality(Nullable(String))").unwrap());
        assert_eq!(l.streams.len(), 2);
        assert_eq!(l.dicts, [".dict"]);
        assert_eq!(escape_file_name("a.b c"), "a%2Eb%20c");
    }
}
