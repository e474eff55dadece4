//! `/api/v2/connections`: settings with write-only secrets, script
//! versions, rollback and "try".

use super::*;

/// The `legacy` connection's id.
async fn legacy_id(s: &Server) -> String {
    let (_, list) = s
        .call(Method::GET, "/api/v2/connections", Some(&s.admin), None)
        .await;
    list[0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn connections_are_configured_and_their_secrets_never_answered() {
    let s = server().await;
    let key = Some(s.admin.as_str());
    let body = json!({"name": "billing", "options": {
        "import_mode": true, "set_user_root_attributes": "on_first_login",
        "configuration": {"api_key": "s3cr3t-value"},
        "datasources": {"users": "postgres://app:hunter2@db.internal/users"},
        "limits": {"timeout_ms": 5000, "calls_in_flight": 2}
    }});
    let (status, created) = s
        .call(Method::POST, "/api/v2/connections", key, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let options = &created["options"];
    assert_eq!(options["import_mode"], json!(true));
    assert_eq!(options["set_user_root_attributes"], json!("on_first_login"));
    assert_eq!(options["configuration_keys"], json!(["api_key"]));
    assert_eq!(options["datasource_names"], json!(["users"]));
    assert_eq!(options["limits"]["timeout_ms"], json!(5000));
    assert_eq!(options["limits"]["memory_mib"], json!(64));
    assert_eq!(options["limits"]["calls_in_flight"], json!(2));
    let (_, list) = s.call(Method::GET, "/api/v2/connections", key, None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    for answer in [&created, &list] {
        let text = answer.to_string();
        assert!(
            !text.contains("s3cr3t") && !text.contains("hunter2"),
            "{text}"
        );
    }

    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v2/connections/{id}");
    let (status, error) = s
        .call(Method::POST, "/api/v2/connections", key, Some(body))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    let bad_name = json!({"name": "no spaces please"});
    let (status, error) = s
        .call(Method::POST, "/api/v2/connections", key, Some(bad_name))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"].as_str().unwrap().contains("name"),
        "{error}"
    );
    let out_of_range = json!({"options": {"limits": {"timeout_ms": 600000}}});
    let (status, error) = s.call(Method::PATCH, &path, key, Some(out_of_range)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("limits.timeout_ms"),
        "{error}"
    );
    for calls in [0, 100_000] {
        let out_of_range = json!({"options": {"limits": {"calls_in_flight": calls}}});
        let (status, error) = s.call(Method::PATCH, &path, key, Some(out_of_range)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("limits.calls_in_flight must be from 1 to"),
            "{error}"
        );
    }
    let unknown = json!({"options": {"no_such_option": {}}});
    let (status, error) = s.call(Method::PATCH, &path, key, Some(unknown)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("no_such_option"),
        "{error}"
    );
    // JavaScript without the two required actions changes nothing.
    let empty = json!({"options": {"customScripts": {}}});
    let (status, error) = s.call(Method::PATCH, &path, key, Some(empty)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("refused: JavaScript scripts need login.js and get_user.js"),
        "{error}"
    );
    let (status, updated) = s
        .call(
            Method::PATCH,
            &path,
            key,
            Some(json!({"options": {"import_mode": false}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["options"]["import_mode"], json!(false));
    assert_eq!(updated["options"]["configuration_keys"], json!(["api_key"]));

    // A tenant's SQLite files must be in the operator's directory.
    let legacy_dir = s.dir.path().join("legacy");
    for url in [
        "sqlite:/etc/passwd".to_string(),
        format!("sqlite:{}/../authbox.db", legacy_dir.display()),
        "sqlite:relative.db".to_string(),
    ] {
        let body = json!({"options": {"datasources": {"users": url}}});
        let (status, error) = s.call(Method::PATCH, &path, key, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("options.datasources.users"),
            "{error}"
        );
    }
    let inside = format!("sqlite:{}/billing.db", legacy_dir.display());
    let body = json!({"options": {"datasources": {"users": inside}}});
    let (status, _) = s.call(Method::PATCH, &path, key, Some(body)).await;
    assert_eq!(status, StatusCode::OK);

    // Another tenant's key: 404; a key without the scope: 403.
    let (status, _) = s.call(Method::GET, &path, Some(&s.other), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.call(Method::DELETE, &path, Some(&s.other), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.call(Method::GET, &path, Some(&s.reader), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.call(Method::DELETE, &path, key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.call(Method::GET, &path, key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scripts_are_uploaded_listed_rolled_back_and_tried() {
    let s = server().await;
    let id = legacy_id(&s).await;
    let upload = |bytes: Vec<u8>, content_type: &'static str, key: &str| {
        s.http
            .put(format!("{}/api/v2/connections/{id}/script", s.base))
            .bearer_auth(key)
            .header("content-type", content_type)
            .body(bytes)
            .send()
    };
    let hostile = std::fs::read(authbox_tests::HOSTILE).unwrap();
    let response = upload(hostile.clone(), "application/wasm", &s.admin)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let version: Value = response.json().await.unwrap();
    assert_eq!(
        (version["version"].clone(), version["active"].clone()),
        (json!(2), json!(true))
    );
    assert_eq!(version["sha256"].as_str().unwrap().len(), 64);
    assert!(
        version["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("login"))
    );

    // Refused uploads leave version 2 active.
    let response = upload(b"garbage".to_vec(), "application/wasm", &s.admin)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["statusCode"], json!(400));
    let response = upload(hostile.clone(), "application/json", &s.admin)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = upload(vec![0; 17 << 20], "application/wasm", &s.admin)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let response = upload(hostile, "application/wasm", &s.other).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let versions_path = format!("/api/v2/connections/{id}/scripts");
    let (_, versions) = s
        .call(Method::GET, &versions_path, Some(&s.admin), None)
        .await;
    let active: Vec<_> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["active"].clone())
        .collect();
    assert_eq!(active, [json!(false), json!(true)]);

    // Try: version 2 does not know Ada; roll back to 1 and it does.
    let try_path = format!("/api/v2/connections/{id}/try");
    let login =
        json!({"action": "login", "username": ADA, "password": "correct horse battery staple"});
    let (status, report) = s
        .call(Method::POST, &try_path, Some(&s.admin), Some(login.clone()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["outcome"], json!("wrong_credentials"));
    let activate = format!("/api/v2/connections/{id}/scripts/1/activate");
    let (status, connection) = s.call(Method::POST, &activate, Some(&s.admin), None).await;
    assert_eq!(
        (status, connection["active_script_version"].clone()),
        (StatusCode::OK, json!(1))
    );
    let (_, report) = s
        .call(Method::POST, &try_path, Some(&s.admin), Some(login))
        .await;
    assert_eq!(report["outcome"], json!("ok"));
    assert_eq!(report["profile"]["user_id"], json!(ADA_ID));
    // "Try" caches nothing.
    let (status, _) = s
        .call(Method::GET, &user_path(ADA_ID), Some(&s.admin), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let bogus = json!({"action": "explode"});
    let (status, error) = s
        .call(Method::POST, &try_path, Some(&s.admin), Some(bogus))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("explode"),
        "{error}"
    );
    // A stray or missing argument is named, and not called "invalid JSON".
    for (body, named) in [
        (
            json!({"action": "get-user", "email": ADA, "role": "x"}),
            "role",
        ),
        (json!({"action": "login", "username": ADA}), "password"),
        (
            json!({"action": "create", "email": ADA, "password": "p", "role": "x"}),
            "role",
        ),
    ] {
        let (status, error) = s
            .call(Method::POST, &try_path, Some(&s.admin), Some(body))
            .await;
        let message = error["message"].as_str().unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert!(
            message.contains(named) && !message.contains("Invalid JSON"),
            "{error}"
        );
    }
    let verify = json!({"action": "change-email", "email": ADA, "new_email": "a@b.test"});
    let (status, report) = s
        .call(Method::POST, &try_path, Some(&s.admin), Some(verify))
        .await;
    assert_eq!(
        (status, report["action"].clone()),
        (StatusCode::OK, json!("change-email"))
    );
    let missing = format!("/api/v2/connections/{id}/scripts/9/activate");
    let (status, _) = s.call(Method::POST, &missing, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn query_string_and_path_errors_answer_in_auth0_s_shape() {
    let s = server().await;
    let key = Some(s.admin.as_str());
    let id = legacy_id(&s).await;
    let huge = format!("/api/v2/connections/{id}/scripts/99999999999999999999/activate");
    let (status, error) = s.call(Method::POST, &huge, key, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["errorCode"], json!("invalid_uri"), "{error}");
    assert_eq!(error["statusCode"], json!(400));
    let (status, error) = s
        .call(Method::GET, "/api/v2/users-by-email", key, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["errorCode"], json!("invalid_query_string"), "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("email"),
        "{error}"
    );
    let (status, error) = s
        .call(Method::GET, "/api/v2/users?per_page=lots", key, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["errorCode"], json!("invalid_query_string"), "{error}");
}
