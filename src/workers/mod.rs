//! Background work beside the HTTP server, each stopped in order by `shutdown`: the
//! template-message outbox's delivery, the batched page-view counter and the staff's
//! daily deadline reminders.

pub mod outbox;
pub mod staff_digest;
pub mod view_counter;
