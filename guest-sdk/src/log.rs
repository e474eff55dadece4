//! Log lines that appear in the call's report (`authbox run`) and in the
//! tenant's logs. Use the macros: [`trace!`](crate::trace), [`debug!`](crate::debug),
//! [`info!`](crate::info), [`warn!`](crate::warn), [`error!`](crate::error).
//! Never log passwords.

pub use crate::bindings::authbox::script::log::Level;

/// Logs one line at `level`; the macros call this.
///
/// ```no_run
/// use authbox_guest::log::{write, Level};
/// write(Level::Info, "hello");
/// ```
pub fn write(level: Level, message: &str) {
    crate::bindings::authbox::script::log::log(level, message);
}

/// Logs `format!`-style at a [`Level`]; the level macros expand to this.
///
/// ```no_run
/// authbox_guest::log!(authbox_guest::log::Level::Info, "{} rows", 3);
/// ```
#[macro_export]
macro_rules! log {
    ($level:expr, $($arg:tt)*) => {
        $crate::log::write($level, &::std::format!($($arg)*))
    };
}

/// Logs at trace level, `format!`-style.
///
/// ```no_run
/// authbox_guest::trace!("row {} read", 3);
/// ```
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => { $crate::log!($crate::log::Level::Trace, $($arg)*) };
}

/// Logs at debug level, `format!`-style.
///
/// ```no_run
/// authbox_guest::debug!("query took {} ms", 4);
/// ```
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log!($crate::log::Level::Debug, $($arg)*) };
}

/// Logs at info level, `format!`-style.
///
/// ```no_run
/// authbox_guest::info!("user {} logged in", "ada");
/// ```
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log!($crate::log::Level::Info, $($arg)*) };
}

/// Logs at warn level, `format!`-style.
///
/// ```no_run
/// authbox_guest::warn!("legacy hash format for {}", "ada");
/// ```
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log!($crate::log::Level::Warn, $($arg)*) };
}

/// Logs at error level, `format!`-style.
///
/// ```no_run
/// authbox_guest::error!("unexpected row count {}", 2);
/// ```
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log!($crate::log::Level::Error, $($arg)*) };
}
