//! `authbox tenant`, `authbox keys`, `authbox clients`: set a deployment up
//! from the command line, against the same store `authbox serve` uses.

use std::path::PathBuf;

use authbox::flows::{Authbox, AuthboxConfig, FlowError, SCOPES};
use authbox::store::{Client, SecretKey, SecretKeySource};
use clap::{Args, Subcommand};
use serde_json::json;

use super::{EXIT_FAILURE, EXIT_OK};

/// Where authbox keeps its state.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Directory of the embedded store (SQLite: authbox.db, and the tenant
    /// log in authbox.db-logs) and the compiled-script cache
    /// [default: authbox-data].
    #[arg(long, value_name = "DIR", env = "AUTHBOX_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// A PostgreSQL URL to keep the state there instead (shared by several
    /// `authbox serve` processes).
    #[arg(long, value_name = "URL", env = "AUTHBOX_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// The file of the secret key that seals the connections' settings and
    /// the signing keys in the store: the base64 text of 32 random bytes
    /// (make one with `authbox secret-key generate PATH`). Without it, the
    /// key is AUTHBOX_SECRET_KEY (that base64 text), else, for the store in
    /// --data-dir, DIR/secret.key, generated the first time. A PostgreSQL
    /// store needs one of the two, the same for every process.
    #[arg(
        long,
        value_name = "PATH",
        env = "AUTHBOX_SECRET_KEY_FILE",
        global = true
    )]
    pub secret_key_file: Option<PathBuf>,
}

impl StoreArgs {
    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("authbox-data"))
    }

    /// The library's configuration for this store.
    pub fn config(&self) -> Result<AuthboxConfig, String> {
        let data_dir = self.data_dir();
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            format!(
                "could not create the data directory {}: {e}",
                data_dir.display()
            )
        })?;
        let path = data_dir.join("authbox.db");
        let mut config = AuthboxConfig::sqlite(&path.to_string_lossy());
        if let Some(url) = &self.database_url {
            config.store_url = url.clone();
        }
        if let Some(path) = &self.secret_key_file {
            config.secret_key = SecretKeySource::File(path.clone());
        } else if let Some(text) = std::env::var_os("AUTHBOX_SECRET_KEY") {
            let key = text
                .to_str()
                .ok_or(authbox::store::SecretKeyError::Malformed)
                .and_then(SecretKey::from_base64)
                .map_err(|e| format!("AUTHBOX_SECRET_KEY: {e}"))?;
            config.secret_key = SecretKeySource::Key(key);
        }
        Ok(config)
    }

    /// Opens the store (migrating it), for a command that ends soon: it
    /// runs no bulk jobs (the server does).
    pub async fn open(&self) -> Result<Authbox, String> {
        let config = AuthboxConfig {
            run_jobs: false,
            ..self.config()?
        };
        Authbox::open(config).await.map_err(|e| e.to_string())
    }
}

/// Manage tenants.
#[derive(Args)]
pub struct TenantArgs {
    #[command(subcommand)]
    command: TenantCommand,
    #[command(flatten)]
    store: StoreArgs,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Its unique name.
        name: String,
    },
}

/// Manage Management API keys.
#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
    #[command(flatten)]
    store: StoreArgs,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key for a tenant; it is printed once and stored hashed.
    Create {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// Comma-separated scopes [default: all: read:users, update:users,
        /// create:users, delete:users, read:connections, create:connections,
        /// update:connections, delete:connections, read:tenant_settings,
        /// update:tenant_settings, read:clients, delete:clients,
        /// update:client_keys].
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
    },
    /// List a tenant's keys: id, scopes, creation time (never the keys).
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a key: every process sharing the store refuses it within a
    /// second.
    Revoke {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The key's id (`key_...`, from `keys list`).
        id: String,
    },
}

/// Manage applications (clients of the Authentication API).
#[derive(Args)]
pub struct ClientsArgs {
    #[command(subcommand)]
    command: ClientsCommand,
    #[command(flatten)]
    store: StoreArgs,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Create an application; its secret is printed once and stored hashed.
    Create {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// A name for people.
        #[arg(long, default_value = "default")]
        name: String,
        /// Trust its `auth0-forwarded-for` header to name the end user's IP
        /// (for a backend that logs users in on their behalf; attack
        /// protection counts that IP).
        #[arg(long)]
        trust_ip_header: bool,
    },
    /// List a tenant's applications: client id, name, creation time (never
    /// the secrets).
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
    },
    /// Give an application a new secret, printed once; the old one is
    /// refused by every process sharing the store within a second.
    RotateSecret {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The application's client id.
        client_id: String,
    },
    /// Change an application: whether its `auth0-forwarded-for` header is
    /// trusted (seen by every process sharing the store within a second).
    Update {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The application's client id.
        client_id: String,
        /// `true`: its `auth0-forwarded-for` header names the end user's IP;
        /// `false`: the header is ignored (the default).
        #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
        trust_ip_header: bool,
    },
    /// Delete an application: its logins are refused by every process
    /// sharing the store within a second.
    Revoke {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The application's client id.
        client_id: String,
    },
}

/// Prints `value` as JSON, or `text`.
pub(super) fn print(json: bool, value: serde_json::Value, text: String) -> u8 {
    if json {
        println!("{value:#}");
    } else {
        println!("{text}");
    }
    EXIT_OK
}

/// Prints an error; exit status 2.
pub(super) fn failed(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_FAILURE
}

async fn tenant_id(authbox: &Authbox, name: &str) -> Result<String, FlowError> {
    Ok(authbox.tenant_by_name(name).await?.id)
}

/// Runs `authbox tenant ...`.
pub async fn tenant(args: TenantArgs) -> u8 {
    let authbox = match args.store.open().await {
        Ok(authbox) => authbox,
        Err(e) => return failed(e),
    };
    let TenantCommand::Create { name } = args.command;
    match authbox.create_tenant(&name).await {
        Ok(tenant) => print(
            args.json,
            json!({"id": tenant.id, "name": tenant.name, "created_at": tenant.created_at}),
            format!("created tenant `{}` ({})", tenant.name, tenant.id),
        ),
        Err(e) => failed(e),
    }
}

impl KeysCommand {
    fn tenant(&self) -> &str {
        match self {
            KeysCommand::Create { tenant, .. }
            | KeysCommand::List { tenant }
            | KeysCommand::Revoke { tenant, .. } => tenant,
        }
    }
}

impl ClientsCommand {
    fn tenant(&self) -> &str {
        match self {
            ClientsCommand::Create { tenant, .. }
            | ClientsCommand::List { tenant }
            | ClientsCommand::RotateSecret { tenant, .. }
            | ClientsCommand::Update { tenant, .. }
            | ClientsCommand::Revoke { tenant, .. } => tenant,
        }
    }
}

/// Runs `authbox keys ...`.
pub async fn keys(args: KeysArgs) -> u8 {
    let authbox = match args.store.open().await {
        Ok(authbox) => authbox,
        Err(e) => return failed(e),
    };
    let json = args.json;
    let tenant = args.command.tenant().to_string();
    let run = async {
        let id = tenant_id(&authbox, &tenant).await?;
        Ok::<_, FlowError>(match args.command {
            KeysCommand::Create { mut scopes, .. } => {
                if scopes.is_empty() {
                    scopes = SCOPES.iter().map(|s| s.to_string()).collect();
                }
                let (record, key) = authbox.create_api_key(&id, &scopes).await?;
                print(
                    json,
                    json!({"id": record.id, "tenant": tenant, "scopes": record.scopes, "key": key}),
                    format!(
                        "{key}\n\nThe Management API key of tenant `{tenant}` (scopes: {}). \
                         It is shown only now: keep it. Use it as `Authorization: Bearer {key}`.",
                        record.scopes.join(" ")
                    ),
                )
            }
            KeysCommand::List { .. } => {
                let keys = authbox.api_keys(&id).await?;
                let rows: Vec<_> = keys
                    .iter()
                    .map(|k| json!({"id": k.id, "scopes": k.scopes, "created_at": k.created_at}))
                    .collect();
                let text = keys
                    .iter()
                    .map(|k| format!("{}  {}  {}", k.id, k.created_at, k.scopes.join(",")))
                    .collect::<Vec<_>>()
                    .join("\n");
                print(json, json!({"tenant": tenant, "keys": rows}), text)
            }
            KeysCommand::Revoke { id: key, .. } => {
                authbox.revoke_api_key(&id, &key).await?;
                print(
                    json,
                    json!({"tenant": tenant, "revoked": key}),
                    format!("revoked key {key} of tenant `{tenant}`"),
                )
            }
        })
    };
    run.await.unwrap_or_else(failed)
}

/// Prints an application with its secret, shown once.
fn print_secret(json: bool, tenant: &str, client: &Client, secret: &str) -> u8 {
    print(
        json,
        json!({"client_id": client.client_id, "client_secret": secret, "tenant": tenant, "name": client.name, "trust_ip_header": client.ip_header_trusted}),
        format!(
            "client_id:     {}\nclient_secret: {secret}\n\nThe secret is shown only now: keep it.",
            client.client_id
        ),
    )
}

/// An application as `--json` prints it (never its secret).
fn client_json(client: &Client) -> serde_json::Value {
    json!({
        "client_id": client.client_id,
        "name": client.name,
        "created_at": client.created_at,
        "trust_ip_header": client.ip_header_trusted,
    })
}

/// Runs `authbox clients ...`.
pub async fn clients(args: ClientsArgs) -> u8 {
    let authbox = match args.store.open().await {
        Ok(authbox) => authbox,
        Err(e) => return failed(e),
    };
    let json = args.json;
    let tenant = args.command.tenant().to_string();
    let run = async {
        let id = tenant_id(&authbox, &tenant).await?;
        Ok::<_, FlowError>(match args.command {
            ClientsCommand::Create {
                name,
                trust_ip_header,
                ..
            } => {
                let (mut client, secret) = authbox.create_client(&id, &name).await?;
                if trust_ip_header {
                    client = authbox
                        .set_client_ip_header_trusted(&id, &client.client_id, true)
                        .await?;
                }
                print_secret(json, &tenant, &client, &secret)
            }
            ClientsCommand::List { .. } => {
                let clients = authbox.clients(&id).await?;
                let rows: Vec<_> = clients.iter().map(client_json).collect();
                let text = clients
                    .iter()
                    .map(|c| format!("{}  {}  {}", c.client_id, c.created_at, c.name))
                    .collect::<Vec<_>>()
                    .join("\n");
                print(json, json!({"tenant": tenant, "clients": rows}), text)
            }
            ClientsCommand::RotateSecret { client_id, .. } => {
                let (client, secret) = authbox.rotate_client_secret(&id, &client_id).await?;
                print_secret(json, &tenant, &client, &secret)
            }
            ClientsCommand::Update {
                client_id,
                trust_ip_header,
                ..
            } => {
                let client = authbox
                    .set_client_ip_header_trusted(&id, &client_id, trust_ip_header)
                    .await?;
                print(
                    json,
                    client_json(&client),
                    format!(
                        "application {client_id}: auth0-forwarded-for {}",
                        match client.ip_header_trusted {
                            true => "trusted",
                            false => "ignored",
                        }
                    ),
                )
            }
            ClientsCommand::Revoke { client_id, .. } => {
                authbox.revoke_client(&id, &client_id).await?;
                print(
                    json,
                    json!({"tenant": tenant, "revoked": client_id}),
                    format!("deleted application {client_id} of tenant `{tenant}`"),
                )
            }
        })
    };
    run.await.unwrap_or_else(failed)
}
