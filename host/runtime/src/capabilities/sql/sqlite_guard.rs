//! Keeps a script inside its SQLite data source. A SQLite connection can
//! `ATTACH` any file the host process may open (and `VACUUM INTO` writes
//! one), and a runaway query runs on the driver's worker thread until it
//! ends: attaching is disabled on every connection, and every statement is
//! interrupted at its deadline.

use std::time::Instant;

use sqlx::sqlite::SqliteConnection;

/// How many SQLite VM steps run between two deadline checks.
const STEPS_BETWEEN_CHECKS: i32 = 10_000;

/// Forbids `ATTACH` (and so `VACUUM INTO`) on a new connection.
pub(super) async fn confine(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let raw = handle.as_raw_handle();
    // SAFETY: `raw` is the live connection handle, held locked for this
    // call; `sqlite3_limit` only sets a per-connection limit.
    #[allow(unsafe_code)]
    unsafe {
        libsqlite3_sys::sqlite3_limit(raw.as_ptr(), libsqlite3_sys::SQLITE_LIMIT_ATTACHED, 0);
    }
    Ok(())
}

/// Makes the next statements on `conn` stop at `deadline` (SQLite answers
/// "interrupted"), so a query the host gave up on stops using a thread.
pub(super) async fn interrupt_at(
    conn: &mut SqliteConnection,
    deadline: Instant,
) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    handle.set_progress_handler(STEPS_BETWEEN_CHECKS, move || Instant::now() < deadline);
    Ok(())
}
