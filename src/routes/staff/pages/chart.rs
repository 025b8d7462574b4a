//! Small server-rendered SVG line charts for the dashboard: no script, no third-party
//! host, readable on a phone (the SVG scales to its box). Labels are escaped.

use std::fmt::Write as _;

use crate::services::insight::Series;

/// Distinct on white and for the common colour blindnesses, in order of use.
const PALETTE: [&str; 12] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#000000",
];

const W: f64 = 640.0;
const H: f64 = 260.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round top for the axis, at least `max`: 4, 8 or 10 × a power of ten (or 2 × ten
/// and up), so that its quarters, the grid lines, are whole counts.
fn nice(max: f64) -> f64 {
    if max <= 4.0 {
        return 4.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 4.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * p)
}

/// One polyline per series over `x` labels; `title` is the chart's accessible name.
/// Returns the SVG and a legend (colour, label) for the page to list.
pub fn lines(
    title: &str,
    x: &[String],
    series: &[Series],
) -> (String, Vec<(&'static str, String)>) {
    let top = nice(
        series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0, f64::max),
    );
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let step = if x.len() > 1 {
        plot_w / (x.len() - 1) as f64
    } else {
        0.0
    };
    let px = |i: usize| LEFT + step * i as f64;
    let py = |v: f64| TOP + plot_h * (1.0 - v / top);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(title)
    );
    for k in 0..=4 {
        let v = top * f64::from(k) / 4.0;
        let y = py(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#555">{}</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0,
            v
        );
    }
    for (i, label) in x.iter().enumerate() {
        // Every other month on a crowded axis; the month only, the year is in the title.
        if x.len() > 8 && i % 2 == 1 && i + 1 != x.len() {
            continue;
        }
        let short = label.rsplit('-').next().unwrap_or(label);
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#555">{}月</text>"##,
            px(i),
            H - 8.0,
            escape(short)
        );
    }
    let mut legend = Vec::new();
    for (s, colour) in series.iter().zip(PALETTE.iter().cycle()) {
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", px(i), py(*v)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            points.join(" "),
            escape(&s.label)
        );
        legend.push((*colour, s.label.clone()));
    }
    svg.push_str("</svg>");
    (svg, legend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_top_is_round_and_labels_are_escaped() {
        assert_eq!(nice(7.0), 8.0);
        assert_eq!(nice(12.0), 20.0);
        assert_eq!(nice(0.0), 4.0);
        assert_eq!(nice(33.0), 40.0);
        let (svg, legend) = lines(
            "a<b",
            &["2026-11".into(), "2026-12".into()],
            &[Series {
                label: "<x>".into(),
                values: vec![1.0, 3.0],
            }],
        );
        assert!(svg.contains("a&lt;b") && svg.contains("&lt;x&gt;") && !svg.contains("<x>"));
        assert!(svg.contains("<polyline") && svg.contains("12月"));
        assert_eq!(legend.len(), 1);
    }
}
