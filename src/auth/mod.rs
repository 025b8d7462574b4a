//! Who is asking, on the web: a follower's session on the pages (signed in through
//! WeChat's OAuth2) and the CSRF tokens that bind a follower's form to them; a member of
//! staff's password, second factor and session.

pub mod csrf;
pub mod follower;
pub mod password;
pub mod staff_session;
pub mod totp;
