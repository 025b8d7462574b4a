//! Staff: the six roles, the permission table (role × action × scope), the member of
//! staff a request acts as, and what each may see of a complainant.

pub mod account;
pub mod member;
pub mod permission;
pub mod role;

pub use account::{AccountError, DisplayName, Username};
pub use member::{IdentityView, StaffMember, Target};
pub use permission::{Action as StaffAction, Scope, allows};
pub use role::Role;
