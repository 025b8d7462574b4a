//! The public transparency log (issue 15): every publication and every complaint
//! status change goes into an append-only RFC 6962 Merkle tree whose signed
//! checkpoints anyone can keep, so nobody — us included — can change what was
//! published without it showing. `docs/transparency.md` explains it to readers and
//! engineers. This module is the pure core: no database, no HTTP.
//!
//! # A tour
//!
//! - [`entry`]: what one entry says — a canonical, versioned text per event
//!   ([`entry::Entry::encode`] / [`entry::Entry::decode`]).
//! - [`hash`]: RFC 6962 leaf and node hashing; [`hash::Hash`].
//! - [`tree`]: the subtree hashes the server stores per entry ([`tree::AppendPlan`])
//!   and the root from them ([`tree::RootPlan`]), named by [`tree::NodeId`]. Plans
//!   say which stored hashes they need; the caller fetches them (SQL, memory, tiles).
//! - [`proof`]: inclusion and consistency proofs, made from the same plans
//!   ([`proof::ProofPlan`]) and checked per RFC 9162 ([`proof::verify_inclusion`],
//!   [`proof::verify_consistency`]).
//! - [`note`] and [`checkpoint`]: C2SP signed notes with Ed25519 and the checkpoint
//!   text they carry; key strings compatible with Go's `sumdb/note`;
//!   [`note::generate_key`].
//! - [`tiles`]: the C2SP tlog-tiles layout the log is served in: paths, bodies, and
//!   [`tiles::TileHashes`], which turns fetched tiles back into proofs.
//! - [`verify`]: the reader's side — [`verify::LogVerifier`] over any
//!   [`verify::TileSource`] — and [`verify::Recomputer`] for `verify-log`.
//! - [`memory`]: whole trees and right edges in memory, for tests and tools.
//!
//! # The server's side, in short
//!
//! Append (in the event's own transaction, with the log's head row locked):
//! `AppendPlan::new(size)` → read `plan.nodes()` → store the entry and
//! `plan.hashes(leaf_hash(&entry), lookup)`. Checkpoint (every few minutes while
//! entries arrive): `RootPlan::new(size)` → `Checkpoint::new(origin, size, root)
//! .sign(&signer)` → keep it. Serve: `/transparency/checkpoint` is the latest note;
//! `/transparency/tile/…` is [`tiles::Tile::parse_path`], checked with
//! [`tiles::Tile::exists_at`] against the latest checkpoint's size, and answered from
//! [`tiles::Tile::nodes`] or [`tiles::Tile::entry_indexes`].

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
