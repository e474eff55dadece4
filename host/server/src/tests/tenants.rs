//! `/api/v2/tenants/settings`: the default connection of `grant_type=password`,
//! and the tenant's cap on script calls in flight, answered 429 past it.

use super::*;

const SETTINGS: &str = "/api/v2/tenants/settings";

/// A password grant for Ada: the status and the OAuth error, if any.
async fn password_grant(s: &Server) -> (StatusCode, Value) {
    let (client, secret) = s.authbox.create_client(&s.tenant, "web").await.unwrap();
    let form = [
        ("grant_type", "password"),
        ("username", ADA),
        ("password", "correct horse battery staple"),
        ("client_id", client.client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let response = s
        .http
        .post(format!("{}/oauth/token", s.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_default_connection_is_set_checked_and_used_by_password_grants() {
    let s = server().await;
    let (status, settings) = s.call(Method::GET, SETTINGS, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings,
        json!({"friendly_name": "acme", "default_directory": null, "limits": {"calls_in_flight": null}})
    );
    // With one connection, a password grant uses it.
    assert_eq!(password_grant(&s).await.0, StatusCode::OK);

    // With two and no default: Auth0's answer.
    let (status, second) = s
        .call(
            Method::POST,
            "/api/v2/connections",
            Some(&s.admin),
            Some(json!({"name": "second"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, error) = password_grant(&s).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        error["error_description"],
        json!("Authorization server not configured with default connection.")
    );

    // Bad changes are refused and change nothing.
    let patch = |body: Value| s.call(Method::PATCH, SETTINGS, Some(&s.admin), Some(body));
    let (status, error) = patch(json!({"default_directory": "nope"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    let (status, error) = patch(json!({"default_connection": "legacy"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("default_connection"),
        "{error}"
    );
    let (status, error) = patch(json!({"default_directory": 7})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("default_directory"),
        "{error}"
    );
    let (status, _) = s
        .call(
            Method::PATCH,
            SETTINGS,
            Some(&s.reader),
            Some(json!({"default_directory": "legacy"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, settings) = s.call(Method::GET, SETTINGS, Some(&s.admin), None).await;
    assert_eq!(settings["default_directory"], Value::Null);

    // Set: password grants log in through it.
    let (status, settings) = patch(json!({"default_directory": "legacy"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["default_directory"], json!("legacy"));
    assert_eq!(password_grant(&s).await.0, StatusCode::OK);
    // A body without the property changes nothing.
    let (_, settings) = patch(json!({})).await;
    assert_eq!(settings["default_directory"], json!("legacy"));
    // Another tenant has its own settings.
    let (_, others) = s.call(Method::GET, SETTINGS, Some(&s.other), None).await;
    assert_eq!(
        others,
        json!({"friendly_name": "other", "default_directory": null, "limits": {"calls_in_flight": null}})
    );

    // Deleting the default connection clears it.
    let (_, settings) = patch(json!({"default_directory": "second"})).await;
    assert_eq!(settings["default_directory"], json!("second"));
    let path = format!("/api/v2/connections/{}", second["id"].as_str().unwrap());
    let (status, _) = s.call(Method::DELETE, &path, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, settings) = s.call(Method::GET, SETTINGS, Some(&s.admin), None).await;
    assert_eq!(settings["default_directory"], Value::Null);
    // `null` clears it too.
    patch(json!({"default_directory": "legacy"})).await;
    let (status, settings) = patch(json!({"default_directory": null})).await;
    assert_eq!(
        (status, &settings["default_directory"]),
        (StatusCode::OK, &Value::Null)
    );
}

#[tokio::test]
async fn past_its_cap_on_calls_in_flight_a_tenant_is_answered_429_with_retry_after() {
    let s = server().await;
    let patch = |body: Value| s.call(Method::PATCH, SETTINGS, Some(&s.admin), Some(body));
    // Out of range: refused, nothing changed.
    for bad in [json!(0), json!(100_000)] {
        let (status, error) =
            patch(json!({"limits": {"calls_in_flight": bad}, "default_directory": "legacy"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("limits.calls_in_flight must be from 1 to"),
            "{error}"
        );
    }
    let (_, settings) = s.call(Method::GET, SETTINGS, Some(&s.admin), None).await;
    assert_eq!(
        settings["default_directory"],
        Value::Null,
        "half of a refused change was written"
    );
    let (status, settings) = patch(json!({"limits": {"calls_in_flight": 1}})).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["limits"], json!({"calls_in_flight": 1}));

    // A spinning script holds the tenant's one slot for 10 s.
    let (status, hostile) = s
        .call(
            Method::POST,
            "/api/v2/connections",
            Some(&s.admin),
            Some(json!({"name": "hostile", "options": {"limits": {"timeout_ms": 10000}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hostile}");
    let wasm = std::fs::read(authbox_tests::HOSTILE).unwrap();
    s.authbox
        .upload_script(&s.tenant, hostile["id"].as_str().unwrap(), &wasm)
        .await
        .unwrap();
    let (client, secret) = s.authbox.create_client(&s.tenant, "web").await.unwrap();
    let grant = |realm: &'static str, username: &'static str| {
        let form = [
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/password-realm",
            ),
            ("realm", realm),
            ("username", username),
            ("password", "correct horse battery staple"),
            ("client_id", client.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ]
        .map(|(k, v)| (k, v.to_string()));
        s.http
            .post(format!("{}/oauth/token", s.base))
            .form(&form)
            .send()
    };
    // Both connections loaded: the waits below are for the slot alone.
    assert_eq!(grant("legacy", ADA).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        grant("hostile", "ok@example.com").await.unwrap().status(),
        StatusCode::OK
    );
    let spinning = grant("hostile", "loop");
    let refused = async {
        // Once the spinning call holds the slot (its script loads first).
        let started = std::time::Instant::now();
        while s.authbox.runtime().slot_stats().held == 0 {
            assert!(
                started.elapsed().as_secs() < 10,
                "the spinning call never started"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let signup = s.call(
            Method::POST,
            "/api/v2/users",
            Some(&s.admin),
            Some(json!({"connection": "legacy", "email": "new@example.com", "password": "Str0ng pass!"})),
        );
        let (login, signup) = tokio::join!(grant("legacy", ADA), signup);
        (login.unwrap(), signup)
    };
    let (spun, (login, (signup_status, signup))) = tokio::join!(spinning, refused);
    assert_eq!(login.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login.headers()["retry-after"], "1");
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["error"], json!("too_many_requests"), "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("tenant"),
        "{body}"
    );
    assert_eq!(signup_status, StatusCode::TOO_MANY_REQUESTS, "{signup}");
    assert_eq!(signup["errorCode"], json!("too_many_requests"));
    assert_eq!(signup["error"], json!("Too Many Requests"));
    assert_eq!(signup["statusCode"], json!(429));
    assert_eq!(spun.unwrap().status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(s.authbox.metrics().calls_refused(&s.tenant) >= 2);

    // Once the slot is free, the tenant logs in again; the metrics say why
    // the others were refused.
    assert_eq!(grant("legacy", ADA).await.unwrap().status(), StatusCode::OK);
    let (_, metrics) = s.text("/metrics").await;
    assert!(
        metrics.contains(&format!(
            "authbox_script_calls_refused_total{{tenant=\"{}\",full=\"tenant\"}}",
            s.tenant
        )),
        "{metrics}"
    );
}
