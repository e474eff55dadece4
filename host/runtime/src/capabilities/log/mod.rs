//! `authbox:script/log` and the guest's stdout/stderr: everything a script
//! says goes into one per-call [`CallLog`], capped in bytes.

mod call_log;
mod stream;

use wasmtime::component::{HasSelf, Linker};

pub use call_log::{CallLog, DEFAULT_LOG_BYTES, LogLevel, LogLine};
pub use stream::LogStream;

use super::{CallScope, Capability, HasCapability};
use crate::bindings::authbox::script::log;

/// The `log` capability of one call.
pub struct LogCapability {
    log: CallLog,
}

impl LogCapability {
    /// Writes into `log`.
    pub fn new(log: CallLog) -> Self {
        LogCapability { log }
    }
}

impl log::Host for LogCapability {
    fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Trace => LogLevel::Trace,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Info => LogLevel::Info,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Error => LogLevel::Error,
        };
        self.log.push(level, &message);
        Ok(())
    }
}

impl Capability for LogCapability {
    const INTERFACE: &'static str = "authbox:script/log";
    type Settings = ();
    type Config = ();
    type Shared = ();

    fn shared((): &()) {}

    fn for_call((): &(), (): &(), scope: &CallScope<'_>) -> Self {
        LogCapability::new(scope.log.clone())
    }

    fn add_to_linker<T: HasCapability<Self>>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
        log::add_to_linker::<T, HasSelf<Self>>(linker, |t| t.capability().state)
    }
}
