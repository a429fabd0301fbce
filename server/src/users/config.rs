//! The users file (`--users-config users.toml`): its TOML schema and how it becomes
//! [`Users`](super::Users).
//!
//! ```toml
//! [users.alice]
//! password_sha256_hex = "..."   # sha256 of the password; absent or "" = no password
//! networks = ["10.0.0.0/8", "::1"] # absent = loopback only
//! readonly = 1                    # 0, 1 or 2 (ClickHouse's readonly levels)
//! profile = "analyst"             # settings from [profiles.analyst]
//! quota = "hourly"                # limits from [quotas.hourly]
//! settings = { max_result_rows = 1000 }
//!
//! [profiles.analyst]
//! max_threads = 4
//!
//! [[quotas.hourly.intervals]]
//! duration = 3600
//! queries = 1000
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;

use super::network::Network;
use super::quota::{Quota, QuotaInterval};
use super::{password, User};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    users: BTreeMap<String, UserEntry>,
    #[serde(default)]
    profiles: BTreeMap<String, BTreeMap<String, toml::Value>>,
    #[serde(default)]
    quotas: BTreeMap<String, QuotaEntry>,
}

/// One `[users.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    #[serde(default)]
    password_sha256_hex: Option<String>,
    #[serde(default)]
    networks: Option<Vec<String>>,
    #[serde(default)]
    readonly: Option<u8>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    quota: Option<String>,
    #[serde(default)]
    settings: BTreeMap<String, toml::Value>,
}

/// One `[quotas.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaEntry {
    intervals: Vec<QuotaInterval>,
}

/// Reads the users file's text; the error says what is wrong and where.
pub(super) fn parse(text: &str) -> Result<HashMap<String, Arc<User>>, String> {
    let file: UsersFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut quotas = HashMap::new();
    for (name, q) in file.quotas {
        if q.intervals.is_empty() {
            return Err(format!("quota `{name}` has no intervals"));
        }
        if let Some(i) = q.intervals.iter().find(|i| i.duration == 0) {
            return Err(format!(
                "quota `{name}`: an interval's duration must be at least 1 second (got {})",
                i.duration
            ));
        }
        quotas.insert(
            name.clone(),
            Quota {
                name,
                intervals: q.intervals,
            },
        );
    }
    let mut users = HashMap::new();
    for (name, entry) in file.users {
        let user = user(&name, entry, &file.profiles, &quotas)?;
        users.insert(name, Arc::new(user));
    }
    Ok(users)
}

fn user(
    name: &str,
    entry: UserEntry,
    profiles: &BTreeMap<String, BTreeMap<String, toml::Value>>,
    quotas: &HashMap<String, Quota>,
) -> Result<User, String> {
    let context = |m: String| format!("user `{name}`: {m}");
    let password_sha256 = match entry.password_sha256_hex.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(hex) => Some(password::parse_hex(hex).map_err(context)?),
    };
    let networks = match entry.networks {
        None => vec![Network::LOOPBACK_V4, Network::LOOPBACK_V6],
        Some(list) => list
            .iter()
            .map(|n| n.parse::<Network>().map_err(|e| context(e.to_string())))
            .collect::<Result<_, _>>()?,
    };
    // The profile's settings first, the user's own on top of them.
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    if let Some(p) = &entry.profile {
        let profile = profiles
            .get(p)
            .ok_or_else(|| context(format!("there is no profile `{p}` in [profiles]")))?;
        for (k, v) in profile {
            merged.insert(
                k.clone(),
                setting_text(v).map_err(|m| context(format!("{k}: {m}")))?,
            );
        }
    }
    for (k, v) in &entry.settings {
        merged.insert(
            k.clone(),
            setting_text(v).map_err(|m| context(format!("{k}: {m}")))?,
        );
    }
    // `readonly` may also come from the profile, as in ClickHouse.
    let from_settings = match merged.remove("readonly") {
        Some(v) => Some(
            v.parse::<u8>()
                .map_err(|_| context(format!("readonly must be 0, 1 or 2, not {v}")))?,
        ),
        None => None,
    };
    let readonly = entry.readonly.or(from_settings).unwrap_or(0);
    if readonly > 2 {
        return Err(context(format!(
            "readonly must be 0, 1 or 2, not {readonly}"
        )));
    }
    let quota = match &entry.quota {
        None => None,
        Some(q) => Some(
            quotas
                .get(q)
                .cloned()
                .ok_or_else(|| context(format!("there is no quota `{q}` in [quotas]")))?,
        ),
    };
    Ok(User {
        name: name.to_owned(),
        password_sha256,
        networks,
        readonly,
        settings: merged.into_iter().collect(),
        quota,
    })
}

/// A setting's value as the text a URL parameter would carry.
fn setting_text(v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(if *b { "1" } else { "0" }.to_owned()),
        other => Err(format!(
            "a setting must be a string, number or boolean, not {}",
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        [users.default]

        [users.alice]
        password_sha256_hex = "2BB80D537B1DA3E38BD30361AA855686BDE0EACD7162FEF6A25FE97BF527A25B"
        networks = ["10.0.0.0/8", "::1"]
        profile = "analyst"
        quota = "hourly"
        settings = { max_result_rows = 10, output_format_write_statistics = false }

        [profiles.analyst]
        max_threads = 4
        max_result_rows = 1000
        readonly = 2

        [[quotas.hourly.intervals]]
        duration = 3600
        queries = 5
    "#;

    #[test]
    fn example_file() {
        let users = parse(EXAMPLE).expect("parses");
        let d = &users["default"];
        assert!(d.password_sha256.is_none());
        assert_eq!(d.networks, vec![Network::LOOPBACK_V4, Network::LOOPBACK_V6]);
        assert_eq!(d.readonly, 0);
        let a = &users["alice"];
        assert!(a.password_sha256.is_some());
        assert_eq!(a.readonly, 2);
        assert_eq!(
            a.settings,
            vec![
                ("max_result_rows".to_owned(), "10".to_owned()),
                ("max_threads".to_owned(), "4".to_owned()),
                ("output_format_write_statistics".to_owned(), "0".to_owned()),
            ]
        );
        let q = a.quota.as_ref().expect("quota");
        assert_eq!(q.intervals[0].queries, 5);
    }

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            ("[users.a]\npassword_sha256_hex = \"abc\"", "user `a`"),
            ("[users.a]\nnetworks = [\"x\"]", "`x` is not an IP address"),
            ("[users.a]\nprofile = \"p\"", "no profile `p`"),
            ("[users.a]\nquota = \"q\"", "no quota `q`"),
            ("[users.a]\nreadonly = 3", "readonly must be 0, 1 or 2"),
            ("[users.a]\npasword = \"x\"", "unknown field"),
            ("[quotas.q]\nintervals = []", "no intervals"),
            ("[[quotas.q.intervals]]\nduration = 0", "at least 1 second"),
            ("[users.a]\nsettings = { x = [1] }", "must be a string"),
        ];
        for (text, expected) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(expected), "{text}: {e}");
        }
    }
}
