//! Whisper model catalogue, provisioning and conversion.
