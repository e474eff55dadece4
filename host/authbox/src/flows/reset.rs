//! Password reset by link, as Auth0's change-password email and password-
//! change tickets do it: a single-use, expiring ticket whose token only the
//! link holds (the store keeps its hash); using it sets the password
//! through the connection, as [`Authbox::reset_password`] does.

use std::time::Duration;

use serde_json::json;
use sqlx::types::chrono;

use super::access::random_hex;
use super::error::TicketRefusal;
use super::events::with_script_calls;
use super::{Authbox, FlowError, LoginContext};
use crate::logs::{EventType, LogEvent};
use crate::mail::MailError;
use crate::store::{MAX_TICKETS_PER_TENANT, PasswordTicket, TicketStore, now, secret_hash};

/// How long a reset link is valid unless asked otherwise (Auth0's
/// default for a change-password ticket: 5 days).
pub const DEFAULT_TICKET_TTL: Duration = Duration::from_secs(5 * 24 * 3600);
/// The longest a ticket may be valid (Auth0's cap on `ttl_sec`: 30 days).
pub const MAX_TICKET_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// A new ticket: its token, shown once, and when it expires.
#[derive(Debug, Clone)]
pub struct IssuedTicket {
    /// The secret the link carries.
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// Whose password a ticket resets.
#[derive(Debug, Clone, Copy)]
pub enum TicketFor<'a> {
    /// A cached user, by id.
    User(&'a str),
    /// A connection's user, by email (the connection's id).
    Email {
        /// The database connection's id.
        connection_id: &'a str,
        /// The user's email.
        email: &'a str,
    },
}

/// An `scpr` event with how its mail went (never the link: the tenant's
/// log is not the user's mailbox).
fn with_delivery(mut event: LogEvent, sent: Result<(), MailError>) -> LogEvent {
    let delivery = match sent {
        Ok(()) => "sent".to_string(),
        Err(error) => {
            tracing::warn!(tenant = %event.tenant_id, %error, "a reset link was not mailed");
            format!("failed: {error}")
        }
    };
    event
        .details
        .insert("email".into(), json!({ "delivery": delivery }));
    event
}

/// `ttl` from now, as the store writes times.
fn expiry(ttl: Duration) -> String {
    (chrono::Utc::now() + ttl.min(MAX_TICKET_TTL))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl Authbox {
    fn tickets(&self) -> &dyn TicketStore {
        self.inner.store.as_ref()
    }

    /// The Authentication API's change-password request: a ticket for the
    /// connection's user with this email, if the connection knows one (in
    /// the cache, else by its `get-user` script); `None` if not, which a
    /// caller answers as it answers a ticket, so that nobody learns which
    /// emails have accounts. The link (`reset_page?ticket=<token>`) goes to
    /// the user by mail if a mail server is configured (the `scpr` event of
    /// the tenant's log says whether it was sent, never the link); else
    /// into that event, under `details.email.link`.
    pub async fn request_password_reset(
        &self,
        tenant_id: &str,
        connection_name: &str,
        email: &str,
        reset_page: &str,
        context: &LoginContext,
    ) -> Result<Option<String>, FlowError> {
        self.check_reset_request(tenant_id, email, context.ip.as_deref())
            .await?;
        let connection = self
            .inner
            .loaded
            .by_name(self.store(), tenant_id, connection_name)
            .await?;
        let lookup = async {
            let cached = self
                .store()
                .credentials(tenant_id, &connection.id, email)
                .await?;
            if cached.is_some() {
                return Ok(true);
            }
            let lookup = crate::runtime::ActionCall::GetUser {
                email: email.to_string(),
            };
            Ok::<_, FlowError>(self.call_for_profile(&connection, lookup).await?.is_some())
        };
        let (known, calls) = with_script_calls(lookup).await;
        if !known? {
            return Ok(None);
        }
        let target = TicketFor::Email {
            connection_id: &connection.id,
            email,
        };
        let ticket = self
            .create_password_ticket(tenant_id, target, DEFAULT_TICKET_TTL, None)
            .await?;
        let link = format!("{reset_page}?ticket={}", ticket.token);
        let event = self.flow_event(
            tenant_id,
            EventType::ChangePasswordRequest,
            None,
            &connection.name,
            Some(email),
            None,
            context,
            calls,
        );
        match &self.inner.mailer {
            Some(mailer) => {
                // Sent off the request's path: the answer takes as long
                // whether or not the email is known and the server is quick.
                let (this, mailer) = (self.clone(), mailer.clone());
                let (tenant_id, email, link) =
                    (tenant_id.to_string(), email.to_string(), link.clone());
                tokio::spawn(async move {
                    let sent = mailer
                        .send_reset_link(&tenant_id, &email, &link, &ticket.expires_at)
                        .await;
                    this.log(with_delivery(event, sent));
                });
            }
            None => {
                let mut event = event;
                event.details.insert(
                    "email".into(),
                    json!({"delivery": "none: no mail server is configured", "link": link}),
                );
                self.log(event);
            }
        }
        Ok(Some(link))
    }

    /// A password-reset ticket valid for `ttl` (at most
    /// [`MAX_TICKET_TTL`]) for a user; after the reset, the page sends
    /// the user to `result_url` if given.
    pub async fn create_password_ticket(
        &self,
        tenant_id: &str,
        target: TicketFor<'_>,
        ttl: Duration,
        result_url: Option<String>,
    ) -> Result<IssuedTicket, FlowError> {
        let (connection_id, email) = match target {
            TicketFor::Email {
                connection_id,
                email,
            } => {
                self.store().connection(tenant_id, connection_id).await?;
                (connection_id.to_string(), email.to_string())
            }
            TicketFor::User(user_id) => {
                let user = self.store().user(tenant_id, user_id).await?;
                let email = super::users::email_of(&user)?;
                (user.connection_id, email)
            }
        };
        let token = random_hex(32);
        let ticket = PasswordTicket {
            tenant_id: tenant_id.to_string(),
            connection_id,
            email,
            result_url,
            created_at: now(),
            expires_at: expiry(ttl),
            used_at: None,
        };
        let kept = self
            .tickets()
            .insert_password_ticket(&secret_hash(&token), &ticket, MAX_TICKETS_PER_TENANT)
            .await?;
        if !kept {
            return Err(TicketRefusal::TooMany.into());
        }
        Ok(IssuedTicket {
            token,
            expires_at: ticket.expires_at,
        })
    }

    /// The ticket behind `token`, if it can still be used.
    pub async fn password_ticket(&self, token: &str) -> Result<PasswordTicket, FlowError> {
        let ticket = self
            .tickets()
            .password_ticket(&secret_hash(token))
            .await?
            .ok_or(TicketRefusal::Unknown)?;
        if ticket.used_at.is_some() {
            return Err(TicketRefusal::Used.into());
        }
        if ticket.expires_at <= now() {
            return Err(TicketRefusal::Expired.into());
        }
        Ok(ticket)
    }

    /// Uses the ticket behind `token`: sets `new_password` for its user
    /// through the connection, once. A reset that fails leaves the ticket
    /// usable. Logged as `scp` or `fcp`.
    pub async fn use_password_ticket(
        &self,
        token: &str,
        new_password: &str,
        context: &LoginContext,
    ) -> Result<PasswordTicket, FlowError> {
        let hash = secret_hash(token);
        let Some(ticket) = self.tickets().claim_password_ticket(&hash).await? else {
            // Why not: unknown, used or expired.
            return Err(match self.password_ticket(token).await {
                Ok(_) => TicketRefusal::Used.into(),
                Err(refused) => refused,
            });
        };
        let connection = match self
            .store()
            .connection(&ticket.tenant_id, &ticket.connection_id)
            .await
        {
            Ok(connection) => connection,
            Err(error) => {
                self.tickets().release_password_ticket(&hash).await?;
                return Err(error.into());
            }
        };
        let reset = self.reset_password(
            &ticket.tenant_id,
            &connection.name,
            &ticket.email,
            new_password,
        );
        let (result, calls) = with_script_calls(reset).await;
        let (event_type, description) = match &result {
            Ok(_) => (EventType::SuccessChangePassword, None),
            Err(error) => (EventType::FailedChangePassword, Some(error.to_string())),
        };
        let user = result.as_ref().ok().and_then(Option::as_ref);
        let event = self.flow_event(
            &ticket.tenant_id,
            event_type,
            description,
            &connection.name,
            Some(&ticket.email),
            user,
            context,
            calls,
        );
        self.log(event);
        match result {
            Ok(_) => Ok(ticket),
            Err(error) => {
                self.tickets().release_password_ticket(&hash).await?;
                Err(error)
            }
        }
    }
}
