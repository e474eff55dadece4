//! Users in a PostgreSQL table (`schema.sql` beside this crate): all seven
//! actions. See the README for pointing it at your database.

use sql_users::{SqlUsers, Statements, Template};

struct Postgres;

impl Template for Postgres {
    const NAME: &'static str = "postgres";
    const STATEMENTS: Statements = Statements {
        find_user: "SELECT id, email, email_verified, username, name, given_name, family_name, \
                    nickname, picture, phone_number, user_metadata, app_metadata, password_hash \
                    FROM users WHERE lower(email) = lower($1) OR username = $2 LIMIT 1",
        insert_user: "INSERT INTO users \
                      (email, username, password_hash, phone_number, user_metadata, app_metadata) \
                      VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)",
        verify_email: "UPDATE users SET email_verified = TRUE WHERE lower(email) = lower($1)",
        set_password: "UPDATE users SET password_hash = $1 WHERE lower(email) = lower($2)",
        delete_user: "DELETE FROM users WHERE id = $1::bigint",
        change_email: "UPDATE users SET email = $1, email_verified = $2 \
                       WHERE lower(email) = lower($3)",
    };
}

authbox_guest::export_script!(SqlUsers<Postgres>);
