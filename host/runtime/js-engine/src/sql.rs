//! The natives behind the `pg` and `mysql` modules: the connection's data
//! sources and their statements, over `authbox:js/sql`.

use rquickjs::{Array, Ctx, Exception, FromJs, IntoJs, Object, Result, TypedArray, Value};

use crate::bindings::authbox::js::sql::{self as host, Param};

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// `[{ name, driver }]`: the connection's data sources.
pub fn datasources(ctx: Ctx<'_>) -> Result<Array<'_>> {
    let list = Array::new(ctx.clone())?;
    for (i, source) in host::datasources().into_iter().enumerate() {
        let entry = Object::new(ctx.clone())?;
        entry.set("name", source.name)?;
        entry.set("driver", source.driver)?;
        list.set(i, entry)?;
    }
    Ok(list)
}

/// Runs a statement: `query` answers `{ columns, types, rows }` (rows as
/// arrays of values), `execute` the number of rows changed. A failure is
/// thrown as an `Error` whose `kind` names it (`unique-violation`...).
pub fn run<'js>(
    ctx: Ctx<'js>,
    datasource: String,
    statement: String,
    params: Array<'js>,
    query: bool,
) -> Result<Value<'js>> {
    let params = params
        .iter::<Value>()
        .map(|value| value.and_then(|v| param(&ctx, v)))
        .collect::<Result<Vec<_>>>()?;
    let failed = |failure: host::Failure| -> rquickjs::Error {
        match Exception::from_message(ctx.clone(), &failure.message) {
            Ok(error) => {
                let _ = error.as_object().set("kind", failure.kind);
                ctx.throw(error.into_value())
            }
            Err(e) => e,
        }
    };
    if !query {
        let affected = host::execute(&datasource, &statement, &params).map_err(failed)?;
        return (affected as f64).into_js(&ctx);
    }
    let answer = host::query(&datasource, &statement, &params).map_err(failed)?;
    let result = Object::new(ctx.clone())?;
    result.set("columns", answer.columns)?;
    result.set("types", answer.types)?;
    let rows = Array::new(ctx.clone())?;
    for (i, row) in answer.rows.into_iter().enumerate() {
        let values = Array::new(ctx.clone())?;
        for (j, value) in row.into_iter().enumerate() {
            values.set(j, column_value(&ctx, value)?)?;
        }
        rows.set(i, values)?;
    }
    result.set("rows", rows)?;
    Ok(result.into_value())
}

/// A parameter the shims prepared: text goes untyped (the database types
/// it), numbers as integers where they are whole.
fn param<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<Param> {
    Ok(if value.is_null() || value.is_undefined() {
        Param::Null
    } else if let Some(b) = value.as_bool() {
        Param::Boolean(b)
    } else if let Some(i) = value.as_int() {
        Param::Integer(i.into())
    } else if let Some(f) = value.as_float() {
        if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64 {
            Param::Integer(f as i64)
        } else {
            Param::Float(f)
        }
    } else if let Some(s) = value.as_string() {
        Param::Untyped(s.to_string()?)
    } else if let Ok(bytes) = TypedArray::<u8>::from_js(ctx, value.clone()) {
        // SAFETY: copied at once; no JavaScript runs while it is borrowed.
        Param::Bytes(
            unsafe { bytes.as_bytes() }
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
        )
    } else {
        return Err(Exception::throw_type(
            ctx,
            "a statement parameter must be null, a boolean, a number, a string or a Buffer",
        ));
    })
}

fn column_value<'js>(ctx: &Ctx<'js>, value: host::Value) -> Result<Value<'js>> {
    match value {
        host::Value::Null => Ok(Value::new_null(ctx.clone())),
        host::Value::Boolean(b) => b.into_js(ctx),
        host::Value::Integer(i) if i.abs() <= MAX_SAFE_INTEGER => (i as f64).into_js(ctx),
        // Beyond what a number holds: as text, as node-postgres gives int8.
        host::Value::Integer(i) => i.to_string().into_js(ctx),
        host::Value::Float(f) => f.into_js(ctx),
        host::Value::Text(s) => s.into_js(ctx),
        host::Value::Bytes(b) => TypedArray::new(ctx.clone(), b).map(|a| a.into_value()),
    }
}
