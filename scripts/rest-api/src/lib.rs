//! The seven actions against a REST users service (the endpoints are in
//! this template's README), through the SDK's `http` module.
//!
//! Configuration keys:
//! - `api_url` (required): the service's base URL, e.g.
//!   `https://users.example.com/api`; its origin must be in the
//!   connection's `allowed_hosts`;
//! - `api_token` (optional): sent as `Authorization: Bearer <token>`;
//! - `id_prefix` (default `rest`): user ids are `<id_prefix>|<id>`.

use authbox_guest::http::{Method, Request, Response};
use authbox_guest::{
    ChangeEmail, ChangePassword, Create, CustomDatabase, Delete, Error, Map, NewUser, Profile,
    Result, Value, Verify, config, info, json,
};
use serde::Deserialize;

struct RestApi;

/// A user as the service answers it.
#[derive(Deserialize)]
struct User {
    id: Value,
    email: String,
    #[serde(default)]
    email_verified: bool,
    username: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    nickname: Option<String>,
    picture: Option<String>,
    user_metadata: Option<Value>,
    app_metadata: Option<Value>,
}

impl User {
    fn profile(self) -> Profile {
        let id = match self.id {
            Value::String(id) => id,
            other => other.to_string(),
        };
        let mut profile = Profile::new(format!("{}|{id}", id_prefix()))
            .email(self.email)
            .email_verified(self.email_verified);
        let texts = [
            (self.username, Profile::username as fn(Profile, String) -> Profile),
            (self.name, Profile::name),
            (self.given_name, Profile::given_name),
            (self.family_name, Profile::family_name),
            (self.nickname, Profile::nickname),
            (self.picture, Profile::picture),
        ];
        for (value, set) in texts {
            if let Some(value) = value {
                profile = set(profile, value);
            }
        }
        if let Some(metadata) = self.user_metadata {
            profile = profile.user_metadata(metadata);
        }
        if let Some(metadata) = self.app_metadata {
            profile = profile.app_metadata(metadata);
        }
        profile
    }
}

fn id_prefix() -> String {
    config::get("id_prefix").unwrap_or_else(|| "rest".into())
}

/// A request to `path` of the service, with its token.
fn request(method: Method, path: &str) -> Result<Request> {
    let base = config::require("api_url")?;
    let request = Request::new(method, &format!("{}{path}", base.trim_end_matches('/')));
    Ok(match config::get("api_token") {
        Some(token) => request.bearer_auth(&token),
        None => request,
    })
}

/// The failure for an answer the endpoint does not document.
fn unexpected(endpoint: &str, response: &Response) -> Error {
    Error::failed(format!(
        "{endpoint} answered {} (expected by the rest-api template: see its README)",
        response.status()
    ))
}

/// `value` percent-encoded for a path segment or a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends a JSON `body` to `path`: `true` for 204 or 200, `false` for 404.
fn change(method: Method, path: &str, body: Value) -> Result<bool> {
    let response = request(method, path)?.json(&body).send()?;
    match response.status() {
        200 | 204 => Ok(true),
        404 => Ok(false),
        409 => Err(Error::failed(format!("{path}: another user has that email"))),
        _ => Err(unexpected(path, &response)),
    }
}

impl CustomDatabase for RestApi {
    fn login(username_or_email: &str, password: &str) -> Result<Profile> {
        let body = json!({"username_or_email": username_or_email, "password": password});
        let response = request(Method::Post, "/login")?.json(&body).send()?;
        match response.status() {
            200 => {
                let user: User = response.json()?;
                info!("{} logged in", user.email);
                Ok(user.profile())
            }
            401 | 404 => Err(Error::wrong_credentials()),
            _ => Err(unexpected("POST /login", &response)),
        }
    }

    fn get_user(email: &str) -> Result<Option<Profile>> {
        let path = format!("/users?email={}", encode(email));
        let response = request(Method::Get, &path)?.send()?;
        match response.status() {
            200 => Ok(Some(response.json::<User>()?.profile())),
            404 => Ok(None),
            _ => Err(unexpected("GET /users", &response)),
        }
    }
}

impl Create for RestApi {
    fn create(user: NewUser) -> Result<()> {
        let mut body = Map::new();
        body.insert("email".into(), json!(user.email));
        body.insert("password".into(), json!(user.password));
        let optional = [
            ("username", user.username.map(Value::from)),
            ("phone_number", user.phone_number.map(Value::from)),
            ("user_metadata", user.user_metadata.map(Value::from)),
            ("app_metadata", user.app_metadata.map(Value::from)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                body.insert(key.into(), value);
            }
        }
        let response = request(Method::Post, "/users")?.json(&body).send()?;
        match response.status() {
            200 | 201 => Ok(()),
            409 => Err(Error::UserExists),
            400 => {
                let answer: Value = response.json().unwrap_or_default();
                Err(Error::Validation {
                    code: answer["code"].as_str().unwrap_or("invalid_user").into(),
                    message: answer["message"]
                        .as_str()
                        .unwrap_or("the users service refused the user")
                        .into(),
                })
            }
            _ => Err(unexpected("POST /users", &response)),
        }
    }
}

impl Verify for RestApi {
    fn verify(email: &str) -> Result<bool> {
        change(Method::Post, "/users/verify", json!({"email": email}))
    }
}

impl ChangePassword for RestApi {
    fn change_password(email: &str, new_password: &str) -> Result<bool> {
        let body = json!({"email": email, "password": new_password});
        change(Method::Post, "/users/change-password", body)
    }
}

impl Delete for RestApi {
    fn delete(user_id: &str) -> Result<()> {
        let prefix = format!("{}|", id_prefix());
        let id = user_id.strip_prefix(&prefix).ok_or_else(|| {
            Error::failed(format!(
                "user id `{user_id}` is not of this connection (ids start with `{prefix}`)"
            ))
        })?;
        let path = format!("/users/{}", encode(id));
        let response = request(Method::Delete, &path)?.send()?;
        match response.status() {
            200 | 204 | 404 => Ok(()),
            _ => Err(unexpected("DELETE /users/{id}", &response)),
        }
    }
}

impl ChangeEmail for RestApi {
    fn change_email(email: &str, new_email: &str, verified: bool) -> Result<bool> {
        let body = json!({"email": email, "new_email": new_email, "verified": verified});
        change(Method::Post, "/users/change-email", body)
    }
}

authbox_guest::export_script!(RestApi);
