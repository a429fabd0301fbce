//! Helpers shared by the integration tests: the `.slt` file reader. (The ClickBench schema
//! and queries the tests include live in the workspace's `clickbench/`.)

pub mod slt;
