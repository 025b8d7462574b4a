//! The complaint workflow as a state machine: the one place that says which action is
//! allowed from which state and by whom, what it changes, and whether the complainant
//! is told.
//!
//! ```text
//! 待受理 ─accept→ 已受理 ─assign→ 已转办 ─conclude→ 已办结 ─rate→ 已评价
//!    └─reject→ 不予受理      └──────conclude──────┘          │ not satisfied,
//!                                                             │ within 30 days
//!                            已办结 ←conclude─ 复查中 ←request_review┘
//! ```
//! `extend` (once, ≤ 30 days, with a reason) moves the conclusion deadline while the
//! complaint is 已受理 or 已转办. One review per complaint; after it the rating is final.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::deadline::{self, Deadlines};
use crate::domain::wire::wire_enum;

/// Longest free text in a transition (a reason, note or reply).
pub const MAX_NOTE_CHARS: usize = 2000;
/// Longest name of the unit a complaint is assigned to.
pub const MAX_UNIT_CHARS: usize = 100;

wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ComplaintStatus {
        /// 待受理: received, not yet decided.
        Pending("pending", "待受理"),
        Accepted("accepted", "已受理"),
        /// Final, with a reason.
        Rejected("rejected", "不予受理"),
        /// Sent to a township or unit to handle.
        Assigned("assigned", "已转办"),
        /// Answered.
        Concluded("concluded", "已办结"),
        /// The complainant rated the answer.
        Rated("rated", "已评价"),
        /// A review after a "not satisfied" rating.
        UnderReview("under_review", "复查中"),
    }
}

impl ComplaintStatus {
    /// Whether someone still has to act on it (it counts toward workload and deadlines).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ComplaintStatus::Pending
                | ComplaintStatus::Accepted
                | ComplaintStatus::Assigned
                | ComplaintStatus::UnderReview
        )
    }
}

wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Satisfaction {
        Satisfied("satisfied", "满意"),
        BasicallySatisfied("basically_satisfied", "基本满意"),
        NotSatisfied("not_satisfied", "不满意"),
    }
}

/// Which kind of actor acts: all the rules look at. Which staff member may act on which
/// complaint is the staff side's authorisation check; who it was is the timeline's
/// [`super::timeline::Actor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Staff,
    Complainant,
}

/// What someone does to a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Accept,
    Reject {
        reason: String,
    },
    Assign {
        unit: String,
        note: String,
    },
    Extend {
        days: u64,
        reason: String,
    },
    Conclude {
        reply: String,
    },
    /// The unit that handles it reports what it did (for the inspector, not public).
    ReportResult {
        result: String,
    },
    /// The inspector in charge hands it to another (`to`: their username).
    Transfer {
        to: String,
    },
    Rate(Satisfaction),
    RequestReview {
        reason: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject { .. } => "reject",
            Action::Assign { .. } => "assign",
            Action::Extend { .. } => "extend",
            Action::Conclude { .. } => "conclude",
            Action::ReportResult { .. } => "report_result",
            Action::Transfer { .. } => "transfer",
            Action::Rate(_) => "rate",
            Action::RequestReview { .. } => "request_review",
        }
    }

    /// The one kind of actor allowed to take this action.
    pub fn actor(&self) -> ActorKind {
        match self {
            Action::Rate(_) | Action::RequestReview { .. } => ActorKind::Complainant,
            _ => ActorKind::Staff,
        }
    }

    /// The states this action may start from.
    pub fn allowed_from(&self) -> &'static [ComplaintStatus] {
        use ComplaintStatus::*;
        match self {
            Action::Accept | Action::Reject { .. } => &[Pending],
            Action::Assign { .. } => &[Accepted, Assigned, UnderReview],
            Action::Extend { .. } => &[Accepted, Assigned],
            Action::Conclude { .. } => &[Accepted, Assigned, UnderReview],
            Action::ReportResult { .. } => &[Assigned, UnderReview],
            Action::Transfer { .. } => &[Accepted, Assigned, UnderReview],
            Action::Rate(_) => &[Concluded],
            Action::RequestReview { .. } => &[Rated],
        }
    }
}

wire_enum! {
    /// What happened, as recorded in the timeline and (where the complainant should
    /// know) pushed to them. The texts are the notification kinds of the outbox
    /// configuration (`wechat.templates.complaint_received`, …).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Event {
        Received("complaint_received", "已收到"),
        Accepted("complaint_accepted", "已受理"),
        Rejected("complaint_rejected", "不予受理"),
        Assigned("complaint_assigned", "已转办"),
        Extended("complaint_extended", "办理期限已延长"),
        Concluded("complaint_concluded", "已办结"),
        Rated("complaint_rated", "已评价"),
        ReviewOpened("complaint_review_opened", "已进入复查"),
        /// An internal note by staff; the status does not change.
        Noted("complaint_noted", "内部备注"),
        /// The unit reported what it did; the status does not change.
        ResultReported("complaint_result_reported", "承办单位报送办理结果"),
        /// Another inspector took charge; the status does not change.
        Transferred("complaint_transferred", "移交其他干部办理"),
    }
}

impl Event {
    /// Every event the complainant is pushed, each a notification kind that needs a
    /// template in production.
    pub const NOTIFIED: [Event; 7] = [
        Event::Received,
        Event::Accepted,
        Event::Rejected,
        Event::Assigned,
        Event::Extended,
        Event::Concluded,
        Event::ReviewOpened,
    ];

    /// The fields every complaint push fills (each ≤ 20 characters, per the 2023 rules):
    /// the tracking number, the new status in a few words, and the time.
    pub const FIELDS: [&'static str; 3] = ["tracking_number", "status", "time"];

    /// Whether the complainant may read this step of the timeline (internal notes are
    /// for staff only).
    pub fn is_public(self) -> bool {
        !matches!(
            self,
            Event::Noted | Event::ResultReported | Event::Transferred
        )
    }

    /// The complainant is told of every step that changes what they wait for; their
    /// own rating is not pushed back to them, and internal notes never reach them.
    pub fn notifies_complainant(self) -> bool {
        !matches!(
            self,
            Event::Rated | Event::Noted | Event::ResultReported | Event::Transferred
        )
    }
}

/// The parts of a complaint the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintState {
    pub status: ComplaintStatus,
    pub received_at: DateTime<Utc>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub deadlines: Deadlines,
    pub extended: bool,
    pub reviews: u32,
    pub satisfaction: Option<Satisfaction>,
}

impl ComplaintState {
    /// A complaint just received.
    pub fn received(at: DateTime<Utc>) -> ComplaintState {
        ComplaintState {
            status: ComplaintStatus::Pending,
            received_at: at,
            concluded_at: None,
            deadlines: Deadlines::on_receipt(at),
            extended: false,
            reviews: 0,
            satisfaction: None,
        }
    }

    /// Whether the complainant may ask for a review now: once, after rating the answer
    /// not satisfied, within 30 days of it (《信访工作条例》 art. 35).
    pub fn review_available(&self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if self.reviews > 0 {
            return Err(TransitionError::ReviewAlreadyUsed);
        }
        let in_window = self
            .concluded_at
            .is_some_and(|c| now <= deadline::days_after(c, deadline::REVIEW_REQUEST_WITHIN_DAYS));
        if self.status != ComplaintStatus::Rated
            || self.satisfaction != Some(Satisfaction::NotSatisfied)
            || !in_window
        {
            return Err(TransitionError::ReviewNotAvailable);
        }
        Ok(())
    }

    /// The deadline that applies now, if any.
    pub fn current_deadline(&self) -> Option<DateTime<Utc>> {
        match self.status {
            ComplaintStatus::Pending => self.deadlines.accept_due,
            ComplaintStatus::Accepted | ComplaintStatus::Assigned => self.deadlines.conclude_due,
            ComplaintStatus::UnderReview => self.deadlines.review_due,
            _ => None,
        }
    }
}

/// The result of an allowed action: the new state and what to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    pub state: ComplaintState,
    pub event: Event,
    /// The public line of the timeline (the complainant sees it).
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {action} a complaint that is {}", from.label())]
    NotAllowed {
        action: &'static str,
        from: ComplaintStatus,
    },
    #[error("only {} may {action}", match actor { ActorKind::Staff => "staff", ActorKind::Complainant => "the complainant" })]
    WrongActor {
        action: &'static str,
        actor: ActorKind,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("the conclusion deadline was already extended once")]
    AlreadyExtended,
    #[error("a review is requested within 30 days of the reply, after a not-satisfied rating")]
    ReviewNotAvailable,
    #[error("this complaint was already reviewed once")]
    ReviewAlreadyUsed,
}

fn required(what: &str, text: &str, max: usize) -> Result<String, TransitionError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TransitionError::Invalid(format!("{what} is required")));
    }
    if text.chars().count() > max {
        return Err(TransitionError::Invalid(format!(
            "{what} is longer than {max} characters"
        )));
    }
    Ok(text.to_owned())
}

/// Applies `action` by `actor` at `now`, or says why it is not allowed.
pub fn apply(
    state: &ComplaintState,
    actor: ActorKind,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<Effect, TransitionError> {
    if action.actor() != actor {
        return Err(TransitionError::WrongActor {
            action: action.name(),
            actor: action.actor(),
        });
    }
    if !action.allowed_from().contains(&state.status) {
        return Err(TransitionError::NotAllowed {
            action: action.name(),
            from: state.status,
        });
    }
    let mut next = state.clone();
    let (event, summary) = match action {
        Action::Accept => {
            next.status = ComplaintStatus::Accepted;
            next.deadlines.conclude_due =
                Some(deadline::days_after(now, deadline::CONCLUDE_WITHIN_DAYS));
            (Event::Accepted, "已受理，正在办理".to_owned())
        }
        Action::Reject { reason } => {
            let reason = required("the reason", reason, MAX_NOTE_CHARS)?;
            next.status = ComplaintStatus::Rejected;
            (Event::Rejected, format!("不予受理：{reason}"))
        }
        Action::Assign { unit, note } => {
            let unit = required("the unit", unit, MAX_UNIT_CHARS)?;
            if note.chars().count() > MAX_NOTE_CHARS {
                return Err(TransitionError::Invalid(format!(
                    "the note is longer than {MAX_NOTE_CHARS} characters"
                )));
            }
            next.status = if state.status == ComplaintStatus::UnderReview {
                ComplaintStatus::UnderReview
            } else {
                ComplaintStatus::Assigned
            };
            (Event::Assigned, format!("已转交{unit}办理"))
        }
        Action::Extend { days, reason } => {
            if state.extended {
                return Err(TransitionError::AlreadyExtended);
            }
            if *days == 0 || *days > deadline::MAX_EXTENSION_DAYS {
                return Err(TransitionError::Invalid(format!(
                    "an extension is 1 to {} days",
                    deadline::MAX_EXTENSION_DAYS
                )));
            }
            let reason = required("the reason", reason, MAX_NOTE_CHARS)?;
            let due = state.deadlines.conclude_due.ok_or_else(|| {
                TransitionError::Invalid("no conclusion deadline to extend".into())
            })?;
            next.deadlines.conclude_due = Some(due + chrono::Days::new(*days));
            next.extended = true;
            (Event::Extended, format!("办理期限延长{days}天：{reason}"))
        }
        Action::Conclude { reply } => {
            let reply = required("the reply", reply, MAX_NOTE_CHARS)?;
            next.status = ComplaintStatus::Concluded;
            next.concluded_at = Some(now);
            next.satisfaction = None;
            (Event::Concluded, format!("已办结：{reply}"))
        }
        Action::ReportResult { result } => {
            required("the result", result, MAX_NOTE_CHARS)?;
            (Event::ResultReported, String::new())
        }
        Action::Transfer { to } => {
            let to = required("who takes charge", to, MAX_UNIT_CHARS)?;
            (Event::Transferred, format!("移交{to}办理"))
        }
        Action::Rate(satisfaction) => {
            next.status = ComplaintStatus::Rated;
            next.satisfaction = Some(*satisfaction);
            (Event::Rated, format!("评价：{}", satisfaction.label()))
        }
        Action::RequestReview { reason } => {
            state.review_available(now)?;
            let reason = required("the reason", reason, MAX_NOTE_CHARS)?;
            next.status = ComplaintStatus::UnderReview;
            next.reviews += 1;
            next.deadlines.review_due =
                Some(deadline::days_after(now, deadline::REVIEW_WITHIN_DAYS));
            (Event::ReviewOpened, format!("申请复查：{reason}"))
        }
    };
    Ok(Effect {
        state: next,
        event,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn step(state: &ComplaintState, actor: ActorKind, action: Action, days: i64) -> ComplaintState {
        apply(state, actor, &action, t0() + TimeDelta::days(days))
            .unwrap()
            .state
    }

    fn concluded() -> ComplaintState {
        let s = ComplaintState::received(t0());
        let s = step(&s, ActorKind::Staff, Action::Accept, 1);
        let s = step(
            &s,
            ActorKind::Staff,
            Action::Assign {
                unit: "青山镇".into(),
                note: String::new(),
            },
            2,
        );
        step(
            &s,
            ActorKind::Staff,
            Action::Conclude {
                reply: "已整改".into(),
            },
            10,
        )
    }

    #[test]
    fn the_whole_path_from_receipt_to_rating() {
        let s = ComplaintState::received(t0());
        assert_eq!(s.status, ComplaintStatus::Pending);
        assert!(s.deadlines.accept_due.is_some());
        let s = step(&s, ActorKind::Staff, Action::Accept, 1);
        assert_eq!(s.status, ComplaintStatus::Accepted);
        assert!(s.deadlines.conclude_due.is_some());
        let s = concluded();
        assert_eq!(s.status, ComplaintStatus::Concluded);
        let s = step(
            &s,
            ActorKind::Complainant,
            Action::Rate(Satisfaction::Satisfied),
            11,
        );
        assert_eq!(s.status, ComplaintStatus::Rated);
    }

    #[test]
    fn every_action_outside_its_states_is_refused() {
        let actions = [
            Action::Accept,
            Action::Reject { reason: "r".into() },
            Action::Assign {
                unit: "u".into(),
                note: String::new(),
            },
            Action::Extend {
                days: 10,
                reason: "r".into(),
            },
            Action::Conclude { reply: "r".into() },
            Action::Rate(Satisfaction::Satisfied),
            Action::RequestReview { reason: "r".into() },
        ];
        for from in ComplaintStatus::ALL {
            let mut state = ComplaintState::received(t0());
            state.status = from;
            state.deadlines.conclude_due = Some(t0());
            for action in &actions {
                let result = apply(&state, action.actor(), action, t0());
                if !action.allowed_from().contains(&from) {
                    assert_eq!(
                        result,
                        Err(TransitionError::NotAllowed {
                            action: action.name(),
                            from
                        }),
                        "{} from {from:?}",
                        action.name()
                    );
                }
            }
        }
    }

    #[test]
    fn staff_cannot_rate_and_complainants_cannot_accept() {
        let s = concluded();
        assert!(matches!(
            apply(
                &s,
                ActorKind::Staff,
                &Action::Rate(Satisfaction::Satisfied),
                t0()
            ),
            Err(TransitionError::WrongActor { .. })
        ));
        let s = ComplaintState::received(t0());
        assert!(matches!(
            apply(&s, ActorKind::Complainant, &Action::Accept, t0()),
            Err(TransitionError::WrongActor { .. })
        ));
    }

    #[test]
    fn a_rejection_needs_a_reason_and_an_assignment_a_unit() {
        let s = ComplaintState::received(t0());
        assert!(matches!(
            apply(
                &s,
                ActorKind::Staff,
                &Action::Reject {
                    reason: "  ".into()
                },
                t0()
            ),
            Err(TransitionError::Invalid(_))
        ));
        let s = step(&s, ActorKind::Staff, Action::Accept, 0);
        assert!(matches!(
            apply(
                &s,
                ActorKind::Staff,
                &Action::Assign {
                    unit: String::new(),
                    note: String::new()
                },
                t0()
            ),
            Err(TransitionError::Invalid(_))
        ));
    }

    #[test]
    fn the_conclusion_deadline_extends_once_by_at_most_thirty_days() {
        let s = step(
            &ComplaintState::received(t0()),
            ActorKind::Staff,
            Action::Accept,
            0,
        );
        let due = s.deadlines.conclude_due.unwrap();
        for days in [0, 31] {
            assert!(matches!(
                apply(
                    &s,
                    ActorKind::Staff,
                    &Action::Extend {
                        days,
                        reason: "需要实地核查".into()
                    },
                    t0()
                ),
                Err(TransitionError::Invalid(_))
            ));
        }
        assert!(matches!(
            apply(
                &s,
                ActorKind::Staff,
                &Action::Extend {
                    days: 30,
                    reason: String::new()
                },
                t0()
            ),
            Err(TransitionError::Invalid(_))
        ));
        let e = step(
            &s,
            ActorKind::Staff,
            Action::Extend {
                days: 30,
                reason: "需要实地核查".into(),
            },
            50,
        );
        assert_eq!(
            e.deadlines.conclude_due.unwrap(),
            due + chrono::Days::new(30)
        );
        assert_eq!(e.status, ComplaintStatus::Accepted);
        assert_eq!(
            apply(
                &e,
                ActorKind::Staff,
                &Action::Extend {
                    days: 5,
                    reason: "再延".into()
                },
                t0()
            ),
            Err(TransitionError::AlreadyExtended)
        );
    }

    #[test]
    fn not_satisfied_within_thirty_days_opens_one_review() {
        let s = step(
            &concluded(),
            ActorKind::Complainant,
            Action::Rate(Satisfaction::NotSatisfied),
            12,
        );
        let r = step(
            &s,
            ActorKind::Complainant,
            Action::RequestReview {
                reason: "问题未解决".into(),
            },
            20,
        );
        assert_eq!(r.status, ComplaintStatus::UnderReview);
        assert!(r.deadlines.review_due.is_some());
        let again = step(
            &r,
            ActorKind::Staff,
            Action::Conclude {
                reply: "复查后已解决".into(),
            },
            30,
        );
        assert_eq!(again.status, ComplaintStatus::Concluded);
        let rated = step(
            &again,
            ActorKind::Complainant,
            Action::Rate(Satisfaction::NotSatisfied),
            31,
        );
        assert_eq!(
            apply(
                &rated,
                ActorKind::Complainant,
                &Action::RequestReview { reason: "x".into() },
                t0() + TimeDelta::days(32)
            ),
            Err(TransitionError::ReviewAlreadyUsed)
        );
    }

    #[test]
    fn no_review_after_a_good_rating_or_after_thirty_days() {
        let happy = step(
            &concluded(),
            ActorKind::Complainant,
            Action::Rate(Satisfaction::Satisfied),
            12,
        );
        assert_eq!(
            apply(
                &happy,
                ActorKind::Complainant,
                &Action::RequestReview { reason: "x".into() },
                t0() + TimeDelta::days(13)
            ),
            Err(TransitionError::ReviewNotAvailable)
        );
        let unhappy = step(
            &concluded(),
            ActorKind::Complainant,
            Action::Rate(Satisfaction::NotSatisfied),
            12,
        );
        // Concluded on day 10; the window closes at the end of day 40.
        assert_eq!(
            apply(
                &unhappy,
                ActorKind::Complainant,
                &Action::RequestReview { reason: "x".into() },
                t0() + TimeDelta::days(41)
            ),
            Err(TransitionError::ReviewNotAvailable)
        );
    }
}
