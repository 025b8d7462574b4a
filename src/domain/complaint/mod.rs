//! 投诉建议: the rules of a complaint's life. Which transitions are allowed, from which
//! state and by whom (`status`), the statutory deadlines (`deadline`), and the tracking
//! number a follower quotes (`tracking_number`).

pub mod deadline;
pub mod status;
pub mod submission;
pub mod tracking_number;

pub use deadline::{DeadlineState, Deadlines};
pub use status::{
    Action, Actor, ComplaintState, ComplaintStatus, Effect, Event, Satisfaction, TransitionError,
    apply,
};
pub use submission::{Complainant, FieldErrors, MobileNumber, NewComplaint, RawSubmission};
pub use tracking_number::{TrackingNumber, TrackingNumberError};
