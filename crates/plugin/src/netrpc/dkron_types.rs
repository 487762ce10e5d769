//! Dkron's processor call types as they travel: gob sends exported fields by name, so the
//! Go field names here (`JobName`, `StartedAt`…) are the wire contract with every processor
//! plugin built against Dkron v4.

use std::collections::BTreeMap;

use super::gob::{GobError, GobType, GobValue, StructType};

/// Dkron's `plugin.ProcessorArgs`: the execution to process and the job's processor config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ProcessorArgs {
    /// The execution, as the plugin receives it.
    pub(crate) execution: GoExecution,
    /// The processor's settings from the job.
    pub(crate) config: BTreeMap<String, String>,
}

/// Dkron's `types.Execution` (its exported fields; the protobuf state fields are not sent).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct GoExecution {
    /// `JobName`.
    pub(crate) job_name: String,
    /// `Success`.
    pub(crate) success: bool,
    /// `Output`.
    pub(crate) output: Vec<u8>,
    /// `NodeName`.
    pub(crate) node_name: String,
    /// `Group`.
    pub(crate) group: i64,
    /// `Attempt`.
    pub(crate) attempt: u32,
    /// `StartedAt`; `None` is Go's nil pointer.
    pub(crate) started_at: Option<GoTimestamp>,
    /// `FinishedAt`; `None` is Go's nil pointer.
    pub(crate) finished_at: Option<GoTimestamp>,
}

/// protobuf's `Timestamp` (`Seconds`, `Nanos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct GoTimestamp {
    /// Seconds since the Unix epoch.
    pub(crate) seconds: i64,
    /// Nanoseconds within the second.
    pub(crate) nanos: i32,
}

/// The gob type of [`ProcessorArgs`].
pub(crate) fn processor_args_type() -> GobType {
    GobType::Struct(StructType::new(
        "ProcessorArgs",
        vec![
            ("Execution", execution_type()),
            (
                "Config",
                GobType::Map(Box::new(GobType::String), Box::new(GobType::String)),
            ),
        ],
    ))
}

/// The gob type of [`GoExecution`], fields in Dkron's declaration order.
pub(crate) fn execution_type() -> GobType {
    let timestamp = GobType::Struct(StructType::new(
        "Timestamp",
        vec![("Seconds", GobType::Int), ("Nanos", GobType::Int)],
    ));
    GobType::Struct(StructType::new(
        "Execution",
        vec![
            ("JobName", GobType::String),
            ("StartedAt", timestamp.clone()),
            ("FinishedAt", timestamp),
            ("Success", GobType::Bool),
            ("Output", GobType::Bytes),
            ("NodeName", GobType::String),
            ("Group", GobType::Int),
            ("Attempt", GobType::Uint),
        ],
    ))
}

impl ProcessorArgs {
    /// As a gob value of [`processor_args_type`].
    pub(crate) fn to_gob(&self) -> GobValue {
        let config = self
            .config
            .iter()
            .map(|(key, value)| {
                (
                    GobValue::String(key.clone()),
                    GobValue::String(value.clone()),
                )
            })
            .collect();
        GobValue::Struct(vec![
            ("Execution".to_string(), self.execution.to_gob()),
            ("Config".to_string(), GobValue::Map(config)),
        ])
    }

    /// Reads a decoded `ProcessorArgs` (used by tests to check Go's bytes).
    #[cfg(test)]
    pub(crate) fn from_gob(value: &GobValue) -> Result<ProcessorArgs, GobError> {
        let mut config = BTreeMap::new();
        match value.field("Config") {
            None => {}
            Some(GobValue::Map(pairs)) => {
                for (key, value) in pairs {
                    match (key, value) {
                        (GobValue::String(key), GobValue::String(value)) => {
                            config.insert(key.clone(), value.clone());
                        }
                        _ => return Err(mismatch("Config", "map[string]string", value)),
                    }
                }
            }
            Some(other) => return Err(mismatch("Config", "map[string]string", other)),
        }
        let execution = match value.field("Execution") {
            Some(execution) => GoExecution::from_gob(execution)?,
            None => GoExecution::default(),
        };
        Ok(ProcessorArgs { execution, config })
    }
}

impl GoExecution {
    /// As a gob value of [`execution_type`].
    pub(crate) fn to_gob(&self) -> GobValue {
        let mut fields = vec![(
            "JobName".to_string(),
            GobValue::String(self.job_name.clone()),
        )];
        if let Some(started_at) = self.started_at {
            fields.push(("StartedAt".to_string(), started_at.to_gob()));
        }
        if let Some(finished_at) = self.finished_at {
            fields.push(("FinishedAt".to_string(), finished_at.to_gob()));
        }
        fields.extend([
            ("Success".to_string(), GobValue::Bool(self.success)),
            ("Output".to_string(), GobValue::Bytes(self.output.clone())),
            (
                "NodeName".to_string(),
                GobValue::String(self.node_name.clone()),
            ),
            ("Group".to_string(), GobValue::Int(self.group)),
            (
                "Attempt".to_string(),
                GobValue::Uint(u64::from(self.attempt)),
            ),
        ]);
        GobValue::Struct(fields)
    }

    /// Reads a decoded `Execution` by field name: absent fields are zero, unknown fields are
    /// ignored (as gob does), a field of another kind or out of range is an error.
    pub(crate) fn from_gob(value: &GobValue) -> Result<GoExecution, GobError> {
        if !matches!(value, GobValue::Struct(_)) {
            return Err(mismatch("Execution", "struct", value));
        }
        let attempt = uint_field(value, "Attempt")?;
        Ok(GoExecution {
            job_name: string_field(value, "JobName")?,
            success: match value.field("Success") {
                None => false,
                Some(GobValue::Bool(success)) => *success,
                Some(other) => return Err(mismatch("Success", "bool", other)),
            },
            output: match value.field("Output") {
                None => Vec::new(),
                Some(GobValue::Bytes(output)) => output.clone(),
                Some(other) => return Err(mismatch("Output", "[]byte", other)),
            },
            node_name: string_field(value, "NodeName")?,
            group: int_field(value, "Group")?,
            attempt: u32::try_from(attempt).map_err(|_| {
                GobError::Mismatch(format!("Attempt {attempt} does not fit a uint32"))
            })?,
            started_at: GoTimestamp::from_field(value, "StartedAt")?,
            finished_at: GoTimestamp::from_field(value, "FinishedAt")?,
        })
    }
}

impl GoTimestamp {
    fn to_gob(self) -> GobValue {
        GobValue::Struct(vec![
            ("Seconds".to_string(), GobValue::Int(self.seconds)),
            ("Nanos".to_string(), GobValue::Int(i64::from(self.nanos))),
        ])
    }

    fn from_field(parent: &GobValue, name: &str) -> Result<Option<GoTimestamp>, GobError> {
        let Some(value) = parent.field(name) else {
            return Ok(None);
        };
        if !matches!(value, GobValue::Struct(_)) {
            return Err(mismatch(name, "struct", value));
        }
        let nanos = int_field(value, "Nanos")?;
        Ok(Some(GoTimestamp {
            seconds: int_field(value, "Seconds")?,
            nanos: i32::try_from(nanos).map_err(|_| {
                GobError::Mismatch(format!("{name}.Nanos {nanos} does not fit an int32"))
            })?,
        }))
    }
}

fn string_field(value: &GobValue, name: &str) -> Result<String, GobError> {
    match value.field(name) {
        None => Ok(String::new()),
        Some(GobValue::String(text)) => Ok(text.clone()),
        Some(other) => Err(mismatch(name, "string", other)),
    }
}

fn int_field(value: &GobValue, name: &str) -> Result<i64, GobError> {
    match value.field(name) {
        None => Ok(0),
        Some(GobValue::Int(number)) => Ok(*number),
        Some(other) => Err(mismatch(name, "int", other)),
    }
}

fn uint_field(value: &GobValue, name: &str) -> Result<u64, GobError> {
    match value.field(name) {
        None => Ok(0),
        Some(GobValue::Uint(number)) => Ok(*number),
        Some(other) => Err(mismatch(name, "uint", other)),
    }
}

fn mismatch(field: &str, expected: &str, got: &GobValue) -> GobError {
    GobError::Mismatch(format!(
        "field {field} is a {}, expected {expected}",
        got.kind()
    ))
}
