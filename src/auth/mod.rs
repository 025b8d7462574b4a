//! Who is asking: staff passwords, their second factor and their sessions. (The
//! follower's web identity — sessions through WeChat's OAuth and CSRF tokens — lives
//! beside these.)

pub mod password;
pub mod staff_session;
pub mod totp;
