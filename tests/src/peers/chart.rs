//! The side-by-side chart: for each workload, one bar per stack with the bytes it sent
//! towards the desk, scaled to the largest of that workload. Written as SVG, then turned into
//! PNG by FFmpeg (Debian's is built with librsvg).

use std::fmt::Write as _;
use std::path::Path;

use super::{Cost, Workload};

const COLOURS: [&str; 4] = ["#1b6ac9", "#e07b00", "#2e9d48", "#8f4fc2"];
const BAR: u32 = 22;
const LEFT: u32 = 190;
const WIDTH: u32 = 900;

/// The chart as SVG text.
pub fn svg(stacks: &[&str], results: &[(Workload, Vec<Option<Cost>>)]) -> String {
    let group = BAR * stacks.len() as u32 + 36;
    let height = 40 + group * results.len() as u32 + 30;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         font-family=\"DejaVu Sans\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"12\" y=\"24\" font-size=\"16\" font-weight=\"bold\">Bytes towards the desk \
         (whole run, 1920×1080 foot; bars scaled per workload)</text>\n"
    );
    for (g, (workload, costs)) in results.iter().enumerate() {
        let top = 40 + g as u32 * group;
        let _ = writeln!(
            out,
            "<text x=\"12\" y=\"{}\" font-weight=\"bold\">{}</text>",
            top + 18,
            xml(workload.name())
        );
        let most = costs
            .iter()
            .flatten()
            .map(|c| c.down)
            .max()
            .unwrap_or(1)
            .max(1);
        for (i, (stack, cost)) in stacks.iter().zip(costs).enumerate() {
            let y = top + 26 + i as u32 * BAR;
            let _ = writeln!(out, "<text x=\"24\" y=\"{}\">{}</text>", y + 15, xml(stack));
            let Some(cost) = cost else {
                let _ = writeln!(out, "<text x=\"{LEFT}\" y=\"{}\">not run</text>", y + 15);
                continue;
            };
            let span = WIDTH - LEFT - 110;
            let length = (u64::from(span) * cost.down / most).max(1);
            let _ = writeln!(
                out,
                "<rect x=\"{LEFT}\" y=\"{}\" width=\"{length}\" height=\"{}\" fill=\"{}\"/>\n\
                 <text x=\"{}\" y=\"{}\">{:.1} kB</text>",
                y + 2,
                BAR - 6,
                COLOURS[i % COLOURS.len()],
                LEFT + length as u32 + 6,
                y + 15,
                cost.down as f64 / 1000.0
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "")
}

/// Writes the chart to `png` (and the SVG beside it).
pub fn write(png: &Path, stacks: &[&str], results: &[(Workload, Vec<Option<Cost>>)]) {
    let svg_path = png.with_extension("svg");
    std::fs::write(&svg_path, svg(stacks, results)).expect("chart SVG");
    let converted = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&svg_path)
        .arg(png)
        .status();
    match converted {
        Ok(status) if status.success() => eprintln!("chart: {}", png.display()),
        _ => eprintln!(
            "chart: {} (FFmpeg could not make the PNG)",
            svg_path.display()
        ),
    }
}
