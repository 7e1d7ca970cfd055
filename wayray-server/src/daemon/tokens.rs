//! Session tokens: random secrets shown once; the registry keeps only their SHA-256. Tokens
//! are 256 random bits, so a plain hash is enough (no password stretching needed), and the
//! hash is compared in constant time.

use sha2::{Digest, Sha256};

/// A new token's id (public) and secret (shown once).
#[derive(Clone)]
pub struct NewToken {
    /// Public id, e.g. `t-3f9a1c07d2e45b18` (64 random bits: unique across a pool).
    pub id: String,
    /// The secret, e.g. `wrt_` + 64 hex digits.
    pub secret: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn random<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes)
}

/// A new random token id.
pub fn new_id() -> std::io::Result<String> {
    Ok(format!("t-{}", hex::encode(random::<8>()?)))
}

/// A new random token.
pub fn generate() -> std::io::Result<NewToken> {
    Ok(NewToken {
        id: new_id()?,
        secret: format!("wrt_{}", hex::encode(random::<32>()?)),
    })
}

/// What the registry stores of a secret.
pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.id, b.id);
        assert_eq!(a.secret.len(), 4 + 64);
        assert_eq!(hash(&a.secret), hash(&a.secret.clone()));
        assert_ne!(hash(&a.secret), hash(&b.secret));
        assert!(!format!("{a:?}").contains(&a.secret));
    }
}
