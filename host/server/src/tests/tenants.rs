//! `/api/v2/tenants/settings`: the default connection of `grant_type=password`.

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
        json!({"friendly_name": "acme", "default_directory": null})
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
        json!({"friendly_name": "other", "default_directory": null})
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
