//! The bytes echo-node and echo-load put on the wire and read from it, written once:
//!
//! - [`json`]: JSON's lexical grammar (RFC 8259), token by token, for the node's
//!   diagnostics and the driver's reply checker alike;
//! - [`frame`]: Maelstrom's message frame: the `init` a node is sent and an `echo`
//!   request, byte for byte as Maelstrom writes them;
//! - [`Span`]: where a token lies in a line.
//!
//! No dependencies, no allocation in [`json`], no unsafe code.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod frame;
pub mod json;
mod span;

pub use span::Span;
