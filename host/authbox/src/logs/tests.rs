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

/// The sweep under load (both stores): writers fill a tenant's log past
/// its bound while its users log in and the sweep runs every 5 ms. Every
/// login and every event goes through, the bound holds once the writes
/// stop, the newest events are the ones kept, and a quiet tenant keeps all.
#[tokio::test]
async fn the_retention_sweep_runs_beside_writes_and_logins_and_keeps_its_bound() {
    use authbox_tests::legacy::{Backend, LegacyDb};
    use serde_json::{Value, json};

    use crate::runtime::profile::{ProfileSource, normalize};
    use crate::store::{ConnectionSettings, LoginRecord, SecretKey, SqlStore, Store};

    const WRITERS: usize = 8;
    const EVENTS: usize = 400;
    const KEEP: u64 = 50;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = LegacyDb::empty(backend, "sweep_under_load").await else {
            continue;
        };
        let store = Arc::new(
            SqlStore::open(&db.url, SecretKey::generate())
                .await
                .unwrap(),
        );
        let busy = store.create_tenant("busy").await.unwrap().id;
        let quiet = store.create_tenant("quiet").await.unwrap().id;
        let connection = store
            .create_connection(&busy, "db", &ConnectionSettings::default())
            .await
            .unwrap()
            .id;
        let lost = Counter::default();
        let retention = Retention {
            max_age: std::time::Duration::from_secs(3600),
            max_events_per_tenant: KEEP,
            every: std::time::Duration::from_millis(5),
        };
        let sink = LogSink::start(store.clone(), retention, lost.clone());
        let event =
            |tenant: &str| LogEvent::new(tenant, EventType::SuccessLogin, &EventSource::default());
        for _ in 0..5 {
            sink.emit(event(&quiet));
        }
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (sink, store) = (sink.clone(), store.clone());
                let (busy, connection) = (busy.clone(), connection.clone());
                tokio::spawn(async move {
                    let Value::Object(user) = json!({"user_id": format!("u{writer}"), "email": format!("u{writer}@example.com")}) else {
                        unreachable!()
                    };
                    let profile = normalize(user, &ProfileSource::default()).unwrap().profile;
                    for n in 0..EVENTS {
                        sink.emit(LogEvent::new(&busy, EventType::SuccessLogin, &EventSource::default()));
                        if n % 20 == 19 {
                            let login = LoginRecord {
                                is_login: true,
                                tenant_id: &busy,
                                connection_id: &connection,
                                profile: &profile,
                                ip: None,
                                sync_root_attributes: true,
                            };
                            store.record_login(login).await.unwrap();
                            sink.flush().await;
                        }
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        let last = event(&busy);
        let last_id = last.log_id.clone();
        sink.emit(last);
        sink.flush().await;
        assert_eq!(lost.get(), 0, "every event was written");
        let every = LogSearch {
            query: None,
            user_id: None,
            page: LogPage::Offset {
                page: 0,
                per_page: 100,
                oldest_first: false,
            },
            include_totals: false,
        };
        let mut kept = Vec::new();
        for _ in 0..500 {
            kept = store.log_events(&busy, &every).await.unwrap().0;
            if kept.len() as u64 <= KEEP {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(kept.len() as u64, KEEP, "{backend:?}");
        assert_eq!(kept[0].log_id, last_id, "the newest are kept");
        assert_eq!(store.log_events(&quiet, &every).await.unwrap().0.len(), 5);
        for writer in 0..WRITERS {
            let user = store
                .user(&busy, &format!("auth0|u{writer}"))
                .await
                .unwrap();
            assert_eq!(user.logins_count, (EVENTS / 20) as i64);
        }
        drop(sink);
        store.close().await;
        db.drop().await;
    }
}
