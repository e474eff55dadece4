//! What a data source has done: statements run, running, failed.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[derive(Default)]
pub(super) struct Counters {
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    statements: AtomicU64,
    errors: AtomicU64,
}

/// What a data source has done since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataSourceStats {
    /// Statements running on the database now (not those waiting for a connection).
    pub in_flight: usize,
    /// The most statements that ran on the database at once.
    pub peak_in_flight: usize,
    /// Statements that got a connection, failed ones included.
    pub statements: u64,
    /// Statements that answered an error, those that got no connection included.
    pub errors: u64,
}

impl Counters {
    pub(super) fn stats(&self) -> DataSourceStats {
        DataSourceStats {
            in_flight: self.in_flight.load(Ordering::Relaxed),
            peak_in_flight: self.peak_in_flight.load(Ordering::Relaxed),
            statements: self.statements.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }

    /// Counts a statement for as long as the guard lives.
    pub(super) fn start_statement(&self) -> InFlight<'_> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        InFlight(self)
    }

    pub(super) fn count_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// Ends a statement's count when dropped (also when the statement is cancelled).
pub(super) struct InFlight<'a>(&'a Counters);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
