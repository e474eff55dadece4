//! The one list of the capabilities scripts may import. Everything the
//! sandbox needs of them is made from it: their settings in a call's
//! context and in the runtime's configuration, their state in a call's
//! store, the linker, and the interfaces a script may import. Adding a
//! capability is one line here.

use wasmtime::component::Linker;

use super::call::CallState;
use crate::capabilities::config::ConfigCapability;
use crate::capabilities::http::HttpCapability;
use crate::capabilities::log::LogCapability;
use crate::capabilities::password::PasswordHasher;
use crate::capabilities::sql::SqlCapability;
use crate::capabilities::{CallScope, Capability, CapabilityView, HasCapability};

/// The contract's own types, imported by every script; served by no
/// capability.
const TYPES_INTERFACE: &str = "authbox:script/types";

macro_rules! compose {
    ($($name:ident: $capability:ty),* $(,)?) => {
        /// Every capability's settings for one connection, part of each call's
        /// [`CallContext`](super::CallContext). `Debug` names the capabilities
        /// only: the settings hold secrets (configuration values).
        #[derive(Clone, Default)]
        pub struct CapabilitySettings {
            $(
                #[doc = concat!("For `", stringify!($name), "`.")]
                pub $name: <$capability as Capability>::Settings,
            )*
        }

        /// Every capability's process-wide settings, part of the
        /// [`RuntimeConfig`](super::RuntimeConfig).
        #[derive(Debug, Clone, Default)]
        pub struct CapabilityConfig {
            $(
                #[doc = concat!("For `", stringify!($name), "`.")]
                pub $name: <$capability as Capability>::Config,
            )*
        }

        impl std::fmt::Debug for CapabilitySettings {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("CapabilitySettings")
                    $(.field(stringify!($name), &"<hidden>"))*
                    .finish()
            }
        }

        /// What the process holds for every capability, shared by every call.
        #[derive(Clone)]
        pub struct SharedCapabilities {
            $(
                #[doc = concat!("For `", stringify!($name), "`.")]
                pub $name: <$capability as Capability>::Shared,
            )*
        }

        /// The state of every capability in one call's store.
        pub(super) struct Capabilities {
            $($name: $capability,)*
        }

        impl SharedCapabilities {
            pub(super) fn new(config: &CapabilityConfig) -> Self {
                SharedCapabilities {
                    $($name: <$capability as Capability>::shared(&config.$name),)*
                }
            }
        }

        impl Capabilities {
            pub(super) fn for_call(
                settings: &CapabilitySettings,
                shared: &SharedCapabilities,
                scope: &CallScope<'_>,
            ) -> Self {
                Capabilities {
                    $($name: <$capability as Capability>::for_call(
                        &settings.$name,
                        &shared.$name,
                        scope,
                    ),)*
                }
            }

            /// Adds every capability's interface to `linker`.
            pub(super) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
                $(<$capability as Capability>::add_to_linker(linker)?;)*
                Ok(())
            }
        }

        $(
            impl HasCapability<$capability> for CallState {
                fn capability(&mut self) -> CapabilityView<'_, $capability> {
                    let (capabilities, table) = self.capabilities_and_table();
                    CapabilityView {
                        state: &mut capabilities.$name,
                        table,
                    }
                }
            }
        )*

        /// The interfaces a script may import besides WASI, unversioned.
        pub const INTERFACES: &[&str] = &[
            $(<$capability as Capability>::INTERFACE,)*
            TYPES_INTERFACE,
        ];
    };
}

compose! {
    config: ConfigCapability,
    http: HttpCapability,
    log: LogCapability,
    password: PasswordHasher,
    sql: SqlCapability,
}
