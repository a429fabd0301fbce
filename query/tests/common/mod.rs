//! Helpers shared by the integration tests: the `.slt` file reader, and copies of the
//! ClickBench schema and queries (`clickbench_create.sql`, `clickbench_queries.sql`) that
//! the SQL parser's unit tests include.

pub mod slt;
