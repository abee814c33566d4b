//! A cloneable "stop capturing" flag that sleeping threads wake up on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Debug, Default)]
struct Inner {
    stopped: AtomicBool,
    lock: Mutex<()>,
    cond: Condvar,
}

/// Asks a capture to stop: the stream closes, everything already captured is
/// spooled and synced, and the live source ends after delivering it.
/// Cheap to clone and safe to call from a Ctrl-C handler thread.
#[derive(Debug, Clone, Default)]
pub struct StopHandle {
    inner: Arc<Inner>,
}

impl StopHandle {
    /// A handle that has not been stopped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests the stop (idempotent).
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::Release);
        let _guard = self.inner.lock.lock();
        self.inner.cond.notify_all();
    }

    /// Whether a stop was requested.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::Acquire)
    }

    /// Sleeps up to `timeout`, returning early (true) once stopped.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        let guard = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_stopped() {
            return true;
        }
        let _ = self
            .inner
            .cond
            .wait_timeout(guard, timeout)
            .unwrap_or_else(|e| e.into_inner());
        self.is_stopped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_wakes_a_waiting_thread() {
        let h = StopHandle::new();
        let h2 = h.clone();
        let t = std::thread::spawn(move || h2.wait(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(20));
        h.stop();
        assert!(t.join().unwrap());
        assert!(h.is_stopped());
    }
}
