//! Running cargo for a guest workspace (built for `wasm32-wasip2`) from a
//! build script: shared by `host/runtime/build.rs` (the JavaScript engine)
//! and `tests/build.rs` (the fixtures and templates).
//!
//! The inner cargo gets its own target directory (sharing the outer one would
//! wait forever on its lock) and none of the outer build's `CARGO_*` /
//! `RUSTFLAGS` settings, which describe the host build, not the guests'.

use std::path::Path;
use std::process::Command;
use std::{env, fs};

/// The guests' target.
pub const TARGET: &str = "wasm32-wasip2";

/// Outer-build variables that would leak into the inner cargo.
const LEAKY_VARS: &[&str] = &[
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_LINKER",
    "MAKEFLAGS",
    "MFLAGS",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "OPT_LEVEL",
    "PROFILE",
    "DEBUG",
    "NUM_JOBS",
];

/// `CARGO_*` variables the inner cargo still needs (where crates come from).
const KEPT_CARGO_PREFIXES: &[&str] = &[
    "CARGO_HOME",
    "CARGO_NET_",
    "CARGO_HTTP_",
    "CARGO_REGISTRIES_",
];

/// `cargo build --release --workspace --target wasm32-wasip2` in `dir`,
/// into `target_dir`, with a clean environment; the caller adds what the
/// guests need and runs it.
pub fn build_command(dir: &Path, target_dir: &Path) -> Command {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .args(["build", "--release", "--workspace", "--target", TARGET])
        .arg("--target-dir")
        .arg(target_dir);
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let leaky_cargo =
            key.starts_with("CARGO") && !KEPT_CARGO_PREFIXES.iter().any(|p| key.starts_with(p));
        if leaky_cargo || LEAKY_VARS.contains(&key) || key.starts_with("DEP_") {
            command.env_remove(key);
        }
    }
    command
}

/// Where the release build of `crate_name` lands.
pub fn artifact(target_dir: &Path, crate_name: &str) -> std::path::PathBuf {
    target_dir
        .join(TARGET)
        .join("release")
        .join(format!("{}.wasm", crate_name.replace('-', "_")))
}

/// Reruns the build script when any source file below `dir` changes (build
/// output excluded).
pub fn watch(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                watch(&path);
            }
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}
