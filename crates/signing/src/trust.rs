//! The set of public keys this installation trusts, by [`KeyId`].
//!
//! Promises: a key is trusted only if it was inserted or loaded here; loading a
//! folder either loads every key file in it or fails naming the bad file.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{KeyId, PublicKey, SigningError};

/// Trusted public keys, looked up by key id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    keys: BTreeMap<KeyId, PublicKey>,
}

impl TrustStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every `*.jwk` file (including `*.pub.jwk`) in `dir`, not recursing.
    pub fn from_dir(dir: &Path) -> Result<Self, SigningError> {
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|err| SigningError::io(dir, err))? {
            let path = entry.map_err(|err| SigningError::io(dir, err))?.path();
            if path.extension().is_some_and(|ext| ext == "jwk") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut store = Self::new();
        for path in paths {
            store.insert(PublicKey::read_jwk_file(&path)?);
        }
        Ok(store)
    }

    pub fn insert(&mut self, key: PublicKey) {
        self.keys.insert(key.key_id().clone(), key);
    }

    pub fn get(&self, key_id: &KeyId) -> Option<&PublicKey> {
        self.keys.get(key_id)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys in key id order.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.values()
    }
}

impl FromIterator<PublicKey> for TrustStore {
    fn from_iter<I: IntoIterator<Item = PublicKey>>(keys: I) -> Self {
        let mut store = Self::new();
        for key in keys {
            store.insert(key);
        }
        store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    #[test]
    fn insert_get_and_iterate() {
        let a = SigningKey::generate().unwrap().public_key();
        let b = SigningKey::generate().unwrap().public_key();
        let mut store = TrustStore::new();
        assert!(store.is_empty());
        store.insert(a.clone());
        store.insert(a.clone());
        store.insert(b.clone());
        assert_eq!(store.len(), 2);
        assert_eq!(store.get(a.key_id()), Some(&a));
        assert_eq!(store.get(&KeyId::new("nobody")), None);
        let ids: Vec<&KeyId> = store.iter().map(PublicKey::key_id).collect();
        let mut sorted = vec![a.key_id(), b.key_id()];
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(TrustStore::from_iter([a, b]), store);
    }

    #[test]
    fn from_dir_loads_jwk_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let a = SigningKey::generate().unwrap().public_key();
        let b = SigningKey::generate().unwrap().public_key();
        a.write_jwk_file(&dir.path().join("publisher.jwk")).unwrap();
        b.write_jwk_file(&dir.path().join("server.pub.jwk"))
            .unwrap();
        std::fs::write(dir.path().join("README.md"), "not a key").unwrap();
        std::fs::write(dir.path().join("notes.jwk.bak"), "not a key").unwrap();

        let store = TrustStore::from_dir(dir.path()).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(store.get(a.key_id()), Some(&a));
        assert_eq!(store.get(b.key_id()), Some(&b));
    }

    #[test]
    fn from_dir_names_the_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        SigningKey::generate()
            .unwrap()
            .public_key()
            .write_jwk_file(&dir.path().join("good.jwk"))
            .unwrap();
        std::fs::write(dir.path().join("broken.pub.jwk"), "{\"kty\":\"RSA\"}").unwrap();
        let message = TrustStore::from_dir(dir.path()).unwrap_err().to_string();
        assert!(message.contains("broken.pub.jwk"), "{message}");
    }

    #[test]
    fn from_missing_dir_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("trusted-keys");
        assert!(matches!(
            TrustStore::from_dir(&missing),
            Err(SigningError::Io { path, .. }) if path == missing
        ));
    }
}
