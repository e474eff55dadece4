//! The JavaScript `rest-api` template (`scripts/javascript/rest-api/`:
//! `request`, `fetch` and `axios`, as Auth0's "request" scripts use them)
//! against the reference users service on loopback: all seven actions, the
//! token never in a log, and a host off the allow-list refused by name.

use std::path::Path;
use std::time::Duration;

use crate::common::*;
use authbox::runtime::capabilities::http::{AllowedHosts, HttpConfig, HttpSettings};
use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{
    ActionCall, CallContext, CapabilityConfig, JsSources, NewUser, Runtime, RuntimeConfig, Script,
};
use authbox_tests::users_service::{ServiceOptions, UsersService};

const TOKEN: &str = "tok-7d1e0c5f";

fn rest_api() -> JsSources {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/javascript/rest-api");
    JsSources::from_dir(&dir).unwrap()
}

/// A runtime whose scripts may reach loopback (the test's service).
fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_calls: 16,
        cache_dir: js_runtime().config().cache_dir.clone(),
        capabilities: CapabilityConfig {
            http: HttpConfig {
                allowed_private_networks: vec!["127.0.0.0/8".parse().unwrap()],
                ..HttpConfig::default()
            },
            ..CapabilityConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

struct Connection {
    runtime: Runtime,
    script: Script,
    ctx: CallContext,
}

impl Connection {
    async fn new(service: &UsersService) -> Connection {
        let runtime = runtime();
        let script = runtime.load(&rest_api().to_bytes()).await.unwrap();
        let base = service.base_url();
        let mut ctx = context(
            &[("api_url", base.as_str()), ("api_token", TOKEN)],
            Duration::from_secs(10),
        );
        ctx.capabilities.http = HttpSettings::new(AllowedHosts::parse(&[base.as_str()]).unwrap());
        Connection {
            runtime,
            script,
            ctx,
        }
    }

    async fn call(&self, call: ActionCall) -> Report {
        let report = report(&self.runtime, &self.script, call, &self.ctx).await;
        let logged = format!("{:?} {:?}", report.logs, report.error);
        assert!(!logged.contains(TOKEN), "the token leaked: {logged}");
        report
    }
}

#[tokio::test]
async fn the_request_template_runs_every_action_against_a_rest_service() {
    if javascript_unavailable("the_request_template_runs_every_action_against_a_rest_service") {
        return;
    }
    let service = UsersService::start(ServiceOptions {
        token: Some(TOKEN.into()),
        seed: true,
        ..ServiceOptions::default()
    });
    let c = Connection::new(&service).await;
    let ok = |r: &Report, what: &str| assert_eq!(r.outcome, Outcome::Ok, "{what}: {r:#?}");

    let ada = c
        .call(login("ada@example.com", "correct horse battery staple"))
        .await;
    ok(&ada, "login");
    assert_eq!(
        ada.profile.as_ref().unwrap().username.as_deref(),
        Some("ada")
    );
    let wrong = c.call(login("ada@example.com", "nope")).await;
    assert_eq!(wrong.outcome, Outcome::WrongCredentials, "{wrong:#?}");

    let found = c
        .call(ActionCall::GetUser {
            email: "grace@example.com".into(),
        })
        .await;
    ok(&found, "get_user (fetch)");
    let missing = c
        .call(ActionCall::GetUser {
            email: "nobody@example.com".into(),
        })
        .await;
    assert_eq!(missing.outcome, Outcome::NotFound, "{missing:#?}");

    let create = |email: &str| {
        ActionCall::Create(NewUser {
            email: email.into(),
            password: "s3cret-enough".into(),
            ..NewUser::default()
        })
    };
    ok(&c.call(create("lin@example.com")).await, "create (axios)");
    let exists = c.call(create("lin@example.com")).await;
    assert_eq!(exists.outcome, Outcome::UserExists, "{exists:#?}");

    let verify = c
        .call(ActionCall::Verify {
            email: "lin@example.com".into(),
        })
        .await;
    assert_eq!(verify.result, Some(true), "{verify:#?}");
    let changed = c
        .call(ActionCall::ChangePassword {
            email: "lin@example.com".into(),
            new_password: "another-one".into(),
        })
        .await;
    assert_eq!(changed.result, Some(true), "{changed:#?}");
    ok(
        &c.call(login("lin@example.com", "another-one")).await,
        "new password",
    );
    let moved = c
        .call(ActionCall::ChangeEmail {
            email: "lin@example.com".into(),
            new_email: "lin@example.org".into(),
            verified: true,
        })
        .await;
    assert_eq!(moved.result, Some(true), "{moved:#?}");
    let lin = c.call(login("lin@example.org", "another-one")).await;
    ok(&lin, "login at the new email");
    let id = lin.profile.unwrap().identities[0].user_id.clone();
    ok(&c.call(ActionCall::Delete { user_id: id }).await, "delete");
    assert_eq!(
        c.call(login("lin@example.org", "another-one"))
            .await
            .outcome,
        Outcome::WrongCredentials
    );
}

#[tokio::test]
async fn a_host_off_the_allow_list_is_refused_by_name() {
    if javascript_unavailable("a_host_off_the_allow_list_is_refused_by_name") {
        return;
    }
    let report = js_login(
        &runtime(),
        "async function login(email, password, callback) { try { await fetch('https://elsewhere.example.net/x'); callback(null, { user_id: 'x' }); } catch (e) { callback(new Error(e.code + ': ' + e.message)); } }",
        &CallContext::default(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Error, "{report:#?}");
    let message = report.error.unwrap().message;
    assert!(message.contains("HTTP-request-denied"), "{message}");
}
