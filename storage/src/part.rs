//! Data parts: the immutable, sorted, compressed unit of a MergeTree table (see
//! `storage/FORMAT.md` for the bytes on disk).

pub mod decode;
pub mod encode;
pub mod layout;
pub mod meta;
pub mod name;
pub mod reader;
pub mod writer;

pub use meta::{PartColumn, PartMeta};
pub use name::PartInfo;
pub use reader::{DataPart, MarkRange};
pub use writer::{sort_batch, PartWriter, WrittenPart};
