//! Processors that live outside this crate — Dkron's processor plugins, hosted by
//! `dkron-plugin` — seen through two small traits, so this crate needs no plugin protocol.
//! An external processor gets the whole ended execution once, as Dkron's do, and returns the
//! output to keep; a later processor gets what the earlier one returned, as in Dkron's chain.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dkron_model::StringMap;

use super::processor::{Processor, ProcessorContext};

/// An ended execution as a processor plugin receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedExecution {
    /// Who, what and when.
    pub context: ProcessorContext,
    /// Whether the run succeeded.
    pub success: bool,
    /// The output as it stands (capped, after earlier processors).
    pub output: String,
    /// When the run ended.
    pub finished_at: DateTime<Utc>,
}

/// One processor outside this crate.
pub trait ExternalProcessor: Send + Sync {
    /// Processes an ended execution and returns the output to keep, or why it could not.
    /// Called on a blocking thread, so it may block (within its own time limit).
    fn process(&self, execution: &EndedExecution, config: &StringMap) -> Result<String, String>;
}

/// Finds processors outside this crate by name; they take precedence over the built-in
/// processors of the same name, as a Dkron plugin binary of that name would.
pub trait ExternalProcessors: Send + Sync {
    /// Returns the processor called `name`, if there is one.
    fn get(&self, name: &str) -> Option<Arc<dyn ExternalProcessor>>;
}

/// Adapts an external processor to the per-run [`Processor`] of this crate.
pub(super) struct ExternalRun {
    name: String,
    processor: Arc<dyn ExternalProcessor>,
    config: StringMap,
    context: ProcessorContext,
}

impl ExternalRun {
    pub(super) fn new(
        name: &str,
        processor: Arc<dyn ExternalProcessor>,
        config: &StringMap,
        context: &ProcessorContext,
    ) -> Self {
        let mut config = config.clone();
        // Dkron tells every processor which node reports the execution.
        config.insert("reporting_node".to_string(), context.node_name.clone());
        ExternalRun {
            name: name.to_string(),
            processor,
            config,
            context: context.clone(),
        }
    }
}

impl Processor for ExternalRun {
    fn chunk(&mut self, _bytes: &[u8]) {}

    fn finish(&mut self, success: bool, stored: &str) -> String {
        let ended = EndedExecution {
            context: self.context.clone(),
            success,
            output: stored.to_string(),
            finished_at: Utc::now(),
        };
        match self.processor.process(&ended, &self.config) {
            Ok(output) => output,
            Err(error) => {
                tracing::warn!(job = %self.context.job_name, execution = %self.context.execution_id,
                    processor = %self.name, %error, "processor plugin failed; output kept as it was");
                // Kept where the user looks, so a failed hand-off is not silent.
                let separator = if stored.is_empty() || stored.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                format!(
                    "{stored}{separator}processor {} failed: {error}\n",
                    self.name
                )
            }
        }
    }
}
