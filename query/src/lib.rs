//! Granary query
