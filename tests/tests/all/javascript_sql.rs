//! The JavaScript templates (`scripts/javascript/{postgres,mysql}/`, written
//! as Auth0's custom-database scripts are: `require('pg')`,
//! `require('mysql')`, `mysql2/promise`, callbacks, promises and async
//! functions) against the real servers: all six actions, their negative
//! paths, a connection string that names the data source, and untyped
//! parameters (`DELETE ... WHERE id = $1` with the id as text).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;
use authbox::runtime::capabilities::sql::{DataSource, DataSourceSettings, DataSources};
use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{Action, ActionCall, CallContext, JsSources, NewUser, Runtime, Script};
use authbox_tests::legacy::{Backend, LegacyDb};

fn template(backend: Backend) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/javascript")
        .join(backend.template())
}

struct Connection {
    runtime: Runtime,
    script: Script,
    ctx: CallContext,
}

impl Connection {
    async fn call(&self, call: ActionCall) -> Report {
        report(&self.runtime, &self.script, call, &self.ctx).await
    }

    async fn create(&self, email: &str, password: &str) -> Report {
        self.call(ActionCall::Create(NewUser {
            email: email.into(),
            password: password.into(),
            ..NewUser::default()
        }))
        .await
    }

    async fn get_user(&self, email: &str) -> Report {
        self.call(ActionCall::GetUser {
            email: email.into(),
        })
        .await
    }

    async fn email_action(&self, action: Action, email: &str, new_password: &str) -> Report {
        self.call(match action {
            Action::Verify => ActionCall::Verify {
                email: email.into(),
            },
            _ => ActionCall::ChangePassword {
                email: email.into(),
                new_password: new_password.into(),
            },
        })
        .await
    }
}

async fn every_action(backend: Backend) {
    let test = "javascript_every_action";
    if javascript_unavailable(test) {
        return;
    }
    let Some(db) = LegacyDb::empty(backend, test).await else {
        return;
    };
    let dir = template(backend);
    db.run_sql(&std::fs::read_to_string(dir.join("schema.sql")).unwrap())
        .await;
    let runtime = js_runtime();
    let script = runtime
        .load(&JsSources::from_dir(&dir).unwrap().to_bytes())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut ctx = context(&[], Duration::from_secs(20));
    // The data source is called as the scripts name their database.
    ctx.capabilities.sql = DataSources::new([DataSource::new(
        "users",
        db.url.parse().unwrap(),
        DataSourceSettings::default(),
    )
    .unwrap()])
    .unwrap();
    let c = Connection {
        runtime,
        script,
        ctx,
    };
    let ok = |report: &Report, what: &str| {
        assert_eq!(report.outcome, Outcome::Ok, "{what}: {report:#?}")
    };

    let created = c.create("ada@example.com", "correct horse").await;
    ok(&created, "create");
    let again = c.create("ada@example.com", "other").await;
    assert_eq!(again.outcome, Outcome::UserExists, "{again:#?}");

    let logged_in = c.call(login("ada@example.com", "correct horse")).await;
    ok(&logged_in, "login");
    let profile = logged_in.profile.unwrap();
    assert_eq!(profile.email.as_deref(), Some("ada@example.com"));
    assert_eq!(profile.nickname.as_deref(), Some("ada"));
    assert_eq!(profile.email_verified, Some(false));
    let id = profile.identities[0].user_id.clone();
    assert!(id.parse::<i64>().is_ok(), "a numeric id, as text: {id}");

    let wrong = c.call(login("ada@example.com", "wrong")).await;
    assert_eq!(wrong.outcome, Outcome::WrongCredentials, "{wrong:#?}");
    let unknown = c.call(login("nobody@example.com", "x")).await;
    assert_eq!(unknown.outcome, Outcome::WrongCredentials, "{unknown:#?}");

    let found = c.get_user("ada@example.com").await;
    ok(&found, "get_user");
    let found = found.profile.unwrap();
    // created_at came back as a Date (toISOString worked on it).
    let since = found.app_metadata["member_since"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(since.ends_with('Z') && since.len() == 24, "{since}");
    assert_eq!(
        c.get_user("nobody@example.com").await.outcome,
        Outcome::NotFound
    );

    let verified = c.email_action(Action::Verify, "ada@example.com", "").await;
    assert_eq!(verified.result, Some(true), "{verified:#?}");
    let twice = c.email_action(Action::Verify, "ada@example.com", "").await;
    assert_eq!(twice.result, Some(false), "{twice:#?}");
    let relogin = c.call(login("ada@example.com", "correct horse")).await;
    assert_eq!(relogin.profile.unwrap().email_verified, Some(true));

    let changed = c
        .email_action(Action::ChangePassword, "ada@example.com", "battery staple")
        .await;
    assert_eq!(changed.result, Some(true), "{changed:#?}");
    let unknown = c
        .email_action(Action::ChangePassword, "nobody@example.com", "x")
        .await;
    assert_eq!(unknown.result, Some(false), "{unknown:#?}");
    ok(
        &c.call(login("ada@example.com", "battery staple")).await,
        "new password",
    );
    assert_eq!(
        c.call(login("ada@example.com", "correct horse"))
            .await
            .outcome,
        Outcome::WrongCredentials
    );

    let deleted = c.call(ActionCall::Delete { user_id: id }).await;
    ok(&deleted, "delete");
    assert_eq!(
        c.get_user("ada@example.com").await.outcome,
        Outcome::NotFound
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM users").await, 0);
    db.drop().await;
}

#[tokio::test]
async fn the_postgres_javascript_runs_every_action() {
    every_action(Backend::Postgres).await;
}

#[tokio::test]
async fn the_mysql_javascript_runs_every_action() {
    every_action(Backend::MySql).await;
}

#[tokio::test]
async fn a_connection_without_that_kind_of_data_source_is_a_clear_error() {
    let test = "a_connection_without_that_kind_of_data_source_is_a_clear_error";
    if javascript_unavailable(test) {
        return;
    }
    let report = js_login(
        &js_runtime(),
        "function login(email, password, callback) { require('pg').connect('postgres://x/users', function (err) { callback(err); }); }",
        &CallContext::default(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Error, "{report:#?}");
    let message = report.error.unwrap().message;
    assert!(
        message.contains("no postgres data source") && message.contains("it has: none"),
        "{message}"
    );
    // The module called as a function, as Auth0's own `delete` template does.
    let called = js_login(
        &js_runtime(),
        "function login(email, password, callback) { require('pg')('postgres://x/users', function (err) { callback(err); }); }",
        &CallContext::default(),
    )
    .await;
    let message = called.error.unwrap().message;
    assert!(message.contains("no postgres data source"), "{message}");
}
