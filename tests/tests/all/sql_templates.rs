//! The `postgres`, `mysql` and `sqlite` templates against real databases:
//! every action, success and negative paths, through the library and the
//! CLI. PostgreSQL and MariaDB tests need `AUTHBOX_TEST_POSTGRES_URL` /
//! `AUTHBOX_TEST_MYSQL_URL` (set by `.ci/run`); SQLite always runs.

use std::time::{Duration, Instant};

use crate::common::*;
use authbox::runtime::capabilities::sql::{DataSource, DataSourceSettings, DataSources};
use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{Action, ActionCall, CallContext, NewUser, Runtime, Script};
use authbox_tests::legacy::{Backend, LegacyDb};
use serde_json::{Value, json};

fn datasources(url: &str) -> DataSources {
    DataSources::new([DataSource::new(
        "users",
        url.parse().unwrap(),
        DataSourceSettings::default(),
    )
    .unwrap()])
    .unwrap()
}

struct Template {
    runtime: Runtime,
    script: Script,
    ctx: CallContext,
}

impl Template {
    async fn new(backend: Backend, url: &str) -> Template {
        let runtime = runtime();
        let script = load(&runtime, backend.script()).await;
        let mut ctx = context(&[], Duration::from_secs(20));
        ctx.capabilities.sql = datasources(url);
        Template {
            runtime,
            script,
            ctx,
        }
    }

    async fn call(&self, call: ActionCall) -> Report {
        report(&self.runtime, &self.script, call, &self.ctx).await
    }

    async fn login(&self, user: &str, password: &str) -> Report {
        self.call(login(user, password)).await
    }

    async fn get_user(&self, email: &str) -> Report {
        self.call(ActionCall::GetUser {
            email: email.into(),
        })
        .await
    }
}

fn assert_outcome(report: &Report, outcome: Outcome, what: &str) {
    assert_eq!(report.outcome, outcome, "{what}: {report:#?}");
}

async fn every_action(backend: Backend) {
    let test = "every_action";
    let Some(db) = LegacyDb::seeded(backend, test).await else {
        return;
    };
    let t = Template::new(backend, &db.url).await;
    let prefix = backend.template();
    assert_eq!(
        t.script.info().actions,
        [
            Action::Login,
            Action::GetUser,
            Action::Create,
            Action::Verify,
            Action::ChangePassword,
            Action::Delete,
            Action::ChangeEmail
        ]
    );

    // login: by email (any case) and by username; the profile is the row's.
    let ada = t
        .login("ada@example.com", "correct horse battery staple")
        .await;
    assert_outcome(&ada, Outcome::Ok, "login ada");
    let profile = ada.profile.unwrap();
    assert_eq!(profile.user_id, format!("auth0|{prefix}|1"));
    assert_eq!(profile.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(profile.email_verified, Some(true));
    assert_eq!(
        Value::Object(profile.user_metadata),
        json!({"theme": "dark"})
    );
    assert_eq!(Value::Object(profile.app_metadata), json!({"plan": "pro"}));
    let upper = t
        .login("ADA@Example.com", "correct horse battery staple")
        .await;
    assert_outcome(&upper, Outcome::Ok, "login with another case");
    let grace = t.login("grace", "hopper1906").await;
    assert_outcome(&grace, Outcome::Ok, "login by username");
    assert_eq!(grace.profile.unwrap().user_id, format!("auth0|{prefix}|2"));

    // login: wrong password (with the user hint), unknown user.
    let wrong = t
        .login("ada@example.com", "Correct horse battery staple")
        .await;
    assert_outcome(&wrong, Outcome::WrongCredentials, "wrong password");
    assert_eq!(
        wrong.error.unwrap().user_id.as_deref(),
        Some(format!("{prefix}|1").as_str())
    );
    let unknown = t.login("nobody@example.com", "whatever").await;
    assert_outcome(&unknown, Outcome::WrongCredentials, "unknown user");

    // get-user: the same stable id as login; None for an unknown user.
    let found = t.get_user("ada@example.com").await;
    assert_outcome(&found, Outcome::Ok, "get-user ada");
    assert_eq!(found.profile.unwrap().user_id, format!("auth0|{prefix}|1"));
    assert_outcome(
        &t.get_user("nobody@example.com").await,
        Outcome::NotFound,
        "get-user unknown",
    );

    // create: a new user logs in right after; a duplicate email is user-exists.
    let new_user = |email: &str| {
        ActionCall::Create(NewUser {
            email: email.into(),
            password: "brand new password".into(),
            username: None,
            phone_number: Some("+15551234567".into()),
            user_metadata: Some(json!({"source": "signup"}).as_object().unwrap().clone()),
            app_metadata: None,
        })
    };
    assert_outcome(
        &t.call(new_user("new@example.com")).await,
        Outcome::Ok,
        "create",
    );
    let created = t.login("new@example.com", "brand new password").await;
    assert_outcome(&created, Outcome::Ok, "login after create");
    let created = created.profile.unwrap();
    assert_eq!(created.user_id, format!("auth0|{prefix}|4"));
    assert_eq!(created.phone_number.as_deref(), Some("+15551234567"));
    assert_eq!(
        Value::Object(created.user_metadata),
        json!({"source": "signup"})
    );
    assert_eq!(created.email_verified, Some(false));
    assert_outcome(
        &t.call(new_user("ada@example.com")).await,
        Outcome::UserExists,
        "create duplicate",
    );
    assert_outcome(
        &t.call(new_user("ADA@example.com")).await,
        Outcome::UserExists,
        "create duplicate in another case",
    );

    // verify: true for a known user (and it shows), false for an unknown one.
    let verify = |email: &str| ActionCall::Verify {
        email: email.into(),
    };
    let verified = t.call(verify("linus@example.com")).await;
    assert_eq!(
        (verified.outcome, verified.result),
        (Outcome::Ok, Some(true))
    );
    let linus = t.get_user("linus@example.com").await.profile.unwrap();
    assert_eq!(linus.email_verified, Some(true));
    let nobody = t.call(verify("nobody@example.com")).await;
    assert_eq!((nobody.outcome, nobody.result), (Outcome::Ok, Some(false)));

    // change-password: a new bcrypt hash; the old password stops working.
    let change = |email: &str| ActionCall::ChangePassword {
        email: email.into(),
        new_password: "amazing grace".into(),
    };
    let changed = t.call(change("grace@example.com")).await;
    assert_eq!((changed.outcome, changed.result), (Outcome::Ok, Some(true)));
    assert_outcome(
        &t.login("grace", "amazing grace").await,
        Outcome::Ok,
        "new password",
    );
    assert_outcome(
        &t.login("grace", "hopper1906").await,
        Outcome::WrongCredentials,
        "old password",
    );
    let unknown = t.call(change("nobody@example.com")).await;
    assert_eq!(
        (unknown.outcome, unknown.result),
        (Outcome::Ok, Some(false))
    );

    // change-email: the user moves; taking another user's email fails.
    let change_email = |email: &str, new_email: &str| ActionCall::ChangeEmail {
        email: email.into(),
        new_email: new_email.into(),
        verified: false,
    };
    let moved = t
        .call(change_email("linus@example.com", "torvalds@example.com"))
        .await;
    assert_eq!((moved.outcome, moved.result), (Outcome::Ok, Some(true)));
    let torvalds = t.get_user("torvalds@example.com").await.profile.unwrap();
    assert_eq!(torvalds.user_id, format!("auth0|{prefix}|3"));
    assert_eq!(torvalds.email_verified, Some(false));
    assert_outcome(
        &t.get_user("linus@example.com").await,
        Outcome::NotFound,
        "old email",
    );
    let taken = t
        .call(change_email("torvalds@example.com", "ada@example.com"))
        .await;
    assert_outcome(&taken, Outcome::Error, "change to a taken email");
    assert!(
        taken
            .error
            .unwrap()
            .message
            .contains("already has the email")
    );
    let nobody = t
        .call(change_email("nobody@example.com", "x@example.com"))
        .await;
    assert_eq!((nobody.outcome, nobody.result), (Outcome::Ok, Some(false)));

    // delete: by the id without the provider prefix; a foreign id fails.
    let delete = |user_id: String| ActionCall::Delete { user_id };
    assert_outcome(
        &t.call(delete(format!("{prefix}|4"))).await,
        Outcome::Ok,
        "delete",
    );
    assert_outcome(
        &t.get_user("new@example.com").await,
        Outcome::NotFound,
        "deleted",
    );
    let foreign = t.call(delete("other|1".into())).await;
    assert_outcome(&foreign, Outcome::Error, "delete a foreign id");
    assert_outcome(
        &t.get_user("ada@example.com").await,
        Outcome::Ok,
        "ada stays",
    );

    t.ctx.capabilities.sql.close().await;
    db.drop().await;
}

#[tokio::test]
async fn postgres_template_every_action() {
    every_action(Backend::Postgres).await;
}

#[tokio::test]
async fn mysql_template_every_action() {
    every_action(Backend::MySql).await;
}

#[tokio::test]
async fn sqlite_template_every_action() {
    every_action(Backend::Sqlite).await;
}

/// Bad paths every template shares: a data source the connection does not
/// have, a database that is down, a table that is missing.
async fn failures(backend: Backend) {
    let Some(db) = LegacyDb::empty(backend, "failures").await else {
        return;
    };
    let t = Template::new(backend, &db.url).await;

    // The table is missing: a statement error, reported as `error`.
    let missing = t.login("ada@example.com", "x").await;
    assert_outcome(&missing, Outcome::Error, "no users table");
    assert!(
        missing.error.unwrap().message.contains("statement refused"),
        "a statement error"
    );

    // A data source the connection does not have.
    let mut other = Template::new(backend, &db.url).await;
    other.ctx.capabilities.config =
        std::sync::Arc::new([("datasource".to_string(), "billing".to_string())].into());
    let unknown = other.login("ada@example.com", "x").await;
    assert_outcome(&unknown, Outcome::Error, "unknown data source");
    assert!(
        unknown
            .error
            .unwrap()
            .message
            .contains("no data source `billing` (it has: users)")
    );
    t.ctx.capabilities.sql.close().await;
    db.drop().await;
}

#[tokio::test]
async fn postgres_template_failures() {
    failures(Backend::Postgres).await;
}

#[tokio::test]
async fn mysql_template_failures() {
    failures(Backend::MySql).await;
}

#[tokio::test]
async fn sqlite_template_failures() {
    failures(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_database_that_is_down_is_a_prompt_error_and_the_host_keeps_serving() {
    let runtime = runtime();
    for (backend, url) in [
        (
            Backend::Postgres,
            "postgres://app:pa55word-secret@127.0.0.1:1/legacy",
        ),
        (
            Backend::MySql,
            "mysql://app:pa55word-secret@127.0.0.1:1/legacy",
        ),
    ] {
        let script = load(&runtime, backend.script()).await;
        let mut ctx = context(&[], Duration::from_secs(20));
        ctx.capabilities.sql = datasources(url);
        let started = Instant::now();
        let down = report(&runtime, &script, login("ada@example.com", "x"), &ctx).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{backend:?}: not prompt"
        );
        assert_outcome(&down, Outcome::Error, "database down");
        let message = down.error.unwrap().message;
        assert!(message.contains("unavailable"), "{message}");
        assert!(!message.contains("pa55word"), "{message}");
        // The host still serves other calls.
        assert_still_serving(&runtime, &load(&runtime, authbox_tests::TRIVIAL).await).await;
    }
}

/// Two connections whose data sources share the name `users` reach two
/// different databases: a script only ever gets its own connection's pool.
#[tokio::test]
async fn each_connection_reaches_only_its_own_database() {
    let first = LegacyDb::seeded(Backend::Sqlite, "own_database")
        .await
        .unwrap();
    let second = LegacyDb::seeded(Backend::Sqlite, "own_database")
        .await
        .unwrap();
    second
        .run_sql("DELETE FROM users WHERE email = 'ada@example.com'")
        .await;
    let a = Template::new(Backend::Sqlite, &first.url).await;
    let b = Template::new(Backend::Sqlite, &second.url).await;
    let (in_a, in_b) = tokio::join!(
        a.login("ada@example.com", "correct horse battery staple"),
        b.login("ada@example.com", "correct horse battery staple"),
    );
    assert_outcome(&in_a, Outcome::Ok, "ada in the first connection's database");
    assert_outcome(
        &in_b,
        Outcome::WrongCredentials,
        "ada is not in the second connection's database",
    );
}
