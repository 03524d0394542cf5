//! One instance of an app at a time (Electron's `app.requestSingleInstanceLock`):
//! the first instance listens on a local socket (`interprocess`) named for the
//! app's data directory; a later one finds it taken, hands over its command line,
//! working directory and data, and learns it should quit. The first hears of it
//! as `second-instance`.
//!
//! On Unix the socket is a file in the app's data directory (made `0700` when
//! Voltaic makes it), itself `0600`: an abstract socket would let any local user
//! send the app a command line. On Windows it is a named pipe named for that
//! directory (compiled only).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use interprocess::local_socket::prelude::*;
use interprocess::local_socket::{ListenerOptions, Name, Stream};
use serde_json::{json, Value};

/// What a second instance of the app said as it started (Electron's
/// `second-instance` event's arguments).
#[derive(Debug, Clone, PartialEq)]
pub struct SecondInstance {
    /// Its command line, program first (`process.argv` in Electron).
    pub argv: Vec<String>,
    /// Its working directory.
    pub working_directory: PathBuf,
    /// What it passed to `request_single_instance_lock`.
    pub additional_data: Value,
}

/// Most a second instance may send: far above any command line.
const MAX_MESSAGE: u64 = 1 << 20;

/// What taking the lock gave.
pub(crate) enum Taken {
    /// This instance holds the lock: `listener` takes the others' messages.
    Held(interprocess::local_socket::Listener),
    /// Another instance holds it, and has been told of this one.
    Elsewhere,
}

/// Takes the lock for the app whose data directory is `dir`, or tells the
/// instance holding it about this one, with `data`.
pub(crate) fn take(dir: &Path, data: &Value) -> std::io::Result<Taken> {
    let socket = socket_path(dir)?;
    for _ in 0..2 {
        match ListenerOptions::new().name(name(&socket)?).create_sync() {
            Ok(listener) => {
                only_for_its_user(&socket)?;
                return Ok(Taken::Held(listener));
            }
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
                match Stream::connect(name(&socket)?) {
                    Ok(stream) => {
                        announce(stream, data)?;
                        return Ok(Taken::Elsewhere);
                    }
                    // Left by an instance that ended without removing it: nobody
                    // listens there. (Any other error may be a live instance.)
                    Err(error)
                        if cfg!(unix) && error.kind() == std::io::ErrorKind::ConnectionRefused =>
                    {
                        std::fs::remove_file(&socket)?;
                    }
                    Err(error) => return Err(error),
                }
            }
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(
        "another instance keeps making the single-instance socket",
    ))
}

/// Reads what instances that start later say, for as long as the listener lives,
/// on a thread of its own; gives each to `heard`.
pub(crate) fn listen(
    listener: interprocess::local_socket::Listener,
    heard: impl Fn(SecondInstance) + Send + Sync + 'static,
) {
    let spawned = std::thread::Builder::new()
        .name("voltaic-single-instance".into())
        .spawn(move || {
            let heard = std::sync::Arc::new(heard);
            for stream in listener.incoming() {
                let heard = heard.clone();
                // Each on its own thread: one that never finishes its line keeps
                // no other waiting.
                let reading = std::thread::Builder::new().spawn(move || {
                    match stream.map_err(|e| e.to_string()).and_then(read) {
                        Ok(second) => heard(second),
                        Err(error) => {
                            tracing::warn!("a second instance was not understood: {error}");
                        }
                    }
                });
                if let Err(error) = reading {
                    tracing::warn!("a second instance was not heard: {error}");
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("second instances will not be heard: {error}");
    }
}

fn socket_path(dir: &Path) -> std::io::Result<PathBuf> {
    let mut made = std::fs::DirBuilder::new();
    made.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut made, 0o700);
    made.create(dir)?;
    Ok(dir.join("single-instance.sock"))
}

/// Lets only this user connect to the socket (a directory made by someone else
/// may let others in).
#[cfg(unix)]
fn only_for_its_user(socket: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn only_for_its_user(_socket: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn name(socket: &Path) -> std::io::Result<Name<'_>> {
    socket.to_fs_name::<interprocess::local_socket::GenericFilePath>()
}

#[cfg(not(unix))]
fn name(socket: &Path) -> std::io::Result<Name<'static>> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    socket.hash(&mut hasher);
    format!("voltaic-{:016x}", hasher.finish())
        .to_ns_name::<interprocess::local_socket::GenericNamespaced>()
}

/// Tells the instance holding the lock about this one: one line of JSON.
fn announce(mut stream: Stream, data: &Value) -> std::io::Result<()> {
    let message = json!({
        "argv": std::env::args_os()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
        "cwd": std::env::current_dir().unwrap_or_default(),
        "data": data,
    });
    stream.write_all(format!("{message}\n").as_bytes())?;
    stream.flush()
}

/// One second instance's line, read within [`MAX_MESSAGE`]. Whatever it holds,
/// it comes from another process: nothing in it is trusted to be well formed.
fn read(stream: Stream) -> Result<SecondInstance, String> {
    let mut line = String::new();
    BufReader::new(stream.take(MAX_MESSAGE))
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    parse(&line)
}

fn parse(line: &str) -> Result<SecondInstance, String> {
    let message: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let argv = message["argv"]
        .as_array()
        .ok_or("no argv")?
        .iter()
        .map(|arg| {
            arg.as_str()
                .map(str::to_owned)
                .ok_or("an argument is not text")
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SecondInstance {
        argv,
        working_directory: PathBuf::from(message["cwd"].as_str().unwrap_or_default()),
        additional_data: message["data"].clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_holds_the_lock_and_hears_the_second() {
        let dir = std::env::temp_dir().join(format!("voltaic-single-{}", std::process::id()));
        let Taken::Held(listener) = take(&dir, &Value::Null).unwrap() else {
            panic!("the first instance did not get the lock");
        };
        let (heard, hearing) = std::sync::mpsc::channel();
        listen(listener, move |second| {
            let _ = heard.send(second);
        });
        assert!(matches!(
            take(&dir, &json!({ "open": "a.txt" })).unwrap(),
            Taken::Elsewhere
        ));
        let second = hearing
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the first instance heard nothing");
        assert_eq!(second.additional_data, json!({ "open": "a.txt" }));
        assert!(!second.argv.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_socket_left_behind_is_taken_over() {
        let dir = std::env::temp_dir().join(format!("voltaic-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A file where the socket goes, with nobody listening on it.
        std::fs::write(dir.join("single-instance.sock"), "").unwrap();
        assert!(matches!(take(&dir, &Value::Null).unwrap(), Taken::Held(_)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn what_a_second_instance_says_is_checked() {
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"argv": [1]}"#).is_err());
        assert!(parse(r#"{"cwd": "/"}"#).is_err());
        let second = parse(r#"{"argv": ["app", "--x"], "cwd": "/tmp", "data": 5}"#).unwrap();
        assert_eq!(second.argv, ["app", "--x"]);
        assert_eq!(second.working_directory, PathBuf::from("/tmp"));
        assert_eq!(second.additional_data, json!(5));
    }
}
