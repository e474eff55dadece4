//! Attack protection's pure parts: settings and their patches, the
//! allow-list, the bucket's arithmetic, blocks by mode.

use super::*;
use crate::store::LoginFailures;

#[test]
fn defaults_are_auth0s() {
    let settings = AttackProtection::default();
    let brute_force = serde_json::to_value(&settings.brute_force).unwrap();
    assert_eq!(
        brute_force,
        serde_json::json!({
            "enabled": true,
            "shields": ["block", "user_notification"],
            "allowlist": [],
            "mode": "count_per_identifier_and_ip",
            "max_attempts": 10
        })
    );
    let suspicious_ip = serde_json::to_value(&settings.suspicious_ip).unwrap();
    assert_eq!(
        suspicious_ip,
        serde_json::json!({
            "enabled": true,
            "shields": ["block", "admin_notification"],
            "allowlist": [],
            "stage": {
                "pre-login": {"max_attempts": 100, "rate": 864000},
                "pre-user-registration": {"max_attempts": 50, "rate": 1200}
            }
        })
    );
}

fn brute_force_patch(json: serde_json::Value) -> Result<BruteForcePatch, serde_json::Error> {
    serde_json::from_value(json)
}

#[test]
fn a_patch_replaces_what_it_names_and_is_checked_whole() {
    let settings = BruteForceProtection::default();
    let patch =
        brute_force_patch(serde_json::json!({"max_attempts": 3, "mode": "count_per_identifier"}));
    let patched = settings.patched(patch.unwrap()).unwrap();
    assert_eq!(patched.max_attempts, 3);
    assert_eq!(patched.mode, BruteForceMode::CountPerIdentifier);
    assert_eq!(patched.shields, settings.shields);

    for (bad, named) in [
        (
            serde_json::json!({"max_attempts": 0}),
            "max_attempts must be from 1 to 100, not 0",
        ),
        (serde_json::json!({"max_attempts": 101}), "not 101"),
        (
            serde_json::json!({"allowlist": ["10.0.0.0/8", "nope"]}),
            "allowlist: `nope` is not an IP address or a CIDR range",
        ),
    ] {
        let error = settings
            .patched(brute_force_patch(bad).unwrap())
            .unwrap_err();
        assert!(error.contains(named), "{error}");
    }
    // Unknown properties and shields are refused when parsed.
    assert!(brute_force_patch(serde_json::json!({"max_attempt": 3})).is_err());
    assert!(brute_force_patch(serde_json::json!({"shields": ["shout"]})).is_err());
}

#[test]
fn a_stage_is_patched_field_by_field() {
    let settings = SuspiciousIpThrottling::default();
    let patch: SuspiciousIpPatch =
        serde_json::from_value(serde_json::json!({"stage": {"pre-login": {"max_attempts": 5}}}))
            .unwrap();
    let patched = settings.patched(patch).unwrap();
    assert_eq!(
        patched.stage.pre_login,
        ThrottleStage {
            max_attempts: 5,
            rate: 864_000
        }
    );
    assert_eq!(
        patched.stage.pre_user_registration,
        settings.stage.pre_user_registration
    );
    let zero_rate: SuspiciousIpPatch = serde_json::from_value(
        serde_json::json!({"stage": {"pre-user-registration": {"rate": 0}}}),
    )
    .unwrap();
    let error = settings.patched(zero_rate).unwrap_err();
    assert_eq!(
        error,
        "stage.pre-user-registration.rate must be from 1 to 86400000, not 0"
    );
}

#[test]
fn the_allowlist_holds_addresses_and_ranges_in_both_families() {
    let list = Allowlist::parse(&[
        "10.0.0.0/8".to_string(),
        "2001:db8::/32".to_string(),
        "192.0.2.7".to_string(),
    ])
    .unwrap();
    assert!(list.contains("10.1.2.3"));
    assert!(list.contains("2001:db8::1"));
    assert!(list.contains("192.0.2.7"));
    // An IPv4 address mapped into IPv6 is the IPv4 address.
    assert!(list.contains("::ffff:10.9.9.9"));
    assert!(!list.contains("192.0.2.8"));
    assert!(!list.contains("11.0.0.1"));
    assert!(!list.contains(""));
}

#[test]
fn a_bucket_holds_max_attempts_then_lets_one_through_per_rate() {
    let bucket = Bucket {
        max_attempts: 3,
        rate_ms: 1_000,
    };
    let now = 1_000_000;
    // Each counted attempt pushes the due time one rate past max(due, now).
    let mut due = now;
    for n in 1..=3 {
        assert!(!bucket.is_empty(due, now), "attempt {n} passes");
        due = due.max(now) + 1_000;
    }
    assert!(bucket.is_empty(due, now), "the fourth is refused");
    assert_eq!(bucket.wait_ms(due, now), 1_000);
    // One rate later, one attempt passes again (slowed), and a failure
    // empties it again.
    let later = now + 1_000;
    assert!(!bucket.is_empty(due, later));
    due = due.max(later) + 1_000;
    assert!(bucket.is_empty(due, later));
    // Long after, the bucket is full again.
    assert!(!bucket.is_empty(due, now + 1_000_000));
}

fn failures(rows: &[(&str, &str, i64)]) -> Vec<LoginFailures> {
    rows.iter()
        .map(|(identifier, ip, failures)| LoginFailures {
            connection: "legacy".into(),
            identifier: identifier.to_string(),
            ip: ip.to_string(),
            failures: *failures,
        })
        .collect()
}

#[test]
fn blocks_count_per_identifier_and_ip_or_per_identifier_by_the_mode() {
    let rows = failures(&[("ada@x.org", "10.0.0.1", 3), ("ada@x.org", "10.0.0.2", 2)]);
    let mut settings = AttackProtection::default();
    settings.brute_force.max_attempts = 3;
    let per_ip = Policy::new(settings.clone());
    assert_eq!(per_ip.failures_against(&rows, "10.0.0.2"), 2);
    assert_eq!(
        per_ip.blocks(&rows),
        vec![Block {
            identifier: "ada@x.org".into(),
            ip: Some("10.0.0.1".into()),
            connection: "legacy".into()
        }]
    );
    settings.brute_force.mode = BruteForceMode::CountPerIdentifier;
    let anywhere = Policy::new(settings);
    assert_eq!(anywhere.failures_against(&rows, "10.0.0.9"), 5);
    assert_eq!(
        anywhere.blocks(&rows),
        vec![Block {
            identifier: "ada@x.org".into(),
            ip: None,
            connection: "legacy".into()
        }]
    );
}

#[test]
fn allowlisted_and_disabled_are_not_counted() {
    let mut settings = AttackProtection::default();
    settings.brute_force.allowlist = vec!["10.0.0.0/8".into()];
    settings.suspicious_ip.allowlist = vec!["192.0.2.1".into()];
    let policy = Policy::new(settings.clone());
    assert!(!policy.counts_identifiers("10.2.3.4"));
    assert!(policy.counts_identifiers("192.0.2.1"));
    assert!(!policy.throttles("192.0.2.1"));
    assert!(policy.throttles("10.2.3.4"));
    settings.brute_force.enabled = false;
    settings.suspicious_ip.enabled = false;
    let off = Policy::new(settings);
    assert!(!off.counts_identifiers("192.0.2.9"));
    assert!(!off.throttles("192.0.2.9"));
}

#[test]
fn identifiers_are_counted_in_any_case() {
    assert_eq!(identifier_key("  Ada@Example.COM "), "ada@example.com");
}
