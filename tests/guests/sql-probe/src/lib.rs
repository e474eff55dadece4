//! Runs the statements a test gives it through the `sql` capability.
//!
//! - `login`: runs the configuration's `login_statement` on its `datasource`
//!   and answers the profile `probe|<rows returned>`.
//! - `get-user`: the "email" is a JSON request
//!   `{"datasource", "statement", "params": [...], "execute": bool}`; the
//!   answer is a profile whose `user_metadata.result` is
//!   `{"columns", "rows"}` or `{"affected"}`. Bytes are `{"bytes": [..]}`.
//!   A `sql-error` comes back as a failure `sql-error: <Debug of the error>`.

use authbox_guest::sql::{self, SqlError, Value};
use authbox_guest::{CustomDatabase, Error, Map, Profile, Result, config, json};

struct SqlProbe;

fn failure(e: SqlError) -> Error {
    Error::failed(format!("sql-error: {e:?}"))
}

fn to_param(value: &authbox_guest::Value) -> Result<Value> {
    use authbox_guest::Value as J;
    Ok(match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) if n.is_i64() => Value::Integer(n.as_i64().unwrap_or_default()),
        J::Number(n) => Value::Float(n.as_f64().unwrap_or_default()),
        J::String(s) => Value::Text(s.clone()),
        J::Object(o) => Value::Bytes(serde_bytes(o.get("bytes"))?),
        J::Array(_) => return Err(Error::failed("a parameter cannot be a list")),
    })
}

fn serde_bytes(value: Option<&authbox_guest::Value>) -> Result<Vec<u8>> {
    let list = value
        .and_then(|v| v.as_array())
        .ok_or_else(|| Error::failed("bytes are {\"bytes\": [..]}"))?;
    Ok(list
        .iter()
        .map(|b| b.as_u64().unwrap_or_default() as u8)
        .collect())
}

fn to_json(value: &Value) -> authbox_guest::Value {
    match value {
        Value::Null => json!(null),
        Value::Boolean(b) => json!(b),
        Value::Integer(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Text(s) => json!(s),
        Value::Bytes(b) => json!({ "bytes": b }),
    }
}

impl CustomDatabase for SqlProbe {
    fn login(_username_or_email: &str, _password: &str) -> Result<Profile> {
        let rows = sql::query(
            &config::require("datasource")?,
            &config::require("login_statement")?,
            &[],
        )
        .map_err(failure)?;
        Ok(Profile::new(format!("probe|{}", rows.len())).email("probe@example.com"))
    }

    fn get_user(request: &str) -> Result<Option<Profile>> {
        let request: Map<String, authbox_guest::Value> =
            authbox_guest::serde_json::from_str(request)?;
        let text = |key: &str| {
            request
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| Error::failed(format!("the request has no `{key}`")))
        };
        let params = match request.get("params").and_then(|p| p.as_array()) {
            Some(list) => list.iter().map(to_param).collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        let (datasource, statement) = (text("datasource")?, text("statement")?);
        let result = if request.get("execute").and_then(|e| e.as_bool()) == Some(true) {
            let affected = sql::execute(&datasource, &statement, &params).map_err(failure)?;
            json!({ "affected": affected })
        } else {
            let rows = sql::query(&datasource, &statement, &params).map_err(failure)?;
            let columns = rows
                .first()
                .map(|r| r.columns().to_vec())
                .unwrap_or_default();
            let values: Vec<Vec<authbox_guest::Value>> = rows
                .iter()
                .map(|row| {
                    columns
                        .iter()
                        .map(|c| to_json(row.value(c).unwrap_or(&Value::Null)))
                        .collect()
                })
                .collect();
            json!({ "columns": columns, "rows": values })
        };
        Ok(Some(
            Profile::new("probe|0")
                .email("probe@example.com")
                .user_metadata(json!({ "result": result })),
        ))
    }
}

authbox_guest::export_script!(SqlProbe);
