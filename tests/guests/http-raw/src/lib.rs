//! One `GET` through plain `wasi:http` bindings, not the SDK's `http`
//! module: what a component written in another language does.
//! `login(url, _)` answers `probe|<status>`, or the failure
//! `http-error: <Debug of the error code>`.

use authbox_guest::{CustomDatabase, Error, Profile, Result};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, OutgoingRequest, Scheme};

struct HttpRaw;

impl CustomDatabase for HttpRaw {
    fn login(url: &str, _password: &str) -> Result<Profile> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| Error::failed("http:// URLs only"))?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let request = OutgoingRequest::new(Fields::new());
        let set = |ok: core::result::Result<(), ()>| ok.map_err(|()| Error::failed("bad URL"));
        set(request.set_scheme(Some(&Scheme::Http)))?;
        set(request.set_authority(Some(authority)))?;
        set(request.set_path_with_query(Some(if path.is_empty() { "/" } else { path })))?;
        let pending = outgoing_handler::handle(request, None)
            .map_err(|e| Error::failed(format!("http-error: {e:?}")))?;
        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(e))) => return Err(Error::failed(format!("http-error: {e:?}"))),
            _ => return Err(Error::failed("http-error: no response")),
        };
        Ok(Profile::new(format!("probe|{}", response.status())))
    }

    fn get_user(_email: &str) -> Result<Option<Profile>> {
        Ok(None)
    }
}

authbox_guest::export_script!(HttpRaw);
