//! `transcribe`: audio in, timestamped utterances out.
fn main() {}
