//! Sends the requests a test gives it through the SDK's `http` module.
//!
//! `login(url, spec)`: `spec` is JSON `{"method", "json", "body_bytes",
//! "headers": [[name, value]], "times"}` (all optional; `times` repeats the
//! request, stopping at the first error). The answer is the profile
//! `probe|<status>` whose `user_metadata` is `{"status", "body" (text or
//! null), "content_type", "requests"}`; an HTTP error is the failure
//! `http-error: <code>`, its full text logged.

use authbox_guest::http::{HttpError, Method, Request, Response};
use authbox_guest::{CustomDatabase, Error, Profile, Result, Value, error, json};

struct HttpProbe;

fn method(name: Option<&str>) -> Result<Method> {
    name.unwrap_or("GET")
        .parse()
        .map_err(|e: HttpError| Error::failed(e.to_string()))
}

fn request(url: &str, spec: &Value) -> Result<Request> {
    let mut request = Request::new(method(spec["method"].as_str())?, url);
    for pair in spec["headers"].as_array().into_iter().flatten() {
        if let (Some(name), Some(value)) = (pair[0].as_str(), pair[1].as_str()) {
            request = request.header(name, value);
        }
    }
    if let Some(n) = spec["body_bytes"].as_u64() {
        request = request.body(vec![b'x'; n as usize]);
    }
    if !spec["json"].is_null() {
        request = request.json(&spec["json"]);
    }
    Ok(request)
}

fn failure(error: HttpError) -> Error {
    error!("{error}");
    Error::failed(format!("http-error: {}", error.code()))
}

impl CustomDatabase for HttpProbe {
    fn login(url: &str, spec: &str) -> Result<Profile> {
        let spec: Value = serde_json_from(spec)?;
        let times = spec["times"].as_u64().unwrap_or(1).max(1);
        let mut last: Option<Response> = None;
        for _ in 0..times {
            last = Some(request(url, &spec)?.send().map_err(failure)?);
        }
        let response = last.expect("at least one request");
        Ok(
            Profile::new(format!("probe|{}", response.status())).user_metadata(json!({
                "status": response.status(),
                "body": response.text().ok(),
                "content_type": response.header("content-type"),
                "requests": times,
            })),
        )
    }

    fn get_user(_email: &str) -> Result<Option<Profile>> {
        Ok(None)
    }
}

/// The spec, `{}` when empty.
fn serde_json_from(text: &str) -> Result<Value> {
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    Ok(authbox_guest::serde_json::from_str(text)?)
}

authbox_guest::export_script!(HttpProbe);
