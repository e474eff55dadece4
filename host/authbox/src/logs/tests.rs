use super::*;
use crate::search::TextMatch;

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
