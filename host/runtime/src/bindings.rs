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

/// The JavaScript engine's own interfaces (`host/runtime/js-engine/wit/`):
/// the bytecode the host hands each call, and the compiler it exports.
pub mod js {
    wasmtime::component::bindgen!({
        world: "engine-extras",
        path: "js-engine/wit",
        imports: {
            // Statements wait on the data source's pool and the database.
            "authbox:js/sql": async | trappable,
            default: trappable,
        },
        exports: { default: async },
    });
}
