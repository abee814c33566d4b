//! Finding audio input devices.
//!
//! The PulseAudio host (cpal's pure-Rust client; also serves PipeWire through
//! pipewire-pulse) is preferred whenever a server answers: it lists every
//! source by its own name (microphones *and* the monitors of outputs, so a
//! headset mic and the meeting app's output can be captured as separate
//! tracks), and it reports a dead server at once. The ALSA host is the
//! fallback when no server runs; there only ALSA PCM names (`default`,
//! `hw:CARD=...`) exist, and a vanished server shows up as a stalled stream,
//! which the capture's stall watchdog turns into a device loss.

use cpal::traits::{DeviceTrait, HostTrait};

use super::error::CaptureError;

/// One audio input device, as `hotwash devices` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputDevice {
    /// Stable id to pass to `--device` (a PulseAudio source name such as
    /// `alsa_input.usb-...` or `virt.monitor`, or an ALSA PCM name).
    pub id: String,
    /// Human-readable description from the audio system.
    pub description: String,
    /// Audio host that serves it (`pulseaudio` or `alsa`).
    pub host: String,
    /// Whether it is the host's default input.
    pub is_default: bool,
    /// Native sample rate (Hz) of its default configuration, if it opened.
    pub sample_rate: Option<u32>,
    /// Native channel count of its default configuration, if it opened.
    pub channels: Option<u16>,
    /// Native sample format (`i16`, `f32`, ...), if it opened.
    pub sample_format: Option<String>,
}

/// The host's name as shown to users and logged (`pulseaudio`, `alsa`).
pub(crate) fn host_label(id: cpal::HostId) -> String {
    id.name().to_lowercase()
}

/// Which audio system to capture through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioHost {
    /// PulseAudio/PipeWire if a server answers, else ALSA.
    #[default]
    Auto,
    /// PulseAudio or PipeWire (through pipewire-pulse) only.
    PulseAudio,
    /// ALSA only (through Debian's pulse plugin, `default` still reaches a
    /// running server, but a dead server is only noticed as a stall).
    Alsa,
}

impl std::str::FromStr for AudioHost {
    type Err = CaptureError;

    /// Parses `auto`, `pulseaudio` (or `pulse`, `pipewire`) and `alsa`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(AudioHost::Auto),
            "pulseaudio" | "pulse" | "pipewire" => Ok(AudioHost::PulseAudio),
            "alsa" => Ok(AudioHost::Alsa),
            other => Err(CaptureError::Config(format!(
                "unknown audio host '{other}' (expected auto, pulseaudio or alsa)"
            ))),
        }
    }
}

/// Opens the audio host `which` asks for; `Auto` prefers PulseAudio/PipeWire
/// when a server answers, else ALSA.
pub(crate) fn open_host(which: AudioHost) -> Result<cpal::Host, CaptureError> {
    match which {
        AudioHost::PulseAudio => return open_host_by_id(cpal::HostId::PulseAudio),
        AudioHost::Alsa => return open_host_by_id(cpal::HostId::Alsa),
        AudioHost::Auto => {}
    }
    let pulse_err = match cpal::host_from_id(cpal::HostId::PulseAudio) {
        Ok(host) => return Ok(host),
        Err(e) => e,
    };
    cpal::host_from_id(cpal::HostId::Alsa).map_err(|alsa_err| {
        CaptureError::NoHost(format!("PulseAudio: {pulse_err}; ALSA: {alsa_err}"))
    })
}

/// Opens a specific host again (used when reconnecting to the same device).
pub(crate) fn open_host_by_id(id: cpal::HostId) -> Result<cpal::Host, CaptureError> {
    cpal::host_from_id(id).map_err(|e| CaptureError::NoHost(format!("{}: {e}", id.name())))
}

/// Lists the input devices of the preferred host (see [`AudioHost::Auto`]),
/// the default first and marked.
///
/// Devices that refuse to report a configuration (ALSA plugins without a
/// backing server, for instance) are left out: they cannot be captured.
pub fn list_devices() -> Result<Vec<InputDevice>, CaptureError> {
    list_devices_on(AudioHost::Auto)
}

/// [`list_devices`] on a chosen audio host.
pub fn list_devices_on(which: AudioHost) -> Result<Vec<InputDevice>, CaptureError> {
    let host = open_host(which)?;
    let host_name = host_label(host.id());
    let default_id = host
        .default_input_device()
        .and_then(|d| d.id().ok())
        .map(|id| id.id().to_string());
    let devices = host
        .input_devices()
        .map_err(|e| CaptureError::Enumerate(e.to_string()))?;
    let mut out = Vec::new();
    for device in devices {
        let Ok(id) = device.id() else { continue };
        let id = id.id().to_string();
        let Ok(config) = device.default_input_config() else {
            continue;
        };
        let description = device
            .description()
            .map(|d| d.name().to_string())
            .unwrap_or_default();
        out.push(InputDevice {
            is_default: default_id.as_deref() == Some(id.as_str()),
            id,
            description,
            host: host_name.clone(),
            sample_rate: Some(config.sample_rate()),
            channels: Some(config.channels()),
            sample_format: Some(config.sample_format().to_string()),
        });
    }
    // ALSA's default device is virtual and not always in the hint list.
    if let Some(default_id) = default_id {
        if !out.iter().any(|d| d.id == default_id) {
            if let Some(device) = host.default_input_device() {
                if let Ok(config) = device.default_input_config() {
                    out.insert(
                        0,
                        InputDevice {
                            id: default_id,
                            description: "Default input".to_string(),
                            host: host_name,
                            is_default: true,
                            sample_rate: Some(config.sample_rate()),
                            channels: Some(config.channels()),
                            sample_format: Some(config.sample_format().to_string()),
                        },
                    );
                }
            }
        }
    }
    out.sort_by_key(|d| !d.is_default);
    Ok(out)
}

/// Finds the input device `name` names (`None`: the default input).
///
/// `name` may be a full id, a description (case-insensitive), or a unique
/// case-insensitive substring of either; `default` means the default input.
/// Returns the device and its id.
pub(crate) fn find_device(
    host: &cpal::Host,
    name: Option<&str>,
) -> Result<(cpal::Device, String), CaptureError> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "default");
    let Some(name) = name else {
        let device = host
            .default_input_device()
            .ok_or(CaptureError::NoDefaultDevice)?;
        let id = device
            .id()
            .map(|id| id.id().to_string())
            .unwrap_or_else(|_| "default".to_string());
        return Ok((device, id));
    };
    let devices: Vec<(cpal::Device, String, String)> = host
        .input_devices()
        .map_err(|e| CaptureError::Enumerate(e.to_string()))?
        .filter_map(|d| {
            let id = d.id().ok()?.id().to_string();
            let desc = d
                .description()
                .map(|x| x.name().to_string())
                .unwrap_or_default();
            Some((d, id, desc))
        })
        .collect();
    let ids: Vec<(String, String)> = devices
        .iter()
        .map(|(_, i, d)| (i.clone(), d.clone()))
        .collect();
    let index = match_device(name, &ids)?;
    let (device, id, _) =
        devices
            .into_iter()
            .nth(index)
            .ok_or_else(|| CaptureError::DeviceNotFound {
                name: name.to_string(),
            })?;
    Ok((device, id))
}

/// Picks the index in `devices` (id, description) that `name` names: an exact
/// id, else an exact description, else a unique substring of either.
fn match_device(name: &str, devices: &[(String, String)]) -> Result<usize, CaptureError> {
    if let Some(i) = devices.iter().position(|(id, _)| id == name) {
        return Ok(i);
    }
    let lower = name.to_lowercase();
    let pick = |hits: Vec<usize>| -> Result<Option<usize>, CaptureError> {
        match hits.len() {
            0 => Ok(None),
            1 => Ok(Some(hits[0])),
            _ => Err(CaptureError::AmbiguousDevice {
                name: name.to_string(),
                matches: hits
                    .iter()
                    .map(|&i| devices[i].0.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    };
    let exact_desc = (0..devices.len())
        .filter(|&i| devices[i].1.to_lowercase() == lower)
        .collect();
    if let Some(i) = pick(exact_desc)? {
        return Ok(i);
    }
    let substring = (0..devices.len())
        .filter(|&i| {
            devices[i].0.to_lowercase().contains(&lower)
                || devices[i].1.to_lowercase().contains(&lower)
        })
        .collect();
    pick(substring)?.ok_or_else(|| CaptureError::DeviceNotFound {
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devs() -> Vec<(String, String)> {
        [
            ("alsa_input.usb-Jabra.mono", "Jabra Evolve Mono"),
            ("virt.monitor", "Monitor of Null Output"),
            ("virt2.monitor", "Monitor of Null Output"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn audio_host_names_parse() {
        assert_eq!(
            "PulseAudio".parse::<AudioHost>().unwrap(),
            AudioHost::PulseAudio
        );
        assert_eq!(
            "pipewire".parse::<AudioHost>().unwrap(),
            AudioHost::PulseAudio
        );
        assert_eq!("alsa".parse::<AudioHost>().unwrap(), AudioHost::Alsa);
        assert!("jack".parse::<AudioHost>().is_err());
    }

    #[test]
    fn exact_id_wins_over_substring() {
        assert_eq!(match_device("virt.monitor", &devs()).unwrap(), 1);
        assert_eq!(match_device("virt2.monitor", &devs()).unwrap(), 2);
    }

    #[test]
    fn unique_substring_of_description_matches() {
        assert_eq!(match_device("jabra", &devs()).unwrap(), 0);
    }

    #[test]
    fn ambiguous_and_missing_names_are_errors() {
        let err = match_device("monitor of null", &devs()).unwrap_err();
        assert!(matches!(err, CaptureError::AmbiguousDevice { .. }), "{err}");
        assert!(err.to_string().contains("virt.monitor"));
        let err = match_device("nope", &devs()).unwrap_err();
        assert!(matches!(err, CaptureError::DeviceNotFound { .. }), "{err}");
    }
}
