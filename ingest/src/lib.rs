//! Granary's insert pipeline, materialized views and the Kafka engine.
//!
//! Not written yet: inserts go straight from the query crate's session to the storage
//! engine (`MergeTreeTable::insert`, one atomic commit per insert). Materialized views
//! and Kafka ingestion come with their issues and will live here.
