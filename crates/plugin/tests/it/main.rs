//! The plugin host against real go-plugin binaries built from `crates/plugin/fixtures`.

mod fixtures;
mod host;
