//! Data sources: a connection's named databases, each with its settings and
//! its pool (opened on first use, shared by every call of the connection).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::error::SqlError;
use super::pool::Pool;
use super::settings::{DataSourceError, DataSourceSettings, DataSourceUrl};
use super::stats::{Counters, DataSourceStats};

/// One named database of a connection.
pub struct DataSource {
    name: String,
    url: DataSourceUrl,
    settings: DataSourceSettings,
    pool: OnceCell<Pool>,
    counters: Counters,
}

impl DataSource {
    /// A data source; its pool opens on first use.
    pub fn new(
        name: &str,
        url: DataSourceUrl,
        settings: DataSourceSettings,
    ) -> Result<Self, DataSourceError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(DataSourceError::Name(name.to_string()));
        }
        Ok(DataSource {
            name: name.to_string(),
            url,
            settings,
            pool: OnceCell::new(),
            counters: Counters::default(),
        })
    }

    /// Its name, as scripts use it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its URL (shown without the password).
    pub fn url(&self) -> &DataSourceUrl {
        &self.url
    }

    /// Its limits.
    pub fn settings(&self) -> &DataSourceSettings {
        &self.settings
    }

    /// What it has done so far.
    pub fn stats(&self) -> DataSourceStats {
        self.counters.stats()
    }

    /// The pool, opened on first use.
    pub(super) async fn pool(&self) -> Result<&Pool, SqlError> {
        self.pool
            .get_or_try_init(|| async { Pool::open(&self.name, &self.url, &self.settings) })
            .await
            .map_err(|e| e.redacted(&self.url))
    }

    /// Its counters, for the statements that run on it.
    pub(super) fn counters(&self) -> &Counters {
        &self.counters
    }
}

impl fmt::Debug for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataSource")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A connection's data sources by name: all a script can reach. Cheap to
/// clone; clones share the pools.
#[derive(Debug, Clone, Default)]
pub struct DataSources {
    by_name: Arc<BTreeMap<String, Arc<DataSource>>>,
}

impl DataSources {
    /// The given data sources; names must be unique.
    pub fn new(sources: impl IntoIterator<Item = DataSource>) -> Result<Self, DataSourceError> {
        let mut by_name = BTreeMap::new();
        for source in sources {
            let name = source.name.clone();
            if by_name.insert(name.clone(), Arc::new(source)).is_some() {
                return Err(DataSourceError::Duplicate(name));
            }
        }
        Ok(DataSources {
            by_name: Arc::new(by_name),
        })
    }

    /// The data source called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<DataSource>> {
        self.by_name.get(name)
    }

    /// The names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Closes every open pool (waits for running statements).
    pub async fn close(&self) {
        for source in self.by_name.values() {
            if let Some(pool) = source.pool.get() {
                pool.close().await;
            }
        }
    }
}

/// Parses `NAME=URL`, the form of `authbox run --datasource`.
impl FromStr for DataSource {
    type Err = DataSourceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, url) = s.split_once('=').ok_or(DataSourceError::Form)?;
        DataSource::new(name, url.parse()?, DataSourceSettings::default())
    }
}
