//! SHA-256 fingerprints (hex) and the generated webhook secret token. Both use ring, the crypto
//! provider the whole process already links.

use ring::digest::{Context, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

/// Hex SHA-256 over `parts`, each length-prefixed so that `["ab", "c"]` and `["a", "bc"]`
/// differ.
pub fn sha256_hex<I, P>(parts: I) -> String
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    let mut context = Context::new(&SHA256);
    for part in parts {
        let part = part.as_ref();
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
    hex(context.finish().as_ref())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Length of the generated webhook secret token.
pub const TOKEN_LEN: usize = 32;

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The system random generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

/// 32 random characters of `A-Za-z0-9-_` (what Telegram allows in a `secret_token`), from the
/// operating system's CSPRNG. 64 symbols divide 256 evenly, so `byte % 64` has no bias.
pub fn webhook_token() -> Result<String, RandomError> {
    let mut bytes = [0u8; TOKEN_LEN];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomError)?;
    Ok(bytes
        .iter()
        .map(|b| char::from(URL_SAFE[usize::from(b % 64)]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_hex_sha256_with_framing() {
        // sha256 of an 8-byte zero length prefix: the empty part.
        assert_eq!(sha256_hex(std::iter::empty::<&[u8]>()).len(), 64);
        assert_ne!(sha256_hex(["ab", "c"]), sha256_hex(["a", "bc"]));
        assert_eq!(sha256_hex(["x"]), sha256_hex([b"x".as_slice()]));
    }

    #[test]
    fn tokens_are_url_safe_and_fresh() {
        let a = webhook_token().expect("random");
        let b = webhook_token().expect("random");
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }
}
