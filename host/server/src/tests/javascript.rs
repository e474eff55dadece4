//! JavaScript through the Management API in Auth0's shape
//! (`options.customScripts`), logins through `/oauth/token`, import mode on
//! JavaScript, and refused uploads that change nothing.

use super::*;

const LOGIN: &str = r#"function login(email, password, callback) {
  const bcrypt = require('bcrypt');
  if (email !== 'lin@example.com') return callback(new WrongUsernameOrPasswordError(email));
  bcrypt.compare(password, configuration.LIN_HASH, function (err, ok) {
    if (err || !ok) return callback(err || new WrongUsernameOrPasswordError(email));
    callback(null, { user_id: 7, email: email, nickname: 'lin' });
  });
}"#;

const GET_USER: &str = r#"function getByEmail(email, callback) {
  callback(null, email === 'lin@example.com' ? { user_id: 7, email: email } : null);
}"#;

/// The password grant for `username` on the `js` connection.
async fn log_in(s: &Server, id: &str, secret: &str, username: &str, password: &str) -> StatusCode {
    let body = json!({"grant_type": "http://auth0.com/oauth/grant-type/password-realm",
        "realm": "js", "username": username, "password": password,
        "client_id": id, "client_secret": secret});
    s.token_json(&body).await.0
}

#[tokio::test]
async fn custom_scripts_upload_log_in_and_roll_back() {
    let s = server().await;
    if authbox::runtime::javascript_support().is_err() {
        eprintln!(
            "SKIPPED custom_scripts_upload_log_in_and_roll_back: no JavaScript engine in this build"
        );
        assert!(std::env::var_os("AUTHBOX_TEST_REQUIRE_JAVASCRIPT").is_none());
        return;
    }
    let key = Some(s.admin.as_str());
    let hash = bcrypt::hash("lin's password", 4).unwrap();
    let (list_status, before) = s.call(Method::GET, "/api/v2/connections", key, None).await;
    assert_eq!(list_status, StatusCode::OK);

    // A syntax error: refused with file, line and column; no connection made.
    let broken = json!({"name": "js", "options": {"customScripts": {
        "login": "function login(email, password, callback) {\n  callback(null, {;\n}",
        "get_user": GET_USER,
    }}});
    let (status, error) = s
        .call(Method::POST, "/api/v2/connections", key, Some(broken))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("login.js:2:"),
        "{error}"
    );
    let (_, after) = s.call(Method::GET, "/api/v2/connections", key, None).await;
    assert_eq!(
        after.as_array().unwrap().len(),
        before.as_array().unwrap().len()
    );

    // Auth0's shape: created with its scripts and configuration.
    let body = json!({"name": "js", "strategy": "auth0", "options": {
        "enabledDatabaseCustomization": true,
        "customScripts": {"login": LOGIN, "get_user": GET_USER},
        "configuration": {"LIN_HASH": hash},
    }});
    let (status, created) = s
        .call(Method::POST, "/api/v2/connections", key, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["options"]["customScripts"]["login"], json!(LOGIN));
    assert_eq!(
        created["options"]["enabledDatabaseCustomization"],
        json!(true)
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v2/connections/{id}");

    let (client, secret) = s.authbox.create_client(&s.tenant, "web").await.unwrap();
    let client = client.client_id;
    assert_eq!(
        log_in(&s, &client, &secret, "lin@example.com", "lin's password").await,
        StatusCode::OK
    );
    assert_eq!(
        log_in(&s, &client, &secret, "lin@example.com", "wrong").await,
        StatusCode::FORBIDDEN
    );

    // An unknown action, and a broken version: refused, the active one stays.
    let unknown = json!({"options": {"customScripts": {"login": LOGIN, "get_user": GET_USER, "change_username": "function f(){}"}}});
    let (status, error) = s.call(Method::PATCH, &path, key, Some(unknown)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("change_username"),
        "{error}"
    );
    let missing = json!({"options": {"customScripts": {"login": LOGIN}}});
    let (status, error) = s.call(Method::PATCH, &path, key, Some(missing)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("get_user.js"),
        "{error}"
    );

    // A second version that refuses everyone, then a rollback to the first.
    let refusing = LOGIN.replace("if (email !== 'lin@example.com')", "if (true)");
    let patch = json!({"options": {"customScripts": {"login": refusing, "get_user": GET_USER}}});
    let (status, patched) = s.call(Method::PATCH, &path, key, Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        patched["options"]["customScripts"]["login"],
        json!(refusing)
    );
    assert_eq!(
        log_in(&s, &client, &secret, "lin@example.com", "lin's password").await,
        StatusCode::FORBIDDEN
    );
    let (_, versions) = s
        .call(Method::GET, &format!("{path}/scripts"), key, None)
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 2, "{versions}");
    let (status, _) = s
        .call(
            Method::POST,
            &format!("{path}/scripts/1/activate"),
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        log_in(&s, &client, &secret, "lin@example.com", "lin's password").await,
        StatusCode::OK
    );

    // Import mode on JavaScript: once migrated, Lin logs in without the script.
    let import = json!({"options": {"import_mode": true}});
    let (status, _) = s.call(Method::PATCH, &path, key, Some(import)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        log_in(&s, &client, &secret, "lin@example.com", "lin's password").await,
        StatusCode::OK
    );
    let patch = json!({"options": {"customScripts": {"login": refusing, "get_user": GET_USER}}});
    let (status, _) = s.call(Method::PATCH, &path, key, Some(patch)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        log_in(&s, &client, &secret, "lin@example.com", "lin's password").await,
        StatusCode::OK,
        "a migrated user logs in with the local hash"
    );
}
