//! Attack protection over HTTP (docs/behaviour.md §8): Auth0's answers at
//! `/oauth/token`, the settings, user blocks and IP blocks endpoints, and
//! whose `auth0-forwarded-for` is believed.

use super::*;

const GRACE: &str = "grace@example.com";
const GRACE_ID: &str = "auth0|sqlite|2";
const GRACE_PASSWORD: &str = "hopper1906";

/// A client of tenant `acme`, trusted to name its users' IPs or not.
async fn client(s: &Server, trusted: bool) -> (String, String) {
    let (client, secret) = s.authbox.create_client(&s.tenant, "web").await.unwrap();
    if trusted {
        s.authbox
            .set_client_ip_header_trusted(&s.tenant, &client.client_id, true)
            .await
            .unwrap();
    }
    (client.client_id, secret)
}

/// A password grant of `user` by `client`, naming `forwarded_for` if given.
async fn login(
    s: &Server,
    client: &(String, String),
    user: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "password"),
        ("username", user),
        ("password", password),
        ("client_id", client.0.as_str()),
        ("client_secret", client.1.as_str()),
    ];
    let mut request = s.http.post(format!("{}/oauth/token", s.base)).form(&form);
    if let Some(ip) = forwarded_for {
        request = request.header("auth0-forwarded-for", ip);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn patch_settings(s: &Server, which: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v2/attack-protection/{which}");
    s.call(Method::PATCH, &path, Some(&s.admin), Some(body))
        .await
}

#[tokio::test]
async fn a_blocked_user_gets_auth0s_answer_until_unblocked_through_the_api() {
    let s = server().await;
    let (status, settings) =
        patch_settings(&s, "brute-force-protection", json!({"max_attempts": 2})).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(
        settings,
        json!({"enabled": true, "shields": ["block", "user_notification"], "allowlist": [],
               "mode": "count_per_identifier_and_ip", "max_attempts": 2})
    );
    let web = client(&s, false).await;
    for _ in 0..2 {
        let (status, body) = login(&s, &web, GRACE, "wrong", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, body) = login(&s, &web, GRACE, GRACE_PASSWORD, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body,
        json!({"error": "too_many_attempts",
               "error_description": "Your account has been blocked after multiple consecutive login attempts."})
    );

    // Found by identifier, in any case (Grace is not in the cache yet).
    let (status, blocks) = s
        .call(
            Method::GET,
            "/api/v2/user-blocks?identifier=Grace@Example.com",
            Some(&s.reader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        blocks,
        json!({"blocked_for": [{"identifier": GRACE, "ip": "127.0.0.1", "connection": "legacy"}]})
    );
    // Unblocking needs update:users.
    let path = format!("/api/v2/user-blocks?identifier={GRACE}");
    let (status, _) = s.call(Method::DELETE, &path, Some(&s.reader), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.call(Method::DELETE, &path, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = login(&s, &web, GRACE, GRACE_PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Blocked again, then unblocked through the user's id.
    for _ in 0..2 {
        login(&s, &web, GRACE, "wrong", None).await;
    }
    let by_id = format!("/api/v2/user-blocks/{}", GRACE_ID.replace('|', "%7C"));
    let (status, blocks) = s.call(Method::GET, &by_id, Some(&s.reader), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        blocks["blocked_for"].as_array().unwrap().len(),
        1,
        "{blocks}"
    );
    // Another tenant does not see the user.
    let (status, _) = s.call(Method::GET, &by_id, Some(&s.other), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.call(Method::DELETE, &by_id, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, blocks) = s.call(Method::GET, &by_id, Some(&s.reader), None).await;
    assert_eq!(
        (status, blocks),
        (StatusCode::OK, json!({"blocked_for": []}))
    );
    let (status, _) = login(&s, &web, GRACE, GRACE_PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK);

    // The refusal is in the metrics, labelled by tenant and shield only.
    let (_, metrics) = s.text("/metrics").await;
    let line = format!(
        "authbox_attempts_refused_total{{tenant=\"{}\",shield=\"brute_force\"}} 1",
        s.tenant
    );
    assert!(metrics.contains(&line), "{metrics}");
    assert!(!metrics.contains(GRACE) && !metrics.contains("127.0.0.1"));
}

#[tokio::test]
async fn settings_are_checked_whole_and_need_their_scopes() {
    let s = server().await;
    let (status, before) = s
        .call(
            Method::GET,
            "/api/v2/attack-protection/suspicious-ip-throttling",
            Some(&s.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        before["stage"]["pre-login"],
        json!({"max_attempts": 100, "rate": 864000})
    );
    for (body, named) in [
        (
            json!({"stage": {"pre-login": {"rate": 0}}}),
            "stage.pre-login.rate",
        ),
        (json!({"allowlist": ["10.0.0.0/33"]}), "10.0.0.0/33"),
        (json!({"enable": true}), "enable"),
        (json!({"shields": ["shout"]}), "shout"),
    ] {
        let (status, error) = patch_settings(&s, "suspicious-ip-throttling", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["errorCode"], json!("invalid_body"));
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(named), "{message}");
    }
    let (_, after) = s
        .call(
            Method::GET,
            "/api/v2/attack-protection/suspicious-ip-throttling",
            Some(&s.admin),
            None,
        )
        .await;
    assert_eq!(after, before, "a refused change changed nothing");
    let (status, _) = s
        .call(
            Method::GET,
            "/api/v2/attack-protection/brute-force-protection",
            Some(&s.reader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_throttled_ip_is_refused_and_unblocked_through_the_anomaly_endpoints() {
    let s = server().await;
    let (status, _) = patch_settings(
        &s,
        "suspicious-ip-throttling",
        json!({"stage": {"pre-login": {"max_attempts": 2, "rate": 60000}}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let web = client(&s, false).await;
    for user in ["a@example.com", "b@example.com"] {
        let (status, _) = login(&s, &web, user, "x", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, body) = login(&s, &web, GRACE, GRACE_PASSWORD, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body,
        json!({"error": "too_many_attempts",
               "error_description": "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator."})
    );
    let ip = "/api/v2/anomaly/blocks/ips/127.0.0.1";
    assert_eq!(
        s.call(Method::GET, ip, Some(&s.admin), None).await.0,
        StatusCode::OK
    );
    let (status, error) = s
        .call(
            Method::GET,
            "/api/v2/anomaly/blocks/ips/not-an-ip",
            Some(&s.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(
        s.call(Method::GET, ip, Some(&s.reader), None).await.0,
        StatusCode::FORBIDDEN
    );
    // Another tenant's view of the same IP is its own.
    assert_eq!(
        s.call(Method::GET, ip, Some(&s.other), None).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = s.call(Method::DELETE, ip, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, error) = s.call(Method::GET, ip, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    let (status, _) = login(&s, &web, GRACE, GRACE_PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn only_a_trusted_clients_forwarded_for_names_the_users_ip() {
    let s = server().await;
    patch_settings(&s, "brute-force-protection", json!({"max_attempts": 2})).await;
    let backend = client(&s, true).await;
    let web = client(&s, false).await;

    // The untrusted client's header is ignored: the user's IP is the peer's.
    let (status, _) = login(&s, &web, GRACE, GRACE_PASSWORD, Some("203.0.113.5")).await;
    assert_eq!(status, StatusCode::OK);
    let user = s.authbox.get_user(&s.tenant, GRACE_ID).await.unwrap();
    assert_eq!(user.last_ip.as_deref(), Some("127.0.0.1"));
    let (status, _) = login(&s, &backend, GRACE, GRACE_PASSWORD, Some("203.0.113.5")).await;
    assert_eq!(status, StatusCode::OK);
    let user = s.authbox.get_user(&s.tenant, GRACE_ID).await.unwrap();
    assert_eq!(user.last_ip.as_deref(), Some("203.0.113.5"));

    // Blocked for the forwarded IP only.
    for _ in 0..2 {
        login(&s, &backend, GRACE, "wrong", Some("203.0.113.5")).await;
    }
    let (status, _) = login(&s, &backend, GRACE, GRACE_PASSWORD, Some("203.0.113.5")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = login(&s, &backend, GRACE, GRACE_PASSWORD, Some("203.0.113.6")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = login(&s, &web, GRACE, GRACE_PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK);

    // A trusted client's header must be one IP.
    let (status, body) = login(
        &s,
        &backend,
        GRACE,
        GRACE_PASSWORD,
        Some("1.2.3.4, 5.6.7.8"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], json!("invalid_request"));

    // Trust is set through the Management API too.
    let path = format!("/api/v2/clients/{}", web.0);
    let body = json!({"is_token_endpoint_ip_header_trusted": true});
    let (status, answer) = s
        .call(Method::PATCH, &path, Some(&s.admin), Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["is_token_endpoint_ip_header_trusted"], json!(true));
    let (status, error) = s
        .call(
            Method::PATCH,
            &path,
            Some(&s.admin),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let (status, _) = login(&s, &web, GRACE, GRACE_PASSWORD, Some("203.0.113.5")).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "now trusted, its header counts"
    );
}
