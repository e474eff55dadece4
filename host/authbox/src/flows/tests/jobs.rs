//! Bulk user imports (docs/behaviour.md §12) on both stores: a users file
//! with good, bad and duplicate users becomes migrated users of the
//! connection, who log in against their imported hashes without a script
//! call; each refused user is named with why; an upsert updates; another
//! tenant sees none of it.

use super::*;
use crate::jobs::MAX_OPEN_JOBS_PER_TENANT;
use crate::metrics::LoginResult;
use crate::runtime::Action;
use crate::store::{Job, JobStatus, JobStore};

/// `hashlib.pbkdf2_hmac('sha256', b'correct horse', b'NaClsaltsalt1234', 1000, 32)`.
const PBKDF2: &str =
    "$pbkdf2-sha256$i=1000,l=32$TmFDbHNhbHRzYWx0MTIzNA$1r95Szp1SItgwY0RuUpR8QPVZi14jq1tSjONmpeJ2Ww";

impl Setup {
    /// Imports `users` and waits (10 s at most) for the job to end.
    async fn import(&self, users: Value, upsert: bool) -> Job {
        let file = users.to_string().into_bytes();
        let options = ImportOptions {
            upsert,
            external_id: Some("batch-1".into()),
        };
        let job = self
            .authbox
            .create_users_import(&self.tenant, &self.connection, &file, options)
            .await
            .unwrap();
        assert_eq!(job.status, JobStatus::Pending);
        for _ in 0..200 {
            let now = self.authbox.job(&self.tenant, &job.id).await.unwrap();
            if matches!(now.status, JobStatus::Completed | JobStatus::Failed) {
                return now;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("job {} did not end", job.id);
    }
}

async fn imports_users(s: &Setup) {
    s.configure(|settings| settings.import_mode = true).await;
    s.upload(authbox_tests::SQLITE).await;
    // Ada is in the cache, migrated by her first login.
    s.login(ADA, ADA_PASSWORD).await.unwrap();
    let bcrypt = bcrypt::hash("nova-Pass1", 4).unwrap();
    let job = s
        .import(
            json!([
                {"email": "nova@jobs.example", "user_id": "nova", "password_hash": bcrypt,
                 "name": "Nova", "app_metadata": {"plan": "gold"}},
                {"email": "pat@jobs.example", "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": PBKDF2}}},
                {"email": "quinn@jobs.example", "blocked": true},
                {"email": "not an email"},
                {"email": "md5@jobs.example", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "5f4dcc3b5aa765d61d8327deb882cf99", "encoding": "hex"}}},
                {"email": ADA, "name": "Someone else"},
                {"email": "NOVA@jobs.example"}
            ]),
            false,
        )
        .await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    assert_eq!(
        (job.total, job.done, job.inserted, job.updated, job.failed),
        (7, 7, 3, 0, 4)
    );
    let errors = s.authbox.job_errors(&s.tenant, &job.id).await.unwrap();
    let found: Vec<(i64, &str)> = errors
        .iter()
        .map(|e| (e.position, e.errors[0].code.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (3, "INVALID_FORMAT"),
            (4, "UNSUPPORTED_HASH"),
            (5, "DUPLICATED_USER"),
            (6, "DUPLICATED_USER")
        ]
    );
    assert_eq!(errors[1].user["custom_password_hash"], json!("<hidden>"));
    assert!(!format!("{errors:?}").contains("5f4dcc3b"));

    // Imported users are migrated: they log in locally, no script runs.
    let calls = s.authbox.metrics().script_calls(Action::Login);
    let nova = s.login("nova@jobs.example", "nova-Pass1").await.unwrap();
    assert_eq!(nova.user_id, "auth0|nova");
    assert_eq!(nova.app_metadata["plan"], json!("gold"));
    assert!(nova.migrated);
    s.login("pat@jobs.example", "correct horse").await.unwrap();
    assert!(s.login("pat@jobs.example", "wrong horse").await.is_err());
    assert!(matches!(
        s.login("quinn@jobs.example", "anything").await,
        Err(FlowError::Refused(_))
    ));
    assert_eq!(s.authbox.metrics().script_calls(Action::Login), calls);
    assert!(s.authbox.metrics().logins(LoginResult::Local) >= 2);
    // Ada is untouched by the refused line.
    let ada = s.login(ADA, ADA_PASSWORD).await.unwrap();
    assert_ne!(name(&ada), &json!("Someone else"));

    // An upsert updates what the file gives, keeps the rest.
    let job = s
        .import(
            json!([{"email": ADA, "app_metadata": {"plan": "platinum"}, "blocked": false},
                   {"email": "rae@jobs.example"}]),
            true,
        )
        .await;
    assert_eq!(
        (job.inserted, job.updated, job.failed),
        (1, 1, 0),
        "{job:?}"
    );
    let ada = s.login(ADA, ADA_PASSWORD).await.unwrap();
    assert_eq!(ada.app_metadata["plan"], json!("platinum"));
    assert_eq!(
        ada.user_id, "auth0|sqlite|1",
        "matched by email, its id kept"
    );
    // A job with no errors has none.
    assert!(
        s.authbox
            .job_errors(&s.tenant, &job.id)
            .await
            .unwrap()
            .is_empty()
    );

    // What is refused at once: not a users file, another tenant's job or
    // connection, a tenant with as many open jobs as it may have.
    assert!(matches!(
        s.authbox
            .create_users_import(
                &s.tenant,
                &s.connection,
                b"{\"email\": 1}",
                ImportOptions::default()
            )
            .await,
        Err(FlowError::Job(JobRefusal::BadFile(_)))
    ));
    let other = s.authbox.create_tenant("other").await.unwrap().id;
    assert!(matches!(
        s.authbox.job(&other, &job.id).await,
        Err(FlowError::NotFound(_))
    ));
    assert!(matches!(
        s.authbox.job_errors(&other, &job.id).await,
        Err(FlowError::NotFound(_))
    ));
    assert!(matches!(
        s.authbox
            .create_users_import(&other, &s.connection, b"[]", ImportOptions::default())
            .await,
        Err(FlowError::NotFound(_))
    ));
    let waiting = Job {
        id: "job_waiting".into(),
        status: JobStatus::Pending,
        ..job.clone()
    };
    let jobs: &dyn JobStore = s.authbox.inner.store.as_ref();
    assert!(
        jobs.insert_job(&waiting, b"[]", MAX_OPEN_JOBS_PER_TENANT)
            .await
            .unwrap()
    );
    assert!(
        !jobs
            .insert_job(
                &Job {
                    id: "job_over".into(),
                    ..waiting.clone()
                },
                b"[]",
                1
            )
            .await
            .unwrap(),
        "over the cap"
    );
}

#[tokio::test]
async fn a_users_file_becomes_migrated_users_on_sqlite() {
    imports_users(&setup().await).await;
}

#[tokio::test]
async fn a_users_file_becomes_migrated_users_on_postgres() {
    if let Some(store) = LegacyDb::empty(Backend::Postgres, "jobs_on_postgres").await {
        let s = setup_on(Some(store)).await;
        imports_users(&s).await;
        if let Some(store) = s.store_schema {
            store.drop().await;
        }
    }
}
