//! Staff roles and what each may see of a complainant. The staff issue will bring
//! accounts and per-complaint assignment; this is the single check it fills in.

use serde::Serialize;

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

    /// Whether this role may change a complaint's status.
    pub fn may_act(self) -> bool {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
