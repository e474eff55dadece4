//! Host bindings generated from the WIT contract in `guest-sdk/wit/`, used by
//! the capabilities (their `Host` traits) and the sandbox (the world).

wasmtime::component::bindgen!({
    world: "custom-database",
    path: "../../guest-sdk/wit",
    imports: {
        // Hashing runs on the blocking pool; the call awaits it.
        "authbox:script/password": async | trappable,
        // Statements wait on the data source's pool and the database.
        "authbox:script/sql": async | trappable,
        default: trappable,
    },
    exports: { default: async },
    additional_derives: [PartialEq],
});

pub use self::authbox::script::types::{Action, NewUser, ScriptError, UserProfile};
