//! `hotwash devices`: the audio input devices live capture can record, with
//! the default marked.

use anyhow::{Context, Result};
use clap::Args;
use hotwash_engine::capture::{list_devices, InputDevice};

/// List audio input devices (microphones and output monitors).
#[derive(Debug, Clone, Args)]
pub struct DevicesArgs {
    /// Print JSON (one array) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Prints the input devices; the default is marked with `*`. The id column
/// is what `--device` takes.
pub fn run(args: DevicesArgs) -> Result<()> {
    let devices = list_devices().context("listing audio input devices")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&devices)?);
        return Ok(());
    }
    if devices.is_empty() {
        println!(
            "no audio input devices found; connect a microphone, or start PulseAudio/PipeWire"
        );
        return Ok(());
    }
    print!("{}", table(&devices));
    Ok(())
}

/// The human-readable listing.
fn table(devices: &[InputDevice]) -> String {
    let id_width = devices.iter().map(|d| d.id.len()).max().unwrap_or(0).max(2);
    let mut out = format!(
        "  {:<id_width$}  {:<20}  {}\n",
        "ID", "FORMAT", "DESCRIPTION"
    );
    for d in devices {
        let format = match (d.sample_rate, d.channels, &d.sample_format) {
            (Some(rate), Some(ch), Some(f)) => format!("{rate} Hz {ch} ch {f}"),
            _ => "-".to_string(),
        };
        let mark = if d.is_default { '*' } else { ' ' };
        out.push_str(&format!(
            "{mark} {:<id_width$}  {:<20}  {}\n",
            d.id, format, d.description
        ));
    }
    if let Some(host) = devices.first().map(|d| d.host.as_str()) {
        out.push_str(&format!(
            "(* = default; audio host: {host}; pass an ID, or a unique part of one, to --device)\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_marks_the_default_and_shows_formats() {
        let devices = vec![
            InputDevice {
                id: "virt.monitor".into(),
                description: "Monitor of Null Output".into(),
                host: "pulseaudio".into(),
                is_default: true,
                sample_rate: Some(48_000),
                channels: Some(2),
                sample_format: Some("i16".into()),
            },
            InputDevice {
                id: "alsa_input.usb-mic".into(),
                description: "USB Mic".into(),
                host: "pulseaudio".into(),
                is_default: false,
                sample_rate: None,
                channels: None,
                sample_format: None,
            },
        ];
        let t = table(&devices);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[1].starts_with("* virt.monitor"), "{t}");
        assert!(lines[1].contains("48000 Hz 2 ch i16"), "{t}");
        assert!(lines[2].starts_with("  alsa_input.usb-mic"), "{t}");
        assert!(t.contains("audio host: pulseaudio"));
    }
}
