//! Granary ingest
