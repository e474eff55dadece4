//! The library's flows over the runtime and the store: logins into the
//! profile cache, signups, refreshes from `get-user`, Management API
//! updates (behaviour: `docs/behaviour.md`), and the setup of tenants,
//! connections, keys and applications. Every entry point goes through
//! [`Authbox`].

mod access;
mod call;
mod connections;
mod error;
mod events;
mod import;
mod jobs;
mod protection;
mod recent;
mod reset;
mod setup;
mod shares;
mod signup;
mod tenants;
#[cfg(test)]
mod tests;
mod user_locks;
mod users;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use access::SCOPES;
pub use error::{FlowError, JobRefusal, TicketRefusal};
pub use jobs::{ExportFile, ExportOptions, ImportOptions};
pub use reset::{DEFAULT_TICKET_TTL, IssuedTicket, MAX_TICKET_TTL, TicketFor};
pub use setup::TenantChange;
pub use shares::TenantCalls;
pub use signup::RootAttributes;

use crate::background::Background;
use crate::jobs::{JobRunner, RunnerSettings};
use crate::logs::{LogSink, Retention};
use crate::mail::{MailSettings, Mailer};
use crate::management::{self, DEFAULT_MAX_METADATA_BYTES, UpdateSettings};
use crate::metrics::{LoginResult, Metrics};
use crate::protection::Policy;
use crate::runtime::profile::{DEFAULT_MAX_PROFILE_BYTES, DEFAULT_PROVIDER, ProfileSource};
use crate::runtime::share::FairPool;
use crate::runtime::{ActionCall, Refusal, Runtime, RuntimeConfig};
use crate::store::{
    AccessStore, ApiKey, CachedUser, Client, Connection, LoginRecord, SecretKeySource, SqlStore,
    Store,
};
use connections::LoadedConnections;
use protection::PROTECTION_TURNS;
use recent::Recent;
use user_locks::UserLocks;

/// How to open an [`Authbox`].
#[derive(Debug, Clone)]
pub struct AuthboxConfig {
    /// The store: `sqlite:PATH` (created if missing) or `postgres://...`.
    pub store_url: String,
    /// The key that seals the connections' settings and the tenants'
    /// signing keys in the store. A PostgreSQL store refuses
    /// [`SecretKeySource::Generated`]: its processes must share one key.
    pub secret_key: SecretKeySource,
    /// The sandbox's settings.
    pub runtime: RuntimeConfig,
    /// The prefix of cached user ids (`auth0` by default).
    pub provider: String,
    /// The cap on a user's two metadata objects together.
    pub max_metadata_bytes: usize,
    /// How many script calls each tenant may have in flight.
    pub tenant_calls: TenantCalls,
    /// How long and how many events each tenant's log keeps.
    pub log_retention: Retention,
    /// The SMTP server that carries reset links to users; without one, a
    /// link goes to the tenant's log.
    pub mail: Option<MailSettings>,
    /// Whether this process runs bulk user jobs (a server does; a command
    /// that ends soon should not take a job it would leave half done).
    pub run_jobs: bool,
}

impl AuthboxConfig {
    /// Defaults with the store in a SQLite file at `path`, its secret key
    /// in `secret.key` beside it (generated the first time), and compiled
    /// scripts cached in `artifacts/` beside it (a restart, or a rollback to
    /// an older version, loads them in a millisecond instead of compiling).
    pub fn sqlite(path: &str) -> Self {
        let beside = std::path::Path::new(path)
            .parent()
            .unwrap_or(std::path::Path::new("."));
        AuthboxConfig {
            store_url: format!("sqlite:{path}"),
            secret_key: SecretKeySource::Generated(beside.join("secret.key")),
            runtime: RuntimeConfig {
                cache_dir: Some(beside.join("artifacts")),
                ..RuntimeConfig::default()
            },
            provider: DEFAULT_PROVIDER.into(),
            max_metadata_bytes: DEFAULT_MAX_METADATA_BYTES,
            tenant_calls: TenantCalls::default(),
            log_retention: Retention::default(),
            mail: None,
            run_jobs: true,
        }
    }
}

/// Where a login comes from.
#[derive(Debug, Clone, Default)]
pub struct LoginContext {
    /// The client's IP address, kept as `last_ip`.
    pub ip: Option<String>,
    /// The client's `User-Agent`, for the tenant's log.
    pub user_agent: Option<String>,
    /// The application's id, for the tenant's log.
    pub client_id: Option<String>,
    /// The application's name, for the tenant's log.
    pub client_name: Option<String>,
}

/// authbox as a library: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Authbox {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Runtime,
    store: Arc<SqlStore>,
    loaded: LoadedConnections,
    /// Clients found by (id, secret hash).
    clients: Recent<(String, String), Client>,
    /// API keys found by their hash.
    api_keys: Recent<String, ApiKey>,
    /// Tenants' default connections, by tenant id.
    default_connections: Recent<String, String>,
    /// Tenants' caps on calls in flight, by tenant id.
    tenant_caps: Recent<String, u32>,
    /// Tenants' attack protection, by tenant id.
    policies: Recent<String, Arc<Policy>>,
    /// Turns on the store for the checks made before a login's script
    /// runs, served in turns across tenants (see `flows/protection.rs`).
    protection_turns: FairPool,
    tenant_calls: TenantCalls,
    /// Changes of a cached user wait for the one in progress.
    user_locks: UserLocks,
    provider: String,
    update: UpdateSettings,
    metrics: Metrics,
    /// The tenants' logs, written off the requests' path.
    logs: LogSink,
    /// Reset links by mail, if the operator configured a server.
    mailer: Option<Arc<Mailer>>,
    /// Runs bulk user jobs in the background, if this process does.
    jobs: Option<JobRunner>,
    /// The store's sweeps that no request waits for.
    _sweeps: Background,
}

impl Authbox {
    /// Opens the store (migrating it, and checking its secret key) and
    /// starts the runtime.
    pub async fn open(config: AuthboxConfig) -> Result<Self, FlowError> {
        let mailer = config.mail.as_ref().map(Mailer::new).transpose()?;
        let key = config.secret_key.key(&config.store_url)?;
        let store = Arc::new(SqlStore::open(&config.store_url, key).await?);
        let metrics = Metrics::default();
        let logs = LogSink::start(
            store.clone(),
            config.log_retention,
            metrics.log_events_lost(),
        );

        let runtime =
            Runtime::new(config.runtime).map_err(|e| FlowError::Runtime(e.to_string()))?;
        let jobs = config.run_jobs.then(|| {
            JobRunner::start(
                store.clone(),
                RunnerSettings {
                    provider: config.provider.clone(),
                    limits: *runtime.capabilities().password.limits(),
                },
            )
        });
        let sweeps = Background::new(vec![protection::sweep_buckets(store.clone())]);
        let update = UpdateSettings {
            max_metadata_bytes: config.max_metadata_bytes,
            hashing: runtime.capabilities().password.clone(),
        };
        Ok(Authbox {
            inner: Arc::new(Inner {
                runtime,
                store,
                loaded: LoadedConnections::default(),
                protection_turns: FairPool::new(PROTECTION_TURNS),
                clients: Recent::default(),
                api_keys: Recent::default(),
                default_connections: Recent::default(),
                tenant_caps: Recent::default(),
                policies: Recent::default(),
                tenant_calls: config.tenant_calls,
                user_locks: UserLocks::default(),
                provider: config.provider,
                update,
                metrics,
                logs,
                mailer: mailer.map(Arc::new),
                jobs,
                _sweeps: sweeps,
            }),
        })
    }

    /// The store. Not public: its writes skip the field policy and the
    /// per-user turns that the flows keep.
    pub(crate) fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// Keys, applications and signing keys.
    fn access(&self) -> &dyn AccessStore {
        self.inner.store.as_ref()
    }

    /// Closes the store once its statements in flight are done (e.g. at a
    /// server's shutdown); every later call fails.
    pub async fn close(&self) {
        self.inner.store.close().await;
    }

    /// The script calls a tenant may have in flight: by default, and at
    /// most.
    pub fn tenant_calls(&self) -> &TenantCalls {
        &self.inner.tenant_calls
    }

    /// What this `Authbox` counted: script calls, logins.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The runtime the scripts run in.
    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    fn source(&self, connection: &Connection) -> ProfileSource {
        ProfileSource {
            provider: self.inner.provider.clone(),
            connection: connection.name.clone(),
            max_profile_bytes: DEFAULT_MAX_PROFILE_BYTES,
        }
    }

    /// Logs a user in through a connection. Import mode off: the script
    /// checks the password, and what it returns refreshes the cache. On: a
    /// migrated user is checked against its stored hash (the script is not
    /// called); any other user through the script, then migrated. A blocked
    /// user is refused after the login is counted. Attack protection
    /// (docs/behaviour.md §8) refuses a blocked identifier or a throttled
    /// IP before anything runs, and counts wrong passwords.
    pub async fn login(
        &self,
        tenant_id: &str,
        connection_name: &str,
        username_or_email: &str,
        password: &str,
        context: &LoginContext,
    ) -> Result<CachedUser, FlowError> {
        let login = self.login_flow(
            tenant_id,
            connection_name,
            username_or_email,
            password,
            context,
        );
        let (result, calls) = events::with_script_calls(login).await;
        self.log_login(
            tenant_id,
            connection_name,
            username_or_email,
            context,
            &result,
            calls,
        );
        result
    }

    async fn login_flow(
        &self,
        tenant_id: &str,
        connection_name: &str,
        username_or_email: &str,
        password: &str,
        context: &LoginContext,
    ) -> Result<CachedUser, FlowError> {
        let connection = self
            .inner
            .loaded
            .by_name(self.store(), tenant_id, connection_name)
            .await?;
        let attempt = match self
            .check_login(
                tenant_id,
                &connection.name,
                username_or_email,
                context.ip.as_deref(),
            )
            .await
        {
            Ok(attempt) => attempt,
            Err(refused) => {
                self.inner.metrics.login(LoginResult::Refused);
                return Err(refused);
            }
        };
        let result = if connection.settings.import_mode {
            self.import_login(&connection, username_or_email, password, context)
                .await
        } else {
            self.script_login(&connection, username_or_email, password, context)
                .await
                .map(|user| (user, LoginResult::Script))
        };
        let result = result.and_then(|(user, via)| match user.blocked {
            true => Err(FlowError::Blocked),
            false => Ok((user, via)),
        });
        self.inner.metrics.login(match &result {
            Ok((_, via)) => *via,
            Err(FlowError::Refused(Refusal::WrongCredentials { .. })) => {
                LoginResult::WrongCredentials
            }
            Err(FlowError::Blocked | FlowError::Refused(_)) => LoginResult::Refused,
            Err(_) => LoginResult::Failed,
        });
        // A blocked user's password was right all the same.
        let wrong_credentials = matches!(
            result,
            Err(FlowError::Refused(Refusal::WrongCredentials { .. }))
        );
        if wrong_credentials || matches!(result, Ok(_) | Err(FlowError::Blocked)) {
            self.login_ended(attempt, wrong_credentials).await;
        }
        result.map(|(user, _)| user)
    }

    /// A login through the script, into the cache.
    async fn script_login(
        &self,
        connection: &Connection,
        username_or_email: &str,
        password: &str,
        context: &LoginContext,
    ) -> Result<CachedUser, FlowError> {
        let call = ActionCall::Login {
            username_or_email: username_or_email.into(),
            password: password.into(),
        };
        let profile = self
            .call_for_profile(connection, call)
            .await?
            .ok_or(Refusal::wrong_credentials(None))?;
        Ok(self
            .store()
            .record_login(LoginRecord {
                is_login: true,
                tenant_id: &connection.tenant_id,
                connection_id: &connection.id,
                profile: &profile,
                ip: context.ip.as_deref(),
                sync_root_attributes: connection.settings.sync_root_attributes,
            })
            .await?)
    }

    /// Re-reads a cached user from the connection's `get-user` without a
    /// login (beyond Auth0), after direct edits to the custom database. A
    /// migrated user is [`FlowError::Migrated`]: its copy is authbox's own.
    pub async fn refresh_user(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<CachedUser, FlowError> {
        let user = self.store().user(tenant_id, user_id).await?;
        if user.migrated {
            return Err(FlowError::Migrated(user.user_id));
        }
        let connection = self
            .store()
            .connection(tenant_id, &user.connection_id)
            .await?;
        let key = ["email", "username"]
            .iter()
            .find_map(|k| user.attributes.get(*k).and_then(Value::as_str))
            .ok_or_else(|| FlowError::NotFound(format!("email or username of user `{user_id}`")))?
            .to_string();
        let profile = self
            .call_for_profile(&connection, ActionCall::GetUser { email: key.clone() })
            .await?
            .filter(|profile| profile.user_id == user.user_id)
            .ok_or_else(|| {
                FlowError::NotFound(format!("user `{key}` in the connection's database"))
            })?;
        Ok(self
            .store()
            .record_login(LoginRecord {
                is_login: false,
                tenant_id,
                connection_id: &connection.id,
                profile: &profile,
                ip: None,
                sync_root_attributes: connection.settings.sync_root_attributes,
            })
            .await?)
    }

    /// The tenant's cached users with this email (any case).
    pub async fn users_by_email(
        &self,
        tenant_id: &str,
        email: &str,
    ) -> Result<Vec<CachedUser>, FlowError> {
        Ok(self.store().users_by_email(tenant_id, email).await?)
    }

    /// A page of the tenant's cached users that `search` finds, and (if
    /// it asks) how many it finds, up to
    /// [`MAX_RESULTS`](crate::search::MAX_RESULTS). A page that starts
    /// past those is [`FlowError::PastResults`].
    pub async fn search_users(
        &self,
        tenant_id: &str,
        search: &crate::search::UserSearch,
    ) -> Result<(Vec<CachedUser>, Option<u64>), FlowError> {
        if search.start() >= u64::from(crate::search::MAX_RESULTS) {
            return Err(FlowError::PastResults);
        }
        Ok(self.store().search_users(tenant_id, search).await?)
    }

    /// A cached user.
    pub async fn get_user(&self, tenant_id: &str, user_id: &str) -> Result<CachedUser, FlowError> {
        Ok(self.store().user(tenant_id, user_id).await?)
    }

    /// A Management API update of a cached user (docs/behaviour.md §4): metadata
    /// and `blocked` of any user; also `email`, `email_verified`,
    /// `password`, `username` (and `verify_email`) of a migrated user.
    pub async fn update_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        patch: &Map<String, Value>,
    ) -> Result<CachedUser, FlowError> {
        let _turn = self.inner.user_locks.lock(tenant_id, user_id).await;
        Ok(
            management::update_user(self.store(), &self.inner.update, tenant_id, user_id, patch)
                .await?,
        )
    }
}

impl std::fmt::Debug for Authbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authbox")
            .field("provider", &self.inner.provider)
            .finish_non_exhaustive()
    }
}
