//! HTTP sessions (`session_id=...`): a [`Session`] kept server-side between requests so
//! `USE` and `SET` persist, with ClickHouse's timeout, check, lock and close semantics.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use granary_query::session::Session;
use granary_storage::StorageEngine;

/// `default_session_timeout`: seconds an idle session lives when the request names none.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// `max_session_timeout`: the largest `session_timeout` a request may ask for.
pub const MAX_SESSION_TIMEOUT: Duration = Duration::from_secs(3600);

/// Why a session could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// 104 INVALID_SESSION_TIMEOUT: `session_timeout` is not a number of seconds in range.
    InvalidTimeout(String),
    /// 372 SESSION_NOT_FOUND: `session_check=1` and no such (live) session.
    NotFound(String),
    /// 373 SESSION_IS_LOCKED: another request is using the session.
    Locked(String),
}

impl SessionError {
    /// The ClickHouse error code and name.
    pub fn code(&self) -> (u32, &'static str) {
        match self {
            SessionError::InvalidTimeout(_) => (104, "INVALID_SESSION_TIMEOUT"),
            SessionError::NotFound(_) => (372, "SESSION_NOT_FOUND"),
            SessionError::Locked(_) => (373, "SESSION_IS_LOCKED"),
        }
    }

    /// The exception message.
    pub fn message(&self) -> String {
        match self {
            SessionError::InvalidTimeout(v) => format!(
                "Invalid session timeout: '{v}' (expected seconds from 0 to {})",
                MAX_SESSION_TIMEOUT.as_secs()
            ),
            SessionError::NotFound(id) => format!("Session {id} not found"),
            SessionError::Locked(id) => {
                format!("Session {id} is locked by a concurrent client")
            }
        }
    }
}

/// Parses `session_timeout` (whole seconds, at most [`MAX_SESSION_TIMEOUT`]).
pub fn parse_timeout(value: Option<&str>) -> Result<Duration, SessionError> {
    let Some(v) = value else {
        return Ok(DEFAULT_SESSION_TIMEOUT);
    };
    match v.trim().parse::<u64>() {
        Ok(secs) if secs <= MAX_SESSION_TIMEOUT.as_secs() => Ok(Duration::from_secs(secs)),
        _ => Err(SessionError::InvalidTimeout(v.to_owned())),
    }
}

/// One stored session. `session` is `None` while a request has it checked out.
struct Slot {
    session: Option<Session>,
    deadline: Instant,
}

/// The server's open sessions, by `session_id`.
#[derive(Default)]
pub struct SessionStore {
    slots: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("open", &self.open_count())
            .finish()
    }
}

impl SessionStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        // A panic while holding this lock leaves the map consistent (every change is one
        // insert or remove), so a poisoned lock is still usable.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops idle sessions whose timeout has passed.
    fn expire(slots: &mut HashMap<String, Slot>, now: Instant) {
        slots.retain(|_, s| s.session.is_none() || s.deadline > now);
    }

    /// Checks out session `id` for one request: an existing live one, or (unless `check`)
    /// a new one on `engine`. Return it with [`SessionStore::check_in`] (or
    /// [`SessionStore::discard`]).
    pub fn check_out(
        &self,
        id: &str,
        check: bool,
        engine: &Arc<StorageEngine>,
    ) -> Result<Session, SessionError> {
        let now = Instant::now();
        let mut slots = self.lock();
        Self::expire(&mut slots, now);
        match slots.get_mut(id) {
            Some(slot) => slot
                .session
                .take()
                .ok_or_else(|| SessionError::Locked(id.to_owned())),
            None if check => Err(SessionError::NotFound(id.to_owned())),
            None => {
                slots.insert(
                    id.to_owned(),
                    Slot {
                        session: None,
                        deadline: now,
                    },
                );
                Ok(Session::new(engine.clone()))
            }
        }
    }

    /// Returns a checked-out session; it then lives `timeout` more (or is dropped at once
    /// when `close`).
    pub fn check_in(&self, id: &str, session: Session, timeout: Duration, close: bool) {
        let mut slots = self.lock();
        if close {
            slots.remove(id);
            return;
        }
        slots.insert(
            id.to_owned(),
            Slot {
                session: Some(session),
                deadline: Instant::now() + timeout,
            },
        );
    }

    /// Forgets a checked-out session that cannot be returned (its request failed hard).
    pub fn discard(&self, id: &str) {
        self.lock().remove(id);
    }

    /// How many sessions are open (live or in use).
    pub fn open_count(&self) -> usize {
        let mut slots = self.lock();
        Self::expire(&mut slots, Instant::now());
        slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_within_range() {
        assert_eq!(parse_timeout(None), Ok(DEFAULT_SESSION_TIMEOUT));
        assert_eq!(parse_timeout(Some("5")), Ok(Duration::from_secs(5)));
        assert!(parse_timeout(Some("3601")).is_err());
        assert!(parse_timeout(Some("abc")).is_err());
        assert!(parse_timeout(Some("-1")).is_err());
    }

    #[test]
    fn lock_check_and_expiry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = StorageEngine::open(dir.path()).expect("engine");
        let store = SessionStore::default();
        assert_eq!(
            store.check_out("a", true, &engine).err(),
            Some(SessionError::NotFound("a".into()))
        );
        let s = store.check_out("a", false, &engine).expect("new");
        assert_eq!(
            store.check_out("a", false, &engine).err(),
            Some(SessionError::Locked("a".into()))
        );
        store.check_in("a", s, Duration::ZERO, false);
        // Expired: gone, so a checked request fails.
        assert!(store.check_out("a", true, &engine).is_err());
        let s = store.check_out("a", false, &engine).expect("new");
        store.check_in("a", s, Duration::from_secs(60), false);
        assert_eq!(store.open_count(), 1);
        let s = store.check_out("a", true, &engine).expect("alive");
        store.check_in("a", s, Duration::from_secs(60), true);
        assert_eq!(store.open_count(), 0);
    }
}
