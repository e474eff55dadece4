//! Bulk user jobs (docs/behaviour.md §12) on both stores. Imports: a users
//! file with good, bad and duplicate users becomes migrated users of the
//! connection, who log in against their imported hashes without a script
//! call; each refused user is named with why; an upsert updates; another
//! tenant sees none of it. Exports: the cached users in CSV (escaped) or
//! NDJSON, with the fields asked for, by a signed link that expires.

use std::io::Read as _;

use super::*;
use crate::flows::ExportOptions;
use crate::jobs::{ExportField, ExportFormat, MAX_OPEN_JOBS_PER_TENANT};
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
        self.finished(job).await
    }

    /// Waits (10 s at most) for `job` to end.
    async fn finished(&self, job: Job) -> Job {
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
                {"email": "ldap@jobs.example", "custom_password_hash": {"algorithm": "ldap", "hash": {"value": "{SSHA}5f4dcc3b5aa765d61d8327deb882cf99"}}},
                {"email": ADA, "name": "Someone else"},
                {"email": "NOVA@jobs.example"},
                {"email": "md5@jobs.example", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "5f4dcc3b5aa765d61d8327deb882cf99", "encoding": "hex"}}}
            ]),
            false,
        )
        .await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    assert_eq!(
        (job.total, job.done, job.inserted, job.updated, job.failed),
        (8, 8, 4, 0, 4)
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
    // An imported digest (md5 of `password`, unsalted) logs in once, and
    // is replaced there by the connection's hash.
    let md5_hash = || async {
        s.authbox
            .store()
            .credentials(&s.tenant, &s.connection, "md5@jobs.example")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap()
    };
    assert!(md5_hash().await.starts_with("$digest$a=md5,"));
    assert!(s.login("md5@jobs.example", "passw0rd").await.is_err());
    assert!(
        md5_hash().await.starts_with("$digest$"),
        "kept on a failure"
    );
    s.login("md5@jobs.example", "password").await.unwrap();
    assert!(
        md5_hash().await.starts_with("$2b$10$"),
        "rehashed with bcrypt"
    );
    let again = s.login("md5@jobs.example", "password").await.unwrap();
    assert_eq!(again.logins_count, 2);
    assert_eq!(s.authbox.metrics().script_calls(Action::Login), calls);
    assert!(s.authbox.metrics().logins(LoginResult::Local) >= 4);
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

impl Setup {
    /// Exports with `options`, waits for the job, and answers the file's
    /// lines (fetched by the job's link).
    async fn export(&self, options: ExportOptions) -> Vec<String> {
        let job = self
            .authbox
            .create_users_export(&self.tenant, options)
            .await
            .unwrap();
        let job = self.finished(job).await;
        assert_eq!(job.status, JobStatus::Completed, "{job:?}");
        let link = self.authbox.export_link(&job).await.unwrap().unwrap();
        let (expires, signature) = link_query(&link);
        let file = self
            .authbox
            .export_file(&job.id, expires, &signature)
            .await
            .unwrap();
        assert_eq!(
            file.name,
            format!("acme.{}.gz", job.options["format"].as_str().unwrap())
        );
        let mut text = String::new();
        flate2::read::GzDecoder::new(file.bytes.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        text.lines().map(str::to_string).collect()
    }
}

/// A link's `expires` and `signature`.
fn link_query(link: &str) -> (i64, String) {
    let query = link.split_once('?').unwrap().1;
    let value = |key: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
            .unwrap()
            .to_string()
    };
    (value("expires").parse().unwrap(), value("signature"))
}

fn field(name: &str, export_as: Option<&str>) -> ExportField {
    ExportField {
        name: name.into(),
        export_as: export_as.map(str::to_string),
    }
}

async fn exports_users(s: &Setup) {
    s.configure(|settings| settings.import_mode = true).await;
    s.upload(authbox_tests::SQLITE).await;
    s.login(ADA, ADA_PASSWORD).await.unwrap();
    s.import(
        json!([
            {"email": "nova@jobs.example", "user_id": "nova", "name": "Nova \"N\", =1+1",
             "app_metadata": {"plan": "gold"}, "user_metadata": {"country": "NZ"}},
            {"email": "pat@jobs.example", "user_id": "pat"}
        ]),
        false,
    )
    .await;

    // CSV, the default fields: a header, users by id, strings escaped
    // against formula injection, dates and numbers as they are.
    let lines = s
        .export(ExportOptions {
            connection_id: Some(s.connection.clone()),
            ..ExportOptions::default()
        })
        .await;
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[0].starts_with("\"user_id\",\"email\",\"email_verified\","),
        "{}",
        lines[0]
    );
    let nova = lines.iter().find(|l| l.contains("nova@")).unwrap();
    assert!(
        nova.starts_with("\"'auth0|nova\",\"'nova@jobs.example\","),
        "{nova}"
    );
    assert!(nova.contains(",\"'Nova \"\"N\"\", =1+1\","), "{nova}");
    assert!(
        nova.contains(",20") && !nova.contains("'20"),
        "dates unescaped: {nova}"
    );
    assert!(nova.ends_with(",0"), "logins_count, a number: {nova}");

    // JSON with fields, renamed, and a limit: one object per line.
    let lines = s
        .export(ExportOptions {
            connection_id: None,
            format: ExportFormat::Json,
            limit: Some(2),
            fields: vec![
                field("email", None),
                field("app_metadata", None),
                field("user_metadata.country", Some("country")),
                field("identities[0].connection", Some("provider")),
            ],
        })
        .await;
    let users: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(users.len(), 2);
    assert_eq!(
        users[0],
        json!({"email": "nova@jobs.example", "app_metadata": {"plan": "gold"},
               "country": "NZ", "provider": "legacy"})
    );
    assert_eq!(users[1]["email"], json!("pat@jobs.example"));
    // JSON without fields: whole users, of every connection.
    let lines = s
        .export(ExportOptions {
            format: ExportFormat::Json,
            ..ExportOptions::default()
        })
        .await;
    let whole: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(whole["user_id"], json!("auth0|nova"));
    assert_eq!(whole["user_metadata"]["country"], json!("NZ"));
    assert_eq!(lines.len(), 3);

    // Refused at once: a bad path, too many fields, a column named twice, a
    // limit of 0, another tenant's connection.
    let refused = |options: ExportOptions| {
        let authbox = s.authbox.clone();
        let tenant = s.tenant.clone();
        async move { authbox.create_users_export(&tenant, options).await }
    };
    for (fields, limit) in [
        (vec![field("identities[x]", None)], None),
        (
            (0..31)
                .map(|i| field(&format!("user_metadata.k{i}"), None))
                .collect(),
            None,
        ),
        (
            vec![field("email", None), field("name", Some("email"))],
            None,
        ),
        (vec![], Some(0)),
    ] {
        let options = ExportOptions {
            format: ExportFormat::Json,
            fields: fields.clone(),
            limit,
            ..ExportOptions::default()
        };
        assert!(
            matches!(
                refused(options).await,
                Err(FlowError::Job(JobRefusal::BadExport(_)))
            ),
            "{fields:?} {limit:?}"
        );
    }
    let other = s.authbox.create_tenant("other").await.unwrap().id;
    assert!(matches!(
        s.authbox
            .create_users_export(
                &other,
                ExportOptions {
                    connection_id: Some(s.connection.clone()),
                    ..ExportOptions::default()
                }
            )
            .await,
        Err(FlowError::NotFound(_))
    ));

    // The link: only as signed, and only until it expires.
    let job = s
        .authbox
        .create_users_export(&s.tenant, ExportOptions::default())
        .await
        .unwrap();
    let job = s.finished(job).await;
    assert!(matches!(
        s.authbox.job(&other, &job.id).await,
        Err(FlowError::NotFound(_))
    ));
    let (expires, signature) = link_query(&s.authbox.export_link(&job).await.unwrap().unwrap());
    let mut forged = signature.clone().into_bytes();
    forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
    let forged = String::from_utf8(forged).unwrap();
    for (expires, signature) in [
        (expires, forged.as_str()),
        (expires + 3600, &signature),
        (expires, "zz"),
    ] {
        assert!(matches!(
            s.authbox.export_file(&job.id, expires, signature).await,
            Err(FlowError::Job(JobRefusal::BadLink))
        ));
    }
    let jobs: &dyn JobStore = s.authbox.inner.store.as_ref();
    let past = expires - 3600;
    let signed = hex::encode(jobs.link_mac(&format!("{}\n{past}", job.id)));
    assert!(matches!(
        s.authbox.export_file(&job.id, past, &signed).await,
        Err(FlowError::Job(JobRefusal::LinkExpired))
    ));
    // An import has no file.
    assert!(
        s.authbox
            .export_link(&s.import(json!([]), false).await)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn cached_users_are_exported_on_sqlite() {
    exports_users(&setup().await).await;
}

#[tokio::test]
async fn cached_users_are_exported_on_postgres() {
    if let Some(store) = LegacyDb::empty(Backend::Postgres, "exports_on_postgres").await {
        let s = setup_on(Some(store)).await;
        exports_users(&s).await;
        if let Some(store) = s.store_schema {
            store.drop().await;
        }
    }
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
            // The import took the statistics its users changed (this
            // server may run no autovacuum).
            let analyzed = store
                .count(
                    "SELECT COUNT(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() \
                     AND relname IN ('users', 'user_terms') AND last_analyze IS NOT NULL",
                )
                .await;
            assert_eq!(analyzed, 2);
            store.drop().await;
        }
    }
}
