//! `authbox serve --demo`: a tenant `demo` with a connection `legacy` backed
//! by the `sqlite` template and a small legacy database in the data
//! directory, made once; its credentials (kept in `demo/credentials.json`,
//! for this local trial only) and ready-to-paste `curl` commands printed.

use std::path::{Path, PathBuf};

use authbox::flows::{Authbox, FlowError, SCOPES, TenantChange};
use authbox::store::ConnectionSettings;
use serde::{Deserialize, Serialize};
use sqlx::ConnectOptions;

/// The legacy database's tables and users: the `sqlite` template's.
const SCHEMA: &str = include_str!("../../../scripts/sqlite/schema.sql");
const SEED: &str = include_str!("../../../scripts/sqlite/seed.sql");

/// Where the template is when built as the README says.
pub const DEFAULT_SCRIPT: &str = "scripts/target/wasm32-wasip2/release/sqlite.wasm";

#[derive(Serialize, Deserialize)]
struct Credentials {
    api_key: String,
    client_id: String,
    client_secret: String,
}

/// Sets the demo up (once) in `data_dir/demo`; answers that directory.
pub async fn set_up(
    authbox: &Authbox,
    data_dir: &Path,
    script: &Path,
    base: &str,
) -> Result<PathBuf, String> {
    let dir = data_dir.join("demo");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let credentials_file = dir.join("credentials.json");
    let credentials = match std::fs::read(&credentials_file) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: {e}", credentials_file.display()))?,
        Err(_) => {
            let credentials = create(authbox, &dir, script).await?;
            let text = serde_json::to_vec_pretty(&credentials).map_err(|e| e.to_string())?;
            std::fs::write(&credentials_file, text)
                .map_err(|e| format!("{}: {e}", credentials_file.display()))?;
            credentials
        }
    };
    print(&credentials, base);
    Ok(dir)
}

async fn create(authbox: &Authbox, dir: &Path, script: &Path) -> Result<Credentials, String> {
    let wasm = std::fs::read(script).map_err(|e| {
        format!(
            "the demo needs the `sqlite` template at {}: {e}. Build it first: \
             cargo build --release --manifest-path scripts/Cargo.toml --target wasm32-wasip2",
            script.display()
        )
    })?;
    let legacy = dir.join("legacy.db");
    if !legacy.exists() {
        seed(&legacy).await?;
    }
    let tenant = match authbox.tenant_by_name("demo").await {
        Ok(tenant) => tenant,
        Err(FlowError::NotFound(_)) => authbox
            .create_tenant("demo")
            .await
            .map_err(|e| e.to_string())?,
        Err(e) => return Err(e.to_string()),
    };
    let connection = match authbox.connection_by_name(&tenant.id, "legacy").await {
        Ok(connection) => connection,
        Err(_) => {
            let mut settings = ConnectionSettings::default();
            settings
                .datasources
                .insert("users".into(), format!("sqlite:{}", legacy.display()));
            let connection = authbox
                .create_connection(&tenant.id, "legacy", &settings)
                .await
                .map_err(|e| e.to_string())?;
            // `grant_type=password` logs in here even once others are added.
            let change = TenantChange {
                default_connection: Some(Some("legacy".into())),
                ..TenantChange::default()
            };
            authbox
                .update_tenant(&tenant.id, change)
                .await
                .map_err(|e| e.to_string())?;
            connection
        }
    };
    if connection.active_version.is_none() {
        authbox
            .upload_script(&tenant.id, &connection.id, &wasm)
            .await
            .map_err(|e| e.to_string())?;
    }
    let scopes: Vec<String> = SCOPES.iter().map(|s| s.to_string()).collect();
    let (_, api_key) = authbox
        .create_api_key(&tenant.id, &scopes)
        .await
        .map_err(|e| e.to_string())?;
    let (client, client_secret) = authbox
        .create_client(&tenant.id, "demo")
        .await
        .map_err(|e| e.to_string())?;
    Ok(Credentials {
        api_key,
        client_id: client.client_id,
        client_secret,
    })
}

/// Creates the legacy database with the template's schema and users.
async fn seed(path: &Path) -> Result<(), String> {
    let mut connection = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for sql in [SCHEMA, SEED] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut connection)
            .await
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn print(c: &Credentials, base: &str) {
    println!(
        r#"authbox demo: tenant `demo`, connection `legacy` (the sqlite template on demo/legacy.db)
users: ada@example.com / "correct horse battery staple", grace / hopper1906, linus@example.com / kernel-hacker-91

  Management API key: {key}
  client id:          {id}
  client secret:      {secret}

Log Ada in (an RS256 id token; the profile goes into the cache):

  curl -s {base}/oauth/token -d grant_type=password -d username=ada@example.com \
    -d 'password=correct horse battery staple' -d client_id={id} -d client_secret={secret}

Read and update her cached profile through the Management API:

  curl -s {base}/api/v2/users/auth0%7Csqlite%7C1 -H 'Authorization: Bearer {key}'
  curl -s -X PATCH {base}/api/v2/users/auth0%7Csqlite%7C1 -H 'Authorization: Bearer {key}' \
    -H 'Content-Type: application/json' -d '{{"user_metadata": {{"lang": "fr"}}}}'

Every route, its scope and its JSON shapes (OpenAPI 3.1):

  curl -s {base}/api/v2/openapi.json
"#,
        key = c.api_key,
        id = c.client_id,
        secret = c.client_secret,
    );
}
