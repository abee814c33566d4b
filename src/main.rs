//! `hotwash`: the incident workflow binary.
fn main() {}
