//! The device thread: opens the cpal stream, keeps it alive, watches it, and
//! reopens it after a loss when asked to.
//!
//! cpal's `Stream` is not `Send` on every host, so it lives and dies on this
//! one thread. Each open stream is a "session" with its own ring buffer; the
//! ring's consumer is handed to the spool thread. A session ends on a stop
//! request, on a fatal error from the audio system (device unplugged, server
//! gone) or when no audio arrives for the stall timeout (ALSA through a dead
//! PulseAudio just stops calling back).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cpal::traits::{DeviceTrait, StreamTrait};
use crossbeam_channel::Sender;

use super::callback::{push_block, SessionCounters};
use super::device::{find_device, open_host, open_host_by_id};
use super::error::CaptureError;
use super::stop::StopHandle;

/// What the device thread tells the spool thread.
pub(crate) enum ToSpool {
    /// A stream opened: drain this ring next.
    Session {
        ring: rtrb::Consumer<f32>,
        counters: Arc<SessionCounters>,
        /// When the stream started running: its first frame's capture time.
        started: Instant,
    },
    /// The stream was lost (its ring's producer is already dropped).
    Lost { reason: String, reconnecting: bool },
    /// The device thread is done; no more sessions will come.
    Done,
}

/// Settings the device thread needs.
pub(crate) struct DevicePlan {
    /// `--device` as given (`None`: the default input).
    pub query: Option<String>,
    /// Which audio system to open it through.
    pub host: super::device::AudioHost,
    /// Seconds of audio the ring buffer holds.
    pub ring_seconds: f64,
    /// Device buffer to ask for (`None`: the host's default).
    pub device_buffer: Option<Duration>,
    /// Longest silence from the callback before the stream counts as lost.
    pub stall_timeout: Duration,
    /// Longest wait for the first callback of a new stream.
    pub first_audio_timeout: Duration,
    /// Keep reopening the device after a loss.
    pub reconnect: bool,
    /// Pause between reopen attempts.
    pub retry_every: Duration,
}

/// The stream as first opened; later sessions must match it.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    pub host: cpal::HostId,
    pub device_id: String,
    pub sample_rate: u32,
    pub channels: u16,
    pub sample_format: cpal::SampleFormat,
    pub started_utc: DateTime<Utc>,
}

/// An open stream and its counters (its ring's consumer goes to the spool).
struct Session {
    /// Held only to keep the stream running; dropping it closes the stream.
    _stream: cpal::Stream,
    counters: Arc<SessionCounters>,
    /// When `play()` returned: the stream's first frame is captured then.
    started: Instant,
    /// The same moment on the wall clock.
    started_utc: DateTime<Utc>,
}

/// The PulseAudio buffer asked for by default. cpal makes the server-side
/// record buffer exactly one fragment long, and the server silently drops
/// audio that does not fit: 20 ms fragments lost audio under load on a
/// 2-core machine, 100 ms did not (even with 8 busy processes), at the cost
/// of up to 100 ms more latency. PulseAudio's own default (2 s fragments)
/// would delay every utterance by seconds.
const PULSE_BUFFER: Duration = Duration::from_millis(100);

/// Builds and starts an input stream on `device` at the given native format.
fn open_session(
    host: cpal::HostId,
    device: &cpal::Device,
    device_id: &str,
    sample_rate: u32,
    channels: u16,
    sample_format: cpal::SampleFormat,
    plan: &DevicePlan,
) -> Result<(Session, rtrb::Consumer<f32>), CaptureError> {
    let capacity = ((plan.ring_seconds * f64::from(sample_rate)).ceil() as usize).max(4096)
        * usize::from(channels.max(1));
    let (producer, consumer) = rtrb::RingBuffer::<f32>::new(capacity);
    let buffer = match (plan.device_buffer, host) {
        (Some(d), _) => Some(d),
        (None, cpal::HostId::PulseAudio) => Some(PULSE_BUFFER),
        (None, _) => None,
    };
    let buffer_size = match buffer {
        Some(d) => cpal::BufferSize::Fixed(
            ((d.as_secs_f64() * f64::from(sample_rate)).round() as u32).max(64),
        ),
        None => cpal::BufferSize::Default,
    };
    let config = cpal::StreamConfig {
        channels,
        sample_rate,
        buffer_size,
    };
    let counters = Arc::new(SessionCounters::new());
    let open_err = |e: cpal::Error| CaptureError::Open {
        device: device_id.to_string(),
        reason: e.to_string(),
    };
    let stream = build(
        device,
        config,
        sample_format,
        producer,
        counters.clone(),
        device_id,
    )?;
    stream.play().map_err(open_err)?;
    Ok((
        Session {
            _stream: stream,
            counters,
            started: Instant::now(),
            started_utc: Utc::now(),
        },
        consumer,
    ))
}

/// `build_input_stream` for the runtime sample format.
fn build(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    format: cpal::SampleFormat,
    producer: rtrb::Producer<f32>,
    counters: Arc<SessionCounters>,
    device_id: &str,
) -> Result<cpal::Stream, CaptureError> {
    fn typed<T>(
        device: &cpal::Device,
        config: cpal::StreamConfig,
        mut producer: rtrb::Producer<f32>,
        counters: Arc<SessionCounters>,
    ) -> Result<cpal::Stream, cpal::Error>
    where
        T: cpal::SizedSample + Send + 'static,
        f32: cpal::FromSample<T>,
    {
        let channels = usize::from(config.channels);
        let data_counters = counters.clone();
        device.build_input_stream::<T, _, _>(
            config,
            move |data: &[T], _: &cpal::InputCallbackInfo| {
                push_block(data, channels, &mut producer, &data_counters)
            },
            move |err| counters.on_error(err),
            Some(Duration::from_secs(10)),
        )
    }
    use cpal::SampleFormat as F;
    let result = match format {
        F::I8 => typed::<i8>(device, config, producer, counters),
        F::U8 => typed::<u8>(device, config, producer, counters),
        F::I16 => typed::<i16>(device, config, producer, counters),
        F::U16 => typed::<u16>(device, config, producer, counters),
        F::I32 => typed::<i32>(device, config, producer, counters),
        F::U32 => typed::<u32>(device, config, producer, counters),
        F::I24 => typed::<cpal::I24>(device, config, producer, counters),
        F::F32 => typed::<f32>(device, config, producer, counters),
        F::F64 => typed::<f64>(device, config, producer, counters),
        other => {
            return Err(CaptureError::UnsupportedFormat {
                device: device_id.to_string(),
                format: other.to_string(),
            })
        }
    };
    result.map_err(|e| CaptureError::Open {
        device: device_id.to_string(),
        reason: e.to_string(),
    })
}

/// Opens the device named by `plan` for the first time, at its native
/// default configuration.
fn first_open(plan: &DevicePlan) -> Result<((Session, rtrb::Consumer<f32>), Opened), CaptureError> {
    let host = open_host(plan.host)?;
    let (device, device_id) = find_device(&host, plan.query.as_deref())?;
    let config = device
        .default_input_config()
        .map_err(|e| CaptureError::Open {
            device: device_id.clone(),
            reason: e.to_string(),
        })?;
    let session = open_session(
        host.id(),
        &device,
        &device_id,
        config.sample_rate(),
        config.channels(),
        config.sample_format(),
        plan,
    )?;
    let opened = Opened {
        host: host.id(),
        device_id,
        sample_rate: config.sample_rate(),
        channels: config.channels(),
        sample_format: config.sample_format(),
        started_utc: session.0.started_utc,
    };
    Ok((session, opened))
}

/// Reopens the same device (or the default, if none was named) at the
/// format the capture started with.
fn reopen(
    plan: &DevicePlan,
    opened: &Opened,
) -> Result<(Session, rtrb::Consumer<f32>), CaptureError> {
    let host = open_host_by_id(opened.host)?;
    let query = plan.query.as_ref().map(|_| opened.device_id.as_str());
    let (device, device_id) = find_device(&host, query)?;
    open_session(
        opened.host,
        &device,
        &device_id,
        opened.sample_rate,
        opened.channels,
        opened.sample_format,
        plan,
    )
}

/// Longest wait for a stream to close. ALSA's pulse plugin can deadlock
/// inside libpulse once its server has died, and the stream's drop would
/// then never return: it is left to its fate on a helper thread instead.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Closes a session's stream, waiting at most [`CLOSE_TIMEOUT`].
#[cfg(target_os = "linux")]
fn retire(session: Session) {
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
    let spawned = std::thread::Builder::new()
        .name("capture-close".to_string())
        .spawn(move || {
            drop(session);
            let _ = done_tx.send(());
        });
    if spawned.is_ok() {
        let _ = done_rx.recv_timeout(CLOSE_TIMEOUT);
    }
}

/// Closes a session's stream (streams are not `Send` on every platform).
#[cfg(not(target_os = "linux"))]
fn retire(session: Session) {
    drop(session);
}

/// How a session ended.
enum SessionEnd {
    Stopped,
    Lost(String),
}

/// Watches a running session until a stop request, a fatal error or a stall.
fn supervise(session: &Session, plan: &DevicePlan, stop: &StopHandle) -> SessionEnd {
    let mut last_frames = 0u64;
    let mut last_progress = Instant::now();
    loop {
        if stop.is_stopped() {
            return SessionEnd::Stopped;
        }
        if let Some(reason) = session.counters.fatal_reason() {
            return SessionEnd::Lost(reason);
        }
        let frames = session
            .counters
            .frames_in
            .load(std::sync::atomic::Ordering::Acquire);
        if frames != last_frames {
            last_frames = frames;
            last_progress = Instant::now();
        } else {
            let limit = if frames == 0 {
                plan.first_audio_timeout
            } else {
                plan.stall_timeout
            };
            if last_progress.elapsed() > limit {
                return SessionEnd::Lost(format!(
                    "no audio from the device for {:.1} s",
                    limit.as_secs_f64()
                ));
            }
        }
        stop.wait(Duration::from_millis(20));
    }
}

/// Waits until the first stream's first callback brings audio.
fn wait_for_first_audio(
    session: &Session,
    opened: &Opened,
    plan: &DevicePlan,
    stop: &StopHandle,
) -> Result<(), CaptureError> {
    let deadline = Instant::now() + plan.first_audio_timeout;
    loop {
        let counters = &session.counters;
        if counters
            .frames_in
            .load(std::sync::atomic::Ordering::Acquire)
            > 0
        {
            return Ok(());
        }
        if let Some(reason) = counters.fatal_reason() {
            return Err(CaptureError::Open {
                device: opened.device_id.clone(),
                reason,
            });
        }
        if stop.is_stopped() {
            return Err(CaptureError::Open {
                device: opened.device_id.clone(),
                reason: "stopped before any audio arrived".to_string(),
            });
        }
        if Instant::now() >= deadline {
            return Err(CaptureError::Open {
                device: opened.device_id.clone(),
                reason: format!(
                    "no audio arrived within {:.0} s",
                    plan.first_audio_timeout.as_secs_f64()
                ),
            });
        }
        stop.wait(Duration::from_millis(5));
    }
}

/// Spawns the device thread; returns once the first stream is open and
/// delivering audio (or failed to), with what was opened.
pub(crate) fn spawn(
    plan: DevicePlan,
    stop: StopHandle,
    to_spool: Sender<ToSpool>,
) -> Result<(std::thread::JoinHandle<()>, Opened), CaptureError> {
    let (ready_tx, ready_rx) = crossbeam_channel::bounded(1);
    let handle = std::thread::Builder::new()
        .name("capture-device".to_string())
        .spawn(move || {
            let (session, opened) = match first_open(&plan) {
                Ok(ok) => ok,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            // Report ready only once audio flows: from then on nothing the
            // device hears is missed, and a device that stays silent is an
            // error now rather than a "lost device" later.
            if let Err(e) = wait_for_first_audio(&session.0, &opened, &plan, &stop) {
                retire(session.0);
                let _ = ready_tx.send(Err(e));
                return;
            }
            let _ = ready_tx.send(Ok(opened.clone()));
            run(session, &opened, &plan, &stop, &to_spool);
        })
        .map_err(|e| CaptureError::Thread(e.to_string()))?;
    match ready_rx.recv() {
        Ok(Ok(opened)) => Ok((handle, opened)),
        Ok(Err(e)) => {
            let _ = handle.join();
            Err(e)
        }
        Err(_) => {
            let _ = handle.join();
            Err(CaptureError::Thread(
                "the device thread exited while opening the device".to_string(),
            ))
        }
    }
}

/// The device thread's life after the first open.
fn run(
    first: (Session, rtrb::Consumer<f32>),
    opened: &Opened,
    plan: &DevicePlan,
    stop: &StopHandle,
    to_spool: &Sender<ToSpool>,
) {
    let mut session = first;
    loop {
        let (watched, ring) = session;
        // The spool drains the ring while we watch the stream.
        let sent = to_spool.send(ToSpool::Session {
            ring,
            counters: watched.counters.clone(),
            started: watched.started,
        });
        if sent.is_err() {
            return;
        }
        let end = supervise(&watched, plan, stop);
        // Closing the stream drops the ring's producer; the message sent next
        // tells the spool the session is over either way.
        retire(watched);
        let reason = match end {
            SessionEnd::Stopped => {
                let _ = to_spool.send(ToSpool::Done);
                return;
            }
            SessionEnd::Lost(reason) => reason,
        };
        let _ = to_spool.send(ToSpool::Lost {
            reason,
            reconnecting: plan.reconnect && !stop.is_stopped(),
        });
        if !plan.reconnect {
            let _ = to_spool.send(ToSpool::Done);
            return;
        }
        session = loop {
            if stop.wait(plan.retry_every) {
                let _ = to_spool.send(ToSpool::Done);
                return;
            }
            if let Ok(s) = reopen(plan, opened) {
                break s;
            }
        };
    }
}
