//! A call's log: the lines a script logged or printed, capped in bytes;
//! what passes the cap is dropped and counted, so a flooding script costs
//! the host no memory.

use std::sync::{Arc, Mutex};

use serde::Serialize;

/// The default cap on a call's captured log output (64 KiB).
pub const DEFAULT_LOG_BYTES: usize = 64 * 1024;

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    #[allow(missing_docs)]
    Trace,
    #[allow(missing_docs)]
    Debug,
    #[allow(missing_docs)]
    Info,
    #[allow(missing_docs)]
    Warn,
    #[allow(missing_docs)]
    Error,
    /// A line the script wrote to standard output.
    Stdout,
    /// A line the script wrote to standard error (panic messages land here).
    Stderr,
}

/// One line of a call's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// Its level or stream.
    pub level: LogLevel,
    /// The text.
    pub message: String,
}

/// A call's log; clones share it.
#[derive(Clone)]
pub struct CallLog(Arc<Mutex<LogBuffer>>);

struct LogBuffer {
    lines: Vec<LogLine>,
    /// Bytes kept so far, partial lines included.
    kept: usize,
    cap: usize,
    dropped: u64,
    partial_stdout: Vec<u8>,
    partial_stderr: Vec<u8>,
}

impl LogBuffer {
    /// How many of `len` more bytes may still be kept.
    fn admit(&mut self, len: usize) -> usize {
        let room = self.cap - self.kept;
        let admitted = room.min(len);
        self.kept += admitted;
        self.dropped += (len - admitted) as u64;
        admitted
    }

    fn partial(&mut self, level: LogLevel) -> &mut Vec<u8> {
        if level == LogLevel::Stdout {
            &mut self.partial_stdout
        } else {
            &mut self.partial_stderr
        }
    }

    fn flush_partial(&mut self, level: LogLevel) {
        let bytes = std::mem::take(self.partial(level));
        if !bytes.is_empty() {
            let message = String::from_utf8_lossy(&bytes).into_owned();
            self.lines.push(LogLine { level, message });
        }
    }
}

impl CallLog {
    /// An empty log keeping at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        CallLog(Arc::new(Mutex::new(LogBuffer {
            lines: Vec::new(),
            kept: 0,
            cap,
            dropped: 0,
            partial_stdout: Vec::new(),
            partial_stderr: Vec::new(),
        })))
    }

    fn buffer(&self) -> std::sync::MutexGuard<'_, LogBuffer> {
        // A poisoned lock only means a panic elsewhere mid-push; the buffer is still usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a line, cut at the cap.
    pub fn push(&self, level: LogLevel, message: &str) {
        let mut buffer = self.buffer();
        let mut admitted = buffer.admit(message.len());
        while !message.is_char_boundary(admitted) {
            admitted -= 1;
        }
        if admitted > 0 || message.is_empty() {
            buffer.lines.push(LogLine {
                level,
                message: message[..admitted].to_owned(),
            });
        }
    }

    /// Adds raw stream output, split into lines.
    pub(super) fn write_stream(&self, level: LogLevel, mut bytes: &[u8]) {
        let mut buffer = self.buffer();
        let admitted = buffer.admit(bytes.len());
        bytes = &bytes[..admitted];
        while let Some(newline) = bytes.iter().position(|b| *b == b'\n') {
            buffer.partial(level).extend_from_slice(&bytes[..newline]);
            buffer.flush_partial(level);
            bytes = &bytes[newline + 1..];
        }
        buffer.partial(level).extend_from_slice(bytes);
    }

    /// The lines, with unfinished stream lines flushed and, if anything was
    /// dropped, a last line saying how much.
    pub fn finish(&self) -> Vec<LogLine> {
        let mut buffer = self.buffer();
        buffer.flush_partial(LogLevel::Stdout);
        buffer.flush_partial(LogLevel::Stderr);
        let mut lines = std::mem::take(&mut buffer.lines);
        if buffer.dropped > 0 {
            lines.push(LogLine {
                level: LogLevel::Warn,
                message: format!(
                    "[authbox] log output cut: {} more bytes were dropped (the cap is {} bytes per call)",
                    buffer.dropped, buffer.cap
                ),
            });
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_stream_output_into_lines() {
        let log = CallLog::new(1024);
        log.write_stream(LogLevel::Stdout, b"one\ntw");
        log.write_stream(LogLevel::Stdout, b"o\nthree");
        log.push(LogLevel::Info, "from log");
        let lines = log.finish();
        let messages: Vec<&str> = lines.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(messages, ["one", "two", "from log", "three"]);
        assert_eq!(lines[2].level, LogLevel::Info);
    }

    #[test]
    fn cuts_at_the_cap_and_marks_the_cut() {
        let log = CallLog::new(10);
        log.push(LogLevel::Info, "12345");
        log.write_stream(LogLevel::Stderr, &[b'x'; 1000]);
        log.push(LogLevel::Info, "late");
        let lines = log.finish();
        assert_eq!(lines[0].message, "12345");
        assert_eq!(lines[1].message, "xxxxx");
        assert_eq!(lines.len(), 3);
        assert!(
            lines[2].message.contains("999 more bytes were dropped"),
            "{}",
            lines[2].message
        );
    }

    #[test]
    fn cuts_on_a_char_boundary() {
        let log = CallLog::new(3);
        log.push(LogLevel::Info, "aéé");
        assert_eq!(log.finish()[0].message, "aé");
    }
}
