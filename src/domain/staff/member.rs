//! The member of staff a request acts as, once signed in, and the checks every action
//! goes through: whether the role may take the action at all, and whether the thing
//! acted on (a complaint, a village's disclosure) lies within the account's scope.

use super::permission::{Action, Scope, allows};
use super::role::Role;
use crate::domain::RegionCode;

/// A signed-in member of staff, as the session check established it from the account
/// as it stands now (a changed role or a disabled account takes effect at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The region the account works in: a village, township, county or the city.
    pub region: RegionCode,
    /// The unit a handler acts for: the name complaints are assigned to.
    pub unit: Option<String>,
}

/// What an action is taken on: where it is, and the unit it was assigned to, if any.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub region: &'a RegionCode,
    pub unit: Option<&'a str>,
}

/// How much of a complainant's identity a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityView {
    /// Nothing: not the name, the number or the openid.
    Hidden,
    /// The name and number a real-name complainant chose to leave (each look at them is
    /// recorded in the audit log).
    Contact,
}

impl StaffMember {
    /// Whether the role may take `action` on anything at all (for menus and links).
    pub fn may(&self, action: Action) -> bool {
        allows(self.role, action).is_some()
    }

    /// Whether the role may take `action` on `target`.
    pub fn may_on(&self, action: Action, target: Target<'_>) -> bool {
        let Some(scope) = allows(self.role, action) else {
            return false;
        };
        if !self.region.contains(target.region) {
            return false;
        }
        match scope {
            Scope::Region => true,
            Scope::Unit => self
                .unit
                .as_deref()
                .zip(target.unit)
                .is_some_and(|(mine, theirs)| mine.trim() == theirs.trim()),
        }
    }

    /// The unit whose complaints are the only ones this member may see with `action`.
    pub fn unit_scope(&self, action: Action) -> Option<&str> {
        match allows(self.role, action) {
            Some(Scope::Unit) => Some(self.unit.as_deref().unwrap_or_default()),
            _ => None,
        }
    }

    /// What of the complainant this member sees on a complaint they may read.
    pub fn identity_view(&self, anonymous: bool, target: Target<'_>) -> IdentityView {
        if !anonymous && self.may_on(Action::SeeContact, target) {
            IdentityView::Contact
        } else {
            IdentityView::Hidden
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, region: &str, unit: Option<&str>) -> StaffMember {
        StaffMember {
            account_id: 1,
            username: "u".into(),
            display_name: "某某".into(),
            role,
            region: RegionCode::parse(region).unwrap(),
            unit: unit.map(str::to_owned),
        }
    }

    #[test]
    fn scope_is_the_region_and_for_a_handler_the_unit() {
        let wanggang = RegionCode::parse("411503209202").unwrap();
        let elsewhere = RegionCode::parse("411502100201").unwrap();
        let county = member(Role::Inspector, "411503", None);
        let here = Target {
            region: &wanggang,
            unit: None,
        };
        let there = Target {
            region: &elsewhere,
            unit: None,
        };
        assert!(county.may_on(Action::AcceptComplaint, here));
        assert!(!county.may_on(Action::AcceptComplaint, there));
        let handler = member(Role::Handler, "411503", Some("王岗乡纪委"));
        let assigned = Target {
            region: &wanggang,
            unit: Some("王岗乡纪委"),
        };
        assert!(handler.may_on(Action::ReadComplaint, assigned));
        assert!(!handler.may_on(Action::ReadComplaint, here));
        assert!(!handler.may_on(Action::RejectComplaint, assigned));
        assert_eq!(handler.identity_view(false, assigned), IdentityView::Hidden);
        assert_eq!(county.identity_view(false, here), IdentityView::Contact);
        assert_eq!(county.identity_view(true, here), IdentityView::Hidden);
        assert_eq!(
            handler.unit_scope(Action::ListComplaints),
            Some("王岗乡纪委")
        );
        assert_eq!(county.unit_scope(Action::ListComplaints), None);
        let admin = member(Role::Admin, "4115", None);
        assert!(!admin.may_on(Action::ReadComplaint, here));
    }
}
