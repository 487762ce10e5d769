//! A policy's rules: the JSON document Dkron Pro stores as a policy's `Rules`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::capability::Capability;
use crate::error::PolicyError;
use crate::glob::PathGlob;

/// The document as written: other top-level keys are allowed and ignored, as Pro's
/// documents may carry keys for its own policy engine.
#[derive(Deserialize)]
struct Document {
    path: BTreeMap<String, PathEntry>,
}

#[derive(Deserialize)]
struct PathEntry {
    capabilities: Vec<String>,
}

/// The rules of the `default` policy the bootstrap creates: Dkron Pro's documented default
/// policy (jobs, their runs and executions, members, leadership, leave and restore; no ACL
/// routes, no backup).
pub const DEFAULT_POLICY_RULES: &str = r#"{
    "path": {
        "/v1/members": { "capabilities": ["read"] },
        "/v1/jobs": { "capabilities": ["list", "read", "create", "update", "delete"] },
        "/v1/jobs/*": { "capabilities": ["create", "read", "update", "delete"] },
        "/v1/jobs/*/run": { "capabilities": ["create"] },
        "/v1/jobs/*/toggle": { "capabilities": ["create"] },
        "/v1/jobs/*/executions*": { "capabilities": ["read"] },
        "/v1/jobs/*/executions/*": { "capabilities": ["read"] },
        "/v1/leader": { "capabilities": ["read"] },
        "/v1/isleader": { "capabilities": ["read"] },
        "/v1/leave": { "capabilities": ["create"] },
        "/v1/restore": { "capabilities": ["create"] },
        "/v1/busy": { "capabilities": ["read"] }
    }
}"#;

/// Name of the policy the bootstrap creates, and client tokens get when none is named.
pub const DEFAULT_POLICY_NAME: &str = "default";

/// Parsed rules: which capabilities each path glob grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    grants: Vec<(PathGlob, Vec<Capability>)>,
}

impl Rules {
    /// Parses a policy document such as
    /// `{"path": {"/v1/jobs/*": {"capabilities": ["read"]}}}`.
    pub fn parse(text: &str) -> Result<Rules, PolicyError> {
        if text.trim().is_empty() {
            return Err(PolicyError::Empty);
        }
        let document: Document =
            serde_json::from_str(text).map_err(|error| PolicyError::BadJson(error.to_string()))?;
        if document.path.is_empty() {
            return Err(PolicyError::Empty);
        }
        let mut grants = Vec::with_capacity(document.path.len());
        for (glob, entry) in document.path {
            let glob = PathGlob::parse(&glob)?;
            let capabilities = entry
                .capabilities
                .iter()
                .map(|name| name.parse())
                .collect::<Result<Vec<Capability>, PolicyError>>()?;
            grants.push((glob, capabilities));
        }
        Ok(Rules { grants })
    }

    /// Returns true when some glob matching `path` grants `capability`.
    pub fn allows(&self, capability: Capability, path: &str) -> bool {
        self.grants
            .iter()
            .any(|(glob, granted)| granted.contains(&capability) && glob.matches(path))
    }

    /// Returns each glob with what it grants, in glob order.
    pub fn grants(&self) -> impl Iterator<Item = (&PathGlob, &[Capability])> {
        self.grants
            .iter()
            .map(|(glob, capabilities)| (glob, capabilities.as_slice()))
    }
}

#[cfg(test)]
#[path = "rules_test.rs"]
pub(crate) mod tests;
