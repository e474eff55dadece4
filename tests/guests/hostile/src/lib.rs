//! A hostile script: what `login` does depends on the username it is given.
//! Each behaviour is one attack the host must survive (see tests/tests/hostile.rs);
//! the username `ok@example.com` is a normal login, to prove the host still serves.

use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use authbox_guest::password::{self, Algorithm};
use authbox_guest::{CustomDatabase, Error, Profile, Result, json, log};

struct Hostile;

/// Counts `login("count")` calls; every call must see 1 (fresh instance).
static CALLS: AtomicU32 = AtomicU32::new(0);

fn spin_forever() -> ! {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

fn grow_forever() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 1 << 20]);
        black_box(&hoard);
    }
}

#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    // `black_box` on the result keeps the call out of tail position; the
    // frames live on the wasm stack, not the shadow stack in linear memory.
    black_box(recurse(black_box(depth + 1)))
}

fn flood_stdout() -> Result<Profile> {
    let chunk = vec![b'x'; 64 * 1024];
    let mut stdout = std::io::stdout().lock();
    for _ in 0..(100 * 1024 * 1024 / chunk.len()) {
        stdout
            .write_all(&chunk)
            .map_err(|e| Error::failed(format!("stdout: {e}")))?;
    }
    Ok(Profile::new("hostile|flood"))
}

/// Hashes at bcrypt cost 14 (about a second of a core each) until the
/// call's deadline stops it: host work a tenant queues in bulk.
fn hash_forever(password: &str) -> ! {
    loop {
        black_box(password::hash_with(password, Algorithm::Bcrypt(14)).ok());
    }
}

/// A string bigger than anything the host copies whole.
fn huge_text() -> String {
    "x".repeat(50 << 20)
}

fn denied(what: &str, attempt: std::result::Result<String, String>) -> Result<Profile> {
    match attempt {
        Err(error) => Err(Error::failed(format!("{what} denied: {error}"))),
        Ok(leak) => Ok(Profile::new("hostile|leak").attribute("leak", json!(leak))),
    }
}

impl CustomDatabase for Hostile {
    fn login(username: &str, password: &str) -> Result<Profile> {
        match username {
            "loop" => spin_forever(),
            "grow" => grow_forever(),
            "recurse" => Ok(Profile::new(format!("hostile|{}", recurse(0)))),
            "panic" => panic!("hostile panic: the script gave up"),
            "flood" => flood_stdout(),
            "exit" => std::process::exit(3),
            "bad-email" => Ok(Profile::new("hostile|1").email("not-an-email")),
            "no-id" => Ok(Profile::new("")),
            "hash-loop" => hash_forever(password),
            "huge-error" => Err(Error::failed(huge_text())),
            "huge-unauthorized" => Err(Error::Unauthorized(huge_text())),
            "huge-user-id" => Err(Error::WrongCredentials {
                user_id: Some(huge_text()),
                message: None,
            }),
            "huge-log" => {
                log::write(log::Level::Info, &huge_text());
                Ok(Profile::new("hostile|logged"))
            }
            "long-error" => Err(Error::failed("e".repeat(100 << 10))),
            "huge" => Ok(Profile::new("hostile|1").attribute("blob", json!("x".repeat(500 << 10)))),
            "file" => denied(
                "file",
                std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string()),
            ),
            "env" => denied(
                "env",
                match std::env::vars().next() {
                    Some((k, v)) => Ok(format!("{k}={v}")),
                    None => std::env::var("HOME").map_err(|e| e.to_string()),
                },
            ),
            "socket" => denied(
                "socket",
                std::net::TcpStream::connect("127.0.0.1:5432")
                    .map(|s| format!("{:?}", s.peer_addr()))
                    .map_err(|e| e.to_string()),
            ),
            "count" => {
                let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(Profile::new("hostile|count").attribute("calls", json!(calls)))
            }
            "ok@example.com" => Ok(Profile::new("hostile|ok").email("ok@example.com")),
            "suspended" => Err(Error::Unauthorized("Your account is suspended.".into())),
            _ => Err(Error::wrong_credentials()),
        }
    }

    fn get_user(_email: &str) -> Result<Option<Profile>> {
        Ok(None)
    }
}

authbox_guest::export_script!(Hostile);
