//! Shared fixtures for WayRay's end-to-end tests: private runtime dirs, finding real programs,
//! and the rule that a missing program skips a test on a developer's machine but fails it in CI.

pub mod programs;
pub mod runtime_dir;
