//! Anthropic's own formats, read into what the general query takes.

pub(crate) mod admin_api;
pub(crate) mod console;
