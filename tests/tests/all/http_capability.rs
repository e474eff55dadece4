//! Outbound HTTP through real scripts (`tests/guests/http-probe`, which uses
//! the SDK's `http` module, and `tests/guests/http-raw`, plain `wasi:http`)
//! against the reference users service on loopback: what goes out, what is
//! refused and why, the bounds, and the `rest-api` template's seven actions.

use std::time::{Duration, Instant};

use crate::common::*;
use authbox::runtime::capabilities::http::{AllowedHosts, HttpConfig, HttpSettings};
use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{
    ActionCall, CallContext, CapabilityConfig, NewUser, Runtime, RuntimeConfig, Script,
};
use authbox_tests::users_service::{ServiceOptions, UsersService};
use authbox_tests::{HTTP_PROBE, HTTP_RAW, REST_API};
use serde_json::{Value, json};

/// A runtime whose scripts may reach loopback (the tests' servers), or not.
fn runtime_reaching_loopback(loopback: bool) -> Runtime {
    let allowed = if loopback {
        vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]
    } else {
        Vec::new()
    };
    Runtime::new(RuntimeConfig {
        max_concurrent_calls: 32,
        capabilities: CapabilityConfig {
            http: HttpConfig {
                allowed_private_networks: allowed,
                ..HttpConfig::default()
            },
            ..CapabilityConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

fn allowing(ctx: &mut CallContext, hosts: &[&str]) {
    ctx.capabilities.http = HttpSettings::new(AllowedHosts::parse(hosts).unwrap());
}

struct Probe {
    runtime: Runtime,
    script: Script,
    ctx: CallContext,
}

impl Probe {
    async fn new(loopback: bool, hosts: &[&str]) -> Probe {
        let runtime = runtime_reaching_loopback(loopback);
        let script = load(&runtime, HTTP_PROBE).await;
        let mut ctx = context(&[], Duration::from_secs(10));
        allowing(&mut ctx, hosts);
        Probe {
            runtime,
            script,
            ctx,
        }
    }

    async fn send(&self, url: &str, spec: Value) -> Report {
        report(
            &self.runtime,
            &self.script,
            login(url, &spec.to_string()),
            &self.ctx,
        )
        .await
    }
}

/// The probe's answer: status and body, or the name of its HTTP error.
fn answer(report: &Report) -> Result<Value, String> {
    match report.outcome {
        Outcome::Ok => Ok(Value::from(
            report.profile.as_ref().unwrap().user_metadata.clone(),
        )),
        _ => {
            let message = &report.error.as_ref().expect("an error").message;
            Err(message.trim_start_matches("the script failed: ").to_owned())
        }
    }
}

/// The service as the probe tests use it: no token.
fn service() -> UsersService {
    UsersService::start(ServiceOptions::default())
}

fn origin(service: &UsersService) -> String {
    format!("http://127.0.0.1:{}", service.addr().port())
}

#[tokio::test]
async fn an_allowed_host_is_reached_with_methods_headers_and_statuses() {
    let service = service();
    let base = origin(&service);
    let probe = Probe::new(true, &[&base]).await;

    let got = answer(&probe.send(&format!("{base}/status/418"), json!({})).await).unwrap();
    assert_eq!(got["status"], 418);

    let echoed = answer(
        &probe
            .send(
                &format!("{base}/echo"),
                json!({"method": "POST", "json": {"hello": "world"}, "headers": [["x-probe", "42"]]}),
            )
            .await,
    )
    .unwrap();
    assert_eq!(echoed["status"], 200);
    assert_eq!(
        serde_json::from_str::<Value>(echoed["body"].as_str().unwrap()).unwrap(),
        json!({"hello": "world"})
    );
    assert!(
        echoed["content_type"]
            .as_str()
            .unwrap()
            .starts_with("application/json"),
        "{echoed}"
    );

    let raw = load(&probe.runtime, HTTP_RAW).await;
    let plain = report(
        &probe.runtime,
        &raw,
        login(&format!("{base}/status/204"), ""),
        &probe.ctx,
    )
    .await;
    assert_eq!(plain.outcome, Outcome::Ok, "{plain:?}");
    assert_eq!(plain.profile.unwrap().user_id, "auth0|probe|204");
}

#[tokio::test]
async fn a_host_off_the_list_is_denied_and_named_in_the_log() {
    let service = service();
    let probe = Probe::new(true, &["api.example.com"]).await;
    let report = probe
        .send(&format!("{}/status/200", origin(&service)), json!({}))
        .await;
    assert_eq!(
        answer(&report),
        Err("http-error: HTTP-request-denied".into())
    );
    let log = logs_text(&report);
    assert!(
        log.contains(&format!(
            "request to {} refused: not in the connection's allowed_hosts",
            origin(&service)
        )),
        "{log}"
    );
    assert_eq!(service.request_count(), 0, "nothing reached the service");

    let no_network = Probe::new(true, &[]).await;
    let report = no_network
        .send(&format!("{}/status/200", origin(&service)), json!({}))
        .await;
    assert_eq!(
        answer(&report),
        Err("http-error: HTTP-request-denied".into())
    );
    assert_eq!(service.request_count(), 0);
}

#[tokio::test]
async fn private_addresses_are_refused_by_default_even_when_listed() {
    let service = service();
    let port = service.addr().port();
    let listed = [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        "http://10.0.0.1".to_owned(),
        "http://169.254.169.254".to_owned(),
    ];
    let hosts: Vec<&str> = listed.iter().map(String::as_str).collect();
    let probe = Probe::new(false, &hosts).await;
    for url in [
        format!("http://127.0.0.1:{port}/status/200"),
        format!("http://localhost:{port}/status/200"),
        format!("http://[::ffff:127.0.0.1]:{port}/status/200"),
        "http://10.0.0.1/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        let report = probe.send(&url, json!({})).await;
        assert_eq!(
            answer(&report),
            Err("http-error: destination-IP-prohibited".into()),
            "{url}"
        );
    }
    assert_eq!(service.request_count(), 0, "nothing reached the service");
}

#[tokio::test]
async fn bounds_are_named_errors() {
    let service = service();
    let base = origin(&service);
    let probe = Probe::new(true, &[&base]).await;

    let big = probe
        .send(&format!("{base}/bytes/{}", 2 << 20), json!({}))
        .await;
    assert_eq!(
        answer(&big),
        Err("http-error: HTTP-response-body-size".into())
    );

    let upload = probe
        .send(
            &format!("{base}/echo"),
            json!({"method": "POST", "body_bytes": 2 << 20}),
        )
        .await;
    assert_eq!(
        answer(&upload),
        Err("http-error: HTTP-request-body-size".into())
    );

    let many = probe
        .send(&format!("{base}/status/200"), json!({"times": 21}))
        .await;
    assert_eq!(
        answer(&many),
        Err("http-error: connection-limit-reached".into())
    );
    assert!(logs_text(&many).contains("more than 20 requests in one call"));

    let mut slow = Probe::new(true, &[&base]).await;
    slow.ctx.limits.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let report = slow.send(&format!("{base}/slow/5000"), json!({})).await;
    assert_eq!(report.outcome, Outcome::Timeout, "{report:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // The host keeps serving.
    let after = probe.send(&format!("{base}/status/200"), json!({})).await;
    assert_eq!(answer(&after).unwrap()["status"], 200);
}

/// The `rest-api` template against the reference service: every action.
#[tokio::test]
async fn the_rest_api_template_implements_the_seven_actions() {
    let service = UsersService::start(ServiceOptions {
        token: Some("t0ken-s3cret".into()),
        seed: true,
        ..ServiceOptions::default()
    });
    let base = origin(&service);
    let runtime = runtime_reaching_loopback(true);
    let script = load(&runtime, REST_API).await;
    let mut ctx = context(
        &[("api_url", &base), ("api_token", "t0ken-s3cret")],
        Duration::from_secs(10),
    );
    allowing(&mut ctx, &[&base]);
    let call = |c: ActionCall| report(&runtime, &script, c, &ctx);

    let ok = call(login("ada@example.com", "correct horse battery staple")).await;
    assert_eq!(ok.outcome, Outcome::Ok, "{ok:?}");
    let ada = ok.profile.unwrap();
    assert_eq!(ada.email.as_deref(), Some("ada@example.com"));
    assert!(ada.user_id.starts_with("auth0|rest|"), "{}", ada.user_id);
    let wrong = call(login("ada@example.com", "nope")).await;
    assert_eq!(wrong.outcome, Outcome::WrongCredentials);

    let found = call(ActionCall::GetUser {
        email: "grace@example.com".into(),
    })
    .await;
    assert_eq!(found.outcome, Outcome::Ok);
    let missing = call(ActionCall::GetUser {
        email: "nobody@example.com".into(),
    })
    .await;
    assert_eq!(missing.outcome, Outcome::NotFound);

    let new_user = NewUser {
        email: "linus@example.com".into(),
        password: "kernel-hacker-91".into(),
        ..NewUser::default()
    };
    let created = call(ActionCall::Create(new_user.clone())).await;
    assert_eq!(created.outcome, Outcome::Ok, "{created:?}");
    let again = call(ActionCall::Create(new_user)).await;
    assert_eq!(again.outcome, Outcome::UserExists);

    let verified = call(ActionCall::Verify {
        email: "linus@example.com".into(),
    })
    .await;
    assert_eq!(verified.outcome, Outcome::Ok, "{verified:?}");
    let changed = call(ActionCall::ChangePassword {
        email: "linus@example.com".into(),
        new_password: "new-secret-92".into(),
    })
    .await;
    assert_eq!(changed.outcome, Outcome::Ok);
    let relogin = call(login("linus@example.com", "new-secret-92")).await;
    assert_eq!(relogin.outcome, Outcome::Ok, "{relogin:?}");
    let moved = call(ActionCall::ChangeEmail {
        email: "linus@example.com".into(),
        new_email: "torvalds@example.com".into(),
        verified: true,
    })
    .await;
    assert_eq!(moved.outcome, Outcome::Ok, "{moved:?}");
    let id = relogin.profile.unwrap().identities[0].user_id.clone();
    let deleted = call(ActionCall::Delete { user_id: id }).await;
    assert_eq!(deleted.outcome, Outcome::Ok, "{deleted:?}");
    let gone = call(ActionCall::GetUser {
        email: "torvalds@example.com".into(),
    })
    .await;
    assert_eq!(gone.outcome, Outcome::NotFound);

    // A wrong token: a failure that never shows the token.
    let mut bad = context(
        &[("api_url", &base), ("api_token", "wr0ng-t0ken")],
        Duration::from_secs(10),
    );
    allowing(&mut bad, &[&base]);
    let refused = report(
        &runtime,
        &script,
        login("ada@example.com", "correct horse battery staple"),
        &bad,
    )
    .await;
    assert_eq!(refused.outcome, Outcome::Error, "{refused:?}");
    let shown = format!("{refused:?}");
    assert!(!shown.contains("wr0ng-t0ken") && !shown.contains("t0ken-s3cret"));
}
