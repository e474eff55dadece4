//! The store's sealed columns as a whole: the check of the secret key when a
//! store opens, the sealing of values still in plain text (written before
//! stores had a key), and the rotation to a new key. Each runs inside one
//! transaction that has the store to itself: all or nothing.

use sqlx::{Any, Row, Transaction};

use super::sealed::{Place, is_sealed, seal, unseal};
use super::secret_key::{SecretKey, SecretKeyError};
use super::sql::{SqlStore, database, now};
use super::{StoreError, StoreResult};

/// What the check value seals.
const CHECK: &str = "authbox secret key check";

/// A sealed column and the statements that read and write it.
struct SealedColumn {
    /// Answers `tenant_id`, `row_id` and `value` of every row.
    select: &'static str,
    /// Sets the value to $1 in the row of $2 (tenant) and $3 (row) if it is
    /// still $4 (a writer since the select wins).
    update: &'static str,
    /// Where a row's value lives, from its tenant and row ids.
    place: for<'a> fn(&'a str, &'a str) -> Place<'a>,
}

const SEALED_COLUMNS: [SealedColumn; 2] = [
    SealedColumn {
        select: "SELECT tenant_id, id AS row_id, settings AS value FROM connections",
        update: "UPDATE connections SET settings = $1 \
                 WHERE tenant_id = $2 AND id = $3 AND settings = $4",
        place: |tenant_id, connection_id| Place::ConnectionSettings {
            tenant_id,
            connection_id,
        },
    },
    SealedColumn {
        select: "SELECT tenant_id, tenant_id AS row_id, private_key AS value FROM signing_keys",
        update: "UPDATE signing_keys SET private_key = $1 \
                 WHERE tenant_id = $2 AND tenant_id = $3 AND private_key = $4",
        place: |tenant_id, _| Place::SigningKey { tenant_id },
    },
];

/// At a store's opening: refuses a key other than the store's (changing
/// nothing: the caller's transaction is dropped), records the key of a store
/// that has none yet, and seals the values still in plain text.
pub(super) async fn check_and_seal(
    tx: &mut Transaction<'_, Any>,
    key: &SecretKey,
) -> StoreResult<()> {
    match check_value(tx).await? {
        Some((stored, check)) => {
            if unseal(key, Place::KeyCheck, &check).is_err() {
                return Err(StoreError::WrongSecretKey {
                    stored,
                    given: key.id().to_string(),
                });
            }
        }
        None => record_key(tx, key).await?,
    }
    let sealed = reseal(tx, None, key).await?;
    if sealed > 0 {
        tracing::info!(
            values = sealed,
            key_id = key.id(),
            "sealed the store's plain-text secrets"
        );
    }
    Ok(())
}

/// What a rotation of the secret key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The id of the key the store was sealed with.
    pub old_key_id: String,
    /// The id of the key it is sealed with now.
    pub new_key_id: String,
    /// The values sealed again.
    pub values: u64,
}

/// Seals every secret of the store at `store_url` under `new` instead of
/// `old`, and makes `new` the store's key: all in one transaction, so a
/// failure changes nothing. Stop every process using the store first, and
/// start them again with `new`: they refuse `old` from then on.
pub async fn rotate_secret_key(
    store_url: &str,
    old: &SecretKey,
    new: &SecretKey,
) -> StoreResult<Rotation> {
    if old.id() == new.id() {
        return Err(SecretKeyError::Unchanged(new.id().to_string()).into());
    }
    // Opening checks `old` and seals what is still plain.
    let store = SqlStore::open(store_url, old.clone()).await?;
    let rotated = store.rotate(old, new).await;
    store.close().await;
    rotated
}

impl SqlStore {
    async fn rotate(&self, old: &SecretKey, new: &SecretKey) -> StoreResult<Rotation> {
        let mut tx = self.begin_alone().await.map_err(database)?;
        // Checked again inside the transaction: another rotation may have
        // come between the opening and now.
        check_and_seal(&mut tx, old).await?;
        let values = reseal(&mut tx, Some(old), new).await?;
        record_key(&mut tx, new).await?;
        tx.commit().await.map_err(database)?;
        Ok(Rotation {
            old_key_id: old.id().to_string(),
            new_key_id: new.id().to_string(),
            values,
        })
    }
}

/// The stored key id and check value, if the store has a key yet.
async fn check_value(tx: &mut Transaction<'_, Any>) -> StoreResult<Option<(String, String)>> {
    let row = sqlx::query("SELECT key_id, key_check FROM secret_key WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await
        .map_err(database)?;
    row.map(|row| {
        Ok((
            row.try_get("key_id").map_err(database)?,
            row.try_get("key_check").map_err(database)?,
        ))
    })
    .transpose()
}

/// Makes `key` the store's key.
async fn record_key(tx: &mut Transaction<'_, Any>, key: &SecretKey) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO secret_key (id, key_id, key_check, updated_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, \
         key_check = excluded.key_check, updated_at = excluded.updated_at",
    )
    .bind(key.id())
    .bind(seal(key, Place::KeyCheck, CHECK)?)
    .bind(now())
    .execute(&mut **tx)
    .await
    .map_err(database)?;
    Ok(())
}

/// Seals every value under `to`: with `from`, every value, opened with
/// `from`; without, only the values still in plain text. Answers how many.
async fn reseal(
    tx: &mut Transaction<'_, Any>,
    from: Option<&SecretKey>,
    to: &SecretKey,
) -> StoreResult<u64> {
    let mut count = 0;
    for column in &SEALED_COLUMNS {
        let rows = sqlx::query(column.select)
            .fetch_all(&mut **tx)
            .await
            .map_err(database)?;
        for row in rows {
            let tenant_id: String = row.try_get("tenant_id").map_err(database)?;
            let row_id: String = row.try_get("row_id").map_err(database)?;
            let value: String = row.try_get("value").map_err(database)?;
            let place = (column.place)(&tenant_id, &row_id);
            let plaintext = match from {
                Some(from) => unseal(from, place, &value)?,
                None if is_sealed(&value) => continue,
                None => value.clone(),
            };
            sqlx::query(column.update)
                .bind(seal(to, place, &plaintext)?)
                .bind(&tenant_id)
                .bind(&row_id)
                .bind(&value)
                .execute(&mut **tx)
                .await
                .map_err(database)?;
            count += 1;
        }
    }
    Ok(count)
}
