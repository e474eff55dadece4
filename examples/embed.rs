//! A service embedding authbox: it registers a tenant and a connection
//! backed by the `sqlite` template, logs a user in, reads the cached profile
//! and patches its metadata.
//!
//! ```sh
//! cargo build --release --manifest-path scripts/Cargo.toml --target wasm32-wasip2
//! cargo run -p authbox --example embed -- scripts/target/wasm32-wasip2/release/sqlite.wasm
//! ```
//!
//! The legacy database is made from `scripts/sqlite/schema.sql` and
//! `seed.sql` in a temporary directory; so is authbox's own store.

use authbox::runtime::Refusal;
use authbox::store::ConnectionSettings;
use authbox::{Authbox, AuthboxConfig, FlowError, LoginContext};
use serde_json::json;
use sqlx::{ConnectOptions, Executor};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let script = std::env::args()
        .nth(1)
        .ok_or("usage: embed PATH/TO/sqlite.wasm (build it from scripts/ first)")?;
    let dir = tempfile::tempdir()?;

    // The tenant's legacy database, as the template documents it.
    let legacy = dir.path().join("legacy.db");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&legacy)
        .create_if_missing(true)
        .connect()
        .await?;
    for file in ["schema.sql", "seed.sql"] {
        let sql = std::fs::read_to_string(format!("scripts/sqlite/{file}"))?;
        conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql)))
            .await?;
    }

    // authbox: the store in a SQLite file, one tenant, one connection.
    let store = dir.path().join("authbox.db");
    let authbox = Authbox::open(AuthboxConfig::sqlite(&store.display().to_string())).await?;
    let tenant = authbox.create_tenant("acme").await?;
    let mut settings = ConnectionSettings::default();
    settings
        .datasources
        .insert("users".into(), format!("sqlite:{}", legacy.display()));
    let connection = authbox
        .create_connection(&tenant.id, "legacy-users", &settings)
        .await?;
    let version = authbox
        .upload_script(&tenant.id, &connection.id, &std::fs::read(&script)?)
        .await?;
    println!(
        "script v{} ({}) implements {}",
        version.version,
        &version.sha256[..12],
        version.actions.join(", ")
    );

    // A login: the script checks the password; the profile is cached.
    let context = LoginContext {
        ip: Some("203.0.113.9".into()),
        ..LoginContext::default()
    };
    let user = authbox
        .login(
            &tenant.id,
            "legacy-users",
            "ada@example.com",
            "correct horse battery staple",
            &context,
        )
        .await?;
    println!(
        "logged in: {}",
        serde_json::to_string_pretty(&user.to_json())?
    );

    match authbox
        .login(
            &tenant.id,
            "legacy-users",
            "ada@example.com",
            "wrong",
            &context,
        )
        .await
    {
        Err(FlowError::Refused(Refusal::WrongCredentials { .. })) => {
            println!("a wrong password is refused")
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    }

    // The Management API's side: metadata is authbox's, the rest the database's.
    let patch = json!({"user_metadata": {"newsletter": true}});
    let user = authbox
        .update_user(&tenant.id, &user.user_id, patch.as_object().unwrap())
        .await?;
    println!("user_metadata now: {}", json!(user.user_metadata));
    let refused = json!({"nickname": "countess"});
    if let Err(e) = authbox
        .update_user(&tenant.id, &user.user_id, refused.as_object().unwrap())
        .await
    {
        println!("refused: {e}");
    }
    Ok(())
}
