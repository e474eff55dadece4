//! An SMTP server on loopback that keeps what it is sent, for the tests of
//! authbox's mail: it speaks the part of RFC 5321 a client needs (EHLO,
//! AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), without TLS. It can be
//! told to refuse every mail, or to answer slowly.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One mail as the server took it.
#[derive(Debug, Clone, Default)]
pub struct ReceivedMail {
    /// The `AUTH PLAIN` credentials (user, password), if the client sent any.
    pub login: Option<(String, String)>,
    /// `MAIL FROM`'s address.
    pub from: String,
    /// `RCPT TO`'s addresses.
    pub to: Vec<String>,
    /// The message (headers and body) as sent, dot-unstuffed.
    pub data: String,
}

impl ReceivedMail {
    /// The body, decoded from quoted-printable if it was sent so.
    pub fn text(&self) -> String {
        let (headers, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", &self.data));
        if headers
            .to_ascii_lowercase()
            .contains("content-transfer-encoding: quoted-printable")
        {
            let decoded = quoted_printable::decode(body, quoted_printable::ParseMode::Robust)
                .expect("quoted-printable");
            String::from_utf8(decoded).expect("utf-8")
        } else {
            body.to_string()
        }
    }
}

/// How the server answers.
#[derive(Debug, Clone, Copy, Default)]
pub enum Behaviour {
    /// Takes every mail.
    #[default]
    Accept,
    /// Refuses every recipient (550).
    Refuse,
    /// Waits this long before its greeting.
    Slow(Duration),
}

/// The running server; stops taking connections when dropped.
pub struct SmtpServer {
    /// `smtp://127.0.0.1:<port>`, no credentials.
    pub url: String,
    behaviour: Arc<Mutex<Behaviour>>,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    /// Starts a server on a free loopback port.
    pub async fn start(behaviour: Behaviour) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("address"));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let received = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let task = {
            let (behaviour, received, arrived) =
                (behaviour.clone(), received.clone(), arrived.clone());
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (behaviour, received, arrived) =
                        (behaviour.clone(), received.clone(), arrived.clone());
                    tokio::spawn(async move {
                        let _ = session(stream, &behaviour, &received, &arrived).await;
                    });
                }
            })
        };
        SmtpServer {
            url,
            behaviour,
            received,
            arrived,
            task,
        }
    }

    /// Behaves so from the next command on (of every connection).
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    /// The mails taken so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (5 s at most) until `n` mails have been taken; all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let arrived = self.arrived.notified();
            let mails = self.received();
            if mails.len() >= n {
                return mails;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("{} mails arrived, not {n}", mails.len());
            }
        }
    }
}

async fn session(
    stream: TcpStream,
    behaviour: &Mutex<Behaviour>,
    received: &Mutex<Vec<ReceivedMail>>,
    arrived: &Notify,
) -> std::io::Result<()> {
    let now = || *behaviour.lock().unwrap();
    if let Behaviour::Slow(delay) = now() {
        tokio::time::sleep(delay).await;
    }
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 localhost ESMTP test\r\n").await?;
    let mut mail = ReceivedMail::default();
    while let Some(line) = lines.next_line().await? {
        let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "RSET" => {
                mail = ReceivedMail {
                    login: mail.login.take(),
                    ..ReceivedMail::default()
                };
                b"250 OK\r\n"
            }
            "AUTH" => {
                mail.login = line.rsplit(' ').next().and_then(plain_login);
                b"235 2.7.0 Authentication successful\r\n"
            }
            "MAIL" => {
                mail.from = address(&line);
                b"250 OK\r\n"
            }
            "RCPT" if matches!(now(), Behaviour::Refuse) => b"550 5.1.1 No such user\r\n",
            "RCPT" => {
                mail.to.push(address(&line));
                b"250 OK\r\n"
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push_str("\r\n");
                }
                let login = mail.login.clone();
                let mut taken = std::mem::take(&mut mail);
                taken.data = data;
                mail.login = login;
                received.lock().unwrap().push(taken);
                arrived.notify_waiters();
                b"250 OK: queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(answer).await?;
    }
    Ok(())
}

/// The address between `<` and `>`.
fn address(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_string())
        .unwrap_or_default()
}

/// `AUTH PLAIN`'s base64 `\0user\0password`.
fn plain_login(encoded: &str) -> Option<(String, String)> {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let mut parts = decoded.split('\0').skip(1);
    Some((parts.next()?.to_string(), parts.next()?.to_string()))
}
