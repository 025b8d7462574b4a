//! Types that can only hold valid values, and the rules about them. No I/O here:
//! nothing in `domain` touches sqlx, actix, reqwest or redis.

pub mod complaint;
pub mod menu;
pub mod notification;
pub mod openid;
pub mod region;
pub mod staff;

pub use openid::{OpenId, OpenIdError};
pub use region::{Region, RegionCode, RegionCodeError, RegionLevel, VillageCode, display_name};
