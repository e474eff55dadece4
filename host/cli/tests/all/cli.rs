//! The `authbox` binary, black-box: exit statuses, `--json` reports, stdin
//! passwords, `check`, and refusals of files that are not scripts.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use authbox_tests::{CONFIG_USERS, HOSTILE, OTHER_WORLD, TRIVIAL};
use serde_json::Value;

fn authbox(args: &[&str], stdin: &str) -> Output {
    let cache = std::env::temp_dir().join("authbox-cli-tests-cache");
    let mut child = Command::new(env!("CARGO_BIN_EXE_authbox"))
        .args(args)
        .env("AUTHBOX_CACHE_DIR", cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the authbox binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn status(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

/// Exactly one JSON object on stdout.
fn json(output: &Output) -> Value {
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(
        stdout.trim_end().lines().count(),
        1,
        "one line of JSON: {stdout}"
    );
    let value: Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert!(value.is_object());
    value
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_login_prints_the_normalized_profile_as_json() {
    let out = authbox(
        &[
            "run",
            TRIVIAL,
            "login",
            "ok@example.com",
            "secret",
            "--json",
            "--connection",
            "legacy",
        ],
        "",
    );
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["action"], "login");
    assert_eq!(report["outcome"], "ok");
    assert_eq!(report["profile"]["user_id"], "auth0|trivial|1");
    assert_eq!(report["profile"]["identities"][0]["connection"], "legacy");
    assert_eq!(report["profile"]["nickname"], "ok");
    assert_eq!(
        report["logs"][0],
        serde_json::json!({"level": "info", "message": "login ok"})
    );
    assert!(report["stats"]["duration_us"].as_u64().unwrap() > 0);
    assert!(report["stats"]["peak_memory_bytes"].as_u64().unwrap() > 0);
    assert!(report["stats"].get("fuel_consumed").is_none());
    assert!(report.get("error").is_none());
}

#[test]
fn the_human_report_shows_outcome_profile_logs_and_stats() {
    let out = authbox(&["run", TRIVIAL, "login", "ok@example.com", "secret"], "");
    assert_eq!(status(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "login: ok",
        "\"user_id\": \"auth0|trivial|1\"",
        "info   login ok",
        "stats: ",
        "peak memory",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn negative_answers_exit_1() {
    let out = authbox(
        &["run", TRIVIAL, "login", "ok@example.com", "wrong", "--json"],
        "",
    );
    assert_eq!(status(&out), 1);
    assert_eq!(json(&out)["outcome"], "wrong_credentials");
    let out = authbox(
        &["run", TRIVIAL, "get-user", "nobody@example.com", "--json"],
        "",
    );
    assert_eq!(status(&out), 1);
    assert_eq!(json(&out)["outcome"], "not_found");
}

#[test]
fn script_failures_exit_2() {
    let out = authbox(&["run", TRIVIAL, "verify", "ok@example.com", "--json"], "");
    assert_eq!(status(&out), 2);
    assert_eq!(json(&out)["outcome"], "not_implemented");
    let out = authbox(
        &[
            "run",
            HOSTILE,
            "login",
            "loop",
            "x",
            "--timeout-ms",
            "200",
            "--json",
        ],
        "",
    );
    assert_eq!(status(&out), 2);
    assert_eq!(json(&out)["error"]["kind"], "timeout");
    let out = authbox(
        &[
            "run",
            HOSTILE,
            "login",
            "grow",
            "x",
            "--memory-mb",
            "8",
            "--json",
        ],
        "",
    );
    assert_eq!(status(&out), 2);
    assert_eq!(json(&out)["outcome"], "memory_limit");
    let out = authbox(&["run", HOSTILE, "login", "bad-email", "x", "--json"], "");
    assert_eq!(status(&out), 2);
    let report = json(&out);
    assert_eq!(report["outcome"], "invalid_profile");
    assert_eq!(report["error"]["field"], "email");
}

#[test]
fn fuel_is_metered_on_request() {
    let out = authbox(
        &[
            "run",
            TRIVIAL,
            "login",
            "ok@example.com",
            "secret",
            "--fuel",
            "100000000",
            "--json",
        ],
        "",
    );
    assert_eq!(status(&out), 0);
    assert!(json(&out)["stats"]["fuel_consumed"].as_u64().unwrap() > 0);
    let out = authbox(
        &[
            "run", HOSTILE, "login", "loop", "x", "--fuel", "1000", "--json",
        ],
        "",
    );
    assert_eq!(status(&out), 2);
    assert_eq!(json(&out)["outcome"], "trap");
}

#[test]
fn passwords_and_configuration_come_from_stdin_and_flags() {
    let hash = authbox(&["hash-password", "--cost", "4"], "pa55 word\n");
    assert_eq!(status(&hash), 0, "{}", stderr(&hash));
    let hash = String::from_utf8(hash.stdout).unwrap().trim().to_owned();
    assert!(hash.starts_with("$2b$04$"), "{hash}");
    let users =
        serde_json::json!([{ "id": "7", "email": "cy@example.com", "password_hash": hash }])
            .to_string();
    let config = format!("users={users}");

    let out = authbox(
        &[
            "run",
            CONFIG_USERS,
            "login",
            "cy@example.com",
            "-",
            "--config",
            &config,
            "--json",
        ],
        "pa55 word\n",
    );
    assert_eq!(status(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(json(&out)["profile"]["user_id"], "auth0|config-users|7");

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        format!(r#"{{"users": {users}, "id_prefix": "file"}}"#),
    )
    .unwrap();
    let path = file.path().to_str().unwrap();
    let out = authbox(
        &[
            "run",
            CONFIG_USERS,
            "login",
            "cy@example.com",
            "pa55 word",
            "--config-file",
            path,
            "--json",
        ],
        "",
    );
    assert_eq!(json(&out)["profile"]["user_id"], "auth0|file|7");
    let out = authbox(
        &[
            "run",
            CONFIG_USERS,
            "login",
            "cy@example.com",
            "nope",
            "--config-file",
            path,
            "--json",
        ],
        "",
    );
    assert_eq!(status(&out), 1);
}

#[test]
fn check_describes_a_valid_script() {
    let out = authbox(&["check", TRIVIAL, "--json"], "");
    assert_eq!(status(&out), 0);
    let report = json(&out);
    assert_eq!(report["valid"], true);
    assert_eq!(
        report["actions"],
        serde_json::json!(["login", "get-user", "delete"])
    );
    assert!(
        report["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i.as_str().unwrap().starts_with("authbox:script/log"))
    );
    assert!(report["size_bytes"].as_u64().unwrap() > 1000);
    assert!(report["load_ms"].as_f64().unwrap() > 0.0);
    let out = authbox(&["check", TRIVIAL, "--no-cache"], "");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("actions:  login, get-user, delete") && text.contains("compiled in"),
        "{text}"
    );
}

#[test]
fn files_that_are_not_scripts_exit_64_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, "definitely not wasm").unwrap();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let cases = [
        (garbage.to_str().unwrap(), "not a WebAssembly file"),
        (
            core.to_str().unwrap(),
            "core WebAssembly module, not a component",
        ),
        (OTHER_WORLD, "imports `fixture:other/clock`"),
        ("/no/such/file.wasm", "cannot read"),
    ];
    for (path, reason) in cases {
        let out = authbox(&["check", path], "");
        assert_eq!(status(&out), 64, "check {path}");
        assert!(
            stderr(&out).contains(reason),
            "check {path}: {}",
            stderr(&out)
        );
        let out = authbox(&["run", path, "login", "a", "b"], "");
        assert_eq!(status(&out), 64, "run {path}");
        assert!(
            stderr(&out).contains(reason),
            "run {path}: {}",
            stderr(&out)
        );
    }
    let out = authbox(&["check", OTHER_WORLD, "--json"], "");
    assert_eq!(json(&out)["valid"], false);
}

#[test]
fn usage_errors_exit_64_and_help_exits_0() {
    assert_eq!(
        status(&authbox(&["run", TRIVIAL, "login", "only-one-arg"], "")),
        64
    );
    assert_eq!(status(&authbox(&["run", TRIVIAL, "fly"], "")), 64);
    assert_eq!(
        status(&authbox(
            &["run", TRIVIAL, "get-user", "a@b.co", "--timeout-ms", "0"],
            ""
        )),
        64
    );
    let bad_metadata = authbox(
        &[
            "run",
            TRIVIAL,
            "create",
            "--email",
            "a@b.co",
            "--password",
            "p",
            "--user-metadata",
            "[1]",
        ],
        "",
    );
    assert_eq!(status(&bad_metadata), 64);
    assert!(stderr(&bad_metadata).contains("--user-metadata must be a JSON object"));
    let help = authbox(&["run", "--help"], "");
    assert_eq!(status(&help), 0);
    let help = String::from_utf8(help.stdout).unwrap();
    for item in [
        "--config <KEY=VALUE>",
        "--config-file",
        "--timeout-ms",
        "--memory-mb",
        "--fuel",
        "--json",
        "change-email",
    ] {
        assert!(help.contains(item), "{item} missing from help:\n{help}");
    }
}
