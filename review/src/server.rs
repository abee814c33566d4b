//! Starting the server: open the record, find the audio, bind the address
//! (a clear error when the port is taken), then serve until stopped.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;

use crate::audio::{find_audio, AudioSource};
use crate::error::ServeError;
use crate::routes::{router, App};
use crate::store::{SavedHook, Store};
use crate::token::new_token;

/// How to serve one incident directory.
#[derive(Clone)]
pub struct Config {
    /// The incident directory (holding `incident.json`).
    pub dir: PathBuf,
    /// Where to listen (127.0.0.1 unless the user asked otherwise; port 0 picks a free one).
    pub listen: SocketAddr,
    /// The call's audio, when the record's recordings do not lead to it.
    pub audio: Option<PathBuf>,
    /// Called after every save.
    pub on_saved: Option<SavedHook>,
    /// The session token (a fresh random one when `None`).
    pub token: Option<String>,
}

/// A bound review server, not yet serving.
pub struct Server {
    listener: TcpListener,
    url: String,
    token: String,
    app: Arc<App>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("url", &self.url).finish()
    }
}

impl Server {
    /// Opens the record and binds the address; nothing is served yet.
    pub fn bind(config: Config) -> Result<Server, ServeError> {
        let store = Store::open(&config.dir, config.on_saved.clone())?;
        let audio = find_audio(&config.dir, &store.snapshot(), config.audio.as_deref());
        let listener = TcpListener::bind(config.listen).map_err(|err| {
            if err.kind() == std::io::ErrorKind::AddrInUse {
                ServeError::PortInUse(config.listen)
            } else {
                ServeError::Bind {
                    addr: config.listen,
                    err,
                }
            }
        })?;
        let addr = listener.local_addr()?;
        let token = config.token.clone().unwrap_or_else(new_token);
        Ok(Server {
            listener,
            url: format!("http://{addr}/{token}/"),
            token,
            app: Arc::new(App { store, audio }),
        })
    }

    /// The page's URL, token included.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The audio found for each recording.
    pub fn audio(&self) -> &[AudioSource] {
        &self.app.audio
    }

    /// Serves until the process is stopped.
    pub fn run(self) -> Result<(), ServeError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_io()
            .build()?;
        let app = router(self.app, &self.token);
        self.listener.set_nonblocking(true)?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener)?;
            axum::serve(listener, app).await
        })?;
        Ok(())
    }
}
