//! `authbox secret-key` through the binary: a key generated into the data
//! directory, a rotation after which the old key is refused at start and the
//! new one reads everything, and a PostgreSQL store with no key refused.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

use super::serve::{BIN, authbox, demo_credentials, login, spawn};

/// Runs `authbox` with `args`, without any key from the environment.
fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("AUTHBOX_SECRET_KEY")
        .env_remove("AUTHBOX_SECRET_KEY_FILE")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn a_rotation_refuses_the_old_key_at_start_and_the_new_key_reads_everything() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let store = vec!["--data-dir".to_string(), dir.clone()];
    let demo = ["--demo", "--demo-script", authbox_tests::SQLITE];

    // The first command on the data directory generates its key, and says
    // so without showing it.
    let first = Command::new(BIN)
        .args(["tenant", "create", "first", "--data-dir", &dir])
        .env("AUTHBOX_LOG", "info")
        .env_remove("AUTHBOX_SECRET_KEY")
        .env_remove("AUTHBOX_SECRET_KEY_FILE")
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let key_file = data.path().join("secret.key");
    let generated_key = std::fs::read_to_string(&key_file).unwrap();
    let log = stderr(&first);
    assert!(log.contains("generated the secret key"), "{log}");
    assert!(!log.contains(generated_key.trim()), "{log}");

    // The demo: a connection with a data source, and a signing key once a
    // token is issued.
    let mut server = spawn(&demo, &store);
    let tenant = demo_credentials(&mut server);
    login(&server, &tenant).await;
    assert_eq!(server.stop(), Some(0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let old_key = data.path().join("old.key");
    std::fs::copy(&key_file, &old_key).unwrap();

    // A new key file; an existing one is never replaced.
    let keys = tempfile::tempdir().unwrap();
    let new_key = keys.path().join("new.key").display().to_string();
    let generated = authbox(&["secret-key", "generate", &new_key], &[]);
    let again = run(&["secret-key", "generate", &new_key]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    // Neither a wrong old key nor the key in use rotates anything.
    let other_key = keys.path().join("other.key").display().to_string();
    authbox(&["secret-key", "generate", &other_key], &[]);
    for (old, refusal) in [
        (&other_key, "nothing in the store was changed"),
        (&new_key, "the new secret key is the key in use"),
    ] {
        let rotate = ["secret-key", "rotate", "--new-key-file", &new_key];
        let refused = run(&[&rotate[..], &["--data-dir", &dir, "--secret-key-file", old]].concat());
        assert_eq!(refused.status.code(), Some(2));
        assert!(stderr(&refused).contains(refusal), "{}", stderr(&refused));
    }

    let rotated = authbox(
        &["secret-key", "rotate", "--new-key-file", &new_key],
        &store,
    );
    assert_eq!(rotated["new_key_id"], generated["key_id"]);
    assert_ne!(rotated["old_key_id"], rotated["new_key_id"]);
    assert_eq!(rotated["values"], json!(2));
    assert_eq!(rotated["key_file"], json!(key_file));
    assert_eq!(
        std::fs::read(&key_file).unwrap(),
        std::fs::read(&new_key).unwrap()
    );

    // The old key is refused at start, naming both keys, never showing one.
    let old_key_arg = old_key.display().to_string();
    let refused = run(&[
        "serve",
        "--data-dir",
        &dir,
        "--secret-key-file",
        &old_key_arg,
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let error = stderr(&refused);
    for id in [&rotated["old_key_id"], &rotated["new_key_id"]] {
        assert!(error.contains(id.as_str().unwrap()), "{error}");
    }
    assert!(
        error.contains("nothing in the store was changed"),
        "{error}"
    );
    let old_text = std::fs::read_to_string(&old_key).unwrap();
    assert!(!error.contains(old_text.trim()), "{error}");

    // The new key (now in the data directory, or given as base64) reads
    // everything: the demo's tenant logs in, its token signed by its key.
    let mut server = spawn(&demo, &store);
    let again = demo_credentials(&mut server);
    assert_eq!(again.key, tenant.key);
    login(&server, &again).await;
    assert_eq!(server.stop(), Some(0));
    let new_text = std::fs::read_to_string(&new_key).unwrap();
    let listed = Command::new(BIN)
        .args([
            "keys",
            "list",
            "--tenant",
            "demo",
            "--data-dir",
            &dir,
            "--json",
        ])
        .env("AUTHBOX_SECRET_KEY", new_text.trim())
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
}

#[test]
fn serve_on_postgres_without_a_key_refuses_to_start_and_says_how_to_give_one() {
    // Refused before any connection: a server is not needed, but is used
    // when there is one.
    let url = std::env::var("AUTHBOX_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let output = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &dir,
        "--database-url",
        &url,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("a PostgreSQL store needs a secret key"),
        "{error}"
    );
    for how in [
        "authbox secret-key generate PATH",
        "--secret-key-file",
        "AUTHBOX_SECRET_KEY",
    ] {
        assert!(error.contains(how), "{error}");
    }
    // No key was made for it.
    assert!(!Path::new(&dir).join("secret.key").exists());
}
