//! Types that can only hold valid values, and the rules about them. No I/O here:
//! nothing in `domain` touches sqlx, actix, reqwest or redis.

pub mod china_time;
pub mod complaint;
pub mod disclosure;
pub mod menu;
pub mod module;
pub mod notification;
pub mod openid;
pub mod people;
pub mod photo;
pub mod power;
pub mod power_adoption;
pub mod power_diff;
pub mod power_edit;
pub mod power_lines;
pub mod recommendation;
pub mod region;
pub mod staff;
pub mod wire;

pub use disclosure::{
    Amount, Correction, DisclosureContent, DisclosureError, DisclosureStatus, NewAttachment,
    NewDisclosure, WithdrawalReason,
};
pub use module::{Module, UnknownModule};
pub use openid::{OpenId, OpenIdError};
pub use people::{
    HouseholdKind, MaskedName, NewHousehold, NewSupervisor, PersonError, Phone, SupervisorBody,
};
pub use power::{PowerItem, PowerList, PowerListError};
pub use region::{Region, RegionCode, RegionCodeError, RegionLevel, VillageCode, display_name};
