//! `authbox check SCRIPT`: is this file a valid script, and what does it do?

use std::path::PathBuf;

use authbox::runtime::capabilities::http::HttpConfig;
use authbox::runtime::{Action, JsSources, Language, LoadError, ScriptInfo};
use clap::Args;
use serde_json::json;

use super::script_file::{self, CacheArgs, ScriptFileError};
use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Check a script: prints the actions it implements, the capabilities it
/// imports, its size and its compile time. Exit 0 valid, 64 not.
#[derive(Args)]
pub struct CheckArgs {
    /// The script: a WebAssembly component built for wasm32-wasip2, or a directory of Auth0's
    /// JavaScript files (login.js, get_user.js, ...), or one of them.
    script: PathBuf,

    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    cache: CacheArgs,
}

/// Runs the command; returns the exit status.
pub async fn check(args: CheckArgs) -> u8 {
    let loaded = script_file::load(
        &args.script,
        None,
        &args.cache,
        false,
        HttpConfig::default(),
    )
    .await;
    // A directory is a connection's scripts: it needs login.js and get_user.js.
    let loaded = loaded.and_then(|(_, script)| {
        let missing: Vec<String> = [Action::Login, Action::GetUser]
            .into_iter()
            .filter(|a| !script.implements(*a))
            .map(JsSources::file_name)
            .collect();
        if args.script.is_dir() && !missing.is_empty() {
            return Err(ScriptFileError::Invalid(LoadError::MissingJavascript(
                missing,
            )));
        }
        Ok(script)
    });
    let script = match loaded {
        Ok(script) => script,
        Err(error) => {
            let status = if matches!(error, ScriptFileError::Runtime(_)) {
                EXIT_FAILURE
            } else {
                EXIT_USAGE
            };
            if args.json {
                println!("{}", json!({ "valid": false, "error": error.to_string() }));
            } else {
                eprintln!("error: {}: {error}", args.script.display());
            }
            return status;
        }
    };
    let info = script.info();
    if args.json {
        let mut report = serde_json::to_value(info).unwrap_or_default();
        report["valid"] = json!(true);
        report["load_ms"] = json!(info.load_time.as_secs_f64() * 1000.0);
        println!("{report}");
    } else {
        print_human(&args.script, info);
    }
    EXIT_OK
}

fn print_human(path: &std::path::Path, info: &ScriptInfo) {
    let actions: Vec<&str> = info.actions.iter().map(|a| a.name()).collect();
    let kind = match info.language {
        Language::Wasm => "custom-database script",
        Language::Javascript => "custom-database script (JavaScript)",
    };
    println!("{}: a valid {kind}", path.display());
    println!("  actions:  {}", actions.join(", "));
    println!("  imports:  {}", info.imports.join(", "));
    println!("  size:     {} bytes", info.size_bytes);
    println!("  sha256:   {}", info.sha256);
    let how = if info.compiled {
        "compiled"
    } else {
        "loaded from the artifact cache"
    };
    println!(
        "  load:     {how} in {:.1} ms",
        info.load_time.as_secs_f64() * 1000.0
    );
}
