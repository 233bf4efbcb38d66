//! The bench's picture (`--svg FILE`): held-out loss against training steps, one panel per
//! part (and one more for the specialists' foreign texts, domain by domain), with peers and
//! alone. Plain SVG with no dependencies, so it renders anywhere and diffs
//! as text.

use super::{CollabReport, Curve};
use std::fmt::Write as _;

/// One line of a panel.
struct Series<'a> {
	label: String,
	color: &'static str,
	dashed: bool,
	points: &'a Curve,
}

/// One chart: a title, its lines, and an optional horizontal reference line.
struct Panel<'a> {
	title: String,
	series: Vec<Series<'a>>,
	reference: Option<(f64, String)>,
}

const WITH_PEERS: &str = "#1f77b4";
const ALONE: &str = "#d62728";
const DISTILLED: &str = "#2ca02c";
/// One per domain in the per-domain panel (with peers solid, alone dashed).
const DOMAIN_COLORS: [&str; 4] = ["#9467bd", "#ff7f0e", "#17becf", "#8c564b"];
const PANEL_W: f64 = 420.0;
const PANEL_H: f64 = 334.0;
const MARGIN_L: f64 = 52.0;
const MARGIN_R: f64 = 14.0;
const MARGIN_T: f64 = 44.0;
const MARGIN_B: f64 = 78.0;

/// The SVG for `report`: a panel for each part it holds.
pub fn svg(report: &CollabReport) -> String {
	let mut panels = Vec::new();
	if let Some(a) = &report.newcomer {
		panels.push(Panel {
			title: format!("Newcomer joining {} trained peers", a.peers),
			series: vec![
				series("with peers", WITH_PEERS, false, &a.curve_with_peers),
				series("with peers, distilled path", DISTILLED, true, &a.curve_distilled),
				series("alone", ALONE, false, &a.curve_alone),
			],
			reference: Some((
				a.target_loss,
				format!("L = {:.2} (alone, {} steps)", a.target_loss, a.steps),
			)),
		});
	}
	if let Some(b) = &report.specialists {
		panels.push(Panel {
			title: format!("{} specialists: {}", b.neurons.len(), b.domains.join(", ")),
			series: vec![
				series(
					"foreign domains, with peers",
					WITH_PEERS,
					false,
					&b.curve_foreign_with_peers,
				),
				series("foreign domains, alone", ALONE, false, &b.curve_foreign_alone),
				series("own domain, with peers", WITH_PEERS, true, &b.curve_own_with_peers),
				series("own domain, alone", ALONE, true, &b.curve_own_alone),
			],
			reference: None,
		});
		// Each domain as seen by the neurons that never trained on it.
		panels.push(Panel {
			title: "Specialists on texts they never trained on".to_string(),
			series: b
				.curves_by_domain
				.iter()
				.zip(DOMAIN_COLORS.iter().cycle())
				.flat_map(|((domain, curves), &color)| {
					[
						series(
							&format!("{domain}, with peers"),
							color,
							false,
							&curves.foreign_with_peers,
						),
						series(&format!("{domain}, alone"), color, true, &curves.foreign_alone),
					]
				})
				.collect(),
			reference: None,
		});
	}
	if let Some(c) = &report.equal_compute {
		panels.push(Panel {
			title: format!("Equal compute: {} neurons from scratch", c.neurons.len()),
			series: vec![
				series("with peers", WITH_PEERS, false, &c.curve_with_peers),
				series("with peers, distilled path", DISTILLED, true, &c.curve_distilled),
				series("alone", ALONE, false, &c.curve_alone),
			],
			reference: None,
		});
	}
	let width = PANEL_W * panels.len().max(1) as f64;
	let mut out = String::new();
	let _ = write!(
		out,
		r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{PANEL_H}" viewBox="0 0 {width} {PANEL_H}" font-family="sans-serif" font-size="11">"#
	);
	let _ = write!(out, r#"<rect width="{width}" height="{PANEL_H}" fill="white"/>"#);
	for (i, panel) in panels.iter().enumerate() {
		draw(&mut out, panel, i as f64 * PANEL_W);
	}
	out.push_str("</svg>\n");
	out
}

fn series<'a>(label: &str, color: &'static str, dashed: bool, points: &'a Curve) -> Series<'a> {
	Series { label: label.to_string(), color, dashed, points }
}

fn draw(out: &mut String, panel: &Panel, x0: f64) {
	let finite = |v: f64| v.is_finite();
	let xs = panel.series.iter().flat_map(|s| s.points.iter().map(|p| p.0 as f64));
	let x_max = xs.fold(1.0f64, f64::max);
	let ys: Vec<f64> = panel
		.series
		.iter()
		.flat_map(|s| s.points.iter().map(|p| p.1))
		.chain(panel.reference.iter().map(|r| r.0))
		.filter(|v| finite(*v))
		.collect();
	let (mut lo, mut hi) =
		ys.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
	if !(lo.is_finite() && hi.is_finite()) {
		(lo, hi) = (0.0, 1.0);
	}
	// Round outwards to a quarter nat, so the ticks read cleanly.
	lo = (lo * 4.0).floor() / 4.0;
	hi = ((hi * 4.0).ceil() / 4.0).max(lo + 0.25);
	let (left, right) = (x0 + MARGIN_L, x0 + PANEL_W - MARGIN_R);
	let (top, bottom) = (MARGIN_T, PANEL_H - MARGIN_B);
	let px = |x: f64| left + (right - left) * x / x_max;
	let py = |y: f64| bottom - (bottom - top) * (y - lo) / (hi - lo);
	let _ = write!(
		out,
		r#"<text x="{}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{}</text>"#,
		x0 + PANEL_W / 2.0,
		escape(&panel.title)
	);
	let _ = write!(
		out,
		r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#888"/>"##,
		right - left,
		bottom - top
	);
	// Y ticks every quarter or half nat; X ticks at fifths of the steps.
	let step_y = if hi - lo > 2.0 { 0.5 } else { 0.25 };
	let mut y = lo;
	while y <= hi + 1e-9 {
		let _ = write!(
			out,
			r##"<line x1="{left}" x2="{right}" y1="{0}" y2="{0}" stroke="#eee"/><text x="{1}" y="{2}" text-anchor="end">{y:.2}</text>"##,
			py(y),
			left - 4.0,
			py(y) + 4.0
		);
		y += step_y;
	}
	for i in 0..=5 {
		let x = x_max * i as f64 / 5.0;
		let _ = write!(
			out,
			r#"<text x="{}" y="{}" text-anchor="middle">{:.0}</text>"#,
			px(x),
			bottom + 14.0,
			x
		);
	}
	let _ = write!(
		out,
		r#"<text x="{}" y="{}" text-anchor="middle">training steps</text>"#,
		(left + right) / 2.0,
		bottom + 28.0
	);
	let _ = write!(
		out,
		r#"<text transform="translate({},{}) rotate(-90)" text-anchor="middle">held-out loss (nats/byte)</text>"#,
		x0 + 12.0,
		(top + bottom) / 2.0
	);
	if let Some((value, label)) = &panel.reference {
		if value.is_finite() {
			let _ = write!(
				out,
				r##"<line x1="{left}" x2="{right}" y1="{0}" y2="{0}" stroke="#555" stroke-dasharray="2,3"/><text x="{1}" y="{2}" text-anchor="end" fill="#555">{3}</text>"##,
				py(*value),
				right - 4.0,
				py(*value) - 4.0,
				escape(label)
			);
		}
	}
	for s in &panel.series {
		let points: Vec<String> = s
			.points
			.iter()
			.filter(|p| finite(p.1))
			.map(|p| format!("{:.1},{:.1}", px(p.0 as f64), py(p.1.clamp(lo, hi))))
			.collect();
		let dash = if s.dashed { r#" stroke-dasharray="6,4""# } else { "" };
		let _ = write!(
			out,
			r#"<polyline fill="none" stroke="{}" stroke-width="1.8"{dash} points="{}"/>"#,
			s.color,
			points.join(" ")
		);
	}
	// The legend, under the axis labels.
	for (i, s) in panel.series.iter().enumerate() {
		let (lx, ly) = (left + (i % 2) as f64 * 180.0, bottom + 42.0 + (i / 2) as f64 * 13.0);
		let dash = if s.dashed { r#" stroke-dasharray="6,4""# } else { "" };
		let _ = write!(
			out,
			r#"<line x1="{lx}" x2="{}" y1="{ly}" y2="{ly}" stroke="{}" stroke-width="1.8"{dash}/><text x="{}" y="{}">{}</text>"#,
			lx + 18.0,
			s.color,
			lx + 22.0,
			ly + 4.0,
			escape(&s.label)
		);
	}
}

fn escape(text: &str) -> String {
	text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
