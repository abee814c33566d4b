//! Ctrl-C: the first press asks the running command to stop gracefully, a
//! second one to abort. Commands register what stopping means for them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use hotwash_engine::pipeline::StopHandle;

/// What a command does on Ctrl-C; gets the press count (1, 2, …).
type Action = Box<dyn Fn(usize) + Send>;

static PRESSES: AtomicUsize = AtomicUsize::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static ACTION: OnceLock<Mutex<Option<Action>>> = OnceLock::new();

/// Runs `action` on each Ctrl-C (the handler is installed once per process).
pub fn on_ctrl_c_do(action: impl Fn(usize) + Send + 'static) {
    let slot = ACTION.get_or_init(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            let n = PRESSES.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(Ok(guard)) = ACTION.get().map(|m| m.lock()) {
                if let Some(action) = guard.as_ref() {
                    action(n);
                }
            }
        });
        Mutex::new(None)
    });
    if let Ok(mut g) = slot.lock() {
        *g = Some(Box::new(action));
    }
}

/// Routes Ctrl-C to a pipeline: first press stops reading (speech in
/// flight is still transcribed and delivered), the second aborts.
pub fn on_ctrl_c(stop: Arc<StopHandle>) {
    on_ctrl_c_do(move |n| {
        if n == 1 {
            eprintln!("\nstopping: finishing speech in flight (Ctrl-C again to abort)");
            stop.stop();
        } else {
            stop.abort();
        }
    });
}

/// True once Ctrl-C was pressed.
pub fn was_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
