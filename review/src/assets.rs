//! The page's template, script and style, built into the binary: nothing is
//! fetched from elsewhere, so the page works offline.

/// The minijinja template of the page.
pub const PAGE: &str = include_str!("../assets/page.html");
/// The page's script (plain JavaScript, no framework).
pub const SCRIPT: &str = include_str!("../assets/review.js");
/// The page's style sheet.
pub const STYLE: &str = include_str!("../assets/review.css");
