//! Incident record extraction and rendering.
