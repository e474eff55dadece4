//! Precompiled scripts on disk, keyed by the component's sha256 and the
//! engine's compatibility hash, so that loading the same script again (in
//! this process or the next) skips compilation.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A directory of precompiled artifacts.
pub(crate) struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
}

/// Feeds `Hash` output into sha256, which (unlike `DefaultHasher`) is stable.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        unreachable!("only the digest is read")
    }
}

impl ArtifactCache {
    pub(crate) fn new(dir: &Path, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut hasher = Sha256Hasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = hex::encode(&hasher.0.finalize()[..8]);
        Ok(ArtifactCache {
            dir: dir.to_owned(),
            engine_key,
        })
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.engine_key))
    }

    /// The cached artifact of the component with this sha256, if any.
    pub(crate) fn get(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let path = self.path(sha256);
        let bytes = std::fs::read(&path).ok()?;
        // SAFETY: deserializing runs the machine code in the file. Only this
        // cache writes into its directory, always whole files (write to a
        // temporary, then rename), from `Component::serialize` of the same
        // engine configuration (the key includes the compatibility hash).
        // A file that does not deserialize is removed and compiled again.
        // The bytes are read rather than mapped, so a file changed later
        // cannot pull code out from under a running script.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, &bytes) };
        match component {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "discarding an unreadable cached artifact");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores the artifact of `component`; a failure only costs a later compile.
    pub(crate) fn put(&self, sha256: &str, component: &Component) {
        let path = self.path(sha256);
        let written = component
            .serialize()
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                let mut temp =
                    tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| e.to_string())?;
                temp.write_all(&bytes).map_err(|e| e.to_string())?;
                temp.persist(&path).map_err(|e| e.to_string())?;
                Ok(())
            });
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "could not cache a compiled script");
        }
    }
}
