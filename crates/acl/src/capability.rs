//! The five things a policy may allow on a path.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::PolicyError;

/// An operation a policy grants on the paths it names (Dkron Pro's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// `GET` of one resource.
    Read,
    /// `GET` of a collection that enumerates resources (`/v1/jobs`, the ACL lists).
    List,
    /// `POST`: create a resource, or an action such as run, toggle, leave or restore.
    Create,
    /// `PUT` and `PATCH`: replace or change a resource.
    Update,
    /// `DELETE`.
    Delete,
}

impl Capability {
    /// Every capability, in Pro's documentation order.
    pub const ALL: [Capability; 5] = [
        Capability::Read,
        Capability::List,
        Capability::Create,
        Capability::Update,
        Capability::Delete,
    ];

    /// Returns the name policies use for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Read => "read",
            Capability::List => "list",
            Capability::Create => "create",
            Capability::Update => "update",
            Capability::Delete => "delete",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Capability {
    type Err = PolicyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|capability| capability.as_str() == text)
            .ok_or_else(|| PolicyError::UnknownCapability(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for capability in Capability::ALL {
            assert_eq!(
                capability.as_str().parse::<Capability>().unwrap(),
                capability
            );
        }
        let error = "write".parse::<Capability>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown capability \"write\" (known: read, list, create, update, delete)"
        );
    }
}
