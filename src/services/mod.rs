//! Use cases: each public function is one thing a follower or a member of staff does,
//! written as one transaction over `storage` with the rules from `domain` (the state
//! change, its audit line, its timeline line and its notification commit together or
//! not at all). Handlers call these; they hold no SQL and no HTTP.

pub mod accounts;
pub mod audit;
pub mod classification;
pub mod complaint_drafts;
pub mod complaints;
pub mod disclosures;
pub mod handling;
pub mod identity;
pub mod insight;
pub mod keys;
pub mod phone_search;
pub mod power_list;
pub mod recommendations;
pub mod retention;
pub mod supervisors;
pub mod transparency;
