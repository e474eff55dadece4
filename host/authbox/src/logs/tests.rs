use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;

use super::*;
use crate::search::TextMatch;
use crate::store::{LogStore, StoreError, StoreResult};

#[test]
fn log_queries_name_event_fields() {
    let query =
        parse_log_query("type:fp AND user_id:auth0|ada AND date:[2024-01-01 TO *]").unwrap();
    let crate::search::Query::And(all) = query else {
        panic!("{query:?}")
    };
    assert_eq!(
        all[0],
        crate::search::Query::Term(LogTerm::Text("type", TextMatch::Exact("fp".into())))
    );
    let message = parse_log_query("password:x").unwrap_err().0;
    assert!(
        message.contains("searching logs by `password`"),
        "{message}"
    );
}

#[test]
fn ids_follow_the_order_events_are_made_in() {
    let source = EventSource::default();
    let ids: Vec<String> = (0..1000)
        .map(|_| LogEvent::new("t", EventType::SuccessLogin, &source).log_id)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted);
    assert!(LogEvent::first_id_at(0) < ids[0]);
}

/// A store that cannot take events: its writes fail, or never end.
struct Unwritable {
    hangs: bool,
}

#[async_trait::async_trait]
impl LogStore for Unwritable {
    async fn insert_log_events(&self, _: &[LogEvent]) -> StoreResult<()> {
        if self.hangs {
            std::future::pending::<()>().await;
        }
        Err(StoreError::Database("the store is down".into()))
    }

    async fn log_events(
        &self,
        _: &str,
        _: &LogSearch,
    ) -> StoreResult<(Vec<LogEvent>, Option<u64>)> {
        Ok((Vec::new(), None))
    }

    async fn log_event(&self, _: &str, log_id: &str) -> StoreResult<LogEvent> {
        Err(StoreError::NotFound(log_id.into()))
    }

    async fn sweep_log_events(&self, _: &str, _: u64) -> StoreResult<u64> {
        Ok(0)
    }
}

#[tokio::test]
async fn events_the_store_cannot_take_are_counted_as_lost_and_never_wait() {
    let event = || LogEvent::new("t", EventType::SuccessLogin, &EventSource::default());
    let lost = Counter::default();
    let failing = LogSink::start(
        Arc::new(Unwritable { hangs: false }),
        Retention::default(),
        lost.clone(),
    );
    for _ in 0..3 {
        failing.emit(event());
    }
    failing.flush().await;
    assert_eq!(lost.get(), 3, "not written");

    // A store that never answers: the queue fills, and emitting drops
    // rather than waits (the test ending is the proof).
    let lost = Counter::default();
    let stuck = LogSink::start(
        Arc::new(Unwritable { hangs: true }),
        Retention::default(),
        lost.clone(),
    );
    for _ in 0..sink::QUEUE + sink::BATCH + 10 {
        stuck.emit(event());
    }
    assert!(lost.get() >= 10, "dropped: {}", lost.get());
}
