//! A draft's way to publication: the one place that says which step is allowed from
//! which state and by which permission.
//!
//! ```text
//!          edit                      approve (reviewer)
//! 草稿 draft ─submit (clerk)→ 待审核 submitted ─────────────→ 已发布 published
//!   ↑  └──────────edit─────────┐      │
//!   │                          │      └─return, with a reason (reviewer)→ 已退回 returned
//!   └────────────edit──────────┴──────────────────────────────────────────────┘
//! ```
//! A draft either makes a new disclosure (version 1) or corrects a published one (the
//! next version, with the reason for the correction). A published version is never
//! changed; a withdrawal keeps the record and its reason (see `services::disclosures`).

use crate::domain::staff::StaffAction;
use crate::domain::wire::wire_enum;

wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum DraftState {
        Draft("draft", "草稿"),
        Submitted("submitted", "待审核"),
        Returned("returned", "已退回"),
        Published("published", "已发布"),
    }
}

wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Step {
        Edit("edit", "修改"),
        Submit("submit", "提交审核"),
        Approve("approve", "审核通过并发布"),
        Return("return", "退回修改"),
    }
}

/// From which states each step may be taken, and what permission it needs.
const TABLE: &[(Step, &[DraftState], StaffAction, DraftState)] = &[
    (
        Step::Edit,
        &[DraftState::Draft, DraftState::Returned],
        StaffAction::DraftDisclosure,
        DraftState::Draft,
    ),
    (
        Step::Submit,
        &[DraftState::Draft, DraftState::Returned],
        StaffAction::DraftDisclosure,
        DraftState::Submitted,
    ),
    (
        Step::Approve,
        &[DraftState::Submitted],
        StaffAction::ReviewDisclosure,
        DraftState::Published,
    ),
    (
        Step::Return,
        &[DraftState::Submitted],
        StaffAction::ReviewDisclosure,
        DraftState::Returned,
    ),
];

impl Step {
    fn line(self) -> &'static (Step, &'static [DraftState], StaffAction, DraftState) {
        // Every step has its line (a test checks it).
        TABLE.iter().find(|l| l.0 == self).unwrap_or(&TABLE[0])
    }

    /// The permission the step needs.
    pub fn permission(self) -> StaffAction {
        self.line().2
    }

    /// The state after the step, or `None` when it is not allowed from `from`.
    pub fn apply(self, from: DraftState) -> Option<DraftState> {
        let (_, allowed, _, to) = self.line();
        allowed.contains(&from).then_some(*to)
    }

    /// The line the audit log writes.
    pub fn audit_action(self) -> &'static str {
        match self {
            Step::Edit => "disclosure.draft_edited",
            Step::Submit => "disclosure.submitted",
            Step::Approve => "disclosure.published",
            Step::Return => "disclosure.returned",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_a_line() {
        for step in Step::ALL {
            assert_eq!(step.line().0, step);
        }
    }

    #[test]
    fn the_diagram_holds() {
        use DraftState::*;
        assert_eq!(Step::Submit.apply(Draft), Some(Submitted));
        assert_eq!(Step::Submit.apply(Returned), Some(Submitted));
        assert_eq!(Step::Submit.apply(Submitted), None);
        assert_eq!(Step::Edit.apply(Submitted), None);
        assert_eq!(Step::Edit.apply(Published), None);
        assert_eq!(Step::Approve.apply(Submitted), Some(Published));
        assert_eq!(Step::Approve.apply(Draft), None);
        assert_eq!(Step::Return.apply(Submitted), Some(Returned));
        assert_eq!(Step::Return.apply(Published), None);
        assert_eq!(Step::Approve.permission(), StaffAction::ReviewDisclosure);
        assert_eq!(Step::Submit.permission(), StaffAction::DraftDisclosure);
    }
}
