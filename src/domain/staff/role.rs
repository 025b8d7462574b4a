//! The six kinds of staff. Each account has exactly one role; what a role may do, and
//! over which complaints or villages, is the permission table next door.

use serde::Serialize;

/// Declares the roles once: the variant, its wire name (database, API, CLI) and what
/// staff read.
macro_rules! roles {
    ($($variant:ident = $wire:literal, $label:literal, $doc:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Role {
            $(#[doc = $doc] $variant,)+
        }

        impl Role {
            pub const ALL: &[Role] = &[$(Role::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $(Role::$variant => $wire,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $(Role::$variant => $label,)+ }
            }
        }
    };
}

roles! {
    Clerk = "clerk", "村务员", "A village clerk: drafts the village's disclosures.";
    Reviewer = "reviewer", "乡镇审核员", "A township reviewer: approves the township's villages' disclosures, keeps its supervisor directory.";
    Handler = "handler", "承办人", "A unit's handler: handles complaints assigned to the unit; never sees who complained.";
    Inspector = "inspector", "纪检监察干部", "Commission staff: accept, refuse, assign, extend, conclude and review complaints.";
    Auditor = "auditor", "审计员", "Reads everything within scope, the audit log included.";
    Admin = "admin", "管理员", "Users, the power list, the menu, templates; no complaint content.";
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    /// Roles whose accounts must sign in with a second factor (TOTP): those who see who
    /// complained or who manage accounts.
    pub fn requires_second_factor(self) -> bool {
        matches!(self, Role::Admin | Role::Inspector)
    }

    /// Roles that act for a unit (a township or department complaints are assigned to).
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::Handler)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_its_wire_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Role::parse("unit"), None);
        assert_eq!(Role::ALL.len(), 6);
    }
}
