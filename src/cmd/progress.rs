//! A one-line progress bar on stderr: position in the audio, × realtime, ETA.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hotwash_engine::format::clock;
use hotwash_engine::pipeline::Progress;

/// A running progress display; [`ProgressBar::finish`] clears it.
pub struct ProgressBar {
    done: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

fn render(p: &Progress, started: Instant) -> String {
    let done = p.done_seconds();
    let elapsed = started.elapsed().as_secs_f64().max(1e-3);
    let speed = done / elapsed;
    let pos = clock(done, '.');
    let backlog = p.queued_windows();
    match p.duration_seconds() {
        Some(total) if total > 0.0 => {
            let frac = (done / total).clamp(0.0, 1.0);
            let width = 30;
            let filled = (frac * width as f64).round() as usize;
            let eta = if speed > 0.0 {
                (total - done).max(0.0) / speed
            } else {
                0.0
            };
            format!(
                "[{}{}] {} / {}  {:.0}× realtime  ETA {}  queue {}",
                "=".repeat(filled),
                " ".repeat(width - filled),
                &pos[..8],
                &clock(total, '.')[..8],
                speed,
                &clock(eta, '.')[..8],
                backlog
            )
        }
        _ => format!("{}  {:.0}× realtime  queue {}", &pos[..8], speed, backlog),
    }
}

impl ProgressBar {
    /// Starts redrawing every 200 ms from `progress`.
    pub fn start(progress: Arc<Progress>) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let started = Instant::now();
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let line = render(&progress, started);
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K{line}");
                let _ = err.flush();
                drop(err);
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        Self {
            done,
            handle: Some(handle),
        }
    }

    /// Stops and clears the bar.
    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        eprint!("\r\x1b[2K");
    }
}
