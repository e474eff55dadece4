//! The `authbox` command: `run` an action of a script locally, `check` a
//! script, `hash-password` for seeding users, `serve` the HTTP API, and
//! `tenant`, `keys` and `clients` to set a deployment up, `secret-key` to
//! make and rotate the key that seals the store's secrets.

mod admin;
mod check;
mod demo;
mod hash_password;
mod networks;
mod run;
mod script_file;
mod secret_key;
mod serve;
mod settings_file;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status of a successful command.
const EXIT_OK: u8 = 0;
/// Exit status of a negative answer (unknown user, wrong password, `false`...).
const EXIT_NEGATIVE: u8 = 1;
/// Exit status of a script failure (error, timeout, trap, invalid profile...).
const EXIT_FAILURE: u8 = 2;
/// Exit status of a usage error or a file that is not a valid script.
const EXIT_USAGE: u8 = 64;

/// authbox runs custom-database scripts (WebAssembly components) in a sandbox.
///
/// Exit status: 0 success; 1 a negative answer (not found, wrong credentials,
/// unauthorized, user exists, validation, or `false`); 2 a script failure
/// (error, timeout, memory limit, trap, invalid profile, not implemented);
/// 64 a usage error or a file that is not a valid script.
#[derive(Parser)]
#[command(
    name = "authbox",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one action of a script and show the normalized profile, logs, time and memory.
    Run(Box<run::RunArgs>),
    /// Check that a file is a valid script: its actions, imports, size and compile time.
    Check(check::CheckArgs),
    /// Hash a password as scripts' `password::hash` does (for seeding users).
    HashPassword(hash_password::HashPasswordArgs),
    /// Serve the Management API over HTTP.
    Serve(serve::ServeArgs),
    /// Manage tenants (`authbox tenant create NAME`).
    Tenant(admin::TenantArgs),
    /// Manage Management API keys (`authbox keys create --tenant T --scopes ...`).
    Keys(admin::KeysArgs),
    /// Manage applications (`authbox clients create --tenant T`).
    Clients(admin::ClientsArgs),
    /// Make or rotate the key that seals the store's secrets (`authbox secret-key rotate --new-key-file PATH`).
    ///
    /// The key seals the connections' configuration and data-source URLs and the tenants' signing
    /// keys in the store. A process given a key other than the store's refuses to start, naming
    /// both keys' ids (never a key), and changes nothing.
    SecretKey(secret_key::SecretKeyArgs),
}

/// A server's requests allocate many small, short-lived values on several
/// threads, which mimalloc serves faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Parses the command line, runs the command and maps its result to an exit status.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // A server logs each request; a one-shot command only what went wrong.
    let default_filter = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AUTHBOX_LOG")
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let status = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(*args).await,
            Command::Check(args) => check::check(args).await,
            Command::HashPassword(args) => hash_password::hash_password(args),
            Command::Serve(args) => serve::serve(args).await,
            Command::Tenant(args) => admin::tenant(args).await,
            Command::Keys(args) => admin::keys(args).await,
            Command::Clients(args) => admin::clients(args).await,
            Command::SecretKey(args) => secret_key::secret_key(args).await,
        }
    });
    ExitCode::from(status)
}

/// A usage error: printed, and exit status 64.
fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_USAGE
}
