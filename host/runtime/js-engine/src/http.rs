//! The native behind `fetch`, `request` and `axios`: one request through
//! `authbox_guest::http` (`wasi:http`, checked by the host against the
//! connection's allowed hosts).

use authbox_guest::http::{HttpError, Method, Request};
use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Exception, FromJs, Object, Result, TypedArray, Value};

/// Sends `method url` with `headers` (`[[name, value]]`) and `body`;
/// answers `{ status, headers: [[name, value]], body: Uint8Array }`, or
/// throws an `Error` whose `code` is the `wasi:http` error's name.
pub fn request<'js>(
    ctx: Ctx<'js>,
    method_name: String,
    url: String,
    headers: Array<'js>,
    body: Opt<Value<'js>>,
) -> Result<Object<'js>> {
    let verb: Method = method_name
        .parse()
        .map_err(|e: HttpError| Exception::throw_type(&ctx, &e.to_string()))?;
    let mut request = Request::new(verb, &url);
    for pair in headers.iter::<Vec<String>>() {
        let pair = pair?;
        if let [name, value] = pair.as_slice() {
            request = request.header(name, value);
        }
    }
    if let Some(body) = body.0.filter(|b| !b.is_null() && !b.is_undefined()) {
        let bytes = TypedArray::<u8>::from_js(&ctx, body)?;
        // SAFETY: copied at once; no JavaScript runs while it is borrowed.
        let bytes = unsafe { bytes.as_bytes() }
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        request = request.body(bytes);
    }
    let response = request.send().map_err(|e| failed(&ctx, e))?;
    let answer = Object::new(ctx.clone())?;
    answer.set("status", response.status())?;
    let headers = Array::new(ctx.clone())?;
    for (i, (name, value)) in response.headers().enumerate() {
        let pair = Array::new(ctx.clone())?;
        pair.set(0, name)?;
        pair.set(1, String::from_utf8_lossy(value).into_owned())?;
        headers.set(i, pair)?;
    }
    answer.set("headers", headers)?;
    answer.set(
        "body",
        TypedArray::new(ctx.clone(), response.bytes().to_vec())?,
    )?;
    Ok(answer)
}

fn failed(ctx: &Ctx<'_>, error: HttpError) -> rquickjs::Error {
    match Exception::from_message(ctx.clone(), &error.to_string()) {
        Ok(exception) => {
            let _ = exception.as_object().set("code", error.code());
            ctx.throw(exception.into_value())
        }
        Err(e) => e,
    }
}
