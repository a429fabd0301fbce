//! Date and time functions.

pub mod calendar;
mod funcs;

pub use funcs::register;
