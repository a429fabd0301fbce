//! ClickBench harness: a deterministic generator of ClickBench's `hits` table.
//!
//! [`generator::Generator`] produces rows of the 105 columns of `create.sql` in order and
//! hands every value to a [`sink::Sink`]: [`tsv::TsvSink`] writes ClickHouse's TabSeparated
//! text (as in `hits.tsv`), [`parquet::ParquetSink`] writes Parquet with the physical types of
//! ClickBench's `hits.parquet`. [`write`] runs the generator on all cores (the same bytes
//! whatever the thread count); the `hits-gen` binary wires it to the command line.

pub mod batch;
pub mod generator;
pub mod ordered;
pub mod parquet;
pub mod pools;
pub mod rng;
pub mod schema;
pub mod sink;
pub mod tsv;
pub mod write;
pub mod zipf;
