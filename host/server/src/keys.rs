//! Tenants' token-signing keys: RSA 2048, made at a tenant's first token
//! and kept in the store (every process serving the tenant signs with the
//! same key), parsed once per process. The public halves are the JWKS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, EncodingKey};
use password_hash::rand_core::{OsRng, RngCore};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use authbox::flows::Authbox;
use authbox::store::SigningKey;

/// A tenant's key, ready to sign and verify.
pub struct TenantKey {
    /// The tenant.
    pub tenant_id: String,
    /// The key id, in tokens' headers.
    pub kid: String,
    /// Signs id tokens (RS256), parsed once: `jsonwebtoken` parses the RSA
    /// key again for every signature, which held logins to 374/s; and with
    /// aws-lc, whose RSA is several times faster than ring's.
    signer: RsaKeyPair,
    /// Signs access tokens (HS256): only authbox verifies them, at
    /// `/userinfo`, and an RSA signature per token would halve the logins a
    /// core serves. The secret derives from the private key, so every
    /// process sharing the store has it.
    pub access_encoding: EncodingKey,
    /// Verifies access tokens.
    pub access_decoding: DecodingKey,
    /// The public key as a JWK.
    pub jwk: Value,
}

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
#[error("signing key: {0}")]
pub struct KeyError(String);

impl TenantKey {
    fn parse(tenant_id: &str, stored: &SigningKey) -> Result<TenantKey, KeyError> {
        let bad = |e: &dyn std::fmt::Display| KeyError(e.to_string());
        let private =
            RsaPrivateKey::from_pkcs8_pem(&stored.private_key_pem).map_err(|e| bad(&e))?;
        let der = private.to_pkcs8_der().map_err(|e| bad(&e))?;
        let signer = RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| bad(&e))?;
        let public = private.to_public_key();
        let (n, e) = (
            URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        );
        let secret = Sha256::new()
            .chain_update(b"authbox access tokens\0")
            .chain_update(der.as_bytes())
            .finalize();
        Ok(TenantKey {
            tenant_id: tenant_id.to_string(),
            kid: stored.kid.clone(),
            signer,
            access_encoding: EncodingKey::from_secret(&secret),
            access_decoding: DecodingKey::from_secret(&secret),
            jwk: json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": stored.kid, "n": n, "e": e}),
        })
    }

    /// `claims` as an RS256 JWT with this key's id. The RSA signature (a
    /// few tenths of a millisecond) runs right here on the async thread: on
    /// the blocking pool its two thread switches cost more than they spared
    /// the other requests (logins 1,716/s there, 2,132/s here).
    pub fn sign_rs256(&self, claims: &impl serde::Serialize) -> Result<String, KeyError> {
        let failed = |e: &dyn std::fmt::Display| KeyError(e.to_string());
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let header = serde_json::to_vec(&header).map_err(|e| failed(&e))?;
        let claims = serde_json::to_vec(claims).map_err(|e| failed(&e))?;
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims));
        let mut signature = vec![0; self.signer.public_modulus_len()];
        self.signer
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|e| failed(&e))?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(token)
    }
}

/// A new RSA 2048 key (slow: run it off the async threads).
fn generate(tenant_id: &str) -> Result<SigningKey, KeyError> {
    let private = RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| KeyError(e.to_string()))?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError(e.to_string()))?;
    let mut suffix = [0u8; 8];
    OsRng.fill_bytes(&mut suffix);
    Ok(SigningKey {
        kid: format!("{tenant_id}.{}", hex::encode(suffix)),
        private_key_pem: pem.to_string(),
    })
}

/// The keys this process has parsed, by tenant.
#[derive(Default)]
pub struct Keys {
    by_tenant: Mutex<HashMap<String, Arc<TenantKey>>>,
    /// Held while a key is read or made, so that a burst of first logins
    /// makes one key, not one each (an RSA key takes a core for ~1 s).
    loading: tokio::sync::Mutex<()>,
}

impl Keys {
    fn cached(&self, tenant_id: &str) -> Option<Arc<TenantKey>> {
        self.by_tenant
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant_id)
            .cloned()
    }

    fn remember(&self, key: TenantKey) -> Arc<TenantKey> {
        let key = Arc::new(key);
        self.by_tenant
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.tenant_id.clone(), key.clone());
        key
    }

    /// The tenant's key, made and stored at first use.
    pub async fn for_tenant(
        &self,
        authbox: &Authbox,
        tenant_id: &str,
    ) -> Result<Arc<TenantKey>, KeyError> {
        if let Some(key) = self.cached(tenant_id) {
            return Ok(key);
        }
        let _loading = self.loading.lock().await;
        if let Some(key) = self.cached(tenant_id) {
            return Ok(key);
        }
        let stored = match authbox
            .signing_key(tenant_id)
            .await
            .map_err(|e| KeyError(e.to_string()))?
        {
            Some(stored) => stored,
            None => {
                let tenant = tenant_id.to_string();
                let made = tokio::task::spawn_blocking(move || generate(&tenant))
                    .await
                    .map_err(|e| KeyError(e.to_string()))??;
                authbox
                    .add_signing_key(tenant_id, &made)
                    .await
                    .map_err(|e| KeyError(e.to_string()))?
            }
        };
        Ok(self.remember(TenantKey::parse(tenant_id, &stored)?))
    }

    /// The key whose id is `kid` (its tenant is in it).
    pub async fn by_kid(&self, authbox: &Authbox, kid: &str) -> Option<Arc<TenantKey>> {
        let (tenant_id, _) = kid.rsplit_once('.')?;
        let key = self.cached(tenant_id);
        let key = match key {
            Some(key) => key,
            None => {
                let stored = authbox.signing_key(tenant_id).await.ok()??;
                self.remember(TenantKey::parse(tenant_id, &stored).ok()?)
            }
        };
        (key.kid == kid).then_some(key)
    }

    /// Every tenant's public key, as a JWKS.
    pub async fn jwks(&self, authbox: &Authbox) -> Result<Value, KeyError> {
        let stored = authbox
            .signing_keys()
            .await
            .map_err(|e| KeyError(e.to_string()))?;
        let mut keys = Vec::with_capacity(stored.len());
        for (tenant_id, key) in stored {
            let parsed = match self.cached(&tenant_id) {
                Some(parsed) => parsed,
                None => self.remember(TenantKey::parse(&tenant_id, &key)?),
            };
            keys.push(parsed.jwk.clone());
        }
        Ok(json!({ "keys": keys }))
    }
}
