//! A small index for unit tests: real codes and names of 信阳市 (the third 王岗村 and
//! 义阳社区 under 王岗乡 are made up to exercise prefix and ending rules).

use super::RegionIndex;
use crate::domain::{Region, RegionCode, display_name};

pub fn region(code: &str, name: &str) -> Region {
    let code = RegionCode::parse(code).expect("a sample code");
    Region {
        display_name: display_name(name, code.level()),
        name: name.to_owned(),
        parent_code: code.parent(),
        code,
    }
}

pub fn sample() -> RegionIndex {
    RegionIndex::build(&[
        region("4115", "信阳市"),
        region("411503", "平桥区"),
        region("411521", "罗山县"),
        region("411524", "商城县"),
        region("411503209", "王岗乡"),
        region("411521106", "青山镇"),
        region("411524107", "鄢岗镇"),
        region("411503209202", "王岗村民委员会"),
        region("411521106200", "王岗村民委员会"),
        region("411524107205", "霸王岗村民委员会"),
        region("411524107206", "王岗岭村民委员会"),
        region("411503209001", "义阳社区居民委员会"),
    ])
}
