//! Starting Chromium: Debian's `chromium`, a profile of the app's own (kept in the
//! app's data directory, or temporary), the DevTools protocol on a pipe only this
//! process holds, and Chromium's sandbox on.
//!
//! Chromium refuses to start its sandbox as root ("Running as root without
//! --no-sandbox is not supported"). Rather than turn the sandbox off, a root process
//! starts Chromium as `nobody` (with `setpriv`), in a profile directory `nobody`
//! owns; the X display must then let `nobody` in (an Xvfb started with `-ac`, or an
//! `XAUTHORITY` file it can read).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use command_fds::{CommandFdExt, FdMapping};
use nix::fcntl::{Flock, FlockArg};

use voltaic_cdp::pipe::{self, PipeWriter};
use voltaic_cdp::Cdp;

/// The user a root process runs Chromium as, and its ids.
const UNPRIVILEGED: (&str, u32, u32) = ("nobody", 65534, 65534);

/// Why Chromium could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// No Chromium executable was found.
    #[error("Chromium was not found (looked for {looked_for}); install Debian's `chromium` package (scripts/deps.sh does), or set VOLTAIC_CHROMIUM to its path")]
    NotFound {
        /// Where it was looked for.
        looked_for: String,
    },
    /// Running as root, and `setpriv` (util-linux) is missing to start Chromium as
    /// `nobody` with its sandbox on.
    #[error("running as root, Chromium's sandbox needs another user, and setpriv (Debian package util-linux) was not found")]
    NoSetpriv,
    /// Starting it, or preparing its profile, failed.
    #[error("could not start Chromium: {0}")]
    Io(#[from] std::io::Error),
}

/// How to start Chromium.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// The executable; by default `VOLTAIC_CHROMIUM`, else `chromium` or
    /// `chromium-browser` on `PATH`.
    pub executable: Option<PathBuf>,
    /// Without a window (`--headless`), for tests that need no display.
    pub headless: bool,
    /// The X display for the window; by default the process's `DISPLAY`.
    pub display: Option<String>,
    /// The window's first page, before the app's (`--app=<url>`); `about:blank`
    /// when empty.
    pub app_url: String,
    /// More command-line switches.
    pub args: Vec<String>,
    /// A profile directory kept from one launch to the next, so that pages keep
    /// their storage; `None` for a temporary profile. It is used only by one
    /// browser at a time, and only where the browser's user can reach it (see
    /// [`Chromium::keeps_profile`]); otherwise the browser gets a temporary one.
    pub kept_profile: Option<PathBuf>,
}

/// A running Chromium and its DevTools connection. Dropping it ends the browser
/// and removes its profile, unless the profile is kept.
pub struct Chromium {
    child: Child,
    cdp: Cdp,
    profile: Profile,
    user: Option<&'static str>,
    output: Arc<Mutex<Vec<String>>>,
}

/// The browser's profile directory: removed with the browser, or kept (and held
/// by a lock for as long as the browser runs).
struct Profile {
    path: PathBuf,
    kept: Option<Flock<std::fs::File>>,
}

impl Chromium {
    /// Starts Chromium as `options` say.
    pub fn launch(options: &LaunchOptions) -> Result<Self, LaunchError> {
        Self::start(options, |writer, input| pipe::connect(writer, input, None))
    }

    /// Like [`Chromium::launch`], with every DevTools event handed to `sink` (see
    /// [`Cdp::with_sink`]).
    pub fn launch_with_sink(
        options: &LaunchOptions,
        sink: voltaic_cdp::EventSink,
    ) -> Result<Self, LaunchError> {
        Self::start(options, |writer, input| {
            pipe::connect(writer, input, Some(sink))
        })
    }

    fn start(
        options: &LaunchOptions,
        connect: impl FnOnce(PipeWriter, os_pipe::PipeReader) -> std::io::Result<Cdp>,
    ) -> Result<Self, LaunchError> {
        let executable = find_executable(options.executable.as_deref())?;
        let as_root = effective_uid() == Some(0);
        let profile = Profile::choose(options.kept_profile.as_deref(), as_root)?;
        let profile_dir = &profile.path;
        let mut command = if as_root {
            let setpriv = find_on_path("setpriv").ok_or(LaunchError::NoSetpriv)?;
            let (_, uid, gid) = UNPRIVILEGED;
            std::os::unix::fs::chown(profile_dir, Some(uid), Some(gid))?;
            let mut command = Command::new(setpriv);
            command
                .arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg("--")
                .arg(&executable);
            command
        } else {
            Command::new(&executable)
        };
        if let Some(display) = &options.display {
            command.env("DISPLAY", display);
        }
        if as_root {
            // The display's cookie file is root's own; `nobody` gets a copy.
            if let Some(cookie) = std::env::var_os("XAUTHORITY").filter(|c| !c.is_empty()) {
                let copy = profile_dir.join(XAUTHORITY_COPY);
                if std::fs::copy(&cookie, &copy).is_ok() {
                    let (_, uid, gid) = UNPRIVILEGED;
                    std::os::unix::fs::chown(&copy, Some(uid), Some(gid))?;
                    command.env("XAUTHORITY", &copy);
                }
            }
        }
        command
            .args(switches(options, profile_dir))
            .env("HOME", profile_dir)
            .env("XDG_CONFIG_HOME", profile_dir.join("config"))
            .env("XDG_CACHE_HOME", profile_dir.join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Chromium reads commands on its fd 3 and writes on its fd 4.
        let (chromium_reads, to_chromium) = os_pipe::pipe()?;
        let (from_chromium, chromium_writes) = os_pipe::pipe()?;
        command
            .fd_mappings(vec![
                FdMapping {
                    parent_fd: chromium_reads.into(),
                    child_fd: 3,
                },
                FdMapping {
                    parent_fd: chromium_writes.into(),
                    child_fd: 4,
                },
            ])
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let mut child = command.spawn()?;
        // The child's ends live in `command`: dropped now, so that the pipe closes
        // when Chromium exits.
        drop(command);
        let output = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let lines = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    tracing::debug!(target: "voltaic::chromium", "{line}");
                    let mut lines = lines.lock().unwrap_or_else(|e| e.into_inner());
                    if lines.len() == 200 {
                        lines.remove(0);
                    }
                    lines.push(line);
                }
            });
        }
        let cdp = match connect(PipeWriter::new(to_chromium), from_chromium) {
            Ok(cdp) => cdp,
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                profile.clean_up();
                return Err(error.into());
            }
        };
        Ok(Self {
            child,
            cdp,
            profile,
            user: as_root.then_some(UNPRIVILEGED.0),
            output,
        })
    }

    /// The DevTools connection (the browser's session).
    pub fn cdp(&self) -> &Cdp {
        &self.cdp
    }

    /// Attaches to the page Chromium opened first (its `--app` window) as a flat
    /// session; returns the target's id and the session's.
    pub fn attach_first_page(
        &self,
        limit: std::time::Duration,
    ) -> Result<(String, String), voltaic_cdp::CdpError> {
        let missing = |what: &str| voltaic_cdp::CdpError::Protocol {
            method: "Target.attachToTarget".into(),
            code: 0,
            message: format!("no {what}"),
        };
        let targets = self
            .cdp
            .call(None, "Target.getTargets", serde_json::json!({}), limit)?;
        let target = targets["targetInfos"]
            .as_array()
            .and_then(|all| all.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["targetId"].as_str())
            .ok_or_else(|| missing("page target"))?
            .to_owned();
        let attached = self.cdp.call(
            None,
            "Target.attachToTarget",
            serde_json::json!({ "targetId": target, "flatten": true }),
            limit,
        )?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or_else(|| missing("session"))?
            .to_owned();
        Ok((target, session))
    }

    /// Whether the browser runs in the kept profile asked for, so that its pages'
    /// storage outlives it.
    pub fn keeps_profile(&self) -> bool {
        self.profile.kept.is_some()
    }

    /// The browser process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The user Chromium runs as when this process is root (`nobody`), so that its
    /// sandbox can be on.
    pub fn runs_as(&self) -> Option<&'static str> {
        self.user
    }

    /// The last lines Chromium wrote to its standard error, for error messages.
    pub fn output(&self) -> Vec<String> {
        self.output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // Closed the browser's way first, so that its helpers stop writing to the
        // profile; killed if it has not gone within a bound.
        self.cdp.post(None, "Browser.close", serde_json::json!({}));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        while std::time::Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
                _ => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.profile.clean_up();
    }
}

/// Where a root process leaves `nobody` a copy of the display's cookie.
const XAUTHORITY_COPY: &str = "Xauthority";

impl Profile {
    /// The kept profile at `kept` when this browser can have it, else a temporary
    /// one.
    fn choose(kept: Option<&Path>, as_root: bool) -> std::io::Result<Self> {
        if let Some(dir) = kept {
            if let Some(lock) = Self::hold(dir, as_root) {
                return Ok(Self {
                    path: dir.to_owned(),
                    kept: Some(lock),
                });
            }
        }
        let path = std::env::temp_dir().join(format!(
            "voltaic-chromium-{}-{}",
            std::process::id(),
            NEXT_PROFILE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)?;
        Ok(Self { path, kept: None })
    }

    /// Takes the kept profile at `dir` for this browser: creates it, and locks it
    /// against another instance of the app, which would otherwise hand its window
    /// to this one's browser through Chromium's own profile lock and exit.
    fn hold(dir: &Path, as_root: bool) -> Option<Flock<std::fs::File>> {
        let not_kept = |why: String| {
            tracing::info!(
                target: "voltaic::chromium",
                "pages' storage is not kept after this launch: {why}"
            );
        };
        if as_root {
            // `nobody` must be able to walk to it; root's home is closed to it.
            if let Some(closed) = closed_ancestor(dir) {
                not_kept(format!(
                    "Chromium runs as nobody, who cannot reach {} (under {}); set \
                     VOLTAIC_DATA_DIR to a directory it can reach",
                    dir.display(),
                    closed.display()
                ));
                return None;
            }
        }
        if let Err(error) = std::fs::create_dir_all(dir) {
            not_kept(format!("{}: {error}", dir.display()));
            return None;
        }
        let lock_path = dir.with_extension("lock");
        let lock = match std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
        {
            Ok(file) => file,
            Err(error) => {
                not_kept(format!("{}: {error}", lock_path.display()));
                return None;
            }
        };
        match Flock::lock(lock, FlockArg::LockExclusiveNonblock) {
            Ok(held) => Some(held),
            Err((_, error)) => {
                not_kept(format!(
                    "{} is in use by another instance of this app ({error})",
                    dir.display()
                ));
                None
            }
        }
    }

    /// Removes a temporary profile, and from a kept one what must not outlive
    /// the browser.
    fn clean_up(&self) {
        if self.kept.is_some() {
            let _ = std::fs::remove_file(self.path.join(XAUTHORITY_COPY));
            return;
        }
        // A helper that outlived the browser for a moment may still be writing.
        for _ in 0..20 {
            match std::fs::remove_dir_all(&self.path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                _ => break,
            }
        }
    }
}

/// The first existing directory on the way to `dir` that other users cannot
/// pass through, if any.
fn closed_ancestor(dir: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    dir.ancestors()
        .skip(1)
        .filter_map(|ancestor| Some((ancestor, std::fs::metadata(ancestor).ok()?)))
        .find(|(_, meta)| meta.permissions().mode() & 0o001 == 0)
        .map(|(ancestor, _)| ancestor.to_owned())
}

static NEXT_PROFILE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The command line: the app's profile, the pipe, none of Chromium's background
/// traffic (this machine's network is closed, and an app has no use for it).
fn switches(options: &LaunchOptions, profile: &Path) -> Vec<String> {
    let mut args = vec![
        "--remote-debugging-pipe".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        "--no-first-run".into(),
        "--no-default-browser-check".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-default-apps".into(),
        "--disable-extensions".into(),
        "--disable-sync".into(),
        "--disable-quic".into(),
        "--password-store=basic".into(),
        "--disable-dev-shm-usage".into(),
        // Chromium is phasing out `unload` events on its own; Electron keeps them,
        // and pages and preloads use them to say goodbye over IPC.
        "--disable-features=DeprecateUnload,DeprecateUnloadByAllowList".into(),
    ];
    if options.headless {
        args.push("--headless".into());
    }
    let url = if options.app_url.is_empty() {
        "about:blank"
    } else {
        &options.app_url
    };
    args.push(format!("--app={url}"));
    args.extend(options.args.iter().cloned());
    // More switches for every Chromium this process starts, for tests and
    // debugging: `VOLTAIC_CHROMIUM_FLAGS="--js-flags=--expose-gc"`.
    if let Ok(flags) = std::env::var("VOLTAIC_CHROMIUM_FLAGS") {
        args.extend(flags.split_whitespace().map(str::to_owned));
    }
    args
}

fn find_executable(given: Option<&Path>) -> Result<PathBuf, LaunchError> {
    // A path named outright must be there: no falling back to another Chromium.
    let named = |path: &Path, looked_for: String| {
        path.is_file()
            .then(|| path.to_owned())
            .ok_or(LaunchError::NotFound { looked_for })
    };
    if let Some(path) = given {
        return named(path, path.display().to_string());
    }
    if let Some(path) = std::env::var_os("VOLTAIC_CHROMIUM").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return named(&path, format!("VOLTAIC_CHROMIUM={}", path.display()));
    }
    ["chromium", "chromium-browser"]
        .iter()
        .find_map(|name| find_on_path(name))
        .ok_or_else(|| LaunchError::NotFound {
            looked_for: "chromium and chromium-browser on PATH".into(),
        })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// This process's effective user id, from `/proc/self/status`.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("voltaic-launch-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_kept_profile_is_held_by_one_browser_at_a_time() {
        let dir = scratch("held").join("chromium");
        let first = Profile::choose(Some(&dir), false).unwrap();
        assert_eq!(first.path, dir);
        assert!(first.kept.is_some());
        // Another instance of the app gets a temporary profile, removed after it.
        let second = Profile::choose(Some(&dir), false).unwrap();
        assert_ne!(second.path, dir);
        assert!(second.kept.is_none());
        second.clean_up();
        assert!(!second.path.exists());
        // The kept one outlives its browser, and is free again once it has gone.
        first.clean_up();
        drop(first);
        assert!(dir.is_dir());
        assert!(Profile::choose(Some(&dir), false).unwrap().kept.is_some());
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }

    #[test]
    fn a_profile_behind_a_closed_directory_is_out_of_nobodys_reach() {
        use std::os::unix::fs::PermissionsExt;
        let closed = scratch("closed");
        std::fs::create_dir_all(&closed).unwrap();
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
        let dir = closed.join("app").join("chromium");
        assert_eq!(closed_ancestor(&dir), Some(closed.clone()));
        // As root, such a profile is not taken: the browser runs as nobody.
        assert!(Profile::hold(&dir, true).is_none());
        assert!(!dir.exists());
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(closed_ancestor(&dir), None);
        let _ = std::fs::remove_dir_all(&closed);
    }

    #[test]
    fn a_missing_executable_names_the_package() {
        let error = find_executable(Some(Path::new("/nonexistent/chromium"))).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("`chromium` package"), "{text}");
        assert!(text.contains("/nonexistent/chromium"), "{text}");
    }

    #[test]
    fn the_command_line_holds_the_pipe_and_no_port() {
        let args = switches(&LaunchOptions::default(), Path::new("/tmp/p"));
        assert!(args.contains(&"--remote-debugging-pipe".to_owned()));
        assert!(args.contains(&"--user-data-dir=/tmp/p".to_owned()));
        assert!(args.contains(&"--app=about:blank".to_owned()));
        assert!(!args
            .iter()
            .any(|a| a.contains("remote-debugging-port") || a.contains("no-sandbox")));
    }
}
