//! Use cases: each changes the database in one transaction together with its audit line
//! (and, where someone must be told, its outbox row).

pub mod accounts;
pub mod audit;
