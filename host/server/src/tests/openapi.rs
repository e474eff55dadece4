//! `GET /api/v2/openapi.json`: generated from the handlers, it lists every
//! route the server serves (and nothing it does not), each Management API
//! operation's scope, and schemas that match what the server answers.

use super::*;

/// Every (method, path) the server serves, as the document spells it.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v2/users"),
    ("post", "/api/v2/users"),
    ("get", "/api/v2/users-by-email"),
    ("get", "/api/v2/users/{id}"),
    ("patch", "/api/v2/users/{id}"),
    ("delete", "/api/v2/users/{id}"),
    ("get", "/api/v2/users/{id}/logs"),
    ("get", "/api/v2/logs"),
    ("get", "/api/v2/logs/{id}"),
    ("post", "/api/v2/users/{id}/refresh"),
    ("get", "/api/v2/clients"),
    ("get", "/api/v2/clients/{id}"),
    ("patch", "/api/v2/clients/{id}"),
    ("delete", "/api/v2/clients/{id}"),
    ("post", "/api/v2/clients/{id}/rotate-secret"),
    ("get", "/api/v2/connections"),
    ("post", "/api/v2/connections"),
    ("get", "/api/v2/connections/{id}"),
    ("patch", "/api/v2/connections/{id}"),
    ("delete", "/api/v2/connections/{id}"),
    ("put", "/api/v2/connections/{id}/script"),
    ("get", "/api/v2/connections/{id}/scripts"),
    (
        "post",
        "/api/v2/connections/{id}/scripts/{version}/activate",
    ),
    ("post", "/api/v2/connections/{id}/try"),
    ("get", "/api/v2/attack-protection/brute-force-protection"),
    ("patch", "/api/v2/attack-protection/brute-force-protection"),
    ("get", "/api/v2/attack-protection/suspicious-ip-throttling"),
    (
        "patch",
        "/api/v2/attack-protection/suspicious-ip-throttling",
    ),
    ("get", "/api/v2/user-blocks"),
    ("delete", "/api/v2/user-blocks"),
    ("get", "/api/v2/user-blocks/{id}"),
    ("delete", "/api/v2/user-blocks/{id}"),
    ("get", "/api/v2/anomaly/blocks/ips/{id}"),
    ("delete", "/api/v2/anomaly/blocks/ips/{id}"),
    ("get", "/api/v2/tenants/settings"),
    ("patch", "/api/v2/tenants/settings"),
    ("post", "/oauth/token"),
    ("post", "/dbconnections/signup"),
    ("post", "/dbconnections/change_password"),
    ("get", "/lo/reset"),
    ("post", "/api/v2/jobs/users-imports"),
    ("post", "/api/v2/jobs/users-exports"),
    ("get", "/exports/{id}/{file}"),
    ("get", "/api/v2/jobs/{id}"),
    ("get", "/api/v2/jobs/{id}/errors"),
    ("post", "/lo/reset"),
    ("post", "/api/v2/tickets/password-change"),
    ("get", "/userinfo"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/healthz"),
    ("get", "/metrics"),
];

async fn document(s: &Server) -> Value {
    let response = s
        .http
        .get(format!("{}/api/v2/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_document_lists_every_route_served_and_only_those() {
    let s = server().await;
    let doc = document(&s).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    assert_eq!(doc["info"]["title"], json!("authbox"));

    let (mut documented, mut operation_ids) = (Vec::new(), Vec::new());
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.push((method.clone(), path.clone()));
            operation_ids.push(operation["operationId"].as_str().unwrap().to_string());
        }
    }
    let count = operation_ids.len();
    operation_ids.sort();
    operation_ids.dedup();
    assert_eq!(operation_ids.len(), count, "operation ids must be unique");
    let mut expected: Vec<_> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    documented.sort();
    expected.sort();
    assert_eq!(documented, expected);

    // Each documented operation is served: never the router's own 404 or 405.
    for (method, path) in &documented {
        let path = path.replace("{id}", "x").replace("{version}", "1");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = s
            .http
            .request(method.clone(), format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(body["errorCode"], json!("not_found"), "{method} {path}");
    }
    // And the fallback is what an undocumented path gets.
    let (status, body) = s.call(Method::GET, "/api/v2/nope", None, None).await;
    assert_eq!(
        (status, &body["errorCode"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );
}

#[tokio::test]
async fn management_operations_name_their_scope() {
    let s = server().await;
    let doc = document(&s).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v2/") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let scopes = &operation["security"][0]["api_key"];
            let scope = scopes[0]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}"));
            assert!(SCOPES.contains(&scope), "{method} {path}: {scope}");
            let responses = operation["responses"].as_object().unwrap();
            for status in ["401", "403"] {
                assert_eq!(
                    responses[status]["content"]["application/json"]["schema"]["$ref"],
                    json!("#/components/schemas/ErrorBody"),
                    "{method} {path} {status}"
                );
            }
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        json!("bearer")
    );
}

/// The names of a schema's properties.
fn properties(doc: &Value, schema: &str) -> Vec<String> {
    doc["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {schema}"))
        .keys()
        .cloned()
        .collect()
}

fn assert_documented(answer: &Value, documented: &[String], what: &str) {
    for key in answer.as_object().unwrap().keys() {
        assert!(documented.contains(key), "{what}.{key} is not documented");
    }
}

#[tokio::test]
async fn schemas_describe_what_the_server_answers() {
    let s = server().await;
    s.login_ada().await;
    let doc = document(&s).await;

    let (_, user) = s
        .call(Method::GET, &user_path(ADA_ID), Some(&s.admin), None)
        .await;
    assert_documented(&user, &properties(&doc, "User"), "User");
    // Query parameters are documented as such, and optional.
    let list = &doc["paths"]["/api/v2/users"]["get"]["parameters"];
    for parameter in list.as_array().unwrap() {
        assert_eq!(parameter["in"], json!("query"), "{parameter}");
        assert_eq!(parameter["required"], json!(false), "{parameter}");
    }
    for key in [
        "user_id",
        "email",
        "name",
        "picture",
        "identities",
        "logins_count",
    ] {
        assert!(user.get(key).is_some(), "{key}");
    }

    let (_, connections) = s
        .call(Method::GET, "/api/v2/connections", Some(&s.admin), None)
        .await;
    let connection = &connections[0];
    assert_documented(connection, &properties(&doc, "Connection"), "Connection");
    assert_documented(
        &connection["options"],
        &properties(&doc, "OptionsOut"),
        "Connection.options",
    );
    let path = format!(
        "/api/v2/connections/{}/scripts",
        connection["id"].as_str().unwrap()
    );
    let (_, versions) = s.call(Method::GET, &path, Some(&s.admin), None).await;
    assert_documented(
        &versions[0],
        &properties(&doc, "ScriptVersion"),
        "ScriptVersion",
    );

    let (_, error) = s
        .call(Method::GET, "/api/v2/users/x", Some(&s.admin), None)
        .await;
    let error_properties = properties(&doc, "ErrorBody");
    assert_documented(&error, &error_properties, "ErrorBody");
    assert_eq!(error_properties.len(), error.as_object().unwrap().len());

    let (_, settings) = s
        .call(
            Method::GET,
            "/api/v2/tenants/settings",
            Some(&s.admin),
            None,
        )
        .await;
    assert_documented(
        &settings,
        &properties(&doc, "TenantSettings"),
        "TenantSettings",
    );
    for (path, schema) in [
        ("brute-force-protection", "BruteForceProtection"),
        ("suspicious-ip-throttling", "SuspiciousIpThrottling"),
    ] {
        let path = format!("/api/v2/attack-protection/{path}");
        let (_, settings) = s.call(Method::GET, &path, Some(&s.admin), None).await;
        let documented = properties(&doc, schema);
        assert_documented(&settings, &documented, schema);
        assert_eq!(
            documented.len(),
            settings.as_object().unwrap().len(),
            "{schema}"
        );
    }
    let (_, blocks) = s
        .call(
            Method::GET,
            "/api/v2/user-blocks?identifier=x",
            Some(&s.admin),
            None,
        )
        .await;
    assert_documented(&blocks, &properties(&doc, "UserBlocks"), "UserBlocks");
    s.authbox.create_client(&s.tenant, "web").await.unwrap();
    let (_, clients) = s
        .call(Method::GET, "/api/v2/clients", Some(&s.admin), None)
        .await;
    assert_eq!(clients.as_array().unwrap().len(), 1);
    for client in clients.as_array().unwrap() {
        assert_documented(client, &properties(&doc, "ClientJson"), "ClientJson");
    }
}
