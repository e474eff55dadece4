//! The mailer against an SMTP server on loopback.

use std::time::Duration;

use authbox_tests::smtp_server::{Behaviour, SmtpServer};

use super::{MailError, MailSettings, Mailer};

const LINK: &str = "https://auth.acme.example/lo/reset?ticket=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn settings(server: &SmtpServer) -> MailSettings {
    MailSettings::new(
        server.url.replace("smtp://", "smtp://mailer:s3cret-pass@"),
        "Acme <no-reply@acme.example>",
    )
}

#[tokio::test]
async fn a_reset_link_goes_to_the_user_through_the_operators_server() {
    let server = SmtpServer::start(Behaviour::Accept).await;
    let mailer = Mailer::new(&settings(&server)).unwrap();
    mailer
        .send_reset_link("t1", "ada@example.com", LINK, "2026-12-09T10:00:00.000Z")
        .await
        .unwrap();
    let mail = server.wait_for(1).await.remove(0);
    assert_eq!(
        mail.login,
        Some(("mailer".to_string(), "s3cret-pass".to_string()))
    );
    assert_eq!(mail.from, "no-reply@acme.example");
    assert_eq!(mail.to, ["ada@example.com"]);
    assert!(
        mail.data.contains("Subject: Reset your password"),
        "{}",
        mail.data
    );
    let text = mail.text();
    assert!(text.contains(LINK), "{text}");
    assert!(text.contains("2026-12-09T10:00:00.000Z"), "{text}");
}

#[tokio::test]
async fn a_refused_or_unreachable_server_is_an_error_in_bounded_time() {
    let refusing = SmtpServer::start(Behaviour::Refuse).await;
    let error = Mailer::new(&settings(&refusing))
        .unwrap()
        .send_reset_link("t1", "ada@example.com", LINK, "soon")
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Smtp(_)), "{error}");

    let slow = SmtpServer::start(Behaviour::Slow(Duration::from_secs(30))).await;
    let mut quick = settings(&slow);
    quick.timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let error = Mailer::new(&quick)
        .unwrap()
        .send_reset_link("t1", "ada@example.com", LINK, "soon")
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Smtp(_)), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(slow.received().is_empty());
}

#[tokio::test]
async fn a_tenant_has_its_share_of_mails_in_flight_and_no_more() {
    let server = SmtpServer::start(Behaviour::Slow(Duration::from_millis(700))).await;
    let mut one_each = settings(&server);
    one_each.per_tenant = 1;
    let mailer = std::sync::Arc::new(Mailer::new(&one_each).unwrap());
    let first = tokio::spawn({
        let mailer = mailer.clone();
        async move {
            mailer
                .send_reset_link("t1", "ada@example.com", LINK, "soon")
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = mailer
        .send_reset_link("t1", "grace@example.com", LINK, "soon")
        .await;
    assert!(matches!(refused, Err(MailError::Busy(1))), "{refused:?}");
    // Another tenant is not held up by the first.
    mailer
        .send_reset_link("t2", "linus@example.com", LINK, "soon")
        .await
        .unwrap();
    first.await.unwrap().unwrap();
    // Its place is given back once its mail is sent.
    mailer
        .send_reset_link("t1", "grace@example.com", LINK, "soon")
        .await
        .unwrap();
    let mut to: Vec<String> = server
        .wait_for(3)
        .await
        .into_iter()
        .flat_map(|m| m.to)
        .collect();
    to.sort();
    assert_eq!(
        to,
        ["ada@example.com", "grace@example.com", "linus@example.com"]
    );
}

#[tokio::test]
async fn bad_settings_are_refused_without_showing_the_password() {
    let error = Mailer::new(&MailSettings::new(
        "smtq://mailer:s3cret-pass@127.0.0.1:25",
        "no-reply@acme.example",
    ))
    .err()
    .unwrap();
    assert!(matches!(error, MailError::BadUrl(_)), "{error}");
    assert!(!error.to_string().contains("s3cret-pass"), "{error}");
    let settings = MailSettings::new("smtp://mailer:s3cret-pass@127.0.0.1:25", "not an address");
    assert!(!format!("{settings:?}").contains("s3cret-pass"));
    let error = Mailer::new(&settings).err().unwrap();
    assert!(matches!(error, MailError::BadAddress(_)), "{error}");
}

#[tokio::test]
async fn a_user_email_that_is_not_an_address_is_not_sent() {
    let server = SmtpServer::start(Behaviour::Accept).await;
    let error = Mailer::new(&settings(&server))
        .unwrap()
        .send_reset_link(
            "t1",
            "ada@example.com\r\nBcc: eve@evil.example",
            LINK,
            "soon",
        )
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::BadAddress(_)), "{error}");
    assert!(server.received().is_empty());
}
