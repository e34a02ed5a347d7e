//! Fonts, colours and text sizes shared by every chart.

use std::sync::Once;

use plotters::prelude::*;

/// The font family every text uses; registered from embedded bytes so that nothing
/// depends on the machine's fonts.
const FONT: &str = "sans-serif";

/// Registers DejaVu Sans under [`FONT`] once per process.
pub(super) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // DejaVu Sans is a valid TTF; if registration ever failed, text drawing would
        // fail with a font error that `write_chart` reports.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A text style in the embedded font.
pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// Text sizes and margins for one panel size: full-page panels or the dashboard's grid.
#[derive(Clone, Copy)]
pub(crate) struct Scale {
    pub page_title: f64,
    pub caption: f64,
    pub desc: f64,
    pub tick: f64,
    pub legend: f64,
    pub y_area: u32,
    pub x_area: u32,
    pub line: u32,
    pub point: u32,
}

/// Panels that fill a large part of a 1600×1000 page.
pub(crate) const FULL: Scale = Scale {
    page_title: 30.0,
    caption: 24.0,
    desc: 20.0,
    tick: 17.0,
    legend: 17.0,
    y_area: 95,
    x_area: 40,
    line: 2,
    point: 4,
};

/// The dashboard's smaller panels.
pub(crate) const COMPACT: Scale = Scale {
    page_title: 28.0,
    caption: 20.0,
    desc: 16.0,
    tick: 15.0,
    legend: 14.0,
    y_area: 80,
    x_area: 34,
    line: 2,
    point: 3,
};

/// Dark grey for text and run-level series.
pub(crate) const INK: RGBColor = RGBColor(40, 40, 40);
pub(super) const GRID: RGBColor = RGBColor(222, 222, 222);
/// Fixed colours of run-level series, chosen away from the first generation colours.
pub(crate) const RED: RGBColor = RGBColor(200, 30, 45);
pub(crate) const BLUE: RGBColor = RGBColor(30, 90, 190);
pub(crate) const GREEN: RGBColor = RGBColor(30, 140, 70);
pub(crate) const ORANGE: RGBColor = RGBColor(230, 120, 0);
pub(crate) const PURPLE: RGBColor = RGBColor(120, 60, 170);

/// Colours for generations (by release order) and for runs in comparisons
/// (Tableau 10, distinguishable and colour-blind tolerant).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of the `i`-th generation (in release order) or `i`-th run.
pub(crate) fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}
