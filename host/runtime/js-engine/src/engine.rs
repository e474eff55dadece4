//! The QuickJS runtime and context of this instance, made once (before the
//! snapshot, when there is one) with the Node shims evaluated; compiling a
//! source to bytecode; running one action's bytecode to its callback.

use std::cell::OnceCell;
use std::ffi::CString;

use authbox_guest::serde_json::Value;
use authbox_guest::{Error, Result};
use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Function, Object, Persistent, Runtime, qjs};

use crate::{natives, outcome};

/// The largest native stack QuickJS may use before it throws "stack
/// overflow" (a `RangeError` the script can see), well inside the wasm
/// stack the host gives a call.
const MAX_STACK_BYTES: usize = 256 << 10;

/// The shims, each a function expression `(shared, require) => exports`.
const MODULES: &[(&str, &str)] = &[
    ("authbox:http", include_str!("node/http.js")),
    ("bcrypt", include_str!("node/bcrypt.js")),
    ("buffer", include_str!("node/buffer.js")),
    ("crypto", include_str!("node/crypto.js")),
    ("mysql", include_str!("node/mysql.js")),
    ("pg", include_str!("node/pg.js")),
];

const PRELUDE: &str = include_str!("node/prelude.js");

/// This instance's JavaScript engine.
pub struct Engine {
    /// Holds the runtime too (and keeps it alive).
    context: Context,
    /// The prelude's `{ invoke, runTimer }`.
    driver: Persistent<Object<'static>>,
}

thread_local! {
    static ENGINE: OnceCell<Engine> = const { OnceCell::new() };
}

/// Runs `f` with this instance's engine, making it on first use.
pub fn with<R>(f: impl FnOnce(&Engine) -> R) -> R {
    ENGINE.with(|cell| f(cell.get_or_init(Engine::new)))
}

impl Engine {
    fn new() -> Engine {
        let runtime = Runtime::new().expect("QuickJS runtime");
        runtime.set_max_stack_size(MAX_STACK_BYTES);
        let context = Context::full(&runtime).expect("QuickJS context");
        let driver = context
            .with(|ctx| {
                let install = || -> rquickjs::Result<_> {
                    let modules = Object::new(ctx.clone())?;
                    for (name, source) in MODULES {
                        let make: Function = eval_named(&ctx, &format!("node:{name}"), source)?;
                        modules.set(*name, make)?;
                    }
                    let prelude: Function = eval_named(&ctx, "node:prelude", PRELUDE)?;
                    let driver: Object = prelude.call((natives::object(&ctx)?, modules))?;
                    Ok(Persistent::save(&ctx, driver))
                };
                install().map_err(js_error(&ctx))
            })
            .unwrap_or_else(|e| panic!("the engine's prelude failed: {e}"));
        Engine { context, driver }
    }

    /// Compiles `source` (a function expression) to bytecode.
    pub fn compile(
        &self,
        file_name: &str,
        source: &str,
    ) -> std::result::Result<Vec<u8>, SyntaxError> {
        let wrapped = wrap(source);
        let (Ok(code), Ok(name)) = (CString::new(wrapped), CString::new(file_name)) else {
            return Err(SyntaxError {
                message: "the source contains a NUL character".into(),
                line: 1,
                column: 1,
            });
        };
        self.context.with(|ctx| {
            let raw = ctx.as_raw().as_ptr();
            // SAFETY: `code` and `name` are NUL-terminated and outlive the
            // call; the value returned is owned and freed below.
            let compiled = unsafe {
                qjs::JS_Eval(
                    raw,
                    code.as_ptr(),
                    code.as_bytes().len() as _,
                    name.as_ptr(),
                    (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32,
                )
            };
            // SAFETY: the tag test reads the value without consuming it.
            if unsafe { qjs::JS_IsException(compiled) } {
                return Err(SyntaxError::from_exception(&ctx, source));
            }
            let mut size = 0;
            // SAFETY: `compiled` is a live function bytecode value; the
            // buffer QuickJS returns is copied, then freed with its allocator.
            let bytecode = unsafe {
                let buffer = qjs::JS_WriteObject(
                    raw,
                    &mut size,
                    compiled,
                    qjs::JS_WRITE_OBJ_BYTECODE as i32,
                );
                qjs::JS_FreeValue(raw, compiled);
                if buffer.is_null() {
                    ctx.catch();
                    return Err(SyntaxError {
                        message: "the compiled script could not be written".into(),
                        line: 1,
                        column: 1,
                    });
                }
                let copy = std::slice::from_raw_parts(buffer, size as usize).to_vec();
                qjs::js_free(raw, buffer.cast());
                copy
            };
            Ok(bytecode)
        })
    }

    /// Runs the action whose bytecode is `code` with `args` (JSON texts,
    /// parsed into the arguments) until its callback is called or nothing
    /// is left to run.
    pub fn run(&self, code: &[u8], args: &[String]) -> Result<Option<Value>> {
        self.context.with(|ctx| {
            let function = load(&ctx, code)?;
            let driver = self.driver.clone().restore(&ctx).map_err(js_error(&ctx))?;
            let values = rquickjs::Array::new(ctx.clone()).map_err(js_error(&ctx))?;
            for (i, arg) in args.iter().enumerate() {
                let value = ctx.json_parse(arg.as_str()).map_err(js_error(&ctx))?;
                values.set(i, value).map_err(js_error(&ctx))?;
            }
            let invoke: Function = driver.get("invoke").map_err(js_error(&ctx))?;
            invoke
                .call::<_, ()>((function, values, args.len()))
                .map_err(js_error(&ctx))?;
            let run_timer: Function = driver.get("runTimer").map_err(js_error(&ctx))?;
            loop {
                while ctx.execute_pending_job() {}
                if outcome::is_settled()
                    || !run_timer.call::<_, bool>(()).map_err(js_error(&ctx))?
                {
                    break;
                }
            }
            outcome::take()
        })
    }
}

/// Evaluates one of the engine's own sources under `file_name` (shown in
/// stack traces).
fn eval_named<'js>(
    ctx: &Ctx<'js>,
    file_name: &str,
    source: &str,
) -> rquickjs::Result<Function<'js>> {
    let mut options = EvalOptions::default();
    options.filename = Some(file_name.to_owned());
    ctx.eval_with_options(source, options)
}

/// Auth0 stores a script as a function expression; evaluating it in
/// parentheses gives the function. A trailing `;` (a declaration written as
/// a statement) would break the parentheses, so it goes.
fn wrap(source: &str) -> String {
    let body = source.trim_end().trim_end_matches(';');
    format!("({body}\n)")
}

/// Loads bytecode this engine compiled and evaluates it to the function.
fn load<'js>(ctx: &Ctx<'js>, code: &[u8]) -> Result<rquickjs::Value<'js>> {
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: the bytes come from `compile` in an engine of this very build
    // (the host never takes bytecode from anyone else); both calls return
    // owned values, handed to `Value::from_raw`, which frees them.
    let value = unsafe {
        let object = qjs::JS_ReadObject(
            raw,
            code.as_ptr(),
            code.len() as _,
            qjs::JS_READ_OBJ_BYTECODE as i32,
        );
        if qjs::JS_IsException(object) {
            return Err(Error::failed(format!(
                "the script's bytecode could not be loaded: {}",
                describe(ctx)
            )));
        }
        let evaluated = qjs::JS_EvalFunction(raw, object);
        if qjs::JS_IsException(evaluated) {
            return Err(Error::failed(describe(ctx)));
        }
        rquickjs::Value::from_raw(ctx.clone(), evaluated)
    };
    Ok(value)
}

/// The pending exception, as "Name: message (file.js:line)".
fn describe(ctx: &Ctx<'_>) -> String {
    let exception = ctx.catch();
    if let Some(object) = exception.as_object() {
        let name: String = object.get("name").unwrap_or_else(|_| "Error".into());
        let message: String = object.get("message").unwrap_or_default();
        let stack: String = object.get("stack").unwrap_or_default();
        let place = stack
            .lines()
            .find_map(|line| line.trim().strip_prefix("at "))
            .and_then(|frame| {
                frame
                    .rsplit_once('(')
                    .map(|(_, at)| at.trim_end_matches(')'))
                    .or(Some(frame))
            })
            .map(|at| format!(" ({at})"))
            .unwrap_or_default();
        return format!("{name}: {message}{place}");
    }
    exception
        .as_string()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| format!("{exception:?}"))
}

/// An engine failure (not the script's): out of memory inside QuickJS, a
/// shim broken by the script overwriting a global...
fn js_error<'js>(ctx: &Ctx<'js>) -> impl Fn(rquickjs::Error) -> Error + 'js {
    let ctx = ctx.clone();
    move |error| match error {
        rquickjs::Error::Exception => Error::failed(describe(&ctx)),
        other => Error::failed(other.to_string()),
    }
}

/// A source that does not compile.
pub struct SyntaxError {
    /// What QuickJS said.
    pub message: String,
    /// The line in the uploaded source, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

impl SyntaxError {
    fn from_exception(ctx: &Ctx<'_>, source: &str) -> SyntaxError {
        let exception = ctx.catch();
        let object = exception.as_object();
        let get = |key: &str| object.and_then(|o| o.get::<_, Option<String>>(key).ok().flatten());
        let name = get("name").unwrap_or_else(|| "SyntaxError".into());
        let message = get("message").unwrap_or_else(|| format!("{exception:?}"));
        let number = |key: &str| object.and_then(|o| o.get::<_, Option<i32>>(key).ok().flatten());
        let (mut line, mut column) = match (number("lineNumber"), number("columnNumber")) {
            (Some(line), Some(column)) => (line, column),
            _ => position(&get("stack").unwrap_or_default()).unwrap_or((1, 1)),
        };
        // The opening parenthesis `wrap` added sits before column 1 of line 1.
        if line == 1 {
            column -= 1;
        }
        line = line.max(1);
        // Past the end (the closing parenthesis `wrap` added): the source
        // ended too early; point at its end.
        let lines = source.trim_end().lines().count().max(1) as i32;
        if line > lines {
            line = lines;
            column = source
                .trim_end()
                .lines()
                .last()
                .map_or(0, |l| l.chars().count()) as i32
                + 1;
        }
        SyntaxError {
            message: format!("{name}: {message}"),
            line: line as u32,
            column: column.max(1) as u32,
        }
    }
}

/// `file.js:LINE:COLUMN` in a stack.
fn position(stack: &str) -> Option<(i32, i32)> {
    let at = stack.lines().find_map(|line| {
        let frame = line.trim().trim_start_matches("at ").trim_end_matches(')');
        let frame = frame.rsplit_once('(').map_or(frame, |(_, f)| f);
        let mut parts = frame.rsplitn(3, ':');
        let column = parts.next()?.parse().ok()?;
        let line = parts.next()?.parse().ok()?;
        Some((line, column))
    })?;
    Some(at)
}
