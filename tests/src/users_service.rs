//! A small REST users service on loopback, the counterpart of the
//! `scripts/rest-api` template (its README documents the endpoints), for
//! tests and benchmarks; never part of a shipped binary. Users live in
//! memory, passwords as bcrypt hashes (cost 4: tests need no strength).
//!
//! Besides the template's endpoints it answers a few for the HTTP
//! capability's tests: `GET /status/{code}`, `GET /bytes/{n}` (n bytes of
//! `a`), `GET /slow/{ms}`, and `POST /echo` (the body and its content type
//! back).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

/// How the service behaves.
#[derive(Debug, Clone, Default)]
pub struct ServiceOptions {
    /// When set, every request must carry `Authorization: Bearer <token>`
    /// (else 403).
    pub token: Option<String>,
    /// How long each answer waits.
    pub delay: Duration,
    /// Whether it starts with Ada and Grace.
    pub seed: bool,
}

/// The running service; stops when dropped.
pub struct UsersService {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Clone, Debug)]
struct StoredUser {
    id: String,
    email: String,
    email_verified: bool,
    username: Option<String>,
    hash: String,
    user_metadata: Option<Value>,
    app_metadata: Option<Value>,
}

impl StoredUser {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "email": self.email, "email_verified": self.email_verified,
            "username": self.username, "user_metadata": self.user_metadata,
            "app_metadata": self.app_metadata,
        })
    }
}

#[derive(Default)]
struct Users {
    by_id: BTreeMap<u64, StoredUser>,
    next: u64,
}

impl Users {
    fn find(&self, login: &str) -> Option<&StoredUser> {
        self.by_id
            .values()
            .find(|u| u.email.eq_ignore_ascii_case(login) || u.username.as_deref() == Some(login))
    }

    fn find_mut(&mut self, email: &str) -> Option<&mut StoredUser> {
        self.by_id
            .values_mut()
            .find(|u| u.email.eq_ignore_ascii_case(email))
    }

    fn add(&mut self, email: &str, username: Option<String>, password: &str) -> StoredUser {
        self.next += 1;
        let user = StoredUser {
            id: self.next.to_string(),
            email: email.to_owned(),
            email_verified: false,
            username,
            hash: bcrypt::hash(password, 4).expect("bcrypt"),
            user_metadata: None,
            app_metadata: None,
        };
        self.by_id.insert(self.next, user.clone());
        user
    }
}

#[derive(Clone)]
struct Service {
    users: Arc<Mutex<Users>>,
    options: Arc<ServiceOptions>,
    requests: Arc<AtomicU64>,
}

impl UsersService {
    /// Starts the service on `127.0.0.1`, on its own thread and runtime
    /// (so that sync and async tests alike can use it).
    pub fn start(options: ServiceOptions) -> UsersService {
        let mut users = Users::default();
        if options.seed {
            users.add(
                "ada@example.com",
                Some("ada".into()),
                "correct horse battery staple",
            );
            users.add("grace@example.com", Some("grace".into()), "hopper1906");
        }
        let requests = Arc::new(AtomicU64::new(0));
        let service = Service {
            users: Arc::new(Mutex::new(users)),
            options: Arc::new(options),
            requests: Arc::clone(&requests),
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("its address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, router(service))
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serving");
            });
        });
        UsersService {
            addr,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests it has received.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for UsersService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn router(service: Service) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/users", get(find).post(create))
        .route("/users/verify", post(verify))
        .route("/users/change-password", post(change_password))
        .route("/users/change-email", post(change_email))
        .route("/users/{id}", delete(remove))
        .route("/status/{code}", get(status))
        .route("/bytes/{n}", get(bytes))
        .route("/slow/{ms}", get(slow))
        .route("/echo", post(echo))
        .layer(middleware::from_fn_with_state(service.clone(), gate))
        .with_state(service)
}

/// Counts, delays and checks the token of every request.
async fn gate(State(service): State<Service>, request: Request, next: Next) -> Response {
    service.requests.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(service.options.delay).await;
    if let Some(token) = &service.options.token {
        let expected = format!("Bearer {token}");
        let given = request.headers().get(header::AUTHORIZATION);
        if given.and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return (StatusCode::FORBIDDEN, "a valid bearer token is required").into_response();
        }
    }
    next.run(request).await
}

#[derive(Deserialize)]
struct Credentials {
    username_or_email: String,
    password: String,
}

async fn login(State(service): State<Service>, body: Bytes) -> Response {
    let Ok(credentials) = serde_json::from_slice::<Credentials>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let user = service
        .users
        .lock()
        .unwrap()
        .find(&credentials.username_or_email)
        .cloned();
    match user {
        Some(user) if bcrypt::verify(&credentials.password, &user.hash).unwrap_or(false) => {
            axum::Json(user.json()).into_response()
        }
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn find(
    State(service): State<Service>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let users = service.users.lock().unwrap();
    match query.get("email").and_then(|email| users.find(email)) {
        Some(user) => axum::Json(user.json()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
struct NewUser {
    email: String,
    password: String,
    username: Option<String>,
    user_metadata: Option<Value>,
    app_metadata: Option<Value>,
}

async fn create(State(service): State<Service>, body: Bytes) -> Response {
    let Ok(new) = serde_json::from_slice::<NewUser>(&body) else {
        let answer = json!({"code": "invalid_body", "message": "expected {email, password}"});
        return (StatusCode::BAD_REQUEST, axum::Json(answer)).into_response();
    };
    if !new.email.contains('@') {
        let answer = json!({"code": "invalid_email", "message": "not an email address"});
        return (StatusCode::BAD_REQUEST, axum::Json(answer)).into_response();
    }
    let mut users = service.users.lock().unwrap();
    if users.find(&new.email).is_some() {
        return StatusCode::CONFLICT.into_response();
    }
    let mut user = users.add(&new.email, new.username, &new.password);
    user.user_metadata = new.user_metadata;
    user.app_metadata = new.app_metadata;
    if let Some(stored) = users.find_mut(&new.email) {
        *stored = user.clone();
    }
    (StatusCode::CREATED, axum::Json(user.json())).into_response()
}

/// The `email` of a JSON body, and the rest of it.
fn email_of(body: &Bytes) -> Option<(String, Value)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    Some((value["email"].as_str()?.to_owned(), value))
}

async fn verify(State(service): State<Service>, body: Bytes) -> StatusCode {
    let Some((email, _)) = email_of(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    match service.users.lock().unwrap().find_mut(&email) {
        Some(user) => {
            user.email_verified = true;
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn change_password(State(service): State<Service>, body: Bytes) -> StatusCode {
    let Some((email, value)) = email_of(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(password) = value["password"].as_str() else {
        return StatusCode::BAD_REQUEST;
    };
    match service.users.lock().unwrap().find_mut(&email) {
        Some(user) => {
            user.hash = bcrypt::hash(password, 4).expect("bcrypt");
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn change_email(State(service): State<Service>, body: Bytes) -> StatusCode {
    let Some((email, value)) = email_of(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(new_email) = value["new_email"].as_str() else {
        return StatusCode::BAD_REQUEST;
    };
    let mut users = service.users.lock().unwrap();
    if users.find(new_email).is_some() {
        return StatusCode::CONFLICT;
    }
    match users.find_mut(&email) {
        Some(user) => {
            user.email = new_email.to_owned();
            user.email_verified = value["verified"].as_bool().unwrap_or(false);
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn remove(State(service): State<Service>, Path(id): Path<String>) -> StatusCode {
    let removed = id
        .parse::<u64>()
        .ok()
        .and_then(|id| service.users.lock().unwrap().by_id.remove(&id));
    match removed {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

async fn status(Path(code): Path<u16>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, format!("status {code}")).into_response()
}

async fn bytes(Path(n): Path<usize>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        vec![b'a'; n],
    )
        .into_response()
}

async fn slow(Path(ms): Path<u64>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "slow"
}

async fn echo(headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(header::HeaderValue::from_static("application/octet-stream"));
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    if let Some(probe) = headers.get("x-probe") {
        response
            .headers_mut()
            .insert("x-echo-header", probe.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// One HTTP/1.1 request over a plain socket: status and body.
    fn call(
        service: &UsersService,
        method: &str,
        path: &str,
        body: &str,
        token: &str,
    ) -> (u16, String) {
        let mut socket = std::net::TcpStream::connect(service.addr()).unwrap();
        write!(
            socket,
            "{method} {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let body = answer
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_owned();
        (status, body)
    }

    #[test]
    fn the_endpoints_answer_as_documented() {
        let service = UsersService::start(ServiceOptions {
            token: Some("t".into()),
            seed: true,
            ..ServiceOptions::default()
        });
        let login =
            r#"{"username_or_email":"ada@example.com","password":"correct horse battery staple"}"#;
        let (status, body) = call(&service, "POST", "/login", login, "t");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"id\":\"1\""), "{body}");
        let wrong = r#"{"username_or_email":"ada","password":"nope"}"#;
        assert_eq!(call(&service, "POST", "/login", wrong, "t").0, 401);
        assert_eq!(call(&service, "POST", "/login", login, "bad").0, 403);
        let new = r#"{"email":"new@example.com","password":"pw"}"#;
        assert_eq!(call(&service, "POST", "/users", new, "t").0, 201);
        assert_eq!(call(&service, "POST", "/users", new, "t").0, 409);
        assert_eq!(
            call(&service, "GET", "/users?email=new%40example.com", "", "t").0,
            200
        );
        assert_eq!(call(&service, "DELETE", "/users/3", "", "t").0, 204);
        assert_eq!(call(&service, "DELETE", "/users/3", "", "t").0, 404);
        assert_eq!(service.request_count(), 8);
    }
}
