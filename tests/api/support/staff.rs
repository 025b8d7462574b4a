//! Staff as tests make them: bearer tokens for each role of the staff API.

use sqlx::PgPool;
use sunvillage::domain::staff::{Staff, StaffRole};
use sunvillage::routes::staff::auth::{new_token, token_digest};
use sunvillage::storage;

use super::app::TestApp;

/// The unit that complaints in these tests are assigned to.
pub const UNIT: &str = "王岗乡纪委";

/// A token for `role`; a unit's acts for [`UNIT`].
pub async fn staff_token(app: &TestApp, name: &str, role: StaffRole) -> String {
    let unit = (role == StaffRole::Unit).then(|| UNIT.to_owned());
    token_for(&app.pool, name, role, unit).await
}

pub async fn unit_token(app: &TestApp, name: &str, unit: &str) -> String {
    token_for(&app.pool, name, StaffRole::Unit, Some(unit.to_owned())).await
}

/// A token for a member of staff called `name` in the database behind `pool` (a unit's
/// acts for `unit`); only its SHA-256 is stored, as `sunvillage staff-token` does.
pub async fn token_for(pool: &PgPool, name: &str, role: StaffRole, unit: Option<String>) -> String {
    let token = new_token();
    let staff = Staff {
        name: name.to_owned(),
        role,
        unit,
    };
    storage::staff_tokens::insert(pool, &staff, &token_digest(&token))
        .await
        .unwrap();
    token
}
