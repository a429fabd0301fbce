//! Shared helpers for end-to-end tests.
//!
//! [`crash`] defines the table and the rows the crash test's child process inserts, so the
//! child (`src/bin/crash_child.rs`) and the checking parent (`tests/crash.rs`) agree on
//! them without talking to each other.

pub mod crash;
