//! `authbox secret-key`: make a key file, and rotate the key that seals the
//! store's secrets (the connections' settings and the signing keys).

use std::path::{Path, PathBuf};

use authbox::store::{SecretKey, SecretKeySource, rotate_secret_key};
use clap::{Args, Subcommand};
use serde_json::json;

use super::admin::{StoreArgs, failed, print};

/// Make or rotate the key that seals the store's secrets (its help is the
/// `SecretKey` command's, in main.rs).
#[derive(Args)]
pub struct SecretKeyArgs {
    #[command(subcommand)]
    command: SecretKeyCommand,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum SecretKeyCommand {
    /// Write a new random key into a new file (readable by its owner only;
    /// an existing file is left as it is).
    Generate {
        /// The new key file.
        path: PathBuf,
    },
    /// Seal every secret of the store under a new key instead of the old
    /// one, in one transaction (all or nothing).
    ///
    /// First stop every authbox process using the store; after the
    /// rotation, start them with the new key: the old one is refused from
    /// then on. The old key is taken where `authbox serve` takes it:
    /// --secret-key-file, AUTHBOX_SECRET_KEY_FILE, AUTHBOX_SECRET_KEY, or
    /// DIR/secret.key of --data-dir; in that last case the new key replaces
    /// it in DIR/secret.key, so that the processes need no new setting.
    Rotate {
        /// The file of the new key (from `authbox secret-key generate PATH`).
        #[arg(long, value_name = "PATH")]
        new_key_file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Runs `authbox secret-key ...`.
pub async fn secret_key(args: SecretKeyArgs) -> u8 {
    match args.command {
        SecretKeyCommand::Generate { path } => match SecretKey::generate_file(&path) {
            Ok(key) => print(
                args.json,
                json!({"path": path, "key_id": key.id()}),
                format!(
                    "wrote a new secret key into {} (key id {}). Give it to every authbox \
                     process of the store: --secret-key-file {0}",
                    path.display(),
                    key.id()
                ),
            ),
            Err(e) => failed(e),
        },
        SecretKeyCommand::Rotate {
            new_key_file,
            store,
        } => rotate(args.json, &new_key_file, &store)
            .await
            .unwrap_or_else(failed),
    }
}

async fn rotate(json: bool, new_key_file: &Path, store: &StoreArgs) -> Result<u8, String> {
    let config = store.config()?;
    // The old key must be there: a rotation never makes one.
    let (source, data_dir_file) = match config.secret_key {
        SecretKeySource::Generated(path) => (SecretKeySource::File(path.clone()), Some(path)),
        other => (other, None),
    };
    let old = source.key(&config.store_url).map_err(|e| e.to_string())?;
    let new = SecretKey::read_file(new_key_file).map_err(|e| e.to_string())?;
    let rotation = rotate_secret_key(&config.store_url, &old, &new)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(path) = &data_dir_file {
        replace_key_file(path, new_key_file).map_err(|e| {
            format!(
                "the store is sealed with the new key {}, but {} could not be replaced by {}: \
                 {e}; copy it there, or start authbox with --secret-key-file {2}",
                rotation.new_key_id,
                path.display(),
                new_key_file.display()
            )
        })?;
    }
    let (key_file, start_with) = match &data_dir_file {
        Some(path) => (
            path.as_path(),
            "the data directory's key file, now the new key",
        ),
        None => (new_key_file, "the new key"),
    };
    Ok(print(
        json,
        json!({
            "old_key_id": rotation.old_key_id,
            "new_key_id": rotation.new_key_id,
            "values": rotation.values,
            "key_file": key_file,
        }),
        format!(
            "sealed {} values under secret key {} (was {}). Start authbox with {start_with}: {}",
            rotation.values,
            rotation.new_key_id,
            rotation.old_key_id,
            key_file.display()
        ),
    ))
}

/// Puts a copy of the key file `new` in place of `path`, whole or not at all.
fn replace_key_file(path: &Path, new: &Path) -> std::io::Result<()> {
    let temporary = path.with_extension("key.new");
    std::fs::copy(new, &temporary)?;
    #[cfg(unix)]
    std::fs::set_permissions(
        &temporary,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )?;
    std::fs::rename(&temporary, path)
}
