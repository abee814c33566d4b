//! Ctrl-C: the first stops reading and lets work in flight finish; the second aborts.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use hotwash_engine::pipeline::StopHandle;

static PRESSES: AtomicUsize = AtomicUsize::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static TARGET: OnceLock<Mutex<Option<Arc<StopHandle>>>> = OnceLock::new();

/// Routes Ctrl-C to `stop` (the handler is installed once per process).
pub fn on_ctrl_c(stop: Arc<StopHandle>) {
    let slot = TARGET.get_or_init(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            let n = PRESSES.fetch_add(1, Ordering::SeqCst);
            if let Some(Ok(guard)) = TARGET.get().map(|m| m.lock()) {
                if let Some(stop) = guard.as_ref() {
                    if n == 0 {
                        eprintln!("\nstopping: finishing speech in flight (Ctrl-C again to abort)");
                        stop.stop();
                    } else {
                        stop.abort();
                    }
                }
            }
        });
        Mutex::new(None)
    });
    if let Ok(mut g) = slot.lock() {
        *g = Some(stop);
    }
}

/// True once Ctrl-C was pressed.
pub fn was_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
