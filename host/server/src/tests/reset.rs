//! The Authentication API's signup and password reset over HTTP, on both
//! stores: `/dbconnections/signup`, `/dbconnections/change_password` (the
//! link in the tenant's log), `/api/v2/tickets/password-change`, and the
//! reset page; a ticket is single-use, expires, and resets only its own
//! tenant's user. The connections are in import mode, so that a password
//! set by a reset is the one a login is checked against.

use authbox::mail::MailSettings;
use authbox_tests::smtp_server::{Behaviour, SmtpServer};

use super::search::{ADA, Searched, servers_configured, servers_with};
use super::*;

/// An email the `echo-user` fixture does not know until it signs up.
const NEW: &str = "nova@new.example";

impl Searched {
    /// POSTs a JSON body, with `key` as bearer if any: status and answer.
    async fn post(&self, path: &str, key: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ticket(&self, key: &str, body: Value) -> (StatusCode, Value) {
        self.post("/api/v2/tickets/password-change", Some(key), body)
            .await
    }

    /// The page at `link` (`GET`): its status and HTML.
    async fn open(&self, link: &str) -> (StatusCode, String) {
        let response = self.http.get(link).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// The reset form sent: status, `Location`, HTML.
    async fn reset(
        &self,
        token: &str,
        password: &str,
        confirm: &str,
    ) -> (StatusCode, String, String) {
        let response = self
            .http
            .post(format!("{}/lo/reset", self.base))
            .form(&[
                ("ticket", token),
                ("password", password),
                ("confirm_password", confirm),
            ])
            .send()
            .await
            .unwrap();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (response.status(), location, response.text().await.unwrap())
    }

    /// Asks for a reset link for `email` through `client_id`'s tenant.
    async fn change_password(&self, client_id: &str, email: &str) {
        let response = self.ask_reset(client_id, email).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.text().await.unwrap(),
            "We've just sent you an email to reset your password."
        );
    }

    /// `POST /dbconnections/change_password` for `email`, as a form.
    async fn ask_reset(&self, client_id: &str, email: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/dbconnections/change_password", self.base))
            .form(&[
                ("client_id", client_id),
                ("connection", "echo"),
                ("email", email),
            ])
            .send()
            .await
            .unwrap()
    }

    /// The tenant's `scpr` events, once there are `n` (5 s at most).
    async fn reset_requests(&self, n: usize) -> Vec<Value> {
        for _ in 0..50 {
            self.authbox.flush_logs().await;
            let (_, events) = self.get("/api/v2/logs?q=type:scpr", &self.key).await;
            let events = events.as_array().unwrap().clone();
            if events.len() >= n {
                return events;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("fewer than {n} scpr events");
    }

    async fn logs_in(&self, tenant: &str, email: &str, password: &str) -> bool {
        let tenant = self.authbox.tenant_by_name(tenant).await.unwrap().id;
        self.authbox
            .login(&tenant, "echo", email, password, &LoginContext::default())
            .await
            .is_ok()
    }
}

/// The token of a reset link.
fn token(link: &str) -> String {
    link.split_once("?ticket=").unwrap().1.to_string()
}

#[tokio::test]
async fn signup_and_reset_links_work_once_in_time_and_in_their_tenant_on_both_stores() {
    let import = ConnectionSettings {
        import_mode: true,
        ..ConnectionSettings::default()
    };
    for mut s in servers_with("dbconnections", &import).await {
        // The redirect of a reset is the test's to see, not to follow.
        s.http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let acme = s.authbox.tenant_by_name("acme").await.unwrap().id;
        let other = s.authbox.tenant_by_name("other").await.unwrap().id;
        let acme_app = s
            .authbox
            .create_client(&acme, "web")
            .await
            .unwrap()
            .0
            .client_id;
        let other_app = s
            .authbox
            .create_client(&other, "web")
            .await
            .unwrap()
            .0
            .client_id;

        // Signup, in Auth0's shapes.
        let signup = |client_id: &str, password: &str| {
            json!({"client_id": client_id, "connection": "echo", "email": NEW,
                   "password": password, "user_metadata": {"lang": "fr"}, "given_name": "Nova"})
        };
        let (status, user) = s
            .post(
                "/dbconnections/signup",
                None,
                signup(&acme_app, "first-Pass1"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{user}");
        let user_id = s.authbox.users_by_email(&acme, NEW).await.unwrap()[0]
            .user_id
            .clone();
        assert_eq!(
            format!("auth0|{}", user["_id"].as_str().unwrap()),
            user_id,
            "{user}"
        );
        assert_eq!(
            (
                &user["email"],
                &user["email_verified"],
                &user["user_metadata"]
            ),
            (&json!(NEW), &json!(false), &json!({"lang": "fr"}))
        );
        assert_eq!(user["given_name"], json!("Nova"), "kept in import mode");
        assert!(user.get("password").is_none(), "{user}");
        let (status, error) = s
            .post("/dbconnections/signup", None, signup(&acme_app, "again"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(
            error,
            json!({"name": "BadRequestError", "code": "user_exists",
                   "description": "The user already exists.", "statusCode": 400})
        );
        let (status, _) = s
            .post(
                "/dbconnections/signup",
                None,
                signup(&other_app, "other-Pass1"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "the same email in another tenant");
        for (body, code) in [
            (
                json!({"client_id": acme_app, "connection": "echo", "email": "x@example.com"}),
                "invalid_body",
            ),
            (
                json!({"client_id": "nobody", "connection": "echo", "email": "x@example.com", "password": "p"}),
                "invalid_client",
            ),
            (
                json!({"client_id": acme_app, "connection": "nope", "email": "x@example.com", "password": "p"}),
                "invalid_connection",
            ),
            (
                json!({"client_id": acme_app, "connection": "echo", "email": 7, "password": "p"}),
                "invalid_body",
            ),
        ] {
            let (status, error) = s.post("/dbconnections/signup", None, body.clone()).await;
            assert!(status.is_client_error(), "{body}: {status}");
            assert_eq!(error["code"], json!(code), "{body}: {error}");
            assert_eq!(error["statusCode"], json!(status.as_u16()), "{error}");
        }
        assert!(s.logs_in("acme", NEW, "first-Pass1").await);

        // A reset asked for by email: the same answer for any email; the
        // link of a known one goes to the tenant's log.
        for email in [NEW, "nobody@new.example"] {
            s.change_password(&acme_app, email).await;
        }
        let requests = s.reset_requests(1).await;
        assert_eq!(
            requests.len(),
            1,
            "no link for an unknown email: {requests:?}"
        );
        assert_eq!(requests[0]["user_name"], json!(NEW));
        let link = requests[0]["details"]["email"]["link"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            link.starts_with(&format!("{}/lo/reset?ticket=", s.base)),
            "{link}"
        );

        // The page, then the form: mismatched, then set; then used.
        let (status, html) = s.open(&link).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains(NEW) && html.contains("name=\"password\""),
            "{html}"
        );
        let (status, _, html) = s.reset(&token(&link), "second-Pass2", "different").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("differ"), "{html}");
        let (status, _, html) = s.reset(&token(&link), "second-Pass2", "second-Pass2").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(s.logs_in("acme", NEW, "second-Pass2").await);
        assert!(!s.logs_in("acme", NEW, "first-Pass1").await);
        assert!(
            s.logs_in("other", NEW, "other-Pass1").await,
            "the other tenant's user is untouched"
        );
        let (status, _, _) = s.reset(&token(&link), "third-Pass3", "third-Pass3").await;
        assert_eq!(status, StatusCode::GONE, "used twice");
        assert_eq!(s.open(&link).await.0, StatusCode::GONE);
        assert!(s.logs_in("acme", NEW, "second-Pass2").await);

        // A ticket from the Management API: to its result_url; expiring.
        let (status, made) = s
            .ticket(
                &s.key,
                json!({"user_id": user_id, "result_url": "http://127.0.0.1:9/done"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let link = made["ticket"].as_str().unwrap();
        let (status, location, _) = s.reset(&token(link), "fourth-Pass4", "fourth-Pass4").await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, "http://127.0.0.1:9/done")
        );
        assert!(s.logs_in("acme", NEW, "fourth-Pass4").await);
        // Two uses at once: one wins.
        let (_, made) = s.ticket(&s.key, json!({"user_id": user_id})).await;
        let raced = token(made["ticket"].as_str().unwrap());
        let (a, b) = tokio::join!(
            s.reset(&raced, "fourth-Pass4", "fourth-Pass4"),
            s.reset(&raced, "raced-Pass9", "raced-Pass9")
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::GONE]);
        let (status, made) = s
            .ticket(&s.key, json!({"user_id": user_id, "ttl_sec": 1}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let link = made["ticket"].as_str().unwrap();
        assert_eq!(s.open(link).await.0, StatusCode::GONE, "expired");
        let (status, _, _) = s.reset(&token(link), "fifth-Pass5", "fifth-Pass5").await;
        assert_eq!(status, StatusCode::GONE);
        let winner = if a.0 == StatusCode::OK {
            "fourth-Pass4"
        } else {
            "raced-Pass9"
        };
        assert!(s.logs_in("acme", NEW, winner).await);
        assert_eq!(
            s.open(&format!("{}/lo/reset?ticket=forged", s.base))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        // A body that is not the form: a page saying so, the ticket unused.
        let (_, made) = s.ticket(&s.key, json!({"user_id": user_id})).await;
        let link = made["ticket"].as_str().unwrap();
        let response = s
            .http
            .post(format!("{}/lo/reset", s.base))
            .json(&json!({"ticket": token(link), "password": "json-Pass6", "confirm_password": "json-Pass6"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("not sent as a form")
        );
        assert_eq!(s.open(link).await.0, StatusCode::OK, "still usable");

        // Another tenant cannot make a ticket for this tenant's user.
        let (status, error) = s.ticket(&s.other_key, json!({"user_id": user_id})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
        for body in [
            json!({}),
            json!({"email": NEW}),
            json!({"user_id": user_id, "email": NEW, "connection_id": "x"}),
            json!({"user_id": user_id, "ttl_sec": 2_592_001}),
            json!({"user_id": user_id, "mark_email_as_verified": true}),
        ] {
            let (status, error) = s.ticket(&s.key, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        }

        // The log: each reset, no password.
        s.authbox.flush_logs().await;
        let (_, changes) = s.get("/api/v2/logs?q=type:scp&per_page=10", &s.key).await;
        assert_eq!(changes.as_array().unwrap().len(), 3, "{changes}");
        assert_eq!(changes[0]["user_id"], json!(user_id));
        let (_, all) = s.get("/api/v2/logs?per_page=100", &s.key).await;
        for password in ["first-Pass1", "second-Pass2", "fourth-Pass4"] {
            assert!(!all.to_string().contains(password), "{password} in the log");
        }
    }
}

#[tokio::test]
async fn reset_links_go_by_mail_through_the_operators_smtp_server_and_not_to_the_log() {
    let smtp = SmtpServer::start(Behaviour::Accept).await;
    let mail = MailSettings::new(
        smtp.url.replace("smtp://", "smtp://mailer:s3cret-pass@"),
        "Acme <no-reply@acme.example>",
    );
    let import = ConnectionSettings {
        import_mode: true,
        ..ConnectionSettings::default()
    };
    let servers = servers_configured("mail", &import, |config| {
        config.mail = Some(mail.clone());
    })
    .await;
    let mut mails = 0;
    for s in servers {
        let acme = s.authbox.tenant_by_name("acme").await.unwrap().id;
        let app = s.authbox.create_client(&acme, "web").await.unwrap().0;
        for email in ["nobody@new.example", ADA] {
            s.change_password(&app.client_id, email).await;
        }
        mails += 1;
        let mail = smtp.wait_for(mails).await.pop().unwrap();
        assert_eq!(mail.to, [ADA]);
        assert_eq!(
            smtp.received().len(),
            mails,
            "no mail for the unknown email"
        );
        assert_eq!(mail.from, "no-reply@acme.example");
        let text = mail.text();
        let link = text
            .lines()
            .find(|line| line.starts_with(&format!("{}/lo/reset?ticket=", s.base)))
            .unwrap_or_else(|| panic!("no link in {text}"))
            .to_string();
        let requests = s.reset_requests(1).await;
        assert_eq!(
            requests[0]["details"]["email"],
            json!({"delivery": "sent"}),
            "{requests:?}"
        );
        assert!(
            !Value::from(requests.clone())
                .to_string()
                .contains(&token(&link))
        );
        let (status, html) = s.open(&link).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let (status, _, _) = s.reset(&token(&link), "mailed-Pass1", "mailed-Pass1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(s.logs_in("acme", ADA, "mailed-Pass1").await);

        // A server that refuses: the same answer, the failure in the log.
        smtp.set_behaviour(Behaviour::Refuse);
        s.change_password(&app.client_id, ADA).await;
        let requests = s.reset_requests(2).await;
        let delivery = requests[0]["details"]["email"]["delivery"]
            .as_str()
            .unwrap();
        assert!(delivery.starts_with("failed: "), "{requests:?}");
        assert!(requests[0]["details"]["email"].get("link").is_none());
        smtp.set_behaviour(Behaviour::Accept);

        s.authbox.flush_logs().await;
        let (_, all) = s.get("/api/v2/logs?per_page=100", &s.key).await;
        assert!(!all.to_string().contains("s3cret-pass"), "{all}");
    }
}

#[tokio::test]
async fn reset_requests_are_limited_per_ip_and_email_and_per_ip_on_both_stores() {
    for s in servers_with("reset_limits", &ConnectionSettings::default()).await {
        let acme = s.authbox.tenant_by_name("acme").await.unwrap().id;
        let app = s.authbox.create_client(&acme, "web").await.unwrap().0;
        let ask = |email: String| {
            let (s, app) = (&s, &app);
            async move { s.ask_reset(&app.client_id, &email).await }
        };
        // The per-IP bucket gets one request back each second from the first.
        let started = std::time::Instant::now();
        // One email from one IP: 10 at once (Auth0's burst), then refused
        // in Auth0's shape with Retry-After, known email or not: the
        // minute until that email's limit takes one again.
        for email in [ADA, "nobody@new.example"] {
            for n in 0..10 {
                let response = ask(email.to_string()).await;
                assert_eq!(response.status(), StatusCode::OK, "{email} #{n}");
            }
            let refused = ask(email.to_uppercase()).await;
            assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
            let retry_after = retry_after_of(&refused);
            assert!((55..=60).contains(&retry_after), "{email}: {retry_after}");
            let error: Value = refused.json().await.unwrap();
            assert_eq!(error["code"], json!("too_many_requests"), "{error}");
            assert_eq!(error["statusCode"], json!(429), "{error}");
        }
        // Any email from that IP: 60 at once, one a second after that
        // (20 went above; the refusals counted nothing).
        let mut accepted = 20;
        loop {
            let response = ask(format!("spray{accepted}@new.example")).await;
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                // The address's limit takes one a second.
                assert_eq!(retry_after_of(&response), 1);
                break;
            }
            assert_eq!(response.status(), StatusCode::OK);
            accepted += 1;
            assert!(accepted < 200, "never refused");
        }
        let refilled = started.elapsed().as_secs() as usize + 1;
        assert!(
            (60..=60 + refilled).contains(&accepted),
            "{accepted} accepted in {refilled} s"
        );
        // An IP the tenant trusts (its suspicious-IP allow-list) is not
        // limited per IP, still per email.
        let trust = serde_json::from_value(json!({"allowlist": ["127.0.0.1"]})).unwrap();
        s.authbox
            .update_suspicious_ip_throttling(&acme, trust)
            .await
            .unwrap();
        let response = ask("trusted@new.example".into()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = ask(ADA.into()).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        // Other tenants count on their own.
        let other = s.authbox.tenant_by_name("other").await.unwrap().id;
        let other_app = s.authbox.create_client(&other, "web").await.unwrap().0;
        let response = s.ask_reset(&other_app.client_id, ADA).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
}

/// The seconds of a response's `Retry-After`.
fn retry_after_of(response: &reqwest::Response) -> u64 {
    let header = response.headers().get("retry-after").expect("Retry-After");
    header.to_str().unwrap().parse().unwrap()
}
