//! QR codes of join addresses, as SVG for pages and as text for the terminal.

use qrcode::QrCode;
use qrcode::render::{svg, unicode};

/// An SVG QR code of `data`.
pub fn svg(data: &str) -> String {
    let code = QrCode::new(data.as_bytes()).expect("a URL fits in a QR code");
    code.render::<svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build()
}

/// A QR code drawn with half-block characters, for the terminal.
pub fn terminal(data: &str) -> String {
    let code = QrCode::new(data.as_bytes()).expect("a URL fits in a QR code");
    code.render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build()
}
