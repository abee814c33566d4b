//! hotwash-review: `hotwash review INC-DIR`, the page where people turn an
//! extracted incident record into the record of truth. A local web server
//! (bound to 127.0.0.1 unless told otherwise, every request carrying a
//! random session token) shows every item of the record with who said it
//! and when, a play button that seeks the call's audio to a second before
//! the cited utterance, and the transcript beside it. Confirm, edit, reject
//! and add are saved into the record's review section at once, atomically,
//! and the renderings are written again from the reviewed record.
//!
//! The record is read and written only through `hotwash-postmortem`.
#![deny(missing_docs)]

mod assets;
mod audio;
mod error;
mod page;
mod routes;
mod server;
mod store;
mod token;

pub use audio::{find_audio, AudioSource};
pub use error::ServeError;
pub use server::{Config, Server};
pub use store::{SavedHook, Store, StoreError};
pub use token::new_token;
