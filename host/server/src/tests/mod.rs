//! The HTTP API over real HTTP on loopback: a server on a random port, the
//! `sqlite` template on a legacy SQLite database, two tenants.

mod clients;
mod connections;
mod javascript;
mod jobs;
mod logs;
mod openapi;
mod protection;
mod reset;
mod search;
mod tenants;
mod token;
mod users;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use authbox::flows::{AuthboxConfig, LoginContext, SCOPES};
use authbox::store::ConnectionSettings;
use authbox_tests::legacy::{Backend, LegacyDb};

const ADA: &str = "ada@example.com";
const ADA_ID: &str = "auth0|sqlite|1";

struct Server {
    base: String,
    http: Client,
    authbox: Authbox,
    tenant: String,
    /// A key with every scope.
    admin: String,
    /// A key with `read:users` only.
    reader: String,
    /// Tenant `other`'s key with every scope.
    other: String,
    legacy: LegacyDb,
    dir: tempfile::TempDir,
}

async fn server() -> Server {
    let legacy = LegacyDb::seeded(Backend::Sqlite, "serve").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authbox.db");
    let authbox = Authbox::open(AuthboxConfig::sqlite(path.to_str().unwrap()))
        .await
        .unwrap();
    let tenant = authbox.create_tenant("acme").await.unwrap().id;
    let other = authbox.create_tenant("other").await.unwrap().id;
    let mut settings = ConnectionSettings::default();
    settings
        .datasources
        .insert("users".into(), legacy.url.clone());
    let connection = authbox
        .create_connection(&tenant, "legacy", &settings)
        .await
        .unwrap();
    let wasm = std::fs::read(authbox_tests::SQLITE).unwrap();
    authbox
        .upload_script(&tenant, &connection.id, &wasm)
        .await
        .unwrap();
    let all: Vec<String> = SCOPES.iter().map(|s| s.to_string()).collect();
    let key = |tenant: String, scopes: Vec<String>| {
        let authbox = authbox.clone();
        async move { authbox.create_api_key(&tenant, &scopes).await.unwrap().1 }
    };
    let admin = key(tenant.clone(), all.clone()).await;
    let reader = key(tenant.clone(), vec!["read:users".into()]).await;
    let other = key(other, all).await;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let settings = ServerSettings {
        issuer: format!("{base}/"),
        sqlite_dir: Some(dir.path().join("legacy")),
    };
    tokio::spawn(serve(
        listener,
        authbox.clone(),
        settings,
        std::future::pending(),
    ));
    Server {
        base,
        http: Client::new(),
        authbox,
        tenant,
        admin,
        reader,
        other,
        legacy,
        dir,
    }
}

impl Server {
    /// Sends a request with `key` as bearer (if any) and a JSON body (if
    /// any); answers the status and the JSON body (`null` if none).
    async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// POSTs a JSON body to `/oauth/token`: the status and the answer.
    async fn token_json(&self, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/oauth/token", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GETs `path` without a key: the status and the body as text.
    async fn text(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    async fn login_ada(&self) {
        self.authbox
            .login(
                &self.tenant,
                "legacy",
                ADA,
                "correct horse battery staple",
                &LoginContext::default(),
            )
            .await
            .unwrap();
    }
}

fn user_path(id: &str) -> String {
    format!("/api/v2/users/{}", id.replace('|', "%7C"))
}
