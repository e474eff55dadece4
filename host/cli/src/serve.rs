//! `authbox serve`: the HTTP API on the store in `--data-dir` (SQLite) or
//! at `--database-url` (PostgreSQL).

use std::net::SocketAddr;
use std::path::PathBuf;

use authbox::flows::Authbox;
use authbox::mail::MailSettings;
use authbox_server::ServerSettings;
use clap::Args;
use ipnet::IpNet;

use super::admin::StoreArgs;
use super::demo;
use super::networks;
use super::settings_file::SettingsFile;
use super::{EXIT_FAILURE, EXIT_OK};

/// Serve the Management API over HTTP.
#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR", env = "AUTHBOX_LISTEN")]
    listen: Option<SocketAddr>,

    /// A TOML settings file with any of: listen, data_dir, database_url,
    /// secret_key_file, issuer, sqlite_dir, tenant_calls, tenant_calls_max,
    /// allow_private_networks, smtp_url, mail_from (flags and environment
    /// variables win over it).
    /// `--config FILE` and AUTHBOX_CONFIG, its old names, still work.
    #[arg(long, value_name = "FILE", env = "AUTHBOX_SETTINGS", alias = "config")]
    settings: Option<PathBuf>,

    /// The public base URL of this server, the `iss` of its tokens
    /// [default: http://ADDR/ of --listen].
    #[arg(long, value_name = "URL", env = "AUTHBOX_ISSUER")]
    issuer: Option<String>,

    /// The directory tenants' `sqlite:` data sources must be in (none: they
    /// are refused, so that a tenant cannot name any file of the server).
    #[arg(long, value_name = "DIR", env = "AUTHBOX_SQLITE_DIR")]
    sqlite_dir: Option<std::path::PathBuf>,

    #[arg(long = "allow-private-networks", value_name = "CIDR", env = "AUTHBOX_ALLOW_PRIVATE_NETWORKS", value_parser = networks::parse_network, value_delimiter = ',', help = networks::HELP)]
    allow_private_networks: Vec<IpNet>,

    /// Script calls one tenant may have in flight, unless its settings say
    /// otherwise; more wait (3 s at most, then 429) [default: 4 per core,
    /// at least 8].
    #[arg(long, value_name = "N", env = "AUTHBOX_TENANT_CALLS", value_parser = clap::value_parser!(u32).range(1..))]
    tenant_calls: Option<u32>,

    /// The most a tenant's or a connection's settings may set its cap on
    /// calls in flight to [default: --tenant-calls].
    #[arg(long, value_name = "N", env = "AUTHBOX_TENANT_CALLS_MAX", value_parser = clap::value_parser!(u32).range(1..))]
    tenant_calls_max: Option<u32>,

    /// The SMTP server that mails password-reset links to users, as
    /// `smtps://USER:PASS@HOST:465` (TLS), `smtp://USER:PASS@HOST:587?tls=required`
    /// (STARTTLS) or `smtp://HOST:25` (unencrypted); it holds a password, so
    /// prefer the environment variable or the settings file to the flag.
    /// Without one, a reset link goes into the tenant's log.
    #[arg(
        long,
        value_name = "URL",
        env = "AUTHBOX_SMTP_URL",
        hide_env_values = true
    )]
    smtp_url: Option<String>,

    /// The sender of those mails, e.g. "Acme <no-reply@acme.example>".
    #[arg(long, value_name = "MAILBOX", env = "AUTHBOX_MAIL_FROM")]
    mail_from: Option<String>,

    /// Set up (once) and serve a demo tenant: a `legacy` connection backed
    /// by the `sqlite` template and a sample legacy database, with its
    /// credentials and `curl` commands printed.
    #[arg(long)]
    demo: bool,

    /// The `sqlite` template for --demo.
    #[arg(long, value_name = "PATH", default_value = demo::DEFAULT_SCRIPT)]
    demo_script: PathBuf,

    #[command(flatten)]
    store: StoreArgs,
}

/// Completes at SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Opens the store with the tenants' shares of the host.
async fn open(args: &ServeArgs) -> Result<Authbox, String> {
    let mut config = args.store.config()?;
    let calls = &mut config.tenant_calls;
    if let Some(default) = args.tenant_calls {
        calls.default = default;
        calls.max = default;
    }
    if let Some(max) = args.tenant_calls_max {
        calls.max = max;
    }
    if calls.default == 0 {
        return Err("tenant_calls must be at least 1".into());
    }
    config.runtime.capabilities.http.allowed_private_networks = args.allow_private_networks.clone();
    config.mail = match (&args.smtp_url, &args.mail_from) {
        (Some(url), Some(from)) => Some(MailSettings::new(url, from)),
        (None, None) => None,
        _ => return Err("smtp_url and mail_from go together: set both, or neither".into()),
    };
    if calls.max < calls.default {
        return Err(format!(
            "--tenant-calls-max ({}) is below --tenant-calls ({}): raise it, or lower --tenant-calls",
            calls.max, calls.default
        ));
    }
    Authbox::open(config).await.map_err(|e| e.to_string())
}

/// Runs the server until a signal; returns the exit status.
pub async fn serve(mut args: ServeArgs) -> u8 {
    // The file's old environment variable.
    let path = args
        .settings
        .take()
        .or_else(|| std::env::var_os("AUTHBOX_CONFIG").map(PathBuf::from));
    let file = match path.as_deref().map(SettingsFile::read).transpose() {
        Ok(file) => file.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    args.store.data_dir = args.store.data_dir.or(file.data_dir);
    args.store.database_url = args.store.database_url.or(file.database_url);
    args.store.secret_key_file = args.store.secret_key_file.or(file.secret_key_file);
    args.issuer = args.issuer.or(file.issuer);
    args.sqlite_dir = args.sqlite_dir.or(file.sqlite_dir);
    args.tenant_calls = args.tenant_calls.or(file.tenant_calls);
    args.tenant_calls_max = args.tenant_calls_max.or(file.tenant_calls_max);
    args.smtp_url = args.smtp_url.or(file.smtp_url);
    args.mail_from = args.mail_from.or(file.mail_from);
    if args.allow_private_networks.is_empty() {
        args.allow_private_networks = file.allow_private_networks;
    }
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)));
    let authbox = match open(&args).await {
        Ok(authbox) => authbox,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: could not listen on {listen}: {e}");
            return EXIT_FAILURE;
        }
    };
    let address = listener.local_addr().map_or(listen, |a| a);
    let mut issuer = args.issuer.unwrap_or_else(|| format!("http://{address}/"));
    if !issuer.ends_with('/') {
        issuer.push('/');
    }
    let mut sqlite_dir = match args.sqlite_dir.map(std::fs::canonicalize).transpose() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: --sqlite-dir: {e}");
            return EXIT_FAILURE;
        }
    };
    if args.demo {
        let base = issuer.trim_end_matches('/');
        match demo::set_up(&authbox, &args.store.data_dir(), &args.demo_script, base).await {
            // The demo tenant's legacy database is where it may point.
            Ok(dir) => sqlite_dir = sqlite_dir.or(Some(dir)),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_FAILURE;
            }
        }
    }
    let settings = ServerSettings { issuer, sqlite_dir };
    eprintln!("authbox listening on http://{address}");
    let served =
        authbox_server::serve(listener, authbox.clone(), settings, shutdown_signal()).await;
    authbox.close().await;
    match served {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: the server stopped: {e}");
            EXIT_FAILURE
        }
    }
}
