//! `hotwash review INC-DIR [--port P] [--open] [--listen ADDR]`: the page
//! where people confirm, edit and reject the record's items with the call's
//! audio at every line (see the `hotwash-review` crate).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use hotwash_review::{Config, Server};

/// Arguments of `hotwash review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The incident directory `hotwash postmortem -o DIR` wrote.
    #[arg(value_name = "INC-DIR")]
    pub dir: PathBuf,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on instead of 127.0.0.1. Anyone who can reach it
    /// and learns the printed URL can hear the call and change the record.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<IpAddr>,
    /// Open the page in the desktop's browser.
    #[arg(long)]
    pub open: bool,
    /// The call's audio, when the record's recordings do not lead to it.
    #[arg(long, value_name = "FILE")]
    pub audio: Option<PathBuf>,
}

/// Opens `url` with the desktop's opener, or says how to open it by hand.
fn open_browser(url: &str) {
    let spawned = std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        eprintln!("note: could not start a browser (xdg-open); open the URL above by hand");
    }
}

/// Runs `hotwash review` until stopped.
pub fn run(args: ReviewArgs) -> Result<i32> {
    let ip = args.listen.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if !ip.is_loopback() {
        eprintln!(
            "warning: listening on {ip}, not 127.0.0.1: anyone who can reach this address and \
             learns the URL can hear the call and change the record; the token in the URL is \
             the only guard and the traffic is not encrypted"
        );
    }
    let hook: hotwash_review::SavedHook = Arc::new(|dir: &Path, written: &[PathBuf]| {
        if let Err(e) = crate::cmd::manifest::refresh(dir, written) {
            eprintln!("warning: {}: manifest not updated: {e:#}", dir.display());
        }
    });
    let server = Server::bind(Config {
        dir: args.dir.clone(),
        listen: SocketAddr::new(ip, args.port),
        audio: args.audio.clone(),
        on_saved: Some(hook),
        token: None,
    })?;
    for a in server.audio() {
        match (&a.path, &a.missing) {
            (Some(p), _) => println!("audio: {} -> {}", a.name, p.display()),
            (None, Some(why)) => eprintln!("warning: {why}; the page works without it"),
            (None, None) => {}
        }
    }
    println!("review: {}", server.url());
    println!(
        "(every change is saved into {}; Ctrl-C to stop)",
        args.dir.join("incident.json").display()
    );
    if args.open {
        open_browser(server.url());
    }
    server.run()?;
    Ok(0)
}
