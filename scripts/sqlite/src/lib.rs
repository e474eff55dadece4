//! Users in a SQLite table (`schema.sql` beside this crate): all seven
//! actions. See the README for pointing it at your database.

use sql_users::{SqlUsers, Statements, Template};

struct Sqlite;

/// The `email` column's `COLLATE NOCASE` makes `email = ?1` ignore case.
impl Template for Sqlite {
    const NAME: &'static str = "sqlite";
    const STATEMENTS: Statements = Statements {
        find_user: "SELECT id, email, email_verified, username, name, given_name, family_name, \
                    nickname, picture, phone_number, user_metadata, app_metadata, password_hash \
                    FROM users WHERE email = ?1 OR username = ?2 LIMIT 1",
        insert_user: "INSERT INTO users \
                      (email, username, password_hash, phone_number, user_metadata, app_metadata) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        verify_email: "UPDATE users SET email_verified = 1 WHERE email = ?1",
        set_password: "UPDATE users SET password_hash = ?1 WHERE email = ?2",
        delete_user: "DELETE FROM users WHERE id = ?1",
        change_email: "UPDATE users SET email = ?1, email_verified = ?2 WHERE email = ?3",
    };
}

authbox_guest::export_script!(SqlUsers<Sqlite>);
