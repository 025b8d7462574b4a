//! Build-time work: draws the home page's county map from the shipped GeoJSON once per
//! build (see build/county_map.rs), so no request ever projects or simplifies a shape.

#[path = "build/county_map.rs"]
mod county_map;

use std::path::PathBuf;

const GEOJSON: &str = "data/maps/xinyang-counties.geojson";
/// Width of the map's coordinate space, and the simplification tolerance in its units:
/// at a phone's 350 CSS pixels one unit is a third of a pixel.
const WIDTH: f64 = 1000.0;
const TOLERANCE: f64 = 1.2;

fn main() {
    println!("cargo::rerun-if-changed={GEOJSON}");
    println!("cargo::rerun-if-changed=build/county_map.rs");
    let text = std::fs::read_to_string(GEOJSON).unwrap_or_else(|e| panic!("{GEOJSON}: {e}"));
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{GEOJSON}: {e}"));
    let counties = county_map::parse(&json).unwrap_or_else(|e| panic!("{GEOJSON}: {e}"));
    let svg = county_map::render(&counties, WIDTH, TOLERANCE, "/r/");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("county_map.svg");
    std::fs::write(&out, svg).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
