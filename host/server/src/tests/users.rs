//! `/api/v2/users` and the API's cross-cutting rules: keys, scopes,
//! tenant isolation, bodies, errors.

use super::*;

#[tokio::test]
async fn keys_see_their_own_tenant_only_and_scopes_are_enforced() {
    let s = server().await;
    s.login_ada().await;
    let ada = user_path(ADA_ID);

    let (status, user) = s.call(Method::GET, &ada, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["user_id"], json!(ADA_ID));
    assert_eq!(user["email"], json!(ADA));
    assert_eq!(user["logins_count"], json!(1));

    // No key, a malformed header, an unknown key: 401 in Auth0's shape.
    let (status, error) = s.call(Method::GET, &ada, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["statusCode"], json!(401));
    assert_eq!(error["error"], json!("Unauthorized"));
    assert_eq!(error["errorCode"], json!("invalid_token"));
    let (status, _) = s.call(Method::GET, &ada, Some("abk_not_a_key"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Another tenant's key: 404, never 403, never data.
    let (status, error) = s.call(Method::GET, &ada, Some(&s.other), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!error.to_string().contains(ADA), "{error}");
    let patch = json!({"user_metadata": {"x": 1}});
    let (status, error) = s
        .call(Method::PATCH, &ada, Some(&s.other), Some(patch))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The one "not found" answer, whichever layer found nothing.
    assert_eq!(error["errorCode"], json!("inexistent_resource"), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("The user `") && message.ends_with("` does not exist."),
        "{message}"
    );
    let (status, same) = s.call(Method::DELETE, &ada, Some(&s.other), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(same["message"], error["message"]);
    let by_email = format!("/api/v2/users-by-email?email={ADA}");
    let (status, found) = s.call(Method::GET, &by_email, Some(&s.other), None).await;
    assert_eq!((status, found), (StatusCode::OK, json!([])));

    // A read-only key may read, not write.
    let (status, _) = s.call(Method::GET, &ada, Some(&s.reader), None).await;
    assert_eq!(status, StatusCode::OK);
    let patch = json!({"blocked": true});
    let (status, error) = s
        .call(Method::PATCH, &ada, Some(&s.reader), Some(patch))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["errorCode"], json!("insufficient_scope"));
    let (_, user) = s.call(Method::GET, &ada, Some(&s.admin), None).await;
    assert_eq!(user["blocked"], json!(false));
}

#[tokio::test]
async fn patches_follow_the_field_policy_and_bad_bodies_are_refused() {
    let s = server().await;
    s.login_ada().await;
    let ada = user_path(ADA_ID);
    let patch = |body: Value| s.call(Method::PATCH, &ada, Some(&s.admin), Some(body));

    let (status, error) = patch(json!({"nickname": "x", "name": "y"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["errorCode"], json!("operation_not_supported"));
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("The following user attributes cannot be updated: name, nickname."),
        "{error}"
    );
    let (status, error) = patch(json!({"shoe_size": 9})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error["message"],
        json!("Payload validation error: 'Additional properties not allowed: shoe_size'")
    );
    let (status, error) = patch(json!({"blocked": "yes"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"].as_str().unwrap().contains("blocked"),
        "{error}"
    );

    let (status, user) = patch(json!({"user_metadata": {"lang": "fr"}})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        user["user_metadata"],
        json!({"theme": "dark", "lang": "fr"})
    );

    // Not JSON, not an object, too large: refused, nothing changed.
    let raw = |body: &'static str| {
        s.http
            .patch(format!("{}{ada}", s.base))
            .bearer_auth(&s.admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let response = raw("{not json").await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["errorCode"], json!("invalid_body"));
    assert_eq!(
        raw("[1, 2]").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let huge = json!({"user_metadata": {"blob": "x".repeat(2 << 20)}});
    let (status, error) = patch(huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error["statusCode"], json!(413));
    let (_, user) = s.call(Method::GET, &ada, Some(&s.admin), None).await;
    assert_eq!(
        user["user_metadata"],
        json!({"theme": "dark", "lang": "fr"})
    );
}

#[tokio::test]
async fn users_are_created_found_listed_refreshed_and_deleted() {
    let s = server().await;
    s.login_ada().await;
    let key = Some(s.admin.as_str());

    let signup = json!({"connection": "legacy", "email": "new@example.com", "password": "a fine password 1"});
    let (status, created) = s
        .call(Method::POST, "/api/v2/users", key, Some(signup.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["email"], json!("new@example.com"));
    let (status, error) = s
        .call(Method::POST, "/api/v2/users", key, Some(signup))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["errorCode"], json!("user_exists"));
    let bad =
        json!({"connection": "legacy", "email": "x@example.com", "password": "p", "role": "admin"});
    let (status, error) = s.call(Method::POST, "/api/v2/users", key, Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"].as_str().unwrap().contains("role"),
        "{error}"
    );
    // Each invalid or missing attribute is named; nothing is created.
    let base =
        json!({"connection": "legacy", "email": "z@example.com", "password": "pw-long-enough"});
    for (change, named, expected) in [
        (
            json!({"email": "not-an-email"}),
            "email",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"phone_number": "12"}),
            "phone_number",
            StatusCode::BAD_REQUEST,
        ),
        (json!({"username": 7}), "username", StatusCode::BAD_REQUEST),
        (
            json!({"password": null}),
            "password",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"user_metadata": {"a.b": 1}}),
            "user_metadata",
            StatusCode::BAD_REQUEST,
        ),
        (json!({"connection": "nope"}), "nope", StatusCode::NOT_FOUND),
        // Its profiles are the custom database's: said, not dropped.
        (
            json!({"given_name": "Zed"}),
            "given_name cannot be set",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let (status, error) = s.call(Method::POST, "/api/v2/users", key, Some(body)).await;
        assert_eq!(status, expected, "{change}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(named), "{change}: {message}");
    }
    let by_email = "/api/v2/users-by-email?email=z@example.com";
    let (_, found) = s.call(Method::GET, by_email, key, None).await;
    assert_eq!(found, json!([]));

    let (status, found) = s
        .call(
            Method::GET,
            "/api/v2/users-by-email?email=ADA@example.com",
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found.as_array().unwrap().len(), 1);

    let list = "/api/v2/users?q=identities.connection:%22legacy%22&per_page=1&include_totals=true";
    let (status, page) = s.call(Method::GET, list, key, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (page["total"].clone(), page["length"].clone()),
        (json!(2), json!(1))
    );
    // A page past the end is empty; one past the first 1,000 results (even
    // past u32 arithmetic) is refused, as Auth0 does.
    let far = "/api/v2/users?q=email:%22ada@example.com%22&page=9&per_page=100&include_totals=true";
    let (status, page) = s.call(Method::GET, far, key, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        (page["length"].clone(), page["total"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(page["start"], json!(900));
    let past = "/api/v2/users?q=email:%22ada@example.com%22&page=4294967295&per_page=100";
    let (status, error) = s.call(Method::GET, past, key, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["errorCode"], json!("invalid_paging"));
    let (status, error) = s.call(Method::GET, "/api/v2/users?q=ada", key, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["errorCode"], json!("invalid_query_string"));

    let ada = user_path(ADA_ID);
    let (status, refreshed) = s
        .call(Method::POST, &format!("{ada}/refresh"), key, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(refreshed["logins_count"], json!(1));

    let (status, _) = s.call(Method::DELETE, &ada, key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, error) = s.call(Method::GET, &ada, key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["statusCode"], json!(404));

    let (status, _) = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    // Every answer carries a request id: the caller's, or a new one.
    let response = s
        .http
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"].len(), 36);
    let response = s
        .http
        .get(format!("{}/healthz", s.base))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-42");
    let (status, error) = s.call(Method::GET, "/api/v2/nothing", key, None).await;
    assert_eq!(
        (status, error["statusCode"].clone()),
        (StatusCode::NOT_FOUND, json!(404))
    );
}

#[tokio::test]
async fn the_core_scenario_end_to_end() {
    let s = server().await;
    let (client, secret) = s.authbox.create_client(&s.tenant, "web").await.unwrap();
    let token = |password: &'static str| {
        let form = [
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/password-realm",
            ),
            ("realm", "legacy"),
            ("username", ADA),
            ("password", password),
            ("client_id", client.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ];
        s.http
            .post(format!("{}/oauth/token", s.base))
            .form(&form)
            .send()
    };
    let key = Some(s.admin.as_str());
    let ada = user_path(ADA_ID);

    // Login → cached; a direct edit of the legacy database is not seen
    // until the next login.
    assert_eq!(
        token("correct horse battery staple")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    s.legacy
        .run_sql("UPDATE users SET name = 'Countess of Lovelace' WHERE email = 'ada@example.com'")
        .await;
    let (_, cached) = s.call(Method::GET, &ada, key, None).await;
    assert_eq!(cached["name"], json!("Ada Lovelace"));
    assert_eq!(
        token("correct horse battery staple")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let (_, cached) = s.call(Method::GET, &ada, key, None).await;
    assert_eq!(cached["name"], json!("Countess of Lovelace"));

    // Not migrated: nickname is the custom database's; metadata merges.
    let (status, error) = s
        .call(Method::PATCH, &ada, key, Some(json!({"nickname": "x"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"].as_str().unwrap().contains("nickname"),
        "{error}"
    );
    let (status, patched) = s
        .call(
            Method::PATCH,
            &ada,
            key,
            Some(json!({"user_metadata": {"lang": "fr"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        patched["user_metadata"],
        json!({"theme": "dark", "lang": "fr"})
    );

    // Import mode on: the next login migrates her; email is then authbox's.
    let (_, connections) = s.call(Method::GET, "/api/v2/connections", key, None).await;
    let connection = format!(
        "/api/v2/connections/{}",
        connections[0]["id"].as_str().unwrap()
    );
    let on = json!({"options": {"import_mode": true}});
    assert_eq!(
        s.call(Method::PATCH, &connection, key, Some(on)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        token("correct horse battery staple")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let (_, migrated) = s.call(Method::GET, &ada, key, None).await;
    assert_eq!(migrated["migrated"], json!(true));
    assert!(migrated["migrated_at"].is_string());
    let (status, moved) = s
        .call(
            Method::PATCH,
            &ada,
            key,
            Some(json!({"email": "countess@example.com"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["email"], json!("countess@example.com"));
    let picture = json!({"picture": "https://example.com/ada.png"});
    let (status, error) = s.call(Method::PATCH, &ada, key, Some(picture)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["errorCode"], json!("operation_not_supported"));
}
