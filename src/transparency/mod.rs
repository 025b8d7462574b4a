//! The public transparency log (issue 15): every publication and complaint status in
//! an append-only RFC 6962 Merkle tree. The tour grows with the module; see the end
//! state in this file's later versions.

pub mod checkpoint;
pub mod entry;
pub mod hash;
pub mod memory;
pub mod note;
pub mod proof;
pub mod tiles;
pub mod tree;
pub mod verify;

#[cfg(test)]
mod testdata;
