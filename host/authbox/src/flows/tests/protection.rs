//! Attack protection through the flows (docs/behaviour.md §8), with the
//! `sqlite` template: blocks and throttles refuse before any script runs,
//! successes and password resets lift what they should, and two
//! `Authbox`es on one PostgreSQL store share the counters.

use super::*;
use crate::protection::{BruteForcePatch, Shield, SuspiciousIpPatch};
use crate::runtime::Action;

const GRACE: &str = "grace@example.com";
const GRACE_PASSWORD: &str = "hopper1906";

fn from(ip: &str) -> LoginContext {
    LoginContext {
        ip: Some(ip.into()),
        ..LoginContext::default()
    }
}

async fn login_from(
    s: &Setup,
    ip: &str,
    user: &str,
    password: &str,
) -> Result<CachedUser, FlowError> {
    s.authbox
        .login(&s.tenant, "legacy", user, password, &from(ip))
        .await
}

fn brute_force(json: Value) -> BruteForcePatch {
    serde_json::from_value(json).unwrap()
}

fn suspicious_ip(json: Value) -> SuspiciousIpPatch {
    serde_json::from_value(json).unwrap()
}

fn is_wrong_password<T: std::fmt::Debug>(result: &Result<T, FlowError>) -> bool {
    matches!(
        result,
        Err(FlowError::Refused(Refusal::WrongCredentials { .. }))
    )
}

fn refused_by<T: std::fmt::Debug>(result: &Result<T, FlowError>, shield: Shield) -> bool {
    matches!(result, Err(FlowError::TooManyAttempts(s)) if *s == shield)
}

/// Three wrong passwords of Grace from `ip` (in any case of her email).
async fn fail_three_times(s: &Setup, ip: &str) {
    for user in [GRACE, "GRACE@example.com", GRACE] {
        let result = login_from(s, ip, user, "wrong").await;
        assert!(is_wrong_password(&result), "{result:?}");
    }
}

#[tokio::test]
async fn consecutive_failures_block_the_identifier_from_that_ip_before_the_script_runs() {
    let s = setup_with_script().await;
    s.authbox
        .update_brute_force_protection(&s.tenant, brute_force(json!({"max_attempts": 3})))
        .await
        .unwrap();
    fail_three_times(&s, "198.51.100.1").await;

    let calls = s.authbox.metrics().script_calls(Action::Login);
    let blocked = login_from(&s, "198.51.100.1", GRACE, GRACE_PASSWORD).await;
    assert!(refused_by(&blocked, Shield::BruteForce), "{blocked:?}");
    // Her username is another identifier, not blocked.
    login_from(&s, "198.51.100.1", "grace", GRACE_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        s.authbox.metrics().script_calls(Action::Login),
        calls + 1,
        "the blocked attempt never reached the script"
    );
    assert_eq!(
        s.authbox
            .metrics()
            .attempts_refused(&s.tenant, Shield::BruteForce),
        1
    );
    // From another IP she logs in.
    login_from(&s, "198.51.100.2", GRACE, GRACE_PASSWORD)
        .await
        .unwrap();

    let grace_id = "auth0|sqlite|2";
    let blocks = s
        .authbox
        .user_blocks(&s.tenant, grace_id, false)
        .await
        .unwrap();
    assert_eq!(
        blocks,
        vec![crate::protection::Block {
            identifier: GRACE.into(),
            ip: Some("198.51.100.1".into()),
            connection: "legacy".into(),
        }]
    );
    assert_eq!(
        s.authbox
            .identifier_blocks(&s.tenant, "Grace@Example.com", false)
            .await
            .unwrap(),
        blocks
    );
    // Unblocked through the user: she logs in from that IP again.
    s.authbox.unblock_user(&s.tenant, grace_id).await.unwrap();
    assert!(
        s.authbox
            .user_blocks(&s.tenant, grace_id, false)
            .await
            .unwrap()
            .is_empty()
    );
    login_from(&s, "198.51.100.1", GRACE, GRACE_PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_success_starts_the_count_again_and_unknown_users_are_counted_too() {
    let s = setup_with_script().await;
    s.authbox
        .update_brute_force_protection(&s.tenant, brute_force(json!({"max_attempts": 3})))
        .await
        .unwrap();
    let ip = "198.51.100.3";
    for _ in 0..2 {
        assert!(is_wrong_password(&login_from(&s, ip, GRACE, "wrong").await));
    }
    login_from(&s, ip, GRACE, GRACE_PASSWORD).await.unwrap();
    for _ in 0..2 {
        assert!(is_wrong_password(&login_from(&s, ip, GRACE, "wrong").await));
    }
    login_from(&s, ip, GRACE, GRACE_PASSWORD).await.unwrap();

    // An identifier the legacy database does not know is blocked all the
    // same (an attacker learns nothing from when blocks start).
    for _ in 0..3 {
        assert!(is_wrong_password(
            &login_from(&s, ip, "nobody@example.com", "x").await
        ));
    }
    let blocked = login_from(&s, ip, "nobody@example.com", "x").await;
    assert!(refused_by(&blocked, Shield::BruteForce), "{blocked:?}");
    s.authbox
        .unblock_identifier(&s.tenant, "NOBODY@example.com")
        .await
        .unwrap();
    assert!(is_wrong_password(
        &login_from(&s, ip, "nobody@example.com", "x").await
    ));
}

#[tokio::test]
async fn a_password_reset_lifts_the_block_and_per_identifier_mode_blocks_every_ip() {
    let s = setup_with_script().await;
    let patch = json!({"max_attempts": 3, "mode": "count_per_identifier"});
    s.authbox
        .update_brute_force_protection(&s.tenant, brute_force(patch))
        .await
        .unwrap();
    // Failures from three IPs add up.
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        assert!(is_wrong_password(&login_from(&s, ip, GRACE, "wrong").await));
    }
    let blocked = login_from(&s, "192.0.2.4", GRACE, GRACE_PASSWORD).await;
    assert!(refused_by(&blocked, Shield::BruteForce), "{blocked:?}");
    let blocks = s
        .authbox
        .identifier_blocks(&s.tenant, GRACE, true)
        .await
        .unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].ip, None);

    s.authbox
        .reset_password(&s.tenant, "legacy", GRACE, "a new one 1906")
        .await
        .unwrap();
    login_from(&s, "192.0.2.4", GRACE, "a new one 1906")
        .await
        .unwrap();
}

/// Three wrong passwords of Grace from `ip`, then her right one: let in.
async fn never_blocked(s: &Setup, ip: &str) {
    for _ in 0..3 {
        assert!(is_wrong_password(&login_from(s, ip, GRACE, "wrong").await));
    }
    login_from(s, ip, GRACE, GRACE_PASSWORD).await.unwrap();
}

#[tokio::test]
async fn disabled_or_allowlisted_protection_counts_nothing() {
    let s = setup_with_script().await;
    let patch = json!({"max_attempts": 1, "allowlist": ["203.0.113.0/24"]});
    s.authbox
        .update_brute_force_protection(&s.tenant, brute_force(patch))
        .await
        .unwrap();
    never_blocked(&s, "203.0.113.9").await;
    s.authbox
        .update_brute_force_protection(&s.tenant, brute_force(json!({"enabled": false})))
        .await
        .unwrap();
    never_blocked(&s, "198.51.100.9").await;
    // Blocks listed only when enforced, with Auth0's switch.
    assert!(
        s.authbox
            .identifier_blocks(&s.tenant, GRACE, true)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_ip_failing_across_users_is_throttled_then_let_through_one_at_a_time() {
    let s = setup_with_script().await;
    let patch = json!({"stage": {"pre-login": {"max_attempts": 3, "rate": 400}}});
    s.authbox
        .update_suspicious_ip_throttling(&s.tenant, suspicious_ip(patch))
        .await
        .unwrap();
    let ip = "198.51.100.20";
    for user in ["a@example.com", "b@example.com", "c@example.com"] {
        assert!(is_wrong_password(&login_from(&s, ip, user, "x").await));
    }
    // Any user from that IP, even with the right password, is refused
    // before the script runs; another IP is not.
    let calls = s.authbox.metrics().script_calls(Action::Login);
    let throttled = login_from(&s, ip, GRACE, GRACE_PASSWORD).await;
    assert!(
        refused_by(&throttled, Shield::SuspiciousIp),
        "{throttled:?}"
    );
    assert_eq!(s.authbox.metrics().script_calls(Action::Login), calls);
    assert!(s.authbox.ip_blocked(&s.tenant, ip).await.unwrap());
    assert!(
        !s.authbox
            .ip_blocked(&s.tenant, "198.51.100.21")
            .await
            .unwrap()
    );
    login_from(&s, "198.51.100.21", GRACE, GRACE_PASSWORD)
        .await
        .unwrap();
    // The tenant's log says so, once: `limit_mu`, with the IP.
    let blocks: Vec<_> = s
        .events()
        .await
        .into_iter()
        .filter(|e| e.event_type == "limit_mu")
        .collect();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0].ip.as_deref(), Some(ip));
    assert_eq!(blocks[0].connection.as_deref(), Some("legacy"));
    assert!(
        blocks[0].description.contains("failed logins"),
        "{blocks:?}"
    );

    // One rate later one attempt passes (slowed); its failure empties the
    // bucket again.
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    assert!(is_wrong_password(
        &login_from(&s, ip, "d@example.com", "x").await
    ));
    let again = login_from(&s, ip, GRACE, GRACE_PASSWORD).await;
    assert!(refused_by(&again, Shield::SuspiciousIp), "{again:?}");

    s.authbox.unblock_ip(&s.tenant, ip).await.unwrap();
    assert!(!s.authbox.ip_blocked(&s.tenant, ip).await.unwrap());
    login_from(&s, ip, GRACE, GRACE_PASSWORD).await.unwrap();
}

#[tokio::test]
async fn signups_from_one_ip_are_throttled() {
    let s = setup_with_script().await;
    let patch = json!({"stage": {"pre-user-registration": {"max_attempts": 2, "rate": 60000}}});
    s.authbox
        .update_suspicious_ip_throttling(&s.tenant, suspicious_ip(patch))
        .await
        .unwrap();
    let signup = |email: &str, ip: &str| {
        let user = crate::runtime::NewUser {
            email: email.into(),
            password: "a long enough password".into(),
            ..Default::default()
        };
        let context = from(ip);
        let authbox = s.authbox.clone();
        let tenant = s.tenant.clone();
        async move {
            authbox
                .signup(&tenant, "legacy", user, &Default::default(), &context)
                .await
        }
    };
    signup("new1@example.com", "192.0.2.50").await.unwrap();
    signup("new2@example.com", "192.0.2.50").await.unwrap();
    let third = signup("new3@example.com", "192.0.2.50").await;
    assert!(refused_by(&third, Shield::SuspiciousIp), "{third:?}");
    signup("new3@example.com", "192.0.2.51").await.unwrap();
    let blocks: Vec<_> = s
        .events()
        .await
        .into_iter()
        .filter(|e| e.event_type == "limit_mu")
        .map(|e| (e.ip, e.description))
        .collect();
    assert_eq!(
        blocks,
        [(
            Some("192.0.2.50".to_string()),
            "Too many signups from this IP address: throttled".to_string()
        )]
    );
}

#[tokio::test]
async fn bad_settings_change_nothing() {
    let s = setup().await;
    let before = s.authbox.attack_protection(&s.tenant).await.unwrap();
    let bad = brute_force(json!({"max_attempts": 3, "allowlist": ["not an ip"]}));
    let error = s
        .authbox
        .update_brute_force_protection(&s.tenant, bad)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, FlowError::InvalidTenantSettings(m) if m.contains("`not an ip`")),
        "{error:?}"
    );
    assert_eq!(
        s.authbox.attack_protection(&s.tenant).await.unwrap(),
        before
    );
}

#[tokio::test]
async fn two_authboxes_on_postgres_share_blocks_and_unblocks() {
    let Some(store) = LegacyDb::empty(Backend::Postgres, "protection_shared").await else {
        return;
    };
    let s = setup_on(Some(store)).await;
    s.upload(authbox_tests::SQLITE).await;
    s.authbox
        .update_brute_force_protection(&s.tenant, brute_force(json!({"max_attempts": 3})))
        .await
        .unwrap();
    let mut config = AuthboxConfig::sqlite(s.dir.path().join("second.db").to_str().unwrap());
    config.store_url = s.store_schema.as_ref().unwrap().url.clone();
    config.secret_key = s.secret_key.clone();
    let second = Authbox::open(config).await.unwrap();

    fail_three_times(&s, "198.51.100.30").await;
    let blocked = second
        .login(
            &s.tenant,
            "legacy",
            GRACE,
            GRACE_PASSWORD,
            &from("198.51.100.30"),
        )
        .await;
    assert!(refused_by(&blocked, Shield::BruteForce), "{blocked:?}");
    s.authbox
        .unblock_identifier(&s.tenant, GRACE)
        .await
        .unwrap();
    second
        .login(
            &s.tenant,
            "legacy",
            GRACE,
            GRACE_PASSWORD,
            &from("198.51.100.30"),
        )
        .await
        .unwrap();
    second.close().await;
    if let Some(store) = s.store_schema {
        store.drop().await;
    }
}
