//! The tenant's log over HTTP, on both stores: the events of logins,
//! failures, signups' and deletions' kind, with the script's own lines,
//! paged by offset and checkpoint, searched, and kept to each tenant.

use super::search::{ADA, GRACE, Searched, servers, url_encoded};
use super::*;

async fn login(s: &Searched, email: &str, shape: Value) -> Result<(), authbox::FlowError> {
    let tenant = s.authbox.tenant_by_name("acme").await.unwrap().id;
    let context = LoginContext {
        ip: Some("203.0.113.5".into()),
        user_agent: Some("tests/1.0".into()),
        ..LoginContext::default()
    };
    s.authbox
        .login(&tenant, "echo", email, &shape.to_string(), &context)
        .await
        .map(drop)
}

async fn events(s: &Searched, params: &str) -> Value {
    s.authbox.flush_logs().await;
    let (status, events) = s.get(&format!("/api/v2/logs?{params}"), &s.key).await;
    assert_eq!(status, StatusCode::OK, "{params}: {events}");
    events
}

/// The events `q` finds, newest first.
async fn found(s: &Searched, q: &str) -> Value {
    events(s, &format!("q={}&per_page=100", url_encoded(q))).await
}

fn types(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn logins_and_failures_are_logged_per_tenant_with_the_script_s_lines_on_both_stores() {
    for s in servers("tenant_logs").await {
        // The setup's logins: 7 in this tenant (and its Management API change).
        let all = events(&s, "per_page=100&include_totals=true").await;
        assert_eq!(all["total"], json!(8), "{all}");
        assert_eq!(types(&all["logs"])[1..], ["s"; 7]);

        login(
            &s,
            ADA,
            json!({"refuse": "password", "log": "checked ada's hash", "password": "hunter2"}),
        )
        .await
        .unwrap_err();
        login(&s, "nobody@example.com", json!({"refuse": "user"}))
            .await
            .unwrap_err();
        let newest = events(&s, "per_page=2").await;
        assert_eq!(types(&newest), ["fu", "fp"], "newest first");
        let fp = &newest[1];
        assert_eq!(fp["description"], json!("Wrong email or password."));
        assert_eq!(fp["user_id"], json!(format!("auth0|echo|{ADA}")));
        assert_eq!(fp["user_name"], json!(ADA));
        assert_eq!(fp["connection"], json!("echo"));
        assert_eq!(
            (&fp["ip"], &fp["user_agent"]),
            (&json!("203.0.113.5"), &json!("tests/1.0"))
        );
        let script = &fp["details"]["scripts"][0];
        assert_eq!(
            (&script["action"], &script["outcome"]),
            (&json!("login"), &json!("wrong_credentials"))
        );
        assert_eq!(script["logs"], json!(["info: checked ada's hash"]));
        assert!(
            !fp.to_string().contains("hunter2"),
            "a password in the log: {fp}"
        );

        // One event, and a user's.
        let id = fp["log_id"].as_str().unwrap();
        let (status, one) = s.get(&format!("/api/v2/logs/{id}"), &s.key).await;
        assert_eq!((status, &one["type"]), (StatusCode::OK, &json!("fp")));
        let ada = format!(
            "/api/v2/users/{}/logs?include_totals=true",
            url_encoded(&format!("auth0|echo|{ADA}"))
        );
        let (status, adas) = s.get(&ada, &s.key).await;
        assert_eq!(status, StatusCode::OK, "{adas}");
        assert_eq!(
            (&adas["total"], &adas["logs"][0]["type"]),
            (&json!(4), &json!("fp"))
        );

        // Searched.
        assert_eq!(types(&found(&s, "type:fp OR type:fu").await), ["fu", "fp"]);
        assert_eq!(
            found(&s, &format!("user_name:{GRACE}"))
                .await
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            found(&s, "type:s AND connection:partners")
                .await
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // fp, fu, and the setup's Management API change.
        assert_eq!(
            found(&s, "date:[2000-01-01 TO *] AND NOT type:s")
                .await
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(found(&s, "date:[* TO 2000-01-01]").await, json!([]));

        // Checkpoints: every event once, oldest first.
        let mut seen = Vec::new();
        let mut from = String::new();
        loop {
            let page = events(&s, &format!("take=4{from}")).await;
            for event in page["logs"].as_array().unwrap() {
                seen.push(event["log_id"].as_str().unwrap().to_string());
            }
            match page["next"].as_str() {
                Some(next) => from = format!("&from={next}"),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!((seen.len(), &seen), (10, &sorted));

        // Another tenant sees its own only; bad requests are named.
        let (_, theirs) = s.get("/api/v2/logs", &s.other_key).await;
        assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs}");
        let (status, _) = s.get(&format!("/api/v2/logs/{id}"), &s.other_key).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for params in [
            "q=password:x",
            "from=zz",
            "take=0",
            "per_page=101",
            "sort=type:1",
        ] {
            let (status, error) = s.get(&format!("/api/v2/logs?{params}"), &s.key).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{params}: {error}");
            assert_eq!(error["errorCode"], json!("invalid_query_string"));
        }
    }
}

#[tokio::test]
async fn reading_logs_takes_the_read_logs_scope() {
    let s = server().await;
    let (status, error) = s
        .call(Method::GET, "/api/v2/logs", Some(&s.reader), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["errorCode"], json!("insufficient_scope"));
    let (status, _) = s
        .call(Method::GET, "/api/v2/logs", Some(&s.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn management_api_changes_are_logged_without_their_bodies_on_both_stores() {
    for s in servers("api_logs").await {
        let patch = |path: String, key: String| {
            let request = s
                .http
                .patch(format!("{}{path}", s.base))
                .bearer_auth(key)
                .json(&json!({"user_metadata": {"secret_note": "hunter2"}}));
            async move { request.send().await.unwrap().status() }
        };
        let ada = format!(
            "/api/v2/users/{}",
            url_encoded(&format!("auth0|echo|{ADA}"))
        );
        assert_eq!(patch(ada.clone(), s.key.clone()).await, StatusCode::OK);
        let missing = "/api/v2/users/auth0%7Cecho%7Cnobody".to_string();
        assert_eq!(patch(missing, s.key.clone()).await, StatusCode::NOT_FOUND);
        assert_eq!(
            patch(ada.clone(), "wrong".into()).await,
            StatusCode::UNAUTHORIZED
        );
        let (status, _) = s.get("/api/v2/users?per_page=1", &s.key).await;
        assert_eq!(status, StatusCode::OK);

        // Newest first, after the setup's change.
        let api = events(&s, "q=type:sapi%20OR%20type:fapi").await;
        assert_eq!(
            types(&api),
            ["fapi", "sapi", "sapi"],
            "reads and keyless requests are not logged: {api}"
        );
        let sapi = &api[1];
        assert_eq!(sapi["description"], json!(format!("PATCH {ada}")));
        assert_eq!(sapi["details"]["response"]["statusCode"], json!(200));
        assert_eq!(api[0]["details"]["response"]["statusCode"], json!(404));
        assert!(
            sapi["ip"].as_str().unwrap().starts_with("127.0.0.1"),
            "{sapi}"
        );
        assert!(
            !api.to_string().contains("hunter2"),
            "a body in the log: {api}"
        );
        let (_, others) = s.get("/api/v2/logs?q=type:sapi", &s.other_key).await;
        assert_eq!(others, json!([]), "another tenant's changes");
    }
}
