//! Calls into the demuxers and decoders that survive their panics.
//!
//! symphonia's readers and decoders assert on some malformed input (a
//! Vorbis codebook whose sizes do not add up, for instance) instead of
//! returning an error. A damaged recording must give a clear message, not
//! take the process down, so every call into them goes through
//! [`guarded`]: a panic there becomes an `Err` with its message, and the
//! default panic report ("thread panicked at ...") is not printed for it.
//! Panics anywhere else are reported as before.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Guarded calls in progress on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The message of the last panic caught on this thread.
    static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

fn payload_text(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// Wraps the process's panic hook (once): panics inside a guarded call are
/// recorded instead of printed.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) > 0 {
                let text = payload_text(info.payload());
                MESSAGE.with(|m| *m.borrow_mut() = Some(text));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic inside it becomes `Err` with the panic's message.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    result.map_err(|p| {
        MESSAGE
            .with(|m| m.borrow_mut().take())
            .unwrap_or_else(|| payload_text(p.as_ref()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message() {
        assert_eq!(guarded(|| 7), Ok(7));
        let r: Result<(), String> = guarded(|| panic!("codebook too big: {}", 3));
        assert_eq!(r, Err("codebook too big: 3".to_string()));
        // Nested calls and later calls still work.
        assert_eq!(guarded(|| guarded(|| 1).unwrap() + 1), Ok(2));
        assert_eq!(DEPTH.with(Cell::get), 0);
    }
}
