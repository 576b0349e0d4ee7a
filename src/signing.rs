//! The RSA key that signs id_tokens (RS256, which every OpenID Connect
//! client must accept), and its public half as a JSON Web Key. Signing and
//! the JWK come from `jsonwebtoken` over aws-lc; a new key, when none is
//! configured, from aws-lc too.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

pub struct SigningKey {
    key: EncodingKey,
    /// The public half, with its `kid` (its RFC 7638 thumbprint) and `use: sig`.
    jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey(kid {})", self.kid())
    }
}

impl SigningKey {
    /// An RSA private key in PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1.
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let key = EncodingKey::from_rsa_pem(pem)
            .map_err(|_| "is not an unencrypted RSA private key in PEM".to_owned())?;
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)
            .map_err(|_| "is not a usable RSA private key".to_owned())?;
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|_| "is not a usable RSA private key".to_owned())?;
        jwk.common.key_id = Some(kid);
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let signing = Self { key, jwk };
        // A key the provider accepts but cannot sign with fails here, at start.
        signing
            .sign(&serde_json::json!({}))
            .map_err(|_| "cannot sign with this key".to_owned())?;
        Ok(signing)
    }

    /// A new 2048-bit key, for this process only.
    pub fn generate() -> Result<Self, String> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| e.to_string())?;
        let der = pair.as_der().map_err(|e| e.to_string())?;
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(der.as_ref())
        );
        Self::from_pem(pem.as_bytes())
    }

    pub fn kid(&self) -> &str {
        self.jwk.common.key_id.as_deref().unwrap_or_default()
    }

    /// `claims` as a compact JWS, RS256, with this key's `kid`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid().to_owned());
        jsonwebtoken::encode(&header, claims, &self.key)
    }

    /// The public key set clients check signatures with.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_jwk_verifies() {
        let key = SigningKey::generate().expect("a key");
        let token = key.sign(&serde_json::json!({"sub": "x"})).expect("signed");
        let jwks = key.jwks();
        let jwk = &jwks.keys[0];
        assert_eq!(jwk.common.key_id.as_deref(), Some(key.kid()));
        let decoding = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("a public key");
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let decoded = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation)
            .expect("valid");
        assert_eq!(decoded.claims["sub"], "x");
        assert_eq!(decoded.header.kid.as_deref(), Some(key.kid()));
        let public = serde_json::to_value(jwk).expect("json");
        assert!(public.get("d").is_none(), "only the public parts: {public}");
    }

    #[test]
    fn text_that_is_not_an_rsa_key_is_refused() {
        assert!(
            SigningKey::from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .is_err()
        );
        assert!(SigningKey::from_pem(b"hello").is_err());
    }
}
