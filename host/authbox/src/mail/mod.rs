//! Mail to a tenant's users through the operator's SMTP server (lettre):
//! the password-reset link of `POST /dbconnections/change_password`.
//!
//! Bounds: a tenant has at most [`MailSettings::per_tenant`] mails in
//! flight (more are not sent, and the caller logs why); all tenants share
//! one pool of at most [`MailSettings::connections`] SMTP connections; a
//! mail takes at most [`MailSettings::timeout`], then it is given up.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where and how mail goes.
#[derive(Clone)]
pub struct MailSettings {
    /// The SMTP server, as lettre reads it: `smtps://user:pass@host:465`
    /// (TLS), `smtp://user:pass@host:587?tls=required` (STARTTLS), or
    /// `smtp://host:25` (unencrypted: loopback only). Holds a secret.
    pub smtp_url: String,
    /// The sender, e.g. `Acme <no-reply@acme.example>`.
    pub from: String,
    /// Mails one tenant may have in flight.
    pub per_tenant: usize,
    /// SMTP connections all tenants share.
    pub connections: u32,
    /// The longest one mail (or one of its SMTP commands) may take.
    pub timeout: Duration,
}

impl MailSettings {
    /// The defaults for a server and a sender: 4 mails in flight per
    /// tenant, 8 connections, 10 s per command.
    pub fn new(smtp_url: impl Into<String>, from: impl Into<String>) -> Self {
        MailSettings {
            smtp_url: smtp_url.into(),
            from: from.into(),
            per_tenant: 4,
            connections: 8,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The URL's credentials are a secret: never shown.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &"<secret>")
            .field("from", &self.from)
            .field("per_tenant", &self.per_tenant)
            .field("connections", &self.connections)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The settings' SMTP URL cannot be used (the URL itself is not shown:
    /// it may hold a password).
    #[error("the SMTP URL is not valid: {0}")]
    BadUrl(String),
    /// An address (the sender, or a user's email) is not a mailbox.
    #[error("not an email address: {0}")]
    BadAddress(String),
    /// The tenant already has as many mails in flight as it may.
    #[error("the tenant has {0} mails in flight already")]
    Busy(usize),
    /// The SMTP server refused the mail, or could not be reached in time.
    #[error("the SMTP server did not take the mail: {0}")]
    Smtp(String),
}

/// Sends mail for every tenant, each within its share.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    per_tenant: usize,
    timeout: Duration,
    in_flight: Arc<Mutex<HashMap<String, usize>>>,
}

/// A tenant's place among the mails in flight, given back when dropped.
struct InFlight {
    tenant_id: String,
    in_flight: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = in_flight.get_mut(&self.tenant_id) {
            *count -= 1;
            if *count == 0 {
                in_flight.remove(&self.tenant_id);
            }
        }
    }
}

impl Mailer {
    /// A mailer for `settings`; nothing is connected until the first mail.
    /// Call it within a tokio runtime.
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let from = settings
            .from
            .parse()
            .map_err(|_| MailError::BadAddress(settings.from.clone()))?;
        // lettre's error names the part of the URL that is wrong, not the
        // URL. The pool's task needs a tokio runtime.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .map_err(|e| MailError::BadUrl(e.to_string()))?
            .timeout(Some(settings.timeout))
            .pool_config(PoolConfig::new().max_size(settings.connections.max(1)))
            .build();
        Ok(Mailer {
            transport,
            from,
            per_tenant: settings.per_tenant.max(1),
            timeout: settings.timeout,
            in_flight: Arc::default(),
        })
    }

    fn enter(&self, tenant_id: &str) -> Result<InFlight, MailError> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let count = in_flight.entry(tenant_id.to_string()).or_default();
        if *count >= self.per_tenant {
            return Err(MailError::Busy(*count));
        }
        *count += 1;
        Ok(InFlight {
            tenant_id: tenant_id.to_string(),
            in_flight: self.in_flight.clone(),
        })
    }

    /// Sends a password-reset link to `to` for one of `tenant_id`'s users.
    pub async fn send_reset_link(
        &self,
        tenant_id: &str,
        to: &str,
        link: &str,
        expires_at: &str,
    ) -> Result<(), MailError> {
        let _turn = self.enter(tenant_id)?;
        let to: Mailbox = to
            .parse()
            .map_err(|_| MailError::BadAddress(to.to_string()))?;
        let body = format!(
            "Someone asked to reset the password of your account ({email}).\n\n\
             To choose a new password, open this link (valid until {expires_at}, once):\n\n\
             {link}\n\n\
             If it was not you, ignore this mail: your password stays as it is.\n",
            email = to.email,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject("Reset your password")
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        // lettre's timeout is per command; a server that never greets is
        // bounded here.
        tokio::time::timeout(self.timeout, self.transport.send(message))
            .await
            .map_err(|_| MailError::Smtp(format!("no answer within {:?}", self.timeout)))?
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        Ok(())
    }
}
