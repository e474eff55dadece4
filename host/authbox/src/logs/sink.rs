//! Writing events off the request's path: a bounded queue a task drains
//! into the store, a batch per statement; and the retention sweep. A full
//! queue drops the event rather than slow a login; events dropped, or not
//! written because the store failed, are counted (`/metrics`:
//! `authbox_log_events_lost`).

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::sync::{mpsc, oneshot};

use super::LogEvent;
use crate::background::{Background, every};
use crate::store::LogStore;

/// Events waiting to be written at most; past it new ones are dropped.
pub(super) const QUEUE: usize = 20_000;
/// Events per statement at most.
pub(super) const BATCH: usize = 500;

/// How long and how many events each tenant's log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Older events are deleted (Auth0 keeps 2 to 30 days by plan).
    pub max_age: Duration,
    /// A tenant's events beyond its newest this many are deleted.
    pub max_events_per_tenant: u64,
    /// How often the sweep runs.
    pub every: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age: Duration::from_secs(30 * 24 * 3600),
            max_events_per_tenant: 100_000,
            every: Duration::from_secs(60),
        }
    }
}

enum Message {
    Event(Box<LogEvent>),
    Flush(oneshot::Sender<()>),
}

/// The queue of events to write, and its writer and sweeper tasks (stopped
/// with the last clone).
#[derive(Clone)]
pub struct LogSink {
    queue: mpsc::Sender<Message>,
    lost: Counter,
    _tasks: Arc<Background>,
}

impl LogSink {
    /// Starts writing into `store`, and sweeping it by `retention`;
    /// counts the events lost in `lost`.
    pub(crate) fn start(store: Arc<dyn LogStore>, retention: Retention, lost: Counter) -> LogSink {
        let (queue, mut received) = mpsc::channel(QUEUE);
        let writer = {
            let store = store.clone();
            let lost = lost.clone();
            tokio::spawn(async move {
                while let Some(first) = received.recv().await {
                    let mut batch = Vec::new();
                    let mut flushed = Vec::new();
                    let mut next = Some(first);
                    while let Some(message) = next.take() {
                        match message {
                            Message::Event(event) => batch.push(*event),
                            Message::Flush(done) => flushed.push(done),
                        }
                        if batch.len() < BATCH {
                            next = received.try_recv().ok();
                        }
                    }
                    if !batch.is_empty()
                        && let Err(e) = store.insert_log_events(&batch).await
                    {
                        lost.inc_by(batch.len() as u64);
                        tracing::warn!(error = %e, events = batch.len(), "tenant log events could not be written");
                    }
                    for done in flushed {
                        let _ = done.send(());
                    }
                }
            })
        };
        let sweeper = every(
            retention.every,
            "the tenant log retention sweep",
            move || {
                let store = store.clone();
                async move { sweep(store.as_ref(), retention).await }
            },
        );
        LogSink {
            queue,
            lost,
            _tasks: Arc::new(Background::new(vec![writer.abort_handle(), sweeper])),
        }
    }

    /// Queues `event`; dropped (and counted) when the queue is full.
    pub fn emit(&self, event: LogEvent) {
        if self
            .queue
            .try_send(Message::Event(Box::new(event)))
            .is_err()
            && self.lost.inc() == 0
        {
            tracing::warn!(
                "the tenant log queue is full: events are dropped (authbox_log_events_lost counts them)"
            );
        }
    }

    /// Waits until every event queued before is written.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

/// Deletes the events past `retention`.
pub(crate) async fn sweep(
    store: &dyn LogStore,
    retention: Retention,
) -> crate::store::StoreResult<u64> {
    let now_ms = sqlx::types::chrono::Utc::now().timestamp_millis();
    let max_age_ms = i64::try_from(retention.max_age.as_millis()).unwrap_or(i64::MAX);
    let cutoff = LogEvent::first_id_at(now_ms.saturating_sub(max_age_ms));
    store
        .sweep_log_events(&cutoff, retention.max_events_per_tenant)
        .await
}
