//! What the library's benchmarks share: a tenant whose connection `echo`
//! runs the `echo-user` fixture (any user logs in, no password hashing),
//! on the store at a URL.

use authbox::flows::{Authbox, AuthboxConfig};
use authbox::runtime::RuntimeConfig;
use authbox::store::{ConnectionSettings, SecretKey, SecretKeySource};

/// authbox on the store at `store_url`, and the id of its tenant `bench`.
pub async fn echo_tenant(store_url: String) -> (Authbox, String) {
    let config = AuthboxConfig {
        store_url,
        secret_key: SecretKeySource::Key(SecretKey::generate()),
        runtime: RuntimeConfig::default(),
        ..AuthboxConfig::sqlite("unused")
    };
    let authbox = Authbox::open(config).await.unwrap();
    let tenant = authbox.create_tenant("bench").await.unwrap();
    let connection = authbox
        .create_connection(&tenant.id, "echo", &ConnectionSettings::default())
        .await
        .unwrap();
    let wasm = std::fs::read(authbox_tests::ECHO_USER).unwrap();
    authbox
        .upload_script(&tenant.id, &connection.id, &wasm)
        .await
        .unwrap();
    (authbox, tenant.id)
}
