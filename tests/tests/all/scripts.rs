//! Loading scripts and calling their actions through the library: the SDK's
//! action detection, the config and password capabilities, load errors and
//! the artifact cache.

use std::time::{Duration, Instant};

use crate::common::*;
use authbox::runtime::report::Outcome;
use authbox::runtime::{
    Action, ActionCall, CallContext, LoadError, NewUser, Runtime, RuntimeConfig,
};
use authbox_tests::{CONFIG_USERS, OTHER_WORLD, TRIVIAL};

fn users_config(hash: &str) -> String {
    serde_json::json!([
        { "id": "1", "email": "ada@example.com", "username": "ada", "password_hash": hash, "name": "Ada Lovelace",
          "email_verified": true, "user_metadata": { "lang": "en" } },
        { "id": "2", "email": "bob@example.com", "password_hash": hash }
    ])
    .to_string()
}

#[tokio::test]
async fn the_sdk_reports_exactly_the_implemented_actions() {
    let runtime = runtime();
    let trivial = load(&runtime, TRIVIAL).await;
    assert_eq!(
        trivial.info().actions,
        [Action::Login, Action::GetUser, Action::Delete]
    );
    let config_users = load(&runtime, CONFIG_USERS).await;
    assert_eq!(
        config_users.info().actions,
        [Action::Login, Action::GetUser]
    );
    assert!(
        trivial
            .info()
            .imports
            .iter()
            .any(|i| i.starts_with("authbox:script/log"))
    );
}

#[tokio::test]
async fn absent_actions_answer_not_implemented_and_present_ones_run() {
    let runtime = runtime();
    let trivial = load(&runtime, TRIVIAL).await;
    let ctx = CallContext::default();
    let create = ActionCall::Create(NewUser {
        email: "n@example.com".into(),
        password: "pw".into(),
        ..NewUser::default()
    });
    let report = report(&runtime, &trivial, create, &ctx).await;
    assert_eq!(report.outcome, Outcome::NotImplemented);
    assert!(
        report
            .error
            .unwrap()
            .message
            .contains("does not implement `create`")
    );
    let report = report_for(
        &runtime,
        &trivial,
        ActionCall::Delete {
            user_id: "1".into(),
        },
    )
    .await;
    assert_eq!(report.outcome, Outcome::Ok);
    let report = report_for(
        &runtime,
        &trivial,
        ActionCall::Delete {
            user_id: "9".into(),
        },
    )
    .await;
    assert_eq!(report.outcome, Outcome::Error);
    assert!(report.error.unwrap().message.contains("no user 9"));
    let report = report_for(
        &runtime,
        &trivial,
        ActionCall::GetUser {
            email: "nobody@example.com".into(),
        },
    )
    .await;
    assert_eq!(report.outcome, Outcome::NotFound);
}

async fn report_for(
    runtime: &Runtime,
    script: &authbox::runtime::Script,
    call: ActionCall,
) -> authbox::runtime::report::Report {
    report(runtime, script, call, &CallContext::default()).await
}

#[tokio::test]
async fn config_users_logs_in_with_a_bcrypt_hash_from_the_configuration() {
    let runtime = runtime();
    let script = load(&runtime, CONFIG_USERS).await;
    let users = users_config(&bcrypt::hash("correct horse", 4).unwrap());
    let ctx = context(
        &[("users", &users), ("id_prefix", "cfg")],
        Duration::from_secs(20),
    );

    let ok = report(
        &runtime,
        &script,
        login("ada@example.com", "correct horse"),
        &ctx,
    )
    .await;
    assert_eq!(ok.outcome, Outcome::Ok, "{ok:?}");
    let profile = ok.profile.clone().unwrap();
    assert_eq!(profile.user_id, "auth0|cfg|1");
    assert_eq!(profile.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(profile.user_metadata["lang"], "en");
    assert!(logs_text(&ok).contains("user 1 logged in"));

    let by_username = report(&runtime, &script, login("ada", "correct horse"), &ctx).await;
    assert_eq!(by_username.outcome, Outcome::Ok);

    let wrong = report(
        &runtime,
        &script,
        login("ada@example.com", "battery staple"),
        &ctx,
    )
    .await;
    assert_eq!(wrong.outcome, Outcome::WrongCredentials);
    assert_eq!(wrong.error.unwrap().user_id.as_deref(), Some("1"));

    let unknown = report(
        &runtime,
        &script,
        login("eve@example.com", "correct horse"),
        &ctx,
    )
    .await;
    assert_eq!(unknown.outcome, Outcome::WrongCredentials);

    let found = report(
        &runtime,
        &script,
        ActionCall::GetUser {
            email: "bob@example.com".into(),
        },
        &ctx,
    )
    .await;
    assert_eq!(found.profile.unwrap().nickname.as_deref(), Some("bob"));
    let missing = report(
        &runtime,
        &script,
        ActionCall::GetUser {
            email: "eve@example.com".into(),
        },
        &ctx,
    )
    .await;
    assert_eq!(missing.outcome, Outcome::NotFound);
}

#[tokio::test]
async fn missing_configuration_is_a_clear_error() {
    let runtime = runtime();
    let script = load(&runtime, CONFIG_USERS).await;
    let report = report(
        &runtime,
        &script,
        login("ada@example.com", "x"),
        &CallContext::default(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Error);
    assert!(
        report
            .error
            .unwrap()
            .message
            .contains("configuration has no `users`")
    );
    let ctx = context(&[("users", "not json")], Duration::from_secs(5));
    let report =
        crate::common::report(&runtime, &script, login("ada@example.com", "x"), &ctx).await;
    assert!(
        report
            .error
            .unwrap()
            .message
            .contains("`users` is not the expected JSON")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_hash_does_not_stall_other_calls() {
    let runtime = runtime();
    let config_users = load(&runtime, CONFIG_USERS).await;
    let trivial = load(&runtime, TRIVIAL).await;
    let users = users_config(&bcrypt::hash("pw", 13).unwrap());
    let ctx = context(&[("users", &users)], Duration::from_secs(20));
    let slow = async {
        let report = report(
            &runtime,
            &config_users,
            login("ada@example.com", "pw"),
            &ctx,
        )
        .await;
        assert_eq!(report.outcome, Outcome::Ok);
        Instant::now()
    };
    let fast = async {
        for _ in 0..20 {
            assert_still_serving(&runtime, &trivial).await;
        }
        Instant::now()
    };
    let (slow_done, fast_done) = tokio::join!(slow, fast);
    assert!(
        fast_done < slow_done,
        "20 fast calls waited for one cost-13 bcrypt verification"
    );
}

#[tokio::test]
async fn files_that_are_not_scripts_are_refused_with_the_reason() {
    let runtime = runtime();
    assert_eq!(
        runtime.load(b"garbage, not wasm").await.err(),
        Some(LoadError::NotWasm)
    );
    let core_module = b"\0asm\x01\0\0\0";
    assert_eq!(
        runtime.load(core_module).await.err(),
        Some(LoadError::CoreModule)
    );
    let other = std::fs::read(OTHER_WORLD).unwrap();
    match runtime.load(&other).await.err() {
        Some(LoadError::UnknownImports(names)) => assert_eq!(names, ["fixture:other/clock"]),
        other => panic!("expected UnknownImports, got {other:?}"),
    }
    let small = Runtime::new(RuntimeConfig {
        max_script_bytes: 1024,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let trivial = std::fs::read(TRIVIAL).unwrap();
    assert!(matches!(
        small.load(&trivial).await,
        Err(LoadError::TooLarge { limit: 1024, .. })
    ));
}

#[tokio::test]
async fn the_artifact_cache_skips_compilation_and_survives_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let config = || RuntimeConfig {
        cache_dir: Some(dir.path().to_owned()),
        ..RuntimeConfig::default()
    };
    let bytes = std::fs::read(TRIVIAL).unwrap();

    let first = Runtime::new(config()).unwrap().load(&bytes).await.unwrap();
    assert!(first.info().compiled);
    let second_runtime = Runtime::new(config()).unwrap();
    let second = second_runtime.load(&bytes).await.unwrap();
    assert!(
        !second.info().compiled,
        "a second load of the same script compiled again"
    );
    assert_still_serving(&second_runtime, &second).await;

    for entry in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"corrupted").unwrap();
    }
    let third_runtime = Runtime::new(config()).unwrap();
    let third = third_runtime.load(&bytes).await.unwrap();
    assert!(
        third.info().compiled,
        "a corrupt artifact must be recompiled"
    );
    assert_still_serving(&third_runtime, &third).await;
}
