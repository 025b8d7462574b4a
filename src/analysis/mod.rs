//! Topic classification of what the public writes (issue 16): the eleven topics and
//! labelled messages so far; the model follows.

pub mod labelled;
pub mod topic;

pub use topic::{Topic, TopicCatalogue, TopicFileError, TopicInfo};
