//! `/api/v2/clients`: list, read, delete, rotate the secret; what is
//! revoked is refused at `/oauth/token`, and another tenant sees none of it.

use super::*;

async fn token(s: &Server, client_id: &str, secret: &str) -> StatusCode {
    let form = [
        ("grant_type", "password"),
        ("username", ADA),
        ("password", "correct horse battery staple"),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    s.http
        .post(format!("{}/oauth/token", s.base))
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn applications_are_listed_rotated_and_deleted_and_what_is_revoked_is_refused() {
    let s = server().await;
    let (web, web_secret) = s.authbox.create_client(&s.tenant, "web").await.unwrap();
    let (app, app_secret) = s.authbox.create_client(&s.tenant, "app").await.unwrap();
    assert_eq!(token(&s, &web.client_id, &web_secret).await, StatusCode::OK);

    let (status, list) = s
        .call(Method::GET, "/api/v2/clients", Some(&s.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut listed = list.as_array().unwrap().clone();
    listed.sort_by_key(|c| c["name"].as_str().unwrap().to_string());
    assert_eq!(
        listed,
        [
            json!({"client_id": app.client_id, "name": "app", "is_token_endpoint_ip_header_trusted": false}),
            json!({"client_id": web.client_id, "name": "web", "is_token_endpoint_ip_header_trusted": false})
        ]
    );
    let path = format!("/api/v2/clients/{}", web.client_id);
    let (status, one) = s.call(Method::GET, &path, Some(&s.admin), None).await;
    assert_eq!(
        (status, one),
        (
            StatusCode::OK,
            json!({"client_id": web.client_id, "name": "web", "is_token_endpoint_ip_header_trusted": false})
        )
    );

    // Another tenant's key sees none of them; a key without the scope is refused.
    let (status, others) = s
        .call(Method::GET, "/api/v2/clients", Some(&s.other), None)
        .await;
    assert_eq!((status, others), (StatusCode::OK, json!([])));
    for (method, path) in [
        (Method::GET, path.clone()),
        (Method::DELETE, path.clone()),
        (Method::POST, format!("{path}/rotate-secret")),
    ] {
        let (status, _) = s.call(method.clone(), &path, Some(&s.other), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        let (status, _) = s.call(method.clone(), &path, Some(&s.reader), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }

    // A new secret: the old one is refused at once, the new one works.
    let (status, rotated) = s
        .call(
            Method::POST,
            &format!("{path}/rotate-secret"),
            Some(&s.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, web_secret);
    assert_eq!(
        token(&s, &web.client_id, &web_secret).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(token(&s, &web.client_id, new_secret).await, StatusCode::OK);
    let (_, list) = s
        .call(Method::GET, "/api/v2/clients", Some(&s.admin), None)
        .await;
    assert!(
        !list.to_string().contains(new_secret),
        "a list shows no secret"
    );

    // Deleted: refused, gone from the list, a second delete is 404.
    let (status, _) = s.call(Method::DELETE, &path, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        token(&s, &web.client_id, new_secret).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = s.call(Method::DELETE, &path, Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(token(&s, &app.client_id, &app_secret).await, StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_api_key_is_refused_at_once() {
    let s = server().await;
    let (status, _) = s
        .call(Method::GET, "/api/v2/clients", Some(&s.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let keys = s.authbox.api_keys(&s.tenant).await.unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let admin = keys.iter().find(|k| k.scopes.len() > 1).unwrap();
    s.authbox
        .revoke_api_key(&s.tenant, &admin.id)
        .await
        .unwrap();
    let (status, error) = s
        .call(Method::GET, "/api/v2/clients", Some(&s.admin), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    let (status, _) = s
        .call(Method::GET, "/api/v2/users?q=x", Some(&s.reader), None)
        .await;
    assert_ne!(
        status,
        StatusCode::UNAUTHORIZED,
        "the other key still works"
    );
    assert!(
        s.authbox
            .revoke_api_key(&s.tenant, &admin.id)
            .await
            .is_err()
    );
}
