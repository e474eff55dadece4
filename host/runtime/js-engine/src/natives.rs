//! The functions the Node shims (`src/node/*.js`) are built on: the host's
//! capabilities (log, configuration, password, sql in `sql.rs`) and what QuickJS lacks
//! (encodings, digests, randomness, sleeping). Handed to the prelude as one
//! object it keeps private; scripts never see it.

use std::cell::Cell;
use std::time::Duration;

use authbox_guest::log::Level;
use authbox_guest::password::{self, Algorithm, PasswordError};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rquickjs::function::Opt;
use rquickjs::{Ctx, Exception, Function, Object, Result, TypedArray};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::{http, outcome, sql};

/// The most a script may ask `randomBytes` or `pbkdf2` for at once.
const MAX_GENERATED_BYTES: usize = 1 << 20;

/// The longest a timer may make a call sleep at once (the call's deadline
/// ends it sooner).
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The natives object given to the prelude.
pub fn object<'js>(ctx: &Ctx<'js>) -> Result<Object<'js>> {
    let native = Object::new(ctx.clone())?;
    native.set("log", Function::new(ctx.clone(), log)?)?;
    native.set("configuration", Function::new(ctx.clone(), configuration)?)?;
    native.set("sleep", Function::new(ctx.clone(), sleep)?)?;
    native.set("random", Function::new(ctx.clone(), random)?)?;
    native.set("randomBytes", Function::new(ctx.clone(), random_bytes)?)?;
    native.set("encode", Function::new(ctx.clone(), encode)?)?;
    native.set("decode", Function::new(ctx.clone(), decode)?)?;
    native.set("digest", Function::new(ctx.clone(), digest)?)?;
    native.set("hmac", Function::new(ctx.clone(), hmac)?)?;
    native.set("pbkdf2", Function::new(ctx.clone(), pbkdf2)?)?;
    native.set(
        "passwordVerify",
        Function::new(ctx.clone(), password_verify)?,
    )?;
    native.set("passwordHash", Function::new(ctx.clone(), password_hash)?)?;
    native.set("httpRequest", Function::new(ctx.clone(), http::request)?)?;
    native.set(
        "sqlDatasources",
        Function::new(ctx.clone(), sql::datasources)?,
    )?;
    native.set("sqlRun", Function::new(ctx.clone(), sql::run)?)?;
    native.set("succeed", Function::new(ctx.clone(), outcome::succeed)?)?;
    native.set("fail", Function::new(ctx.clone(), outcome::fail)?)?;
    Ok(native)
}

fn log(level: i32, message: String) {
    let level = match level {
        0 => Level::Trace,
        1 => Level::Debug,
        2 => Level::Info,
        3 => Level::Warn,
        _ => Level::Error,
    };
    authbox_guest::log::write(level, &message);
}

/// The connection's configuration, read now (never in the snapshot).
fn configuration(ctx: Ctx<'_>) -> Result<Object<'_>> {
    let object = Object::new(ctx)?;
    for key in authbox_guest::config::keys() {
        if let Some(value) = authbox_guest::config::get(&key) {
            object.set(key, value)?;
        }
    }
    Ok(object)
}

fn sleep(ms: f64) {
    if ms.is_finite() && ms > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(ms / 1000.0).min(MAX_SLEEP));
    }
}

thread_local! {
    /// xorshift128+ state for `Math.random`, seeded from `wasi:random` on
    /// first use in each instance: a snapshot never freezes a seed, because
    /// nothing draws a number while it is taken.
    static RANDOM: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

fn random() -> f64 {
    RANDOM.with(|state| {
        let (mut s1, s0) = state.get().unwrap_or_else(|| {
            let seed = wasip2::random::random::get_random_u64();
            (seed | 1, seed.rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15)
        });
        s1 ^= s1 << 23;
        s1 ^= s1 >> 17;
        s1 ^= s0 ^ (s0 >> 26);
        state.set(Some((s0, s1)));
        // 53 random bits in [0, 1).
        (s0.wrapping_add(s1) >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn generated_size(ctx: &Ctx<'_>, size: f64) -> Result<usize> {
    if !(0.0..=MAX_GENERATED_BYTES as f64).contains(&size) || size.fract() != 0.0 {
        return Err(Exception::throw_range(
            ctx,
            &format!("the size must be a whole number from 0 to {MAX_GENERATED_BYTES}"),
        ));
    }
    Ok(size as usize)
}

fn random_bytes(ctx: Ctx<'_>, size: f64) -> Result<TypedArray<'_, u8>> {
    let size = generated_size(&ctx, size)?;
    TypedArray::new(ctx, wasip2::random::random::get_random_bytes(size as u64))
}

fn encode(ctx: Ctx<'_>, text: String, encoding: String) -> Result<TypedArray<'_, u8>> {
    let bytes = match encoding.as_str() {
        "hex" => {
            // Node decodes hex up to the first invalid pair.
            let valid = text
                .as_bytes()
                .chunks_exact(2)
                .take_while(|pair| pair.iter().all(u8::is_ascii_hexdigit))
                .count();
            hex::decode(&text[..valid * 2]).unwrap_or_default()
        }
        "base64" | "base64url" => {
            let cleaned: String = text
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '=')
                .map(|c| match c {
                    '-' => '+',
                    '_' => '/',
                    c => c,
                })
                .collect();
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(cleaned.as_bytes())
                .map_err(|e| Exception::throw_type(&ctx, &format!("invalid base64: {e}")))?
        }
        "latin1" | "ascii" => text.chars().map(|c| c as u32 as u8).collect(),
        _ => text.into_bytes(),
    };
    TypedArray::new(ctx, bytes)
}

/// A copy of a typed array's bytes (empty if its buffer was detached).
fn copy(array: &TypedArray<'_, u8>) -> Vec<u8> {
    // SAFETY: the slice is copied at once; no JavaScript runs (and so
    // nothing can detach or resize the buffer) while it is borrowed.
    unsafe { array.as_bytes() }
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

fn decode(bytes: TypedArray<'_, u8>, encoding: String) -> String {
    let bytes = &copy(&bytes)[..];
    match encoding.as_str() {
        "hex" => hex::encode(bytes),
        "base64" => STANDARD.encode(bytes),
        "base64url" => URL_SAFE_NO_PAD.encode(bytes),
        "latin1" => bytes.iter().map(|&b| char::from(b)).collect(),
        "ascii" => bytes.iter().map(|&b| char::from(b & 0x7f)).collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn unsupported_digest(ctx: &Ctx<'_>, algorithm: &str) -> rquickjs::Error {
    Exception::throw_message(
        ctx,
        &format!(
            "Digest method not supported: {algorithm} (authbox has md5, sha1, sha256, sha384, sha512)"
        ),
    )
}

fn digest<'js>(
    ctx: Ctx<'js>,
    algorithm: String,
    data: TypedArray<'js, u8>,
) -> Result<TypedArray<'js, u8>> {
    let data = &copy(&data)[..];
    let out = match algorithm.as_str() {
        "md5" => md5::Md5::digest(data).to_vec(),
        "sha1" => Sha1::digest(data).to_vec(),
        "sha256" => Sha256::digest(data).to_vec(),
        "sha384" => Sha384::digest(data).to_vec(),
        "sha512" => Sha512::digest(data).to_vec(),
        other => return Err(unsupported_digest(&ctx, other)),
    };
    TypedArray::new(ctx, out)
}

fn mac<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hmac<'js>(
    ctx: Ctx<'js>,
    algorithm: String,
    key: TypedArray<'js, u8>,
    data: TypedArray<'js, u8>,
) -> Result<TypedArray<'js, u8>> {
    let key = &copy(&key)[..];
    let data = &copy(&data)[..];
    let out = match algorithm.as_str() {
        "md5" => mac::<Hmac<md5::Md5>>(key, data),
        "sha1" => mac::<Hmac<Sha1>>(key, data),
        "sha256" => mac::<Hmac<Sha256>>(key, data),
        "sha384" => mac::<Hmac<Sha384>>(key, data),
        "sha512" => mac::<Hmac<Sha512>>(key, data),
        other => return Err(unsupported_digest(&ctx, other)),
    };
    TypedArray::new(ctx, out)
}

fn pbkdf2<'js>(
    ctx: Ctx<'js>,
    password: TypedArray<'js, u8>,
    salt: TypedArray<'js, u8>,
    iterations: f64,
    key_length: f64,
    digest: String,
) -> Result<TypedArray<'js, u8>> {
    let length = generated_size(&ctx, key_length)?;
    if !(iterations >= 1.0 && iterations <= u32::MAX as f64) {
        return Err(Exception::throw_range(
            &ctx,
            "iterations must be at least 1",
        ));
    }
    let rounds = iterations as u32;
    let password = &copy(&password)[..];
    let salt = &copy(&salt)[..];
    let mut out = vec![0u8; length];
    match digest.as_str() {
        "md5" => ::pbkdf2::pbkdf2_hmac::<md5::Md5>(password, salt, rounds, &mut out),
        "sha1" => ::pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, rounds, &mut out),
        "sha256" => ::pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, rounds, &mut out),
        "sha384" => ::pbkdf2::pbkdf2_hmac::<Sha384>(password, salt, rounds, &mut out),
        "sha512" => ::pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, rounds, &mut out),
        other => return Err(unsupported_digest(&ctx, other)),
    }
    TypedArray::new(ctx, out)
}

fn password_error(ctx: &Ctx<'_>, error: PasswordError) -> rquickjs::Error {
    let message = match error {
        PasswordError::UnsupportedHash(m) => format!("unsupported password hash: {m}"),
        PasswordError::TooCostly(m) => format!("password hashing refused: {m}"),
        PasswordError::Failed(m) => format!("password hashing failed: {m}"),
    };
    Exception::throw_message(ctx, &message)
}

fn password_verify(ctx: Ctx<'_>, password: String, hash: String) -> Result<bool> {
    password::verify(&password, &hash).map_err(|e| password_error(&ctx, e))
}

fn password_hash(ctx: Ctx<'_>, password: String, cost: Opt<f64>) -> Result<String> {
    let cost = cost.0.unwrap_or(f64::from(password::DEFAULT_BCRYPT_COST));
    if !(4.0..=31.0).contains(&cost) || cost.fract() != 0.0 {
        return Err(Exception::throw_range(
            &ctx,
            &format!("bcrypt rounds must be a whole number from 4 to 31, not {cost}"),
        ));
    }
    password::hash_with(&password, Algorithm::Bcrypt(cost as u32))
        .map_err(|e| password_error(&ctx, e))
}
