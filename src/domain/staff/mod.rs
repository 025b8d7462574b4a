//! Staff: the six roles, the permission table (role × action × scope), the member of
//! staff a request acts as, and what each may see of a complainant.

pub mod account;
pub mod member;
pub mod permission;
pub mod role;

pub use account::{AccountError, DisplayName, Username};
pub use member::{IdentityView as MemberIdentityView, StaffMember, Target};
pub use permission::{Action as StaffAction, Scope, allows};
pub use role::Role;

use serde::Serialize;

use crate::domain::complaint::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Commission staff who accept, assign and answer complaints: they see the name and
    /// number a real-name complainant left, never who an anonymous one is.
    Handler,
    /// A township or unit a complaint was assigned to: never sees who complained
    /// (《信访工作条例》 art. 30: nothing reaches the person complained about).
    Unit,
    /// Audit (e.g. a report of malicious complaints): sees the openid behind every
    /// complaint, anonymous ones included.
    Auditor,
}

impl StaffRole {
    pub fn parse(s: &str) -> Option<StaffRole> {
        match s {
            "handler" => Some(StaffRole::Handler),
            "unit" => Some(StaffRole::Unit),
            "auditor" => Some(StaffRole::Auditor),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Handler => "handler",
            StaffRole::Unit => "unit",
            StaffRole::Auditor => "auditor",
        }
    }

    /// Whether this role may take `action` on a complaint it can see. A unit reports
    /// what it did (the conclusion) and nothing else: accepting, refusing (不予受理 is
    /// final), assigning and extending are the commission's, never the unit's that may
    /// be the one complained about.
    pub fn may_take(self, action: &Action) -> bool {
        match self {
            StaffRole::Handler => true,
            StaffRole::Unit => matches!(action, Action::Conclude { .. }),
            StaffRole::Auditor => false,
        }
    }

    /// Whether this role may add internal notes (an auditor reads, never writes).
    pub fn may_note(self) -> bool {
        matches!(self, StaffRole::Handler | StaffRole::Unit)
    }

    /// What of the complainant this role sees on a complaint.
    pub fn identity_view(self, anonymous: bool) -> IdentityView {
        match (self, anonymous) {
            (StaffRole::Auditor, _) => IdentityView::Full,
            (StaffRole::Handler, false) => IdentityView::Contact,
            _ => IdentityView::Hidden,
        }
    }
}

/// How much of a complainant's identity a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityView {
    /// Nothing: not the name, the number or the openid.
    Hidden,
    /// The name and number they chose to leave.
    Contact,
    /// Name, number and openid.
    Full,
}

/// A member of staff, as the authorisation check established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub name: String,
    pub role: StaffRole,
    /// The unit a `Unit` acts for (the name complaints are assigned to).
    pub unit: Option<String>,
}

impl Staff {
    /// Whether this member of staff may see a complaint assigned to `assigned_unit`:
    /// a unit only those assigned to it, everyone else all.
    pub fn may_see(&self, assigned_unit: Option<&str>) -> bool {
        match self.role {
            StaffRole::Unit => self
                .unit
                .as_deref()
                .is_some_and(|unit| Some(unit.trim()) == assigned_unit.map(str::trim)),
            StaffRole::Handler | StaffRole::Auditor => true,
        }
    }

    /// The unit whose complaints are the only ones listed for this member, if any.
    pub fn only_unit(&self) -> Option<&str> {
        match self.role {
            StaffRole::Unit => Some(self.unit.as_deref().unwrap_or_default()),
            StaffRole::Handler | StaffRole::Auditor => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str) -> Staff {
        Staff {
            name: "乡镇".into(),
            role: StaffRole::Unit,
            unit: Some(name.into()),
        }
    }

    #[test]
    fn a_unit_sees_only_what_is_assigned_to_it_and_never_refuses() {
        let u = unit("王岗乡");
        assert!(u.may_see(Some("王岗乡")));
        assert!(!u.may_see(Some("青山镇")));
        assert!(!u.may_see(None));
        assert_eq!(u.only_unit(), Some("王岗乡"));
        let refuse = Action::Reject { reason: "x".into() };
        assert!(!StaffRole::Unit.may_take(&refuse));
        assert!(!StaffRole::Unit.may_take(&Action::Accept));
        assert!(StaffRole::Unit.may_take(&Action::Conclude { reply: "x".into() }));
        assert!(StaffRole::Handler.may_take(&refuse));
        assert!(!StaffRole::Auditor.may_take(&Action::Accept));
        assert!(!StaffRole::Auditor.may_note());
    }

    #[test]
    fn only_the_auditor_sees_who_an_anonymous_complainant_is() {
        for role in [StaffRole::Handler, StaffRole::Unit] {
            assert_eq!(role.identity_view(true), IdentityView::Hidden);
        }
        assert_eq!(StaffRole::Auditor.identity_view(true), IdentityView::Full);
        assert_eq!(
            StaffRole::Handler.identity_view(false),
            IdentityView::Contact
        );
        assert_eq!(StaffRole::Unit.identity_view(false), IdentityView::Hidden);
    }
}
