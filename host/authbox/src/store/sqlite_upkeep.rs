//! The task that keeps a SQLite file of the store in shape: its write-ahead
//! log short.

use std::time::Duration;

use sqlx::{AnyConnection, Connection as _};

/// How often the task tries to restart the write-ahead log.
const LOG_RESTART_EVERY: Duration = Duration::from_millis(100);

/// One SQLite file's upkeep, on a connection of its own with no busy
/// handler, so that a try that would wait for the writers gives up at once
/// and is tried again at the next tick.
///
/// **Log restarts.** With several connections writing, SQLite's own
/// checkpoints copy the write-ahead log into the database but never find
/// the moment no statement reads it, when the log can start again from its
/// beginning: it grew by 2 GB in minutes of logins. A RESTART checkpoint
/// does start it again, but waits for that moment holding the write lock,
/// and the writers behind it sleep in SQLite's busy handler (a millisecond
/// or more at a time): 40 to 70 ms stalls. So the task tries often.
///
/// Tried and not kept: planner statistics (`PRAGMA optimize` at opening and
/// each minute). On the search bench they sped some searches up (a
/// connection and a date range, 140 to 0.8 ms) and slowed others down
/// tenfold (a name prefix, 2 to 58 ms); BENCHMARKS.md has the numbers.
pub(super) struct SqliteUpkeep(tokio::task::AbortHandle);

impl SqliteUpkeep {
    /// Starts the upkeep of the file at `url`.
    pub(super) async fn start(url: &str) -> Result<SqliteUpkeep, sqlx::Error> {
        let mut connection = AnyConnection::connect(url).await?;
        sqlx::raw_sql("PRAGMA busy_timeout = 0")
            .execute(&mut connection)
            .await?;
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(LOG_RESTART_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                every.tick().await;
                // PASSIVE copies the log into the database beside the
                // writers, so that RESTART, which holds the write lock while
                // it copies, has only the last few pages left to copy. A
                // try that gave up answers a row saying so, not an error.
                let tried = sqlx::raw_sql(
                    "PRAGMA wal_checkpoint(PASSIVE); PRAGMA wal_checkpoint(RESTART);",
                )
                .execute(&mut connection)
                .await;
                // Said once when it starts failing, not ten times a second.
                match (&tried, failing) {
                    (Err(e), false) => {
                        tracing::warn!(error = %e, "checkpoints of the SQLite store are failing")
                    }
                    (Ok(_), true) => tracing::info!("checkpoints of the SQLite store work again"),
                    _ => {}
                }
                failing = tried.is_err();
            }
        });
        Ok(SqliteUpkeep(task.abort_handle()))
    }

    /// Stops the task.
    pub(super) fn stop(&self) {
        self.0.abort();
    }
}

impl Drop for SqliteUpkeep {
    fn drop(&mut self) {
        self.stop();
    }
}
