//! Granary's stream ingestion: the Kafka engine.
//!
//! A `Kafka` table holds no rows. Once a materialized view reads it, consumers join the
//! table's consumer group and turn batches of messages into blocks with the table's
//! columns and the virtual ones (`_topic`, `_offset`, ...); each block runs through the
//! table's materialized views, and the views' parts commit in one storage transaction
//! together with the next offset of every partition the batch read. On start and on every
//! partition assignment a consumer seeks to the offsets stored with the data, so after a
//! crash nothing is lost and nothing is counted twice. Kafka's own committed offsets are
//! advanced after each batch too, for lag monitoring.

pub mod kafka;

pub use kafka::KafkaEngine;
