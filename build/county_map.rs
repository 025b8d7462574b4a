//! Draws the county map of the home page from a GeoJSON FeatureCollection: projects
//! longitude/latitude to a plane (equirectangular at the area's middle latitude, true
//! enough for an area two degrees across), simplifies each ring (Douglas–Peucker), and
//! writes compact SVG where each county is a link to its page. Used by build.rs, so the
//! work is done once per build and never per request; unit-tested from the library.

use std::fmt::Write;

/// A point on the projected plane.
pub type Point = (f64, f64);

/// One county as read from the GeoJSON.
pub struct County {
    pub code: String,
    pub name: String,
    /// Outer rings and holes alike, in longitude/latitude.
    pub rings: Vec<Vec<Point>>,
}

/// Reads the features: `id` is the county code, `properties.name` its name.
pub fn parse(geojson: &serde_json::Value) -> Result<Vec<County>, String> {
    let features = geojson["features"]
        .as_array()
        .ok_or("no `features` array")?;
    let mut out = Vec::new();
    for f in features {
        let code = match &f["id"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err("a feature has no id".into()),
        };
        if !code.bytes().all(|b| b.is_ascii_digit()) || code.len() != 6 {
            return Err(format!("feature id `{code}` is not a county code"));
        }
        let name = f["properties"]["name"]
            .as_str()
            .ok_or_else(|| format!("feature {code} has no name"))?
            .to_owned();
        let geometry = &f["geometry"];
        let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
            Some("Polygon") => vec![&geometry["coordinates"]],
            Some("MultiPolygon") => geometry["coordinates"]
                .as_array()
                .ok_or("bad MultiPolygon")?
                .iter()
                .collect(),
            other => return Err(format!("feature {code}: unsupported geometry {other:?}")),
        };
        let mut rings = Vec::new();
        for polygon in polygons {
            for ring in polygon.as_array().ok_or("bad polygon")? {
                let points = ring
                    .as_array()
                    .ok_or("bad ring")?
                    .iter()
                    .map(|p| match (p[0].as_f64(), p[1].as_f64()) {
                        (Some(x), Some(y)) => Ok((x, y)),
                        _ => Err(format!("feature {code}: a point is not two numbers")),
                    })
                    .collect::<Result<Vec<Point>, String>>()?;
                if points.len() >= 4 {
                    rings.push(points);
                }
            }
        }
        out.push(County { code, name, rings });
    }
    Ok(out)
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: Point, a: Point, b: Point) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - x).powi(2) + (p.1 - y).powi(2)).sqrt()
}

/// Douglas–Peucker: the fewest points that stay within `tolerance` of the line.
pub fn simplify(points: &[Point], tolerance: f64) -> Vec<Point> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((first, last)) = stack.pop() {
        let mut worst = (0.0, 0);
        for i in first + 1..last {
            let d = segment_distance(points[i], points[first], points[last]);
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((first, worst.1));
            stack.push((worst.1, last));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// Area-weighted centroid of a ring (shoelace), or its first point when degenerate.
fn centroid(ring: &[Point]) -> (Point, f64) {
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for w in ring.windows(2) {
        let cross = w[0].0 * w[1].1 - w[1].0 * w[0].1;
        a += cross;
        cx += (w[0].0 + w[1].0) * cross;
        cy += (w[0].1 + w[1].1) * cross;
    }
    if a.abs() < f64::EPSILON {
        return (ring[0], 0.0);
    }
    ((cx / (3.0 * a), cy / (3.0 * a)), (a / 2.0).abs())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG: `width` wide, each county an `<a href="{link_prefix}{code}">` holding its
/// outline and its name. Coordinates are whole units after simplification.
pub fn render(counties: &[County], width: f64, tolerance: f64, link_prefix: &str) -> String {
    let all = counties.iter().flat_map(|c| c.rings.iter().flatten());
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in all {
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    let squash = ((min_y + max_y) / 2.0).to_radians().cos();
    let margin = 4.0;
    let scale = (width - 2.0 * margin) / ((max_x - min_x) * squash);
    let height = ((max_y - min_y) * scale + 2.0 * margin).ceil();
    let project = |(x, y): Point| -> Point {
        (
            margin + (x - min_x) * squash * scale,
            margin + (max_y - y) * scale,
        )
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="map" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="map-title"><title id="map-title">信阳市地图：点击县区进入</title>"#
    );
    let mut labels = String::new();
    for (i, county) in counties.iter().enumerate() {
        let mut d = String::new();
        let mut biggest: (Point, f64) = ((0.0, 0.0), -1.0);
        for ring in &county.rings {
            let projected: Vec<Point> = ring.iter().copied().map(project).collect();
            let (c, area) = centroid(&projected);
            if area > biggest.1 {
                biggest = (c, area);
            }
            let simple = simplify(&projected, tolerance);
            let mut rounded: Vec<(i64, i64)> = simple
                .iter()
                .map(|&(x, y)| (x.round() as i64, y.round() as i64))
                .collect();
            rounded.dedup();
            if rounded.len() < 4 {
                continue;
            }
            // The closing point repeats the first; `z` closes the path instead.
            if rounded.first() == rounded.last() {
                rounded.pop();
            }
            let (mut px, mut py) = rounded[0];
            let _ = write!(d, "M{px} {py}");
            let mut first_l = true;
            for &(x, y) in &rounded[1..] {
                let (dx, dy) = (x - px, y - py);
                // Relative moves; the `l` is implied after the first.
                if first_l {
                    d.push('l');
                    first_l = false;
                } else if dx >= 0 {
                    d.push(' ');
                }
                let _ = write!(d, "{dx}");
                if dy >= 0 {
                    d.push(' ');
                }
                let _ = write!(d, "{dy}");
                (px, py) = (x, y);
            }
            d.push('z');
        }
        let name = escape(&county.name);
        let ((lx, ly), _) = biggest;
        let _ = write!(
            svg,
            r#"<a href="{link_prefix}{code}" class="county c{n}" aria-label="{name}"><path d="{d}"/></a>"#,
            code = county.code,
            n = i % 10,
        );
        // Names go on top of every outline, still as links.
        let _ = write!(
            labels,
            r#"<a href="{link_prefix}{code}" tabindex="-1" aria-hidden="true"><text x="{x}" y="{y}">{name}</text></a>"#,
            code = county.code,
            x = lx.round(),
            y = ly.round(),
        );
    }
    let _ = write!(svg, r#"<g class="labels">{labels}</g></svg>"#);
    svg
}
