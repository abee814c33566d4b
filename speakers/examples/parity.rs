//! Writes what the Rust models compute on raw f32 clips, for comparison with
//! the PyTorch reference (`scripts/speakers-parity.py`).
//!
//! `cargo run --release -p hotwash-speakers --example parity -- MODELS CLIP.f32 WINDOW.f32 OUT`
//! writes `OUT/fbank.f32`, `OUT/emb.f32` (CAM++ of CLIP) and `OUT/seg.f32`
//! (powerset log-probabilities of the 10 s WINDOW).

use std::path::PathBuf;

use hotwash_speakers::{Fbank, Segmenter, SpeakerEmbedder, EMBEDDING_FILE, SEGMENTATION_FILE};

fn read(path: &str) -> Vec<f32> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn write(path: PathBuf, v: &[f32]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [models, clip, window, out] = args.as_slice() else {
        eprintln!("usage: parity MODELS CLIP.f32 WINDOW.f32 OUT");
        std::process::exit(2);
    };
    let models = PathBuf::from(models);
    let out = PathBuf::from(out);
    let clip = read(clip);
    let window = read(window);
    let (feats, _) = Fbank::new().features(&clip);
    write(out.join("fbank.f32"), &feats);
    let embedder = SpeakerEmbedder::load(&models.join(EMBEDDING_FILE)).expect("CAM++");
    let t = std::time::Instant::now();
    let mut emb = embedder.embed(&[&clip]).expect("embed");
    for _ in 0..4 {
        emb = embedder.embed(&[&clip]).expect("embed");
    }
    eprintln!(
        "CAM++ 5 runs {:.3} s for {:.1} s",
        t.elapsed().as_secs_f64(),
        clip.len() as f64 / 16e3
    );
    write(out.join("emb.f32"), &emb[0]);
    let seg = Segmenter::load(&models.join(SEGMENTATION_FILE)).expect("segmentation");
    let t = std::time::Instant::now();
    let mut lp = seg.powerset_log_probs(&window).expect("segment");
    for _ in 0..4 {
        lp = seg.powerset_log_probs(&window).expect("segment");
    }
    eprintln!(
        "segmentation 5 runs {:.3} s for 10 s",
        t.elapsed().as_secs_f64()
    );
    let flat: Vec<f32> = lp.into_iter().flatten().collect();
    write(out.join("seg.f32"), &flat);
}
