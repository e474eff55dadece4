//! Host bindings generated from the WIT contract in `guest-sdk/wit/`.

wasmtime::component::bindgen!({
    world: "custom-database",
    path: "../guest-sdk/wit",
    imports: {
        // Hashing runs on the blocking pool; the call awaits it.
        "authbox:script/password": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});

pub use self::authbox::script::types::{Action, NewUser, ScriptError, UserProfile};
