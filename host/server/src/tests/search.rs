//! Listing and searching users, and listing connections, over HTTP on
//! SQLite and (with `AUTHBOX_TEST_POSTGRES_URL`) PostgreSQL: users of
//! every shape made by logins through the `echo-user` fixture, whose
//! password is the profile.

use super::*;

pub(super) struct Searched {
    pub(super) base: String,
    pub(super) http: Client,
    pub(super) authbox: Authbox,
    pub(super) key: String,
    pub(super) other_key: String,
    _store: LegacyDb,
    _dir: tempfile::TempDir,
}

impl Searched {
    pub(super) async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The emails `q` finds (and other parameters), in the answer's order.
    async fn emails(&self, params: &str) -> Vec<String> {
        let (status, users) = self
            .get(&format!("/api/v2/users?{params}"), &self.key)
            .await;
        assert_eq!(status, StatusCode::OK, "{params}: {users}");
        users
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_string())
            .collect()
    }

    /// As [`Searched::emails`], sorted.
    async fn found(&self, q: &str) -> Vec<String> {
        let q = url_encoded(q);
        let mut emails = self.emails(&format!("q={q}")).await;
        emails.sort();
        emails
    }

    async fn refused(&self, params: &str) -> String {
        let (status, error) = self
            .get(&format!("/api/v2/users?{params}"), &self.key)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{params}: {error}");
        assert_eq!(error["errorCode"], json!("invalid_query_string"), "{error}");
        error["message"].as_str().unwrap().to_string()
    }
}

/// `text` percent-encoded for a query string.
pub(super) fn url_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(super) const ADA: &str = "ada@example.com";
pub(super) const GRACE: &str = "grace@example.com";
pub(super) const EMILE: &str = "Émile@example.com";
pub(super) const LINUS: &str = "linus@example.com";

/// A server per store, with tenant `acme` (connections `echo` and
/// `partners`, four users) and tenant `other` (one user).
pub(super) async fn servers(test: &str) -> Vec<Searched> {
    servers_with(test, &ConnectionSettings::default()).await
}

/// As [`servers`], the connections with `settings`.
pub(super) async fn servers_with(test: &str, settings: &ConnectionSettings) -> Vec<Searched> {
    servers_configured(test, settings, |_| {}).await
}

/// As [`servers_with`], authbox's configuration changed by `configure`.
pub(super) async fn servers_configured(
    test: &str,
    settings: &ConnectionSettings,
    configure: impl Fn(&mut AuthboxConfig),
) -> Vec<Searched> {
    let mut servers = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(store) = LegacyDb::empty(backend, test).await else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let mut config = AuthboxConfig::sqlite(dir.path().join("unused.db").to_str().unwrap());
        config.store_url = store.url.clone();
        config.secret_key =
            authbox::store::SecretKeySource::Key(authbox::store::SecretKey::generate());
        configure(&mut config);
        let authbox = Authbox::open(config).await.unwrap();
        let wasm = std::fs::read(authbox_tests::ECHO_USER).unwrap();
        let mut keys = Vec::new();
        for tenant_name in ["acme", "other"] {
            let tenant = authbox.create_tenant(tenant_name).await.unwrap().id;
            for name in ["echo", "partners"] {
                let connection = authbox
                    .create_connection(&tenant, name, settings)
                    .await
                    .unwrap();
                authbox
                    .upload_script(&tenant, &connection.id, &wasm)
                    .await
                    .unwrap();
            }
            let all: Vec<String> = SCOPES.iter().map(|s| s.to_string()).collect();
            keys.push((
                tenant.clone(),
                authbox.create_api_key(&tenant, &all).await.unwrap().1,
            ));
        }
        let login = |tenant: String,
                     connection: &'static str,
                     email: &'static str,
                     shape: Value,
                     times: usize| {
            let authbox = authbox.clone();
            async move {
                for _ in 0..times {
                    authbox
                        .login(
                            &tenant,
                            connection,
                            email,
                            &shape.to_string(),
                            &LoginContext::default(),
                        )
                        .await
                        .unwrap();
                }
            }
        };
        let acme = keys[0].0.clone();
        login(
            acme.clone(),
            "echo",
            ADA,
            json!({
                "name": "Ada Lovelace", "nickname": "ada", "given_name": "Ada",
                "family_name": "Lovelace", "email_verified": true,
                "app_metadata": {"plan": "gold", "level": 3, "beta": true},
                "user_metadata": {"addresses": [{"city": "Paris"}], "lang": "fr"}
            }),
            3,
        )
        .await;
        login(
            acme.clone(),
            "echo",
            GRACE,
            json!({
                "name": "Grace Hopper", "email_verified": false,
                "app_metadata": {"plan": "silver", "level": 1},
                "user_metadata": {"addresses": [{"city": "Lyon"}]}
            }),
            1,
        )
        .await;
        login(
            acme.clone(),
            "partners",
            EMILE,
            json!({
                "name": "Émile Zola", "app_metadata": {"plan": "gold"}
            }),
            2,
        )
        .await;
        login(
            acme.clone(),
            "echo",
            LINUS,
            json!({"name": "Linus", "nickname": "torvalds"}),
            1,
        )
        .await;
        login(
            keys[1].0.clone(),
            "echo",
            ADA,
            json!({"app_metadata": {"plan": "gold"}}),
            1,
        )
        .await;

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let settings = ServerSettings {
            issuer: format!("{base}/"),
            sqlite_dir: None,
        };
        tokio::spawn(serve(
            listener,
            authbox.clone(),
            settings,
            std::future::pending(),
        ));
        let searched = Searched {
            base,
            http: Client::new(),
            authbox,
            key: keys[0].1.clone(),
            other_key: keys[1].1.clone(),
            _store: store,
            _dir: dir,
        };
        let (status, _) = searched
            .http
            .patch(format!(
                "{}{}",
                searched.base,
                user_path(&format!("auth0|echo|{GRACE}"))
            ))
            .bearer_auth(&searched.key)
            .json(&json!({"blocked": true}))
            .send()
            .await
            .map(|r| (r.status(), ()))
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        servers.push(searched);
    }
    servers
}

fn sorted(emails: &[&str]) -> Vec<String> {
    let mut emails: Vec<String> = emails.iter().map(|e| e.to_string()).collect();
    emails.sort();
    emails
}

#[tokio::test]
async fn users_are_found_by_auth0_s_query_syntax_on_both_stores() {
    for s in servers("user_search").await {
        let today = s
            .authbox
            .get_user(
                &s.authbox.tenant_by_name("acme").await.unwrap().id,
                &format!("auth0|echo|{ADA}"),
            )
            .await
            .unwrap()
            .created_at[..10]
            .to_string();
        for (q, expected) in [
            (r#"email:"ADA@example.com""#, vec![ADA]),
            (r#"name:"ada lovelace""#, vec![ADA]),
            ("name:ada*", vec![ADA]),
            ("name:ÉMILE*", vec![EMILE]),
            ("email:émile@example.com", vec![EMILE]),
            ("nickname:torvalds", vec![LINUS]),
            ("family_name:LOVELACE", vec![ADA]),
            ("user_id:auth0|echo|linus@example.com", vec![LINUS]),
            ("identities.connection:partners", vec![EMILE]),
            ("identities.connection:part*", vec![EMILE]),
            ("app_metadata.plan:gold", vec![ADA, EMILE]),
            ("app_metadata.plan:go*", vec![ADA, EMILE]),
            ("app_metadata.level:3", vec![ADA]),
            (r#"app_metadata.level:"3.0""#, vec![ADA]),
            ("app_metadata.beta:true", vec![ADA]),
            ("app_metadata.plan:*", vec![ADA, GRACE, EMILE]),
            ("user_metadata.addresses.city:Paris", vec![ADA]),
            ("user_metadata.addresses.city:paris", vec![]),
            ("app_metadata.plan:gold AND NOT name:ada*", vec![EMILE]),
            (
                "(app_metadata.plan:gold OR app_metadata.plan:silver) AND blocked:false",
                vec![ADA, EMILE],
            ),
            // Alternatives of one field are searched as one term (the
            // store joins them): alone, beside others, under NOT, and not
            // with a prefix of that field.
            (
                "app_metadata.plan:gold OR app_metadata.plan:silver",
                vec![ADA, GRACE, EMILE],
            ),
            (
                "app_metadata.plan:gold OR nickname:torvalds OR app_metadata.plan:gold",
                vec![ADA, EMILE, LINUS],
            ),
            (
                "NOT (app_metadata.plan:gold OR app_metadata.plan:silver)",
                vec![LINUS],
            ),
            (
                "app_metadata.plan:silver OR app_metadata.plan:go*",
                vec![ADA, GRACE, EMILE],
            ),
            (
                "app_metadata.plan:silver nickname:torvalds",
                vec![GRACE, LINUS],
            ),
            ("blocked:true", vec![GRACE]),
            ("email_verified:false", vec![GRACE]),
            ("logins_count:[2 TO *]", vec![ADA, EMILE]),
            ("logins_count:{2 TO *]", vec![ADA]),
            ("logins_count:1", vec![GRACE, LINUS]),
            (
                &format!("created_at:[{today} TO *]"),
                vec![ADA, GRACE, EMILE, LINUS],
            ),
            ("created_at:[* TO 2000-01-01]", vec![]),
            (
                &format!("last_login:{today}"),
                vec![ADA, GRACE, EMILE, LINUS],
            ),
        ] {
            assert_eq!(s.found(q).await, sorted(&expected), "q={q}");
        }
        // Joined alternatives counted once each user (the total of a lone
        // metadata term is counted on its index entries).
        let (_, page) = s
            .get(
                &format!(
                    "/api/v2/users?include_totals=true&q={}",
                    url_encoded("app_metadata.plan:gold OR app_metadata.plan:silver")
                ),
                &s.key,
            )
            .await;
        assert_eq!(page["total"], json!(3), "{page}");
        // No q: every user of the tenant, none of another's.
        assert_eq!(s.emails("").await.len(), 4);
        let (_, theirs) = s
            .get("/api/v2/users?q=app_metadata.plan:gold", &s.other_key)
            .await;
        assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs}");
        assert_eq!(s.emails("connection=partners").await, [EMILE]);
        assert_eq!(
            s.emails("q=app_metadata.plan:gold&connection=echo").await,
            [ADA]
        );
    }
}

#[tokio::test]
async fn searches_are_sorted_paged_and_trimmed_as_auth0_does_on_both_stores() {
    for s in servers("user_search_pages").await {
        assert_eq!(
            s.emails("sort=logins_count:-1").await,
            [ADA, EMILE, LINUS, GRACE],
            "ties by user_id, in the same direction"
        );
        assert_eq!(s.emails("sort=name:1").await, [ADA, GRACE, LINUS, EMILE]);
        assert_eq!(
            s.emails("sort=created_at:1&per_page=2&page=1").await.len(),
            2
        );
        let (status, page) = s
            .get(
                "/api/v2/users?per_page=3&page=1&include_totals=true&sort=email:1",
                &s.key,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (
                &page["start"],
                &page["limit"],
                &page["length"],
                &page["total"]
            ),
            (&json!(3), &json!(3), &json!(1), &json!(4))
        );
        assert_eq!(page["users"][0]["email"], json!(EMILE));
        let (_, empty) = s
            .get(
                "/api/v2/users?q=blocked:true&page=7&include_totals=true",
                &s.key,
            )
            .await;
        assert_eq!((&empty["length"], &empty["total"]), (&json!(0), &json!(1)));
        // As Auth0: the first 1,000 results only; a page that starts there
        // is refused, one that ends past it is cut (here, by the users).
        for params in [
            "page=20",
            "page=10&per_page=100",
            "page=4294967295&per_page=100",
        ] {
            let (status, error) = s.get(&format!("/api/v2/users?{params}"), &s.key).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{params}: {error}");
            assert_eq!(error["errorCode"], json!("invalid_paging"), "{error}");
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains("first 1000 records")
            );
        }
        assert_eq!(s.emails("page=19&per_page=50").await.len(), 0);

        let (_, trimmed) = s
            .get("/api/v2/users?fields=user_id,email&per_page=1", &s.key)
            .await;
        let keys: Vec<&String> = trimmed[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["email", "user_id"]);
        let (_, without) = s
            .get(
                "/api/v2/users?fields=identities,app_metadata&include_fields=false&per_page=1",
                &s.key,
            )
            .await;
        assert!(without[0].get("identities").is_none() && without[0].get("app_metadata").is_none());
        assert!(without[0].get("email").is_some());
        let ada = user_path(&format!("auth0|echo|{ADA}"));
        let (_, one) = s.get(&format!("{ada}?fields=email"), &s.key).await;
        assert_eq!(one, json!({"email": ADA}));

        // A metadata change is searchable at once; a removed key is not.
        let patched = s
            .http
            .patch(format!("{}{ada}", s.base))
            .bearer_auth(&s.key)
            .json(
                &json!({"app_metadata": {"plan": "silver"}, "user_metadata": {"addresses": null}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), StatusCode::OK);
        assert_eq!(s.found("app_metadata.plan:gold").await, [EMILE]);
        assert_eq!(
            s.found("app_metadata.plan:silver").await,
            sorted(&[ADA, GRACE])
        );
        assert!(
            s.found("user_metadata.addresses.city:Paris")
                .await
                .is_empty()
        );
        assert_eq!(s.found("user_metadata.lang:fr").await, [ADA]);

        for (params, says) in [
            ("q=ada", "names no field"),
            ("q=name:*ada", "only a `*` at the end"),
            ("q=phone_number:1", "not supported"),
            ("q=%28email:a", "never closed"),
            ("sort=app_metadata.plan:1", "cannot sort"),
            ("sort=email", "field:1"),
            ("search_engine=v2", "search_engine"),
            ("per_page=0", "per_page"),
            ("per_page=101", "per_page"),
            ("page=-1", "page"),
        ] {
            let message = s.refused(params).await;
            assert!(message.contains(says), "{params}: {message}");
        }
    }
}

#[tokio::test]
async fn connections_are_listed_by_checkpoint_or_offset_on_both_stores() {
    for s in servers("connection_pages").await {
        let (status, _) = s
            .http
            .post(format!("{}/api/v2/connections", s.base))
            .bearer_auth(&s.key)
            .json(&json!({"name": "zeta", "strategy": "auth0"}))
            .send()
            .await
            .map(|r| (r.status(), ()))
            .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        let names = |list: &Value| -> Vec<String> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect()
        };
        let (_, all) = s.get("/api/v2/connections", &s.key).await;
        assert_eq!(names(&all), ["echo", "partners", "zeta"]);

        let (_, first) = s.get("/api/v2/connections?take=2", &s.key).await;
        assert_eq!(names(&first["connections"]), ["echo", "partners"]);
        let next = first["next"].as_str().unwrap().to_string();
        let (_, last) = s
            .get(&format!("/api/v2/connections?take=2&from={next}"), &s.key)
            .await;
        assert_eq!(names(&last["connections"]), ["zeta"]);
        assert!(last.get("next").is_none(), "{last}");
        // A checkpoint is a place in the order of names: any `from` is one.
        let (_, after) = s.get("/api/v2/connections?from=f", &s.key).await;
        assert_eq!(names(&after["connections"]), ["partners", "zeta"]);
        let (_, exact) = s.get("/api/v2/connections?take=3", &s.key).await;
        assert!(exact.get("next").is_none(), "{exact}");

        let (_, totals) = s
            .get(
                "/api/v2/connections?page=1&per_page=2&include_totals=true",
                &s.key,
            )
            .await;
        assert_eq!(
            (&totals["start"], &totals["limit"], &totals["total"]),
            (&json!(2), &json!(2), &json!(3))
        );
        assert_eq!(names(&totals["connections"]), ["zeta"]);
        let (_, named) = s
            .get("/api/v2/connections?name=partners&strategy=auth0", &s.key)
            .await;
        assert_eq!(names(&named), ["partners"]);
        let (_, none) = s.get("/api/v2/connections?strategy=ad", &s.key).await;
        assert_eq!(none, json!([]));
        let (_, trimmed) = s
            .get("/api/v2/connections?fields=name,strategy", &s.key)
            .await;
        assert_eq!(trimmed[0], json!({"name": "echo", "strategy": "auth0"}));
        let (_, theirs) = s.get("/api/v2/connections", &s.other_key).await;
        assert_eq!(names(&theirs), ["echo", "partners"]);

        for params in ["take=0", "take=101", "per_page=0", "from=x&take=lots"] {
            let (status, error) = s
                .get(&format!("/api/v2/connections?{params}"), &s.key)
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{params}: {error}");
            assert_eq!(error["errorCode"], json!("invalid_query_string"));
        }
    }
}
