//! Text handling shared by every extractor: tokens, spoken numbers, clock
//! times and dates.

pub mod clock;
pub mod dates;
pub mod numbers;
pub mod tokens;

pub use numbers::{format_value, Num, Sep};
pub use tokens::{normalise, tokenize, Kind, Token};
