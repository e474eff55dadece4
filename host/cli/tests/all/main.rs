//! The `authbox` binary's black-box tests, in one binary: the CLI's
//! commands, `authbox serve` over HTTP, and the SQL templates through the
//! CLI.

mod cli;
mod serve;
mod sql_cli;
