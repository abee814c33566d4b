//! Ctrl-C and SIGTERM: the first asks the running command to stop
//! gracefully (finish the speech in flight, flush, exit 130 for Ctrl-C,
//! 143 for SIGTERM), a second one to abort. Commands register what
//! stopping means for them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use hotwash_engine::pipeline::StopHandle;

/// What a command does on Ctrl-C; gets the press count (1, 2, …).
type Action = Box<dyn Fn(usize) + Send>;

static PRESSES: AtomicUsize = AtomicUsize::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static TERMINATED: AtomicBool = AtomicBool::new(false);
static ACTION: OnceLock<Mutex<Option<Action>>> = OnceLock::new();

/// SIGTERM: note it, then take the Ctrl-C path (raise is async-signal-safe).
extern "C" fn on_sigterm(_: libc::c_int) {
    TERMINATED.store(true, Ordering::SeqCst);
    // SAFETY: raise(3) is async-signal-safe; the SIGINT handler is ctrlc's.
    unsafe {
        libc::raise(libc::SIGINT);
    }
}

/// Installs the Ctrl-C and SIGTERM handlers (once per process). Commands
/// call it before slow setup, so a signal that arrives early is not lost:
/// it is acted on as soon as the command registers its action.
pub fn install() {
    slot();
}

fn slot() -> &'static Mutex<Option<Action>> {
    ACTION.get_or_init(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            let n = PRESSES.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(Ok(guard)) = ACTION.get().map(|m| m.lock()) {
                if let Some(action) = guard.as_ref() {
                    action(n);
                }
            }
        });
        // SAFETY: installs a handler that only stores to an atomic and raises.
        unsafe {
            let handler: extern "C" fn(libc::c_int) = on_sigterm;
            libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
        }
        Mutex::new(None)
    })
}

/// Runs `action` on each Ctrl-C or SIGTERM (the handlers are installed
/// once per process). A signal that came before is acted on at once.
pub fn on_ctrl_c_do(action: impl Fn(usize) + Send + 'static) {
    let slot = slot();
    if let Ok(mut g) = slot.lock() {
        let n = PRESSES.load(Ordering::SeqCst);
        if n > 0 {
            action(n);
        }
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

/// True once Ctrl-C was pressed or SIGTERM received.
pub fn was_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The exit code of a run stopped by a signal: 143 after SIGTERM, 130
/// after Ctrl-C (128 + the signal's number, as shells report it).
pub fn stopped_exit_code() -> i32 {
    if TERMINATED.load(Ordering::SeqCst) {
        143
    } else {
        130
    }
}
