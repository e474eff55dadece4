//! Users in a MySQL or MariaDB table (`schema.sql` beside this crate): all
//! seven actions. See the README for pointing it at your database.

use sql_users::{SqlUsers, Statements, Template};

struct MySql;

/// The table's case-insensitive collation makes `email = ?` ignore case.
impl Template for MySql {
    const NAME: &'static str = "mysql";
    const STATEMENTS: Statements = Statements {
        find_user: "SELECT id, email, email_verified, username, name, given_name, family_name, \
                    nickname, picture, phone_number, user_metadata, app_metadata, password_hash \
                    FROM users WHERE email = ? OR username = ? LIMIT 1",
        insert_user: "INSERT INTO users \
                      (email, username, password_hash, phone_number, user_metadata, app_metadata) \
                      VALUES (?, ?, ?, ?, ?, ?)",
        verify_email: "UPDATE users SET email_verified = TRUE WHERE email = ?",
        set_password: "UPDATE users SET password_hash = ? WHERE email = ?",
        delete_user: "DELETE FROM users WHERE id = ?",
        change_email: "UPDATE users SET email = ?, email_verified = ? WHERE email = ?",
    };
}

authbox_guest::export_script!(SqlUsers<MySql>);
