//! Who is asking, on the web: a follower's session on the pages (signed in through
//! WeChat's OAuth2) and the CSRF tokens that bind a follower's form to them.

pub mod csrf;
pub mod follower;
