//! Why a source could not be opened or read.

/// A source failed: each message is one line that names the input and says
/// what to do about it.
#[derive(thiserror::Error, Debug)]
pub enum SourceError {
    /// The path does not exist.
    #[error("{name}: no such file; check the path")]
    NotFound {
        /// The path as given.
        name: String,
    },
    /// The input could not be read (permissions, a directory, a disk error).
    #[error("{name}: cannot read ({err}); check the path and its permissions")]
    Io {
        /// The input's name.
        name: String,
        /// What the operating system said (in the message, so not also a `source()`).
        err: std::io::Error,
    },
    /// The input holds no bytes at all.
    #[error("{name}: the file is empty; nothing to transcribe")]
    Empty {
        /// The input's name.
        name: String,
    },
    /// No container or stream format recognised the bytes.
    #[error(
        "{name}: not a recognised audio or video file (wav, flac, mp3, m4a/mp4, ogg, opus, \
         webm/mkv, aiff, caf); convert it with ffmpeg or pass raw PCM with --raw"
    )]
    UnknownFormat {
        /// The input's name.
        name: String,
    },
    /// The container has tracks, but none of them is audio.
    #[error("{name}: the file has no audio track; nothing to transcribe")]
    NoAudioTrack {
        /// The input's name.
        name: String,
    },
    /// The audio track uses a codec no registered decoder handles.
    #[error(
        "{name}: unsupported audio codec ({detail}); convert it first, e.g. \
         `ffmpeg -i INPUT -ac 1 -ar 16000 out.wav`"
    )]
    UnsupportedCodec {
        /// The input's name.
        name: String,
        /// What the decoder registry said.
        detail: String,
    },
    /// The header declares something that is not usable audio (zero
    /// channels, an absurd sample rate, ...).
    #[error(
        "{name}: invalid audio header: {detail}; the file is damaged or is not what its name says"
    )]
    BadHeader {
        /// The input's name.
        name: String,
        /// The offending field.
        detail: String,
    },
    /// An mp4/m4a/mov file without its index (`moov` box): where each
    /// audio packet lies and how long it is cannot be known.
    #[error(
        "{name}: the MP4 index (moov atom) {problem}, so none of its audio can be located; \
         export the recording again from the app that made it, or rebuild the index with a \
         repair tool such as untrunc and a good recording from the same app"
    )]
    Mp4IndexMissing {
        /// The input's name.
        name: String,
        /// What happened to the index.
        problem: &'static str,
    },
    /// The format was recognised but no audio could be decoded from it.
    #[error("{name}: no audio could be decoded ({detail}); the file is damaged or truncated")]
    Corrupt {
        /// The input's name.
        name: String,
        /// What the demuxer or decoder said.
        detail: String,
    },
    /// Options for raw PCM input are unusable.
    #[error("{name}: invalid raw PCM settings: {detail}; give --rate 1000..=768000 and --channels 1..=64")]
    InvalidRaw {
        /// The input's name.
        name: String,
        /// The offending setting.
        detail: String,
    },
}
