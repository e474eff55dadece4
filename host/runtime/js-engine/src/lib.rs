//! authbox's JavaScript engine: a custom-database script component whose
//! actions run the JavaScript an Auth0 tenant wrote for them. QuickJS
//! (through rquickjs) runs each action's bytecode, which the host hands over
//! per call (`authbox:js/code`) after this engine compiled it from the
//! uploaded source (`authbox:js/compiler`). The Node surface Auth0 scripts
//! use (callbacks, error classes, `configuration`, `console`, `Buffer`,
//! timers, `require` of the supported modules) is in `src/node/`.

mod engine;
mod http;
mod natives;
mod outcome;
mod sql;

use authbox_guest::serde_json::{self, Value, json};
use authbox_guest::{
    ChangeEmail, ChangePassword, Create, CustomDatabase, Delete, NewUser, Profile, Result, Verify,
};

mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "engine" });
}

use bindings::exports::authbox::js::compiler;

/// The script every JavaScript connection runs.
struct JsScript;

/// Runs the action whose bytecode the host hands over, with `args`.
fn run(args: &[Value]) -> Result<Option<Value>> {
    let code = bindings::authbox::js::code::bytecode();
    let args: Vec<String> = args.iter().map(Value::to_string).collect();
    engine::with(|engine| engine.run(&code, &args))
}

impl CustomDatabase for JsScript {
    fn login(username_or_email: &str, password: &str) -> Result<Profile> {
        outcome::login(run(&[json!(username_or_email), json!(password)])?)
    }

    fn get_user(email: &str) -> Result<Option<Profile>> {
        outcome::get_user(run(&[json!(email)])?)
    }
}

impl Create for JsScript {
    fn create(user: NewUser) -> Result<()> {
        let mut fields = serde_json::Map::new();
        fields.insert("email".into(), json!(user.email));
        fields.insert("password".into(), json!(user.password));
        let optional = [
            ("username", user.username.map(Value::from)),
            ("phone_number", user.phone_number.map(Value::from)),
            ("user_metadata", user.user_metadata.map(Value::Object)),
            ("app_metadata", user.app_metadata.map(Value::Object)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                fields.insert(key.into(), value);
            }
        }
        run(&[Value::Object(fields)]).map(drop)
    }
}

impl Verify for JsScript {
    fn verify(email: &str) -> Result<bool> {
        Ok(outcome::truth(run(&[json!(email)])?))
    }
}

impl ChangePassword for JsScript {
    fn change_password(email: &str, new_password: &str) -> Result<bool> {
        Ok(outcome::truth(run(&[json!(email), json!(new_password)])?))
    }
}

impl Delete for JsScript {
    fn delete(user_id: &str) -> Result<()> {
        run(&[json!(user_id)]).map(drop)
    }
}

impl ChangeEmail for JsScript {
    fn change_email(email: &str, new_email: &str, verified: bool) -> Result<bool> {
        Ok(outcome::truth(run(&[
            json!(email),
            json!(new_email),
            json!(verified),
        ])?))
    }
}

impl compiler::Guest for JsScript {
    fn compile(file_name: String, source: String) -> Result<Vec<u8>, compiler::SyntaxError> {
        engine::with(|engine| engine.compile(&file_name, &source)).map_err(|e| {
            compiler::SyntaxError {
                message: e.message,
                line: e.line,
                column: e.column,
            }
        })
    }
}

impl bindings::Guest for JsScript {
    fn wizer_initialize() {
        engine::with(|_| ());
    }
}

authbox_guest::export_script!(JsScript);
bindings::export!(JsScript with_types_in bindings);
