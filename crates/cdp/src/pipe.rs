//! The framing of `--remote-debugging-pipe`: Chromium reads commands on its fd 3 and
//! writes answers and events on its fd 4, each message JSON text ended by one NUL
//! byte (Chromium's `devtools_pipe_handler.cc`, ASCIIZ mode).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::Mutex;

use crate::transport::{Command, Transport};
use crate::{Cdp, EventSink, Inbound};

/// A session over a browser's pipe: commands written to `writer` (Chromium's fd 3),
/// answers and events read from `input` (its fd 4) on a thread of its own. Events
/// go to `sink`, or are kept for [`Cdp::wait_for`] without one. Fails only when
/// that thread cannot start.
pub fn connect(
    writer: PipeWriter,
    input: impl Read + Send + 'static,
    sink: Option<EventSink>,
) -> io::Result<Cdp> {
    let (cdp, inbound) = match sink {
        Some(sink) => Cdp::with_sink(writer, sink),
        None => Cdp::new(writer),
    };
    std::thread::Builder::new()
        .name("voltaic-cdp-reader".into())
        .spawn(move || read_into(input, &inbound))?;
    Ok(cdp)
}

fn read_into(input: impl Read, inbound: &Inbound) {
    let why = match read_messages(input, |text| {
        record('<', &text);
        inbound.message(&text)
    }) {
        Ok(()) => "end of file".to_owned(),
        Err(error) => error.to_string(),
    };
    inbound.closed(&format!("the pipe closed: {why}"));
}

/// Largest message Chromium reads from a client: one over it closes the pipe on
/// Chromium's side, so a larger one is refused here instead.
pub const MAX_OUTGOING: usize = 100 * 1024 * 1024 - 1;

/// The writing half: one message at a time, NUL-terminated.
pub struct PipeWriter {
    out: Mutex<Box<dyn Write + Send>>,
}

impl PipeWriter {
    /// Wraps the write end of the pipe Chromium reads as its fd 3.
    pub fn new(out: impl Write + Send + 'static) -> Self {
        Self {
            out: Mutex::new(Box::new(out)),
        }
    }

    /// Writes one message. Fails, without writing, for a message Chromium would not
    /// take (one with a NUL byte, or over [`MAX_OUTGOING`] bytes).
    pub fn send(&self, message: &str) -> io::Result<()> {
        if message.len() > MAX_OUTGOING || message.as_bytes().contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a DevTools message of {} bytes cannot go through the pipe (at most {MAX_OUTGOING}, no NUL byte)",
                    message.len()
                ),
            ));
        }
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(message.as_bytes())?;
        out.write_all(&[0])?;
        out.flush()
    }
}

impl Transport for PipeWriter {
    fn send(&self, command: &Command<'_>) -> io::Result<()> {
        let text = command.to_json();
        record('>', &text);
        PipeWriter::send(self, &text)
    }
}

/// The environment variable naming a file that gets every message both ways, for
/// debugging and for the recorded transcripts the session layer is tested on: one
/// line each, `> ` and the command sent, or `< ` and what the browser said.
pub const TRANSCRIPT_ENV: &str = "VOLTAIC_CDP_TRANSCRIPT";

fn record(direction: char, text: &str) {
    static FILE: std::sync::OnceLock<Option<Mutex<std::fs::File>>> = std::sync::OnceLock::new();
    let file = FILE.get_or_init(|| {
        let path = std::env::var_os(TRANSCRIPT_ENV).filter(|p| !p.is_empty())?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        match file {
            Ok(file) => Some(Mutex::new(file)),
            Err(error) => {
                tracing::warn!("{TRANSCRIPT_ENV}: {}: {error}", path.to_string_lossy());
                None
            }
        }
    });
    if let Some(file) = file {
        let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
        // Raw line breaks in JSON text can only be white space between tokens.
        let _ = writeln!(file, "{direction} {}", text.replace(['\n', '\r'], " "));
    }
}

/// Reads messages from the pipe Chromium writes as its fd 4, calling `each` with
/// every complete message, until the pipe closes or a read fails; returns why it
/// stopped. Text that is not UTF-8 is passed on lossily (the parse above decides).
pub fn read_messages(input: impl Read, mut each: impl FnMut(String)) -> io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut frame = Vec::new();
    loop {
        frame.clear();
        let read = reader.read_until(0, &mut frame)?;
        if read == 0 {
            return Ok(());
        }
        if frame.last() == Some(&0) {
            frame.pop();
        } else {
            // The pipe closed halfway through a message: nothing to deliver.
            return Ok(());
        }
        each(String::from_utf8_lossy(&frame).into_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its bytes a few at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn messages_are_split_on_nul_whatever_the_reads() {
        let wire = b"{\"id\":1}\0{\"method\":\"x\"}\0{\"partial\"";
        for step in [1, 3, 7, 64] {
            let mut seen = Vec::new();
            read_messages(Trickle(wire, step), |m| seen.push(m)).unwrap();
            assert_eq!(
                seen,
                ["{\"id\":1}", "{\"method\":\"x\"}"],
                "reads of {step}"
            );
        }
    }

    #[test]
    fn writes_end_each_message_with_nul_and_refuse_what_chromium_would_not_take() {
        let sink = std::sync::Arc::new(Mutex::new(Vec::new()));
        struct Shared(std::sync::Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let writer = PipeWriter::new(Shared(sink.clone()));
        writer.send("{\"id\":1}").unwrap();
        writer.send("{\"id\":2}").unwrap();
        assert!(writer.send("a\0b").is_err());
        assert_eq!(&*sink.lock().unwrap(), b"{\"id\":1}\0{\"id\":2}\0");
    }
}
