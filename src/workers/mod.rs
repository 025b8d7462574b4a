//! Background work beside the HTTP server, each stopped in order by `shutdown`: the
//! template-message outbox's delivery and the batched page-view counter.

pub mod outbox;
pub mod view_counter;
