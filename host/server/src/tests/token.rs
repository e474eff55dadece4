//! The Authentication API: `/oauth/token` (docs/behaviour.md §6), RS256 id
//! tokens checked against the JWKS, access tokens at `/userinfo`.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::*;

/// A client of tenant `acme`: (id, secret).
async fn client(s: &Server) -> (String, String) {
    let (client, secret) = s.authbox.create_client(&s.tenant, "web").await.unwrap();
    (client.client_id, secret)
}

async fn token(s: &Server, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = s
        .http
        .post(format!("{}/oauth/token", s.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn a_login_answers_an_rs256_id_token_and_an_access_token_for_userinfo() {
    let s = server().await;
    let (id, secret) = client(&s).await;
    let form = [
        ("grant_type", "password"),
        ("username", ADA),
        ("password", PASSWORD),
        ("client_id", &id),
        ("client_secret", &secret),
    ];
    let (status, answer) = token(&s, &form).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["token_type"], json!("Bearer"));

    // The id token verifies with the JWKS key named in its header.
    let id_token = answer["id_token"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap();
    let (_, jwks) = s
        .call(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == json!(kid))
        .unwrap();
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&id]);
    validation.set_issuer(&[format!("{}/", s.base)]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], json!(ADA_ID));
    assert_eq!(claims["email"], json!(ADA));
    assert_eq!(claims["name"], json!("Ada Lovelace"));
    for claim in [
        "email_verified",
        "nickname",
        "picture",
        "updated_at",
        "iat",
        "exp",
    ] {
        assert!(claims.get(claim).is_some(), "{claim} missing from {claims}");
    }
    // The login went into the cache, with the client's address.
    let user = s.authbox.get_user(&s.tenant, ADA_ID).await.unwrap();
    assert_eq!(
        (user.logins_count, user.last_ip.as_deref()),
        (1, Some("127.0.0.1"))
    );

    let access = answer["access_token"].as_str().unwrap();
    let (status, info) = s.call(Method::GET, "/userinfo", Some(access), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (info["sub"].clone(), info["email"].clone()),
        (json!(ADA_ID), json!(ADA))
    );
    // The id token is not an access token; garbage is not either.
    let refused =
        json!({"error": "invalid_token", "error_description": "Invalid or expired access token."});
    for bad in [id_token, "not.a.token"] {
        let answer = s.call(Method::GET, "/userinfo", Some(bad), None).await;
        assert_eq!(answer, (StatusCode::UNAUTHORIZED, refused.clone()));
    }
    // A deleted user's access token no longer answers.
    let (status, _) = s
        .call(Method::DELETE, &user_path(ADA_ID), Some(&s.admin), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let answer = s.call(Method::GET, "/userinfo", Some(access), None).await;
    assert_eq!(answer, (StatusCode::UNAUTHORIZED, refused));

    // Counted: the script call, the login, the request by its route.
    let (_, text) = s.text("/metrics").await;
    for line in [
        "authbox_script_calls_total{action=\"login\",outcome=\"ok\"} 1",
        "authbox_logins_total{result=\"success_script\"} 1",
        "authbox_http_requests_total{route=\"/oauth/token\",method=\"POST\",status=\"200\"} 1",
        "authbox_script_call_seconds_count{action=\"login\"} 1",
        "authbox_log_events_lost_total 0",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
    assert!(!text.contains(ADA), "{text}");

    // The password-realm grant, as JSON.
    let body = json!({"grant_type": "http://auth0.com/oauth/grant-type/password-realm",
        "realm": "legacy", "username": "grace", "password": "hopper1906",
        "client_id": id, "client_secret": secret,
        "audience": "https://api.example.test", "scope": "openid profile"});
    let (status, answer) = s.token_json(&body).await;
    assert_eq!(status, StatusCode::OK);
    // The tenant's key was made once: both tokens name it.
    let again = jsonwebtoken::decode_header(answer["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(again.kid.unwrap(), kid);
}

#[tokio::test]
async fn failed_logins_answer_as_the_behaviour_says() {
    let s = server().await;
    let (id, secret) = client(&s).await;
    let login = |username: &'static str, password: &'static str| {
        let (id, secret) = (id.clone(), secret.clone());
        let s = &s;
        async move {
            let form = [
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
            ];
            token(s, &form).await
        }
    };
    let wrong = json!({"error": "invalid_grant", "error_description": "Wrong email or password."});
    assert_eq!(
        login(ADA, "nope").await,
        (StatusCode::FORBIDDEN, wrong.clone())
    );
    assert_eq!(
        login("nobody@example.com", "x").await,
        (StatusCode::FORBIDDEN, wrong)
    );

    s.login_ada().await;
    let block = json!({"blocked": true});
    s.call(
        Method::PATCH,
        &user_path(ADA_ID),
        Some(&s.admin),
        Some(block),
    )
    .await;
    assert_eq!(
        login(ADA, PASSWORD).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"error": "unauthorized", "error_description": "user is blocked"})
        )
    );

    // Bad clients and grants.
    let form = [
        ("grant_type", "password"),
        ("client_id", id.as_str()),
        ("client_secret", "wrong"),
    ];
    let (status, answer) = token(&s, &form).await;
    assert_eq!(
        (status, answer["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("invalid_client"))
    );
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let (status, answer) = token(&s, &form).await;
    assert_eq!(
        (status, answer["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("unsupported_grant_type"))
    );
    // Bodies too large, of no known type, or not JSON: OAuth's shape too.
    let huge = "x".repeat(2 << 20);
    let (status, answer) = token(&s, &[("grant_type", "password"), ("username", &huge)]).await;
    assert_eq!(
        (status, answer["error"].clone()),
        (StatusCode::PAYLOAD_TOO_LARGE, json!("invalid_request"))
    );
    for (content_type, body) in [
        ("text/plain", "grant_type=password"),
        ("application/json", "{nope"),
    ] {
        let response = s
            .http
            .post(format!("{}/oauth/token", s.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"], json!("invalid_request"), "{answer}");
    }

    // The script refuses with a message; the script fails.
    let connection = s
        .authbox
        .connection_by_name(&s.tenant, "legacy")
        .await
        .unwrap();
    let hostile = std::fs::read(authbox_tests::HOSTILE).unwrap();
    s.authbox
        .upload_script(&s.tenant, &connection.id, &hostile)
        .await
        .unwrap();
    assert_eq!(
        login("suspended", "x").await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"error": "unauthorized", "error_description": "Your account is suspended."})
        )
    );
    let (status, answer) = login("panic", "x").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer["error"], json!("server_error"));
    let description = answer["error_description"].as_str().unwrap();
    assert!(description.contains("request id"), "{description}");
    assert!(!description.contains("panic"), "{description}");

    // Each failure is counted by its result, and no name is a label.
    let (_, text) = s.text("/metrics").await;
    for line in [
        "authbox_logins_total{result=\"wrong_credentials\"} 2",
        "authbox_logins_total{result=\"refused\"} 2",
        "authbox_logins_total{result=\"failed\"} 1",
        "authbox_http_requests_total{route=\"/oauth/token\",method=\"POST\",status=\"403\"} 2",
        "authbox_http_requests_total{route=\"/oauth/token\",method=\"POST\",status=\"500\"} 1",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
    assert!(!text.contains("nobody"), "{text}");
}
