//! `authbox run SCRIPT ACTION [ARGS]`: one call, reported for people or as JSON.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use authbox::runtime::capabilities::http::{AllowedHosts, HttpConfig, HttpSettings};
use authbox::runtime::capabilities::sql::{DataSource, DataSources};
use authbox::runtime::profile::{
    DEFAULT_CONNECTION, DEFAULT_MAX_PROFILE_BYTES, DEFAULT_PROVIDER, ProfileSource,
};
use authbox::runtime::report::{Report, Verdict};
use authbox::runtime::{ActionCall, CallContext, CallLimits, CapabilitySettings, NewUser};
use clap::{Args, Subcommand};
use ipnet::IpNet;
use serde_json::{Map, Value};

use super::networks;
use super::script_file::{self, CacheArgs, ScriptFileError};
use super::{EXIT_FAILURE, EXIT_NEGATIVE, EXIT_OK, usage_error};

/// Run one action of a script.
///
/// Examples:
///   authbox run users.wasm login ada@example.com - --config-file users.json < password.txt
///   authbox run users.wasm get-user ada@example.com --json
///   authbox run postgres.wasm login ada@example.com - --datasource users=postgres://app@localhost/legacy
///   authbox run rest-api.wasm login ada@example.com - --config api_url=https://users.example.com --allow-host users.example.com
///   authbox run auth0-scripts/ login ada@example.com - --datasource users=postgres://app@localhost/legacy
///   authbox run get_user.js get-user ada@example.com --json
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct RunArgs {
    /// The script: a WebAssembly component built for wasm32-wasip2; or JavaScript written for
    /// Auth0: a directory of its script files (login.js, get_user.js, ...) or one .js file (the
    /// script of the action run here, unless its name says another).
    script: PathBuf,

    #[command(subcommand)]
    action: ActionArgs,

    /// A configuration value for the script (repeatable).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value, global = true)]
    config: Vec<(String, String)>,

    /// Configuration from a JSON object file; non-string values are passed as JSON text. `--config` wins.
    #[arg(long, value_name = "FILE", global = true)]
    config_file: Option<PathBuf>,

    /// A database the script may query, by name (repeatable): postgres://USER:PASSWORD@HOST/DB,
    /// mysql://USER:PASSWORD@HOST/DB (MySQL or MariaDB) or sqlite:PATH. The templates use `users`.
    #[arg(long = "datasource", value_name = "NAME=URL", global = true)]
    datasources: Vec<String>,

    /// An origin the script may send HTTP requests to (repeatable): HOST, *.DOMAIN, HOST:PORT,
    /// or http://HOST[:PORT] for plain HTTP (HTTPS and the default port otherwise). None: no network.
    #[arg(long = "allow-host", value_name = "HOST", global = true)]
    allowed_hosts: Vec<String>,

    #[arg(long = "allow-private-networks", value_name = "CIDR", value_parser = networks::parse_network, value_delimiter = ',', help = networks::HELP, global = true)]
    allow_private_networks: Vec<IpNet>,

    /// The connection's name, as the profile's identity shows it.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_CONNECTION, global = true)]
    connection: String,

    /// The provider prefix of the profile's `user_id`.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROVIDER, global = true)]
    provider: String,

    /// Wall-clock limit of the call, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    timeout_ms: u64,

    /// Linear memory limit of the call, in MiB (at most 256).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=256), global = true)]
    memory_mb: u64,

    /// Meter fuel and stop the call after N units (reported as `fuel_consumed`).
    #[arg(long, value_name = "N", global = true)]
    fuel: Option<u64>,

    /// Print exactly one JSON object on stdout.
    #[arg(long, global = true)]
    json: bool,

    #[command(flatten)]
    cache: CacheArgs,
}

/// The action and its arguments. A password of `-` is read from stdin.
#[derive(Subcommand)]
enum ActionArgs {
    /// login USERNAME_OR_EMAIL PASSWORD
    Login {
        username_or_email: String,
        password: String,
    },
    /// get-user EMAIL
    GetUser { email: String },
    /// create --email E --password P [--username U] [--user-metadata JSON] [--app-metadata JSON]
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        phone_number: Option<String>,
        #[arg(long, value_name = "JSON")]
        user_metadata: Option<String>,
        #[arg(long, value_name = "JSON")]
        app_metadata: Option<String>,
    },
    /// verify EMAIL
    Verify { email: String },
    /// change-password EMAIL NEW_PASSWORD
    ChangePassword { email: String, new_password: String },
    /// delete USER_ID (the id without provider prefix)
    Delete { user_id: String },
    /// change-email EMAIL NEW_EMAIL [--verified]
    ChangeEmail {
        email: String,
        new_email: String,
        #[arg(long)]
        verified: bool,
    },
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// `-` means: the first line of stdin.
pub(super) fn password(value: String) -> Result<String, String> {
    if value != "-" {
        return Ok(value);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn metadata(flag: &str, text: Option<String>) -> Result<Option<Map<String, Value>>, String> {
    let Some(text) = text else { return Ok(None) };
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(format!("--{flag} must be a JSON object")),
        Err(e) => Err(format!("--{flag} is not valid JSON: {e}")),
    }
}

fn action_call(action: ActionArgs) -> Result<ActionCall, String> {
    Ok(match action {
        ActionArgs::Login {
            username_or_email,
            password: p,
        } => ActionCall::Login {
            username_or_email,
            password: password(p)?,
        },
        ActionArgs::GetUser { email } => ActionCall::GetUser { email },
        ActionArgs::Create {
            email,
            password: p,
            username,
            phone_number,
            user_metadata,
            app_metadata,
        } => ActionCall::Create(NewUser {
            email,
            password: password(p)?,
            username,
            phone_number,
            user_metadata: metadata("user-metadata", user_metadata)?,
            app_metadata: metadata("app-metadata", app_metadata)?,
        }),
        ActionArgs::Verify { email } => ActionCall::Verify { email },
        ActionArgs::ChangePassword {
            email,
            new_password,
        } => ActionCall::ChangePassword {
            email,
            new_password: password(new_password)?,
        },
        ActionArgs::Delete { user_id } => ActionCall::Delete { user_id },
        ActionArgs::ChangeEmail {
            email,
            new_email,
            verified,
        } => ActionCall::ChangeEmail {
            email,
            new_email,
            verified,
        },
    })
}

/// The `--datasource` values; errors never repeat a URL (it may hold a password).
fn datasources(values: &[String]) -> Result<DataSources, String> {
    let parsed = values
        .iter()
        .map(|value| {
            value.parse::<DataSource>().map_err(|e| {
                let name = value.split_once('=').map_or("?", |(name, _)| name);
                format!("--datasource {name}=…: {e}")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    DataSources::new(parsed).map_err(|e| format!("--datasource: {e}"))
}

fn configuration(
    file: Option<&PathBuf>,
    pairs: Vec<(String, String)>,
) -> Result<BTreeMap<String, String>, String> {
    let mut config = BTreeMap::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let Ok(Value::Object(object)) = serde_json::from_str(&text) else {
            return Err(format!(
                "{} must hold a JSON object of configuration keys",
                path.display()
            ));
        };
        for (key, value) in object {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            config.insert(key, text);
        }
    }
    config.extend(pairs);
    Ok(config)
}

/// Runs the command; returns the exit status.
pub async fn run(args: RunArgs) -> u8 {
    let call = match action_call(args.action) {
        Ok(call) => call,
        Err(message) => return usage_error(message),
    };
    let config = match configuration(args.config_file.as_ref(), args.config) {
        Ok(config) => config,
        Err(message) => return usage_error(message),
    };
    let datasources = match datasources(&args.datasources) {
        Ok(datasources) => datasources,
        Err(message) => return usage_error(message),
    };
    let allowed_hosts = match AllowedHosts::parse(&args.allowed_hosts) {
        Ok(allowed) => allowed,
        Err(e) => return usage_error(format!("--allow-host: {e}")),
    };
    let http = HttpConfig {
        allowed_private_networks: args.allow_private_networks,
        ..HttpConfig::default()
    };
    let (runtime, script) = match script_file::load(
        &args.script,
        Some(call.action()),
        &args.cache,
        args.fuel.is_some(),
        http,
    )
    .await
    {
        Ok(loaded) => loaded,
        Err(ScriptFileError::Runtime(message)) => {
            eprintln!("error: {message}");
            return EXIT_FAILURE;
        }
        Err(e) => return usage_error(format!("{}: {e}", args.script.display())),
    };
    let ctx = CallContext {
        capabilities: CapabilitySettings {
            config: Arc::new(config),
            sql: datasources,
            http: HttpSettings::new(allowed_hosts),
            ..CapabilitySettings::default()
        },
        limits: CallLimits {
            timeout: Duration::from_millis(args.timeout_ms),
            memory_bytes: (args.memory_mb as usize) << 20,
            fuel: args.fuel,
            ..CallLimits::default()
        },
        // One local caller: no share to keep.
        ..CallContext::default()
    };
    let source = ProfileSource {
        provider: args.provider,
        connection: args.connection,
        max_profile_bytes: DEFAULT_MAX_PROFILE_BYTES,
    };
    let action = call.action();
    let result = runtime.call(&script, &call, &ctx).await;
    ctx.capabilities.sql.close().await;
    let report = Report::new(action, result, &source);
    if args.json {
        match serde_json::to_string(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("error: could not encode the report: {e}");
                return EXIT_FAILURE;
            }
        }
    } else {
        print_human(&report);
    }
    match report.verdict() {
        Verdict::Success => EXIT_OK,
        Verdict::Negative => EXIT_NEGATIVE,
        Verdict::Failure => EXIT_FAILURE,
    }
}

fn print_human(report: &Report) {
    let outcome = serde_json::to_value(report.outcome).unwrap_or_default();
    let outcome = outcome.as_str().unwrap_or("?");
    match (&report.error, report.result) {
        (Some(error), _) => println!("{}: {outcome}: {}", report.action, error.message),
        (None, Some(answer)) => println!(
            "{}: {outcome} (the script answered {answer})",
            report.action
        ),
        (None, None) => println!("{}: {outcome}", report.action),
    }
    if let Some(profile) = &report.profile {
        println!("profile:");
        let pretty = serde_json::to_string_pretty(profile).unwrap_or_default();
        for line in pretty.lines() {
            println!("  {line}");
        }
    }
    if !report.logs.is_empty() {
        println!("logs:");
        for line in &report.logs {
            let level = serde_json::to_value(line.level).unwrap_or_default();
            println!("  {:<6} {}", level.as_str().unwrap_or("?"), line.message);
        }
    }
    let stats = &report.stats;
    let fuel = stats
        .fuel_consumed
        .map(|f| format!(", fuel {f}"))
        .unwrap_or_default();
    println!(
        "stats: {:.3} ms, peak memory {:.2} MiB{fuel}",
        stats.duration_us as f64 / 1000.0,
        stats.peak_memory_bytes as f64 / (1 << 20) as f64
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_values() {
        assert_eq!(parse_key_value("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
    }

    #[test]
    fn metadata_must_be_an_object() {
        assert!(
            metadata("user-metadata", Some("[1]".into()))
                .unwrap_err()
                .contains("JSON object")
        );
        assert!(
            metadata("user-metadata", Some("{".into()))
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert_eq!(
            metadata("m", Some(r#"{"a":1}"#.into())).unwrap().unwrap()["a"],
            1
        );
    }
}
