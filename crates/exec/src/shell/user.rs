//! Resolving the `su` key to a uid and gid from /etc/passwd and /etc/group.

use crate::{ShellConfigError, SwitchUser};

const PASSWD_PATH: &str = "/etc/passwd";
const GROUP_PATH: &str = "/etc/group";

/// Numeric identity a process is started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Credentials {
    /// User id.
    pub(super) uid: u32,
    /// Group id; `None` leaves the group as inherited.
    pub(super) gid: Option<u32>,
}

/// Reads the system account files and resolves `switch_user`.
pub(super) async fn resolve_switch_user(
    switch_user: &SwitchUser,
) -> Result<Credentials, ShellConfigError> {
    // A missing file just means names cannot be resolved; numbers still work.
    let passwd = tokio::fs::read_to_string(PASSWD_PATH)
        .await
        .unwrap_or_default();
    let group = match &switch_user.group {
        Some(_) => tokio::fs::read_to_string(GROUP_PATH)
            .await
            .unwrap_or_default(),
        None => String::new(),
    };
    resolve_with(switch_user, &passwd, &group)
}

/// Resolves `switch_user` against the given file contents.
fn resolve_with(
    switch_user: &SwitchUser,
    passwd: &str,
    group_file: &str,
) -> Result<Credentials, ShellConfigError> {
    let passwd_entry = passwd_entries(passwd).find(|entry| {
        entry.name == switch_user.user || Some(entry.uid) == switch_user.user.parse().ok()
    });
    let (uid, primary_gid) = match (passwd_entry, switch_user.user.parse::<u32>()) {
        (Some(entry), _) => (entry.uid, Some(entry.gid)),
        (None, Ok(uid)) => (uid, None),
        (None, Err(_)) => {
            return Err(ShellConfigError::UnknownUser {
                user: switch_user.user.clone(),
            });
        }
    };
    let gid =
        match &switch_user.group {
            None => primary_gid,
            Some(group) => Some(lookup_group(group_file, group).ok_or_else(|| {
                ShellConfigError::UnknownGroup {
                    group: group.clone(),
                }
            })?),
        };
    Ok(Credentials { uid, gid })
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
}

/// Yields `name:password:uid:gid:...` lines that parse.
fn passwd_entries(passwd: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    passwd.lines().filter_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(PasswdEntry { name, uid, gid })
    })
}

/// Finds a group by name in `name:password:gid:members` lines, or accepts a number.
fn lookup_group(group_file: &str, group: &str) -> Option<u32> {
    let by_name = group_file.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let gid = fields.next()?.parse().ok()?;
        (name == group).then_some(gid)
    });
    by_name.or_else(|| group.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                          nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
                          broken line\n\
                          alice:x:1000:1001::/home/alice:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nstaff:x:50:alice\nusers:x:100:\n";

    fn switch(user: &str, group: Option<&str>) -> SwitchUser {
        SwitchUser {
            user: user.into(),
            group: group.map(Into::into),
        }
    }

    #[test]
    fn names_resolve_with_primary_group() {
        let credentials = resolve_with(&switch("alice", None), PASSWD, GROUP).unwrap();
        assert_eq!(
            credentials,
            Credentials {
                uid: 1000,
                gid: Some(1001)
            }
        );
    }

    #[test]
    fn explicit_group_by_name_or_number() {
        let by_name = resolve_with(&switch("alice", Some("staff")), PASSWD, GROUP).unwrap();
        assert_eq!(by_name.gid, Some(50));
        let by_number = resolve_with(&switch("nobody", Some("4242")), PASSWD, GROUP).unwrap();
        assert_eq!(by_number.gid, Some(4242));
    }

    #[test]
    fn numeric_users_need_no_entry() {
        let known = resolve_with(&switch("65534", None), PASSWD, GROUP).unwrap();
        assert_eq!(known.gid, Some(65534));
        let unknown = resolve_with(&switch("4321", None), PASSWD, GROUP).unwrap();
        assert_eq!(
            unknown,
            Credentials {
                uid: 4321,
                gid: None
            }
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        assert!(matches!(
            resolve_with(&switch("mallory", None), PASSWD, GROUP),
            Err(ShellConfigError::UnknownUser { .. })
        ));
        assert!(matches!(
            resolve_with(&switch("alice", Some("wheel")), PASSWD, GROUP),
            Err(ShellConfigError::UnknownGroup { .. })
        ));
    }
}
