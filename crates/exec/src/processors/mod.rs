//! Output processors (Dkron §8), run on the node that runs the execution, as its output
//! streams: `files` writes every byte to a file even when the stored copy is capped, `log`
//! prints the output to this node's standard streams. Each processor's `forward` key (Go's
//! boolean, false by default) keeps the stored output; otherwise the stored output becomes the
//! processor's placeholder, as in Dkron.
//!
//! `syslog` sends the output line by line as it streams; `fluent` sends it as one record when
//! the run ends. An unknown processor is skipped with a warning in the node's log.
//!
//! A processor plugin (an [`ExternalProcessor`], found through [`ExternalProcessors`]) replaces
//! the built-in processor of its name. It decides the output itself (its `forward` key is its
//! own business, as in Dkron), and the next plugin in name order gets what it returned.

mod external;
mod files;
mod fluent;
mod log;
mod processor;
mod syslog;

use dkron_model::{ProcessorMap, StringMap};

use self::external::ExternalRun;
pub use self::external::{EndedExecution, ExternalProcessor, ExternalProcessors};
use self::processor::Processor;
pub use self::processor::ProcessorContext;
use crate::error::ProcessorError;
use crate::gobool::parse_go_bool;

/// What a processor's result does to the output that is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A built-in processor with `forward: true`: the output is kept.
    Forwarding,
    /// A built-in processor without `forward`: its placeholder is stored.
    Replacing,
    /// A plugin: what it returns is the output from then on.
    Rewriting,
}

/// The processors of one execution, in name order.
pub struct Processors {
    active: Vec<(String, Role, Box<dyn Processor>)>,
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
    /// Sets up the job's built-in processors; unknown or failing ones are left out with a
    /// warning.
    pub fn new(configured: Option<&ProcessorMap>, context: &ProcessorContext) -> Processors {
        Processors::with_external(configured, context, None)
    }

    /// Sets up the job's processors, taking a processor from `external` first when it has one
    /// of the name; unknown or failing ones are left out with a warning.
    pub fn with_external(
        configured: Option<&ProcessorMap>,
        context: &ProcessorContext,
        external: Option<&dyn ExternalProcessors>,
    ) -> Processors {
        let mut active: Vec<(String, Role, Box<dyn Processor>)> = Vec::new();
        for (name, config) in configured.into_iter().flatten() {
            if let Some(plugin) = external.and_then(|plugins| plugins.get(name)) {
                let run = ExternalRun::new(name, plugin, config, context);
                active.push((name.clone(), Role::Rewriting, Box::new(run)));
                continue;
            }
            let role = if forward(config) {
                Role::Forwarding
            } else {
                Role::Replacing
            };
            match build(name, config, context) {
                Ok(Some(processor)) => active.push((name.clone(), role, processor)),
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

    /// Ends the run for every processor and returns the output to store: `stored` as the
    /// plugins rewrote it, unless a built-in processor does not forward, in which case the
    /// last such processor's placeholder. May block (files, log servers, plugins).
    pub fn finish(&mut self, success: bool, stored: String) -> String {
        let mut current = stored;
        let mut placeholder = None;
        for (_, role, processor) in &mut self.active {
            let result = processor.finish(success, &current);
            match role {
                Role::Forwarding => {}
                Role::Replacing => placeholder = Some(result),
                Role::Rewriting => current = result,
            }
        }
        placeholder.unwrap_or(current)
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
            group: 1,
            attempt: 1,
            started_at: chrono::Utc::now(),
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

    struct Upper;

    impl ExternalProcessor for Upper {
        fn process(
            &self,
            execution: &EndedExecution,
            config: &StringMap,
        ) -> Result<String, String> {
            if config.contains_key("fail") {
                return Err("plugin went away".into());
            }
            let node = config.get("reporting_node").cloned().unwrap_or_default();
            Ok(format!("{}@{node}", execution.output.to_uppercase()))
        }
    }

    struct Plugins;

    impl ExternalProcessors for Plugins {
        fn get(&self, name: &str) -> Option<std::sync::Arc<dyn ExternalProcessor>> {
            name.starts_with("up")
                .then(|| std::sync::Arc::new(Upper) as _)
        }
    }

    #[test]
    fn plugins_rewrite_in_name_order_and_a_failure_is_noted_in_the_output() {
        let configured = ProcessorMap::from([
            ("up1".to_string(), StringMap::new()),
            ("up2".to_string(), StringMap::new()),
        ]);
        let mut processors =
            Processors::with_external(Some(&configured), &context(), Some(&Plugins));
        assert_eq!(processors.finish(true, "out".into()), "OUT@NODE@node");

        let failing = ProcessorMap::from([(
            "up".to_string(),
            StringMap::from([("fail".to_string(), "1".to_string())]),
        )]);
        let mut processors = Processors::with_external(Some(&failing), &context(), Some(&Plugins));
        assert_eq!(
            processors.finish(false, "out".into()),
            "out\nprocessor up failed: plugin went away\n"
        );
    }

    #[test]
    fn a_plugin_replaces_the_built_in_processor_of_its_name() {
        struct Everything;
        impl ExternalProcessors for Everything {
            fn get(&self, _name: &str) -> Option<std::sync::Arc<dyn ExternalProcessor>> {
                Some(std::sync::Arc::new(Upper))
            }
        }
        let configured = ProcessorMap::from([("log".to_string(), StringMap::new())]);
        let mut processors =
            Processors::with_external(Some(&configured), &context(), Some(&Everything));
        assert_eq!(processors.finish(true, "x".into()), "X@node");
    }
}
