//! Query functions grouped by the table they own. They take a `&PgPool` or a
//! transaction, return domain types, and hold all of the service's SQL.

pub mod database;
pub mod followers;
pub mod inbound_messages;
pub mod regions;

/// A transaction on the service's database.
pub type PgTransaction<'a> = sqlx::Transaction<'a, sqlx::Postgres>;

/// A value read back from the database that no longer parses (a row that predates a
/// rule, or a hand edit): reported as a decode error rather than trusted.
pub(crate) fn corrupt(what: &str, err: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("stored {what} is invalid: {err}").into())
}
