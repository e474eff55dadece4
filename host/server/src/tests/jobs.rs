//! Bulk user jobs over HTTP on both stores, in Auth0's shapes. Imports:
//! the multipart upload, the job's progress and summary, the refused users,
//! the imported users logging in; bad forms refused; another tenant's job
//! invisible. Exports: the job, its `location`, the gzip file fetched with
//! no key, the link refused once changed; bad bodies refused.

use std::io::Read as _;

use reqwest::multipart::{Form, Part};

use super::search::{EMILE, GRACE, LINUS, Searched, servers, servers_with};
use super::*;

impl Searched {
    /// Uploads a users file with the form's other `fields`.
    async fn upload(&self, key: &str, form: Form) -> (StatusCode, Value) {
        let url = format!("{}/api/v2/jobs/users-imports", self.base);
        answer(self.http.post(url).bearer_auth(key).multipart(form)).await
    }

    /// The job once it has ended (10 s at most).
    async fn ended(&self, id: &str) -> Value {
        for _ in 0..200 {
            let (status, job) = self.get(&format!("/api/v2/jobs/{id}"), &self.key).await;
            assert_eq!(status, StatusCode::OK, "{job}");
            if job["status"] == json!("completed") || job["status"] == json!("failed") {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("job {id} did not end");
    }
}

/// Sends `request`; its status and JSON body (null if none).
async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn file(users: &Value) -> Part {
    Part::bytes(users.to_string().into_bytes())
        .file_name("users.json")
        .mime_str("application/json")
        .unwrap()
}

#[tokio::test]
async fn users_files_are_imported_as_auth0_answers_on_both_stores() {
    let import = ConnectionSettings {
        import_mode: true,
        ..ConnectionSettings::default()
    };
    for s in servers_with("jobs", &import).await {
        let acme = s.authbox.tenant_by_name("acme").await.unwrap().id;
        let echo = s
            .authbox
            .connection_by_name(&acme, "echo")
            .await
            .unwrap()
            .id;
        let users = json!([
            {"email": "ines@jobs.example", "user_id": "ines", "password_hash": bcrypt::hash("ines-Pass1", 4).unwrap(),
             "user_metadata": {"lang": "pt"}},
            {"email": "jun@jobs.example", "email_verified": true},
            {"email": "kim@jobs.example", "shoe_size": 41}
        ]);
        let form = Form::new()
            .part("users", file(&users))
            .text("connection_id", echo.clone())
            .text("upsert", "false")
            .text("external_id", "move-1")
            .text("send_completion_email", "false");
        let (status, job) = s.upload(&s.key, form).await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        assert_eq!(
            (
                &job["status"],
                &job["type"],
                &job["connection_id"],
                &job["external_id"]
            ),
            (
                &json!("pending"),
                &json!("users_import"),
                &json!(echo),
                &json!("move-1")
            )
        );
        let id = job["id"].as_str().unwrap();
        assert!(id.starts_with("job_"), "{job}");
        let job = s.ended(id).await;
        assert_eq!(job["status"], json!("completed"), "{job}");
        assert_eq!(
            job["summary"],
            json!({"failed": 1, "updated": 0, "inserted": 2, "total": 3})
        );
        let (status, refused) = s.get(&format!("/api/v2/jobs/{id}/errors"), &s.key).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(refused.as_array().unwrap().len(), 1, "{refused}");
        assert_eq!(refused[0]["user"]["email"], json!("kim@jobs.example"));
        assert_eq!(
            refused[0]["errors"][0]["code"],
            json!("OBJECT_ADDITIONAL_PROPERTIES")
        );
        assert!(
            s.authbox
                .login(
                    &acme,
                    "echo",
                    "ines@jobs.example",
                    "ines-Pass1",
                    &LoginContext::default()
                )
                .await
                .is_ok()
        );
        let (_, ines) = s.get(&user_path("auth0|ines"), &s.key).await;
        assert_eq!(ines["user_metadata"], json!({"lang": "pt"}), "{ines}");

        // Again with upsert: updated, not refused; no errors: the job.
        let again = json!([{"email": "jun@jobs.example", "app_metadata": {"plan": "gold"}}]);
        let form = Form::new()
            .part("users", file(&again))
            .text("connection_id", echo.clone())
            .text("upsert", "true");
        let (status, job) = s.upload(&s.key, form).await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let id = job["id"].as_str().unwrap().to_string();
        let job = s.ended(&id).await;
        assert_eq!(job["summary"]["updated"], json!(1), "{job}");
        let (_, none) = s.get(&format!("/api/v2/jobs/{id}/errors"), &s.key).await;
        assert_eq!(none["id"], json!(id), "{none}");

        // Another tenant's key sees no job.
        for path in [
            format!("/api/v2/jobs/{id}"),
            format!("/api/v2/jobs/{id}/errors"),
        ] {
            let (status, error) = s.get(&path, &s.other_key).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
        }

        // Refused at once, each with a 400 naming what is wrong.
        let cases = [
            (Form::new().text("connection_id", echo.clone()), "users"),
            (Form::new().part("users", file(&users)), "connection_id"),
            (
                Form::new()
                    .part("users", file(&users))
                    .text("connection_id", echo.clone())
                    .text("upsert", "yes"),
                "upsert",
            ),
            (
                Form::new()
                    .part("users", file(&users))
                    .text("connection_id", echo.clone())
                    .text("colour", "blue"),
                "colour",
            ),
            (
                Form::new()
                    .part("users", file(&json!({"email": "a@b.example"})))
                    .text("connection_id", echo.clone()),
                "JSON array",
            ),
        ];
        for (form, named) in cases {
            let (status, error) = s.upload(&s.key, form).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{named}: {error}");
            assert_eq!(error["errorCode"], json!("invalid_body"), "{error}");
            assert!(
                error["message"].as_str().unwrap().contains(named),
                "{named}: {error}"
            );
        }
        let form = Form::new()
            .part("users", file(&users))
            .text("connection_id", "con_nope");
        assert_eq!(s.upload(&s.key, form).await.0, StatusCode::NOT_FOUND);
        let form = Form::new()
            .part("users", file(&users))
            .text("connection_id", echo.clone());
        assert_eq!(
            s.upload(&s.other_key, form).await.0,
            StatusCode::NOT_FOUND,
            "another tenant's connection"
        );
        let response = s
            .http
            .post(format!("{}/api/v2/jobs/users-imports", s.base))
            .bearer_auth(&s.key)
            .json(&users)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
}

impl Searched {
    /// Asks for an export with `body`.
    async fn export(&self, key: &str, body: Value) -> (StatusCode, Value) {
        let url = format!("{}/api/v2/jobs/users-exports", self.base);
        answer(self.http.post(url).bearer_auth(key).json(&body)).await
    }

    /// The completed export's file, uncompressed, by its `location`.
    async fn exported(&self, body: Value) -> String {
        let (status, job) = self.export(&self.key, body).await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let job = self.ended(job["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], json!("completed"), "{job}");
        let location = job["location"].as_str().unwrap();
        assert!(
            location.starts_with(&format!(
                "{}/exports/{}/acme.",
                self.base,
                job["id"].as_str().unwrap()
            )),
            "{location}"
        );
        // The link is the credential: no key.
        let response = self.http.get(location).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/gzip");
        let bytes = response.bytes().await.unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        text
    }
}

#[tokio::test]
async fn cached_users_are_exported_as_auth0_answers_on_both_stores() {
    for s in servers("exports").await {
        let acme = s.authbox.tenant_by_name("acme").await.unwrap().id;
        let echo = s
            .authbox
            .connection_by_name(&acme, "echo")
            .await
            .unwrap()
            .id;
        let fields = json!([{"name": "email"}, {"name": "app_metadata.plan", "export_as": "plan"}]);
        let (status, job) = s
            .export(
                &s.key,
                json!({"connection_id": echo, "format": "csv", "fields": fields}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        assert_eq!(job["type"], json!("users_export"));
        assert_eq!(job["status"], json!("pending"));
        assert_eq!(job["connection_id"], json!(echo));
        assert_eq!(job["format"], json!("csv"));
        assert_eq!(job["fields"], fields);
        assert!(
            job.get("summary").is_none() && job.get("location").is_none(),
            "{job}"
        );

        // CSV of one connection: its three users, by id, escaped.
        let csv = s
            .exported(json!({"connection_id": echo, "fields": fields}))
            .await;
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "\"email\",\"plan\"");
        assert_eq!(lines.len(), 4, "{csv}");
        assert!(
            lines.contains(&format!("\"'{ADA}\",\"'gold\"").as_str()),
            "{csv}"
        );
        assert!(!csv.contains(EMILE), "another connection's user: {csv}");

        // NDJSON of every connection, whole users, none of another tenant.
        let ndjson = s.exported(json!({"format": "json", "limit": 10})).await;
        let users: Vec<Value> = ndjson
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(users.len(), 4, "{ndjson}");
        let mut emails: Vec<&str> = users.iter().map(|u| u["email"].as_str().unwrap()).collect();
        emails.sort();
        let mut expected = [ADA, GRACE, EMILE, LINUS];
        expected.sort();
        assert_eq!(emails, expected);
        assert!(
            users
                .iter()
                .all(|u| u["user_id"].is_string() && u["identities"].is_array())
        );

        // The link, changed, or without its signature, is refused.
        let (_, job) = s.export(&s.key, json!({"format": "json"})).await;
        let id = job["id"].as_str().unwrap().to_string();
        let job = s.ended(&id).await;
        let location = job["location"].as_str().unwrap();
        let forged = format!("{}0", &location[..location.len() - 1]);
        let forged = if forged == location {
            format!("{}1", &location[..location.len() - 1])
        } else {
            forged
        };
        let response = s.http.get(&forged).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["errorCode"], json!("invalid_link"), "{error}");
        let unsigned = location.split('&').next().unwrap();
        let response = s.http.get(unsigned).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let (status, _) = s.get(&format!("/api/v2/jobs/{id}"), &s.other_key).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's job");

        // Refused at once, each with a 400 naming what is wrong.
        for (body, named) in [
            (json!({"format": "xml"}), "format"),
            (json!({"colour": "blue"}), "colour"),
            (
                json!({"format": "json", "fields": [{"name": "email"}, {"name": "name", "export_as": "email"}]}),
                "twice",
            ),
            (json!({"fields": [{"name": "a..b"}]}), "a..b"),
            (json!({"limit": 0}), "limit"),
            (json!({"fields": [{"export_as": "x"}]}), "name"),
        ] {
            let (status, error) = s.export(&s.key, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
            assert_eq!(error["errorCode"], json!("invalid_body"), "{error}");
            assert!(
                error["message"].as_str().unwrap().contains(named),
                "{named}: {error}"
            );
        }
        let (status, _) = s.export(&s.key, json!({"connection_id": "con_nope"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = s.export(&s.other_key, json!({"connection_id": echo})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's connection");
    }
}
