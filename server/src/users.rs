//! Users: who may connect, from where, with which password, and what they may do.
//!
//! Users come from a TOML file (`granary server --users-config users.toml`, format in
//! [`config`]). Without one there is a single user, `default`, with no password, allowed
//! from loopback only. Each request authenticates as one user ([`Users::authenticate`])
//! before its body is read; the user's `readonly` level, settings and quota then apply to
//! the query.

pub mod config;
pub mod network;
pub mod password;
pub mod quota;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use network::Network;
use quota::{Quota, QuotaTracker};

/// One user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user name.
    pub name: String,
    /// sha256 of the password; `None`: no password (only the empty one is accepted).
    pub password_sha256: Option<[u8; 32]>,
    /// Networks the user may connect from.
    pub networks: Vec<Network>,
    /// ClickHouse's `readonly` level: 0 anything, 1 reads only, 2 reads and settings.
    pub readonly: u8,
    /// Settings applied to each of the user's queries before the request's own
    /// (the profile's, then the user's), in order.
    pub settings: Vec<(String, String)>,
    /// The user's quota, if any.
    pub quota: Option<Quota>,
}

impl User {
    /// `default` without a password, from loopback only: the user of a server started
    /// without a users file.
    pub fn builtin_default() -> User {
        User {
            name: "default".to_owned(),
            password_sha256: None,
            networks: vec![Network::LOOPBACK_V4, Network::LOOPBACK_V6],
            readonly: 0,
            settings: Vec::new(),
            quota: None,
        }
    }

    /// Whether a client at `peer` may connect as this user (`None`: the address is
    /// unknown, as for in-process callers, and only loopback users pass).
    pub fn allows(&self, peer: Option<IpAddr>) -> bool {
        let peer = peer.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        self.networks.iter().any(|n| n.contains(peer))
    }
}

/// Why the users file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the users file {path}: {message}")]
pub struct UsersError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Credentials were refused: the message of error 516 AUTHENTICATION_FAILED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailed(pub String);

/// All users, and the quota counters of their queries.
#[derive(Debug)]
pub struct Users {
    users: HashMap<String, Arc<User>>,
    /// Quota usage per user.
    pub quotas: QuotaTracker,
}

impl Default for Users {
    fn default() -> Self {
        Users::from_users([User::builtin_default()])
    }
}

impl Users {
    /// A set of the given users.
    pub fn from_users(users: impl IntoIterator<Item = User>) -> Users {
        Users {
            users: users
                .into_iter()
                .map(|u| (u.name.clone(), Arc::new(u)))
                .collect(),
            quotas: QuotaTracker::default(),
        }
    }

    /// Reads the users file at `path`.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let fail = |message: String| UsersError {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        Users::parse(&text).map_err(fail)
    }

    /// Reads a users file's text.
    pub fn parse(text: &str) -> Result<Users, String> {
        Ok(Users {
            users: config::parse(text)?,
            quotas: QuotaTracker::default(),
        })
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there is no user at all (then nobody can connect).
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The user `name` if `password` is theirs and `peer` is in their networks. Every
    /// refusal has the same message, as in ClickHouse, so that it does not tell which
    /// users exist; the reason is logged at debug level.
    pub fn authenticate(
        &self,
        name: &str,
        password: &str,
        peer: Option<IpAddr>,
    ) -> Result<Arc<User>, AuthFailed> {
        let fail = |why: &str| {
            tracing::debug!(user = name, ?peer, "authentication failed: {why}");
            AuthFailed(format!(
                "{name}: Authentication failed: password is incorrect, or there is no user \
                 with such name"
            ))
        };
        let user = self.users.get(name).ok_or_else(|| fail("no such user"))?;
        let password_ok = match &user.password_sha256 {
            None => password.is_empty(),
            Some(hash) => password::matches(password, hash),
        };
        if !password_ok {
            return Err(fail("wrong password"));
        }
        if !user.allows(peer) {
            return Err(fail("the client's address is not in the user's networks"));
        }
        Ok(user.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn builtin_default_is_loopback_only() {
        let users = Users::default();
        assert!(users.authenticate("default", "", ip("127.0.0.1")).is_ok());
        assert!(users.authenticate("default", "", ip("::1")).is_ok());
        assert!(users.authenticate("default", "", None).is_ok());
        assert!(users.authenticate("default", "", ip("10.1.2.3")).is_err());
        assert!(users.authenticate("default", "x", ip("127.0.0.1")).is_err());
        let e = users.authenticate("bob", "", ip("127.0.0.1")).unwrap_err();
        assert_eq!(
            e.0,
            "bob: Authentication failed: password is incorrect, or there is no user with such name"
        );
    }

    #[test]
    fn users_from_a_file() {
        let users = Users::parse(
            r#"
            [users.alice]
            password_sha256_hex = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
            networks = ["::/0"]
            "#,
        )
        .expect("parses");
        assert_eq!(users.len(), 1);
        assert!(users.authenticate("alice", "secret", ip("8.8.8.8")).is_ok());
        assert!(users.authenticate("alice", "", ip("8.8.8.8")).is_err());
        assert!(users.authenticate("default", "", ip("127.0.0.1")).is_err());
    }
}
