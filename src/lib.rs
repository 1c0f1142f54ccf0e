//! govreview: the monthly cost governance review for Claude (Anthropic API) spend.

pub mod config;
pub mod cube;
pub mod data;
pub mod error;
pub mod month;
pub mod pricing;
