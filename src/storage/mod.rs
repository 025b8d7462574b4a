//! Query functions grouped by the table they own. They take a `&PgPool` or a
//! transaction, return domain types, and hold all of the service's SQL.

pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod classifications;
pub mod complaints;
pub mod data_keys;
pub mod database;
pub mod disclosures;
pub mod drafts;
pub mod followers;
pub mod gauges;
pub mod inbound_messages;
pub mod insight;
pub mod outbox;
pub mod people;
pub mod power;
pub mod power_adoptions;
pub mod power_versions;
pub mod recommendations;
pub mod regions;
pub mod retention;
pub mod sealing;
pub mod stats;
pub mod supervisors;
pub mod tlog;
pub mod village_pushes;

/// A transaction on the service's database.
pub type PgTransaction<'a> = sqlx::Transaction<'a, sqlx::Postgres>;

/// A value read back from the database that no longer parses (a row that predates a
/// rule, or a hand edit): reported as a decode error rather than trusted.
pub fn corrupt(what: &str, err: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("stored {what} is invalid: {err}").into())
}

/// A page of a list: 1-based page number and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Paging {
    pub(crate) fn offset(self) -> i64 {
        i64::from(self.page.max(1) - 1) * i64::from(self.per_page)
    }

    pub(crate) fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
}
