//! Tasks the library runs beside the requests (the tenant log's writer and
//! sweeps, the attack-protection sweep), stopped when their owner is dropped.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::MissedTickBehavior;

/// Background tasks, aborted together on drop.
pub(crate) struct Background(Vec<AbortHandle>);

impl Background {
    /// Owns `tasks`.
    pub(crate) fn new(tasks: Vec<AbortHandle>) -> Self {
        Background(tasks)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Starts running `work` every `period`, the first time at once. A failure
/// is logged as `what` failing; the next period tries again.
pub(crate) fn every<W, F, T, E>(period: Duration, what: &'static str, work: W) -> AbortHandle
where
    W: Fn() -> F + Send + 'static,
    F: Future<Output = Result<T, E>> + Send,
    E: Display,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = work().await {
                tracing::warn!(%error, "{what} failed");
            }
        }
    })
    .abort_handle()
}
