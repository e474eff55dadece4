//! Per-call limits and the resource limiter that enforces the memory cap and
//! records what the call used.

use std::time::Duration;

use wasmtime::ResourceLimiter;

use super::returned::DEFAULT_TRANSFER_BYTES;
use crate::capabilities::log::DEFAULT_LOG_BYTES;

/// Limits of one call; every connection may set its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Wall-clock time for the whole call (20 s by default, as Auth0).
    pub timeout: Duration,
    /// Linear memory of the instance (64 MiB by default).
    pub memory_bytes: usize,
    /// Captured log output (64 KiB by default; the rest is cut, and the cut marked).
    pub log_bytes: usize,
    /// Fuel the call may burn, when the runtime meters fuel; `None` = unbounded.
    pub fuel: Option<u64>,
    /// The most bytes the script may hand the host in one crossing (an
    /// action's result, a log line, a capability's arguments; 1 MiB by
    /// default), measured before anything is copied.
    pub transfer_bytes: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            timeout: Duration::from_secs(20),
            memory_bytes: 64 << 20,
            log_bytes: DEFAULT_LOG_BYTES,
            fuel: None,
            transfer_bytes: DEFAULT_TRANSFER_BYTES,
        }
    }
}

/// Grants memory up to the call's cap and remembers whether the cap was hit.
pub(crate) struct CallLimiter {
    memory_cap: usize,
    /// Linear memory currently allocated across the instance's memories.
    memory_in_use: usize,
    pub(crate) peak_memory: usize,
    pub(crate) memory_cap_hit: bool,
}

/// Tables are small in scripts; this bounds a hostile one.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl CallLimiter {
    pub(crate) fn new(memory_cap: usize) -> Self {
        CallLimiter {
            memory_cap,
            memory_in_use: 0,
            peak_memory: 0,
            memory_cap_hit: false,
        }
    }
}

impl ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let after = self.memory_in_use - current + desired;
        if after > self.memory_cap {
            self.memory_cap_hit = true;
            return Ok(false);
        }
        self.memory_in_use = after;
        self.peak_memory = self.peak_memory.max(after);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        64
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        16
    }
}
