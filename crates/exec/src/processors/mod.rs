//! Output processors (Dkron §8), run on the node that runs the execution, as its output
//! streams: `files` writes every byte to a file even when the stored copy is capped, `log`
//! prints the output to this node's standard streams. Each processor's `forward` key (Go's
//! boolean, false by default) keeps the stored output; otherwise the stored output becomes the
//! processor's placeholder, as in Dkron.
//!
//! `syslog` sends the output line by line as it streams; `fluent` sends it as one record when
//! the run ends. An unknown processor is skipped with a warning in the node's log.

mod files;
mod fluent;
mod log;
mod processor;
mod syslog;

use dkron_model::{ProcessorMap, StringMap};

use self::processor::Processor;
pub use self::processor::ProcessorContext;
use crate::error::ProcessorError;
use crate::gobool::parse_go_bool;

/// The processors of one execution, in name order.
pub struct Processors {
    active: Vec<(String, bool, Box<dyn Processor>)>,
}

impl std::fmt::Debug for Processors {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.active.iter().map(|(name, ..)| name.as_str()).collect();
        formatter
            .debug_struct("Processors")
            .field("active", &names)
            .finish()
    }
}

impl Processors {
    /// Sets up the job's processors; unknown or failing ones are left out with a warning.
    pub fn new(configured: Option<&ProcessorMap>, context: &ProcessorContext) -> Processors {
        let mut active: Vec<(String, bool, Box<dyn Processor>)> = Vec::new();
        for (name, config) in configured.into_iter().flatten() {
            let forward = forward(config);
            match build(name, config, context) {
                Ok(Some(processor)) => active.push((name.clone(), forward, processor)),
                Ok(None) => tracing::warn!(job = %context.job_name, processor = %name,
                    "unknown or not yet supported processor; output kept as is"),
                Err(error) => tracing::warn!(job = %context.job_name, processor = %name,
                    error = %error, "processor not started; output kept as is"),
            }
        }
        Processors { active }
    }

    /// True when no processor is active.
    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Hands a piece of output to every processor.
    pub fn chunk(&mut self, bytes: &[u8]) {
        for (_, _, processor) in &mut self.active {
            processor.chunk(bytes);
        }
    }

    /// Ends the run for every processor and returns the output to store: `stored` unless a
    /// processor does not forward, in which case the last such processor's placeholder.
    pub fn finish(&mut self, success: bool, stored: String) -> String {
        let mut kept = None;
        for (_, forward, processor) in &mut self.active {
            let placeholder = processor.finish(success, &stored);
            if !*forward {
                kept = Some(placeholder);
            }
        }
        kept.unwrap_or(stored)
    }
}

fn forward(config: &StringMap) -> bool {
    config
        .get("forward")
        .and_then(|value| parse_go_bool(value))
        .unwrap_or(false)
}

fn build(
    name: &str,
    config: &StringMap,
    context: &ProcessorContext,
) -> Result<Option<Box<dyn Processor>>, ProcessorError> {
    Ok(match name {
        "files" => Some(Box::new(files::FilesProcessor::open(config, context)?)),
        "log" => Some(Box::new(log::LogProcessor::new(context))),
        "syslog" => Some(Box::new(syslog::SyslogProcessor::open(config, context)?)),
        "fluent" => Some(Box::new(fluent::FluentProcessor::new(config, context))),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ProcessorContext {
        ProcessorContext {
            job_name: "job".into(),
            execution_id: "1-node".into(),
            node_name: "node".into(),
        }
    }

    #[test]
    fn keeps_the_output_unless_a_processor_does_not_forward() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log_dir = dir.path().to_string_lossy().to_string();
        let forwarding = ProcessorMap::from([(
            "files".to_string(),
            StringMap::from([
                ("log_dir".to_string(), log_dir.clone()),
                ("forward".to_string(), "true".to_string()),
            ]),
        )]);
        let mut processors = Processors::new(Some(&forwarding), &context());
        processors.chunk(b"whole output\n");
        assert_eq!(processors.finish(true, "stored\n".into()), "stored\n");

        let replacing = ProcessorMap::from([
            (
                "files".to_string(),
                StringMap::from([("log_dir".to_string(), log_dir.clone())]),
            ),
            ("nope".to_string(), StringMap::new()),
        ]);
        let mut processors = Processors::new(Some(&replacing), &context());
        processors.chunk(b"abc");
        let path = format!("{log_dir}/1-node.log");
        assert_eq!(processors.finish(false, "stored\n".into()), path);
        assert_eq!(std::fs::read_to_string(&path).expect("file written"), "abc");
        assert!(Processors::new(None, &context()).is_empty());
    }
}
