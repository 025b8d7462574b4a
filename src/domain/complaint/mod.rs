//! 投诉建议: the rules of a complaint's life. Which transitions are allowed, from which
//! state and by whom (`status`), the statutory deadlines (`deadline`), the tracking
//! number a follower quotes (`tracking_number`), and who took each step (`timeline`).

pub mod deadline;
pub mod status;
pub mod submission;
pub mod timeline;
pub mod tracking_number;

pub use deadline::{DeadlineState, Deadlines};
pub use status::{
    Action, ActorKind, ComplaintState, ComplaintStatus, Effect, Event, Satisfaction,
    TransitionError, apply,
};
pub use submission::{
    Complainant, DisclosureRef, FieldErrors, MobileNumber, NewComplaint, RawSubmission,
};
pub use timeline::Actor;
pub use tracking_number::{TrackingNumber, TrackingNumberError};
