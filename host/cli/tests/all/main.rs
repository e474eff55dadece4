//! The `authbox` binary's black-box tests, in one binary: the CLI's
//! commands, `authbox serve` over HTTP, the secret key's commands, and the
//! SQL and REST templates through the CLI.

mod cli;
mod javascript_cli;
mod rest_api;
mod secret_key;
mod serve;
mod sql_cli;
