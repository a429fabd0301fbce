//! Password checks against sha256 hashes (`password_sha256_hex` in the users file).

use sha2::{Digest, Sha256};

/// Reads a sha256 hash written as 64 hex digits (either case).
pub fn parse_hex(hex: &str) -> Result<[u8; 32], String> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return Err(format!(
            "password_sha256_hex must be 64 hex digits (the sha256 of the password), \
             got {} characters",
            bytes.len()
        ));
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let digit = |c: u8| char::from(c).to_digit(16);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out[i] = (h * 16 + l) as u8,
            _ => return Err("password_sha256_hex must contain only hex digits".to_owned()),
        }
    }
    Ok(out)
}

/// Whether `password` hashes to `expected`, compared in constant time.
pub fn matches(password: &str, expected: &[u8; 32]) -> bool {
    let actual = Sha256::digest(password.as_bytes());
    actual
        .iter()
        .zip(expected)
        .fold(0u8, |diff, (a, b)| diff | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex() {
        let h = parse_hex("2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b")
            .expect("valid");
        assert!(matches("secret", &h));
        assert!(!matches("Secret", &h));
        assert!(!matches("", &h));
        assert!(parse_hex("2bb8").is_err());
        assert!(parse_hex(&"zz".repeat(32)).is_err());
        assert!(parse_hex(&"é".repeat(32)).is_err());
    }
}
