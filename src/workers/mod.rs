//! Background work beside the HTTP server, each stopped in order by `shutdown`: the
//! template-message outbox's delivery, the batched page-view counter, the staff's
//! daily deadline reminders, the transparency log's checkpoints and the topic
//! classifier.

pub mod checkpoints;
pub mod classifier;
pub mod outbox;
pub mod staff_digest;
pub mod view_counter;
pub mod village_pushes;
