//! JavaScript scripts through the runtime: Auth0's callback conventions and
//! error classes, async forms, the Node globals, syntax errors at load, and
//! hostile scripts each ending in a named outcome with the host still
//! serving. Skipped (saying why) only where this build has no engine; CI
//! sets `AUTHBOX_TEST_REQUIRE_JAVASCRIPT` so that it never skips.

use std::time::Duration;

use crate::common::*;
use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{
    Action, ActionCall, CallContext, JsSources, Language, LoadError, Runtime, Script,
};

const GET_USER: &str = "function getByEmail(email, callback) { callback(null); }";

fn sources(login: &str) -> JsSources {
    let mut sources = JsSources::new();
    sources.insert(Action::Login, login);
    sources.insert(Action::GetUser, GET_USER);
    sources
}

async fn load_js(runtime: &Runtime, sources: &JsSources) -> Script {
    runtime
        .load(&sources.to_bytes())
        .await
        .unwrap_or_else(|e| panic!("the JavaScript loads: {e}"))
}

async fn login_with(runtime: &Runtime, script: &Script, ctx: &CallContext) -> Report {
    report(runtime, script, login("ada@example.com", "pw"), ctx).await
}

async fn run_login(login_source: &str) -> Report {
    let ctx = context(&[], Duration::from_secs(5));
    js_login(&js_runtime(), login_source, &ctx).await
}

#[tokio::test]
async fn a_callback_style_login_returns_its_profile() {
    if javascript_unavailable("a_callback_style_login_returns_its_profile") {
        return;
    }
    let runtime = js_runtime();
    let script = load_js(
        &runtime,
        &sources(
            r#"function login(email, password, callback) {
                if (password !== 'pw') return callback(new WrongUsernameOrPasswordError(email));
                console.log('checked %s', email);
                callback(null, {
                    user_id: 42,
                    email: email,
                    email_verified: true,
                    nickname: 'ada',
                    user_metadata: { theme: 'dark' },
                    department: 'engines',
                });
            }"#,
        ),
    )
    .await;
    assert_eq!(script.info().language, Language::Javascript);
    assert_eq!(script.info().actions, vec![Action::Login, Action::GetUser]);

    let ok = login_with(&runtime, &script, &context(&[], Duration::from_secs(5))).await;
    assert_eq!(ok.outcome, Outcome::Ok, "{ok:?}");
    let profile = ok.profile.as_ref().unwrap();
    assert_eq!(profile.user_id, "auth0|42");
    assert_eq!(profile.email.as_deref(), Some("ada@example.com"));
    assert_eq!(profile.email_verified, Some(true));
    assert_eq!(profile.user_metadata["theme"], "dark");
    assert!(
        ok.logs
            .iter()
            .any(|l| l.message == "checked ada@example.com"),
        "{:?}",
        ok.logs
    );

    let wrong = report(
        &runtime,
        &script,
        login("ada@example.com", "nope"),
        &CallContext::default(),
    )
    .await;
    assert_eq!(wrong.outcome, Outcome::WrongCredentials, "{wrong:?}");
}

#[tokio::test]
async fn auth0_error_classes_map_to_outcomes() {
    if javascript_unavailable("auth0_error_classes_map_to_outcomes") {
        return;
    }
    let cases = [
        (
            "callback(new UnauthorizedError('blocked in the legacy db'))",
            Outcome::Unauthorized,
        ),
        (
            "callback(new WrongUsernameOrPasswordError(email, 'bad'))",
            Outcome::WrongCredentials,
        ),
        ("callback()", Outcome::WrongCredentials),
        ("callback(null)", Outcome::WrongCredentials),
        ("callback(new Error('db down'))", Outcome::Error),
        ("callback('a string error')", Outcome::Error),
    ];
    for (body, expected) in cases {
        let report = run_login(&format!(
            "function login(email, password, callback) {{ {body}; }}"
        ))
        .await;
        assert_eq!(report.outcome, expected, "{body}: {report:?}");
    }
    let failed =
        run_login("function (email, password, callback) { callback(new Error('db down')); }").await;
    assert!(
        failed
            .error
            .unwrap()
            .message
            .contains("Error: db down (login.js:1)"),
        "the message names the error and where it was made"
    );
}

#[tokio::test]
async fn create_answers_user_exists_and_validation_errors() {
    if javascript_unavailable("create_answers_user_exists_and_validation_errors") {
        return;
    }
    let runtime = js_runtime();
    let mut js = sources("function login(e, p, cb) { cb(); }");
    js.insert(
        Action::Create,
        r#"function create(user, callback) {
            if (user.email === 'taken@example.com') return callback(new ValidationError('user_exists', 'taken'));
            if (user.password.length < 4) return callback(new ValidationError('weak_password', 'too short'));
            callback(null);
        }"#,
    );
    let script = load_js(&runtime, &js).await;
    let create = |email: &str, password: &str| {
        ActionCall::Create(authbox::runtime::NewUser {
            email: email.into(),
            password: password.into(),
            ..Default::default()
        })
    };
    let ctx = CallContext::default();
    let exists = report(
        &runtime,
        &script,
        create("taken@example.com", "longpw"),
        &ctx,
    )
    .await;
    assert_eq!(exists.outcome, Outcome::UserExists, "{exists:?}");
    let weak = report(&runtime, &script, create("new@example.com", "pw"), &ctx).await;
    assert_eq!(weak.outcome, Outcome::Validation, "{weak:?}");
    assert!(
        weak.error
            .unwrap()
            .message
            .contains("(weak_password): too short")
    );
    let done = report(&runtime, &script, create("new@example.com", "longpw"), &ctx).await;
    assert_eq!(done.outcome, Outcome::Ok, "{done:?}");
}

#[tokio::test]
async fn async_functions_promises_timers_and_context_work() {
    if javascript_unavailable("async_functions_promises_timers_and_context_work") {
        return;
    }
    let forms = [
        // An async function that awaits, then calls back.
        "async function login(email, password, callback) { const id = await Promise.resolve('a1'); callback(null, { user_id: id, email }); }",
        // A callback from a timer.
        "function login(email, password, callback) { setTimeout(() => callback(null, { id: 'a1', email }), 20); }",
        // A context argument before the callback.
        "function login(email, password, context, callback) { callback(null, { user_id: 'a1', email, has_context: typeof context === 'object' }); }",
        // A promise chain.
        "function login(email, password, callback) { Promise.resolve(email).then(e => callback(null, { user_id: 'a1', email: e })); }",
    ];
    for form in forms {
        let report = run_login(form).await;
        assert_eq!(report.outcome, Outcome::Ok, "{form}: {report:?}");
        assert_eq!(report.profile.unwrap().user_id, "auth0|a1");
    }
    let rejected = run_login(
        "async function login(email, password, callback) { throw new TypeError('nope'); }",
    )
    .await;
    assert_eq!(rejected.outcome, Outcome::Error, "{rejected:?}");
    assert!(rejected.error.unwrap().message.contains("TypeError: nope"));
}

#[tokio::test]
async fn configuration_and_node_globals_are_there() {
    if javascript_unavailable("configuration_and_node_globals_are_there") {
        return;
    }
    let runtime = js_runtime();
    let script = load_js(
        &runtime,
        &sources(
            r#"function login(email, password, callback) {
                const crypto = require('crypto');
                const bcrypt = require('bcrypt');
                const hex = crypto.createHash('sha256').update('abc').digest('hex');
                const mac = crypto.createHmac('sha256', 'key').update('msg').digest('base64');
                const derived = crypto.pbkdf2Sync('pw', 'salt', 10, 16, 'sha256').toString('hex');
                const round = Buffer.from(Buffer.from('héllo').toString('base64'), 'base64').toString();
                const hash = bcrypt.hashSync(password, 4);
                callback(null, {
                    user_id: 'u1',
                    secret: configuration.SECRET,
                    sha256: hex,
                    hmac: mac,
                    pbkdf2: derived,
                    round: round,
                    bcrypt_ok: bcrypt.compareSync(password, hash),
                    bcrypt_bad: bcrypt.compareSync('other', hash),
                    random_differs: Math.random() !== Math.random(),
                    global_is_global: global === globalThis,
                });
            }"#,
        ),
    )
    .await;
    let report = login_with(
        &runtime,
        &script,
        &context(&[("SECRET", "s3cr3t")], Duration::from_secs(10)),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    let extra = &report.profile.unwrap().extra;
    assert_eq!(extra["secret"], "s3cr3t");
    assert_eq!(
        extra["sha256"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        extra["hmac"],
        "LZPLwb4We8sWN6SiPL/wGnh48MUO6DOVTqUiG7G4xig="
    );
    assert_eq!(extra["pbkdf2"], "72aecd14244887c316e24019c7e020b5");
    assert_eq!(extra["round"], "héllo");
    assert_eq!(extra["bcrypt_ok"], true);
    assert_eq!(extra["bcrypt_bad"], false);
    assert_eq!(extra["random_differs"], true);
    assert_eq!(extra["global_is_global"], true);
}

#[tokio::test]
async fn a_syntax_error_is_refused_at_load_with_file_line_and_column() {
    if javascript_unavailable("a_syntax_error_is_refused_at_load_with_file_line_and_column") {
        return;
    }
    let runtime = js_runtime();
    let mut js = sources("function login(email, password, callback) { callback(); }");
    js.insert(
        Action::Verify,
        "function verify(email, callback) {\n  const x = ;\n}",
    );
    match runtime.load(&js.to_bytes()).await {
        Err(LoadError::Syntax { file, line, .. }) => {
            assert_eq!(file, "verify.js");
            assert_eq!(line, 2);
        }
        Err(other) => panic!("expected a syntax error, got {other}"),
        Ok(_) => panic!("a syntax error loaded"),
    }
    // One action is enough to run; a connection needs login and get_user.
    let mut partial = JsSources::new();
    partial.insert(Action::Login, "function login(e, p, cb) { cb(); }");
    assert!(runtime.load(&partial.to_bytes()).await.is_ok());
    assert_eq!(partial.missing_required(), vec!["get_user.js"]);
    let error = runtime
        .load(&JsSources::new().to_bytes())
        .await
        .err()
        .unwrap();
    assert!(
        error.to_string().contains("login.js and get_user.js"),
        "{error}"
    );
}

#[tokio::test]
async fn hostile_javascript_is_contained_with_named_outcomes() {
    if javascript_unavailable("hostile_javascript_is_contained_with_named_outcomes") {
        return;
    }
    // Deep recursion ends in QuickJS's own "stack overflow" (an error the
    // script could catch) or, failing that, the wasm stack's trap.
    let cases: [(&str, &str, &[Outcome]); 9] = [
        ("infinite loop", "while (true) {}", &[Outcome::Timeout]),
        (
            "memory growth",
            "const a = []; while (true) a.push(new Array(1e6).fill(1));",
            &[Outcome::MemoryLimit],
        ),
        (
            "deep recursion",
            "const f = (n) => f(n + 1) + 1; f(0);",
            &[Outcome::Error, Outcome::Trap],
        ),
        ("a throw", "throw new Error('boom');", &[Outcome::Error]),
        ("never calling back", "", &[Outcome::Error]),
        ("require('fs')", "require('fs');", &[Outcome::Error]),
        (
            "require('child_process')",
            "require('child_process').execSync('id');",
            &[Outcome::Error],
        ),
        (
            "process.env",
            "callback(null, { user_id: 'u', env: JSON.stringify(process.env) }); ",
            &[Outcome::Ok],
        ),
        (
            "a 10 MB profile",
            "callback(null, { user_id: 'u', blob: 'x'.repeat(10 * 1024 * 1024) });",
            &[Outcome::Oversized],
        ),
    ];
    let runtime = js_runtime();
    let normal = load_js(
        &runtime,
        &sources("function login(email, password, callback) { callback(null, { user_id: 'ok', email }); }"),
    )
    .await;
    for (name, body, expected) in cases {
        let script = load_js(
            &runtime,
            &sources(&format!(
                "function login(email, password, callback) {{ {body} }}"
            )),
        )
        .await;
        let report = login_with(&runtime, &script, &context(&[], Duration::from_millis(500))).await;
        assert!(expected.contains(&report.outcome), "{name}: {report:?}");
        let message = report.error.as_ref().map_or("", |e| e.message.as_str());
        match name {
            "process.env" => assert_eq!(report.profile.unwrap().extra["env"], "{}"),
            "never calling back" => assert!(message.contains("without calling callback")),
            "require('fs')" => assert!(
                message.contains("Cannot find module 'fs'") && message.contains("bcrypt"),
                "{message}"
            ),
            _ => {}
        }
        let after = login_with(&runtime, &normal, &CallContext::default()).await;
        assert_eq!(after.outcome, Outcome::Ok, "after {name}: {after:?}");
    }
}

#[tokio::test]
async fn a_second_callback_is_ignored_and_logged() {
    if javascript_unavailable("a_second_callback_is_ignored_and_logged") {
        return;
    }
    let report = run_login(
        "function login(email, password, callback) { callback(null, { user_id: 'first' }); callback(null, { user_id: 'second' }); }",
    )
    .await;
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(report.profile.unwrap().user_id, "auth0|first");
    assert!(
        report
            .logs
            .iter()
            .any(|l| l.message.contains("called again")),
        "{:?}",
        report.logs
    );
}

#[tokio::test]
async fn nothing_a_call_leaves_is_seen_by_the_next() {
    if javascript_unavailable("nothing_a_call_leaves_is_seen_by_the_next") {
        return;
    }
    let runtime = js_runtime();
    let script = load_js(
        &runtime,
        &sources(
            "function login(email, password, callback) { global.count = (global.count || 0) + 1; callback(null, { user_id: 'u', count: global.count }); }",
        ),
    )
    .await;
    for _ in 0..3 {
        let report = login_with(&runtime, &script, &CallContext::default()).await;
        assert_eq!(report.profile.unwrap().extra["count"], 1);
    }
}
