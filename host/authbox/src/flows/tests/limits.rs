//! A connection's own limits: checked when set, applied to its calls.

use super::*;

#[tokio::test]
async fn limits_out_of_range_and_bad_data_sources_are_refused_when_set() {
    let s = setup().await;
    let connection = s
        .authbox
        .store()
        .connection(&s.tenant, &s.connection)
        .await
        .unwrap();
    let mut settings = connection.settings.clone();
    settings.limits.timeout_ms = 600_000;
    let refused = s
        .authbox
        .update_connection(&s.tenant, &s.connection, &settings)
        .await;
    let Err(FlowError::InvalidSettings { reason, .. }) = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(
        reason,
        "limits.timeout_ms must be from 100 to 60000, not 600000"
    );

    let mut settings = connection.settings.clone();
    settings
        .datasources
        .insert("billing".into(), "postgres://app:hunter2@db:99999/x".into());
    let refused = s
        .authbox
        .create_connection(&s.tenant, "billing", &settings)
        .await;
    let Err(error @ FlowError::InvalidSettings { .. }) = refused else {
        panic!("{refused:?}");
    };
    assert!(error.to_string().contains("billing"), "{error}");
    assert!(!error.to_string().contains("hunter2"), "{error}");
    // Nothing was stored.
    let stored = s.authbox.store().connection(&s.tenant, &s.connection).await;
    assert_eq!(stored.unwrap().settings, connection.settings);
    assert!(matches!(
        s.authbox
            .store()
            .connection_by_name(&s.tenant, "billing")
            .await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_connections_time_and_memory_limits_bound_its_calls() {
    let s = setup().await;
    s.upload(authbox_tests::HOSTILE).await;
    s.configure(|settings| {
        settings.limits.timeout_ms = 300;
        settings.limits.memory_mib = 8;
    })
    .await;

    let started = std::time::Instant::now();
    let Err(FlowError::Script(report)) = s.login("loop", "x").await else {
        panic!("the spinning script was not stopped");
    };
    assert_eq!(report.outcome, Outcome::Timeout);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert!(report.error.unwrap().message.contains("300-ms"));

    let Err(FlowError::Script(report)) = s.login("grow", "x").await else {
        panic!("the growing script was not stopped");
    };
    assert_eq!(report.outcome, Outcome::MemoryLimit);
    assert!(
        report
            .error
            .unwrap()
            .message
            .contains(&(8 << 20).to_string())
    );

    // The connection still serves.
    let user = s.login("ok@example.com", "x").await.unwrap();
    assert_eq!(user.user_id, "auth0|hostile|ok");
}

#[tokio::test]
async fn caps_stored_under_a_higher_most_are_cut_to_the_deployments_most_now() {
    let s = setup().await;
    let max = s.authbox.inner.tenant_calls.max;
    // As written when the deployment allowed more.
    s.authbox
        .store()
        .set_tenant_calls(&s.tenant, Some(max + 40))
        .await
        .unwrap();
    s.configure(|settings| settings.limits.calls_in_flight = Some(2))
        .await;
    let mut connection = s
        .authbox
        .store()
        .connection(&s.tenant, &s.connection)
        .await
        .unwrap();
    let share = s.authbox.call_share(&connection).await.unwrap();
    assert_eq!(share.calls.tenant, max as usize);
    assert_eq!(share.calls.connection, 2);
    connection.settings.limits.calls_in_flight = Some(max + 40);
    let share = s.authbox.call_share(&connection).await.unwrap();
    assert_eq!(share.calls.connection, max as usize);
    assert_eq!(&*share.owner.tenant, s.tenant.as_str());
    assert_eq!(&*share.owner.connection, s.connection.as_str());
}
