//! What every output processor is, and the execution it works for.

/// What one processor does with an execution's output.
pub(super) trait Processor: Send {
    /// Takes the next piece of output as it arrives.
    fn chunk(&mut self, bytes: &[u8]);
    /// The run ended; `stored` is the output as it will be stored (capped). Returns the
    /// placeholder that replaces the stored output when not forwarding.
    fn finish(&mut self, success: bool, stored: &str) -> String;
}

/// Identifies the execution the processors work for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorContext {
    /// Job name.
    pub job_name: String,
    /// Execution id.
    pub execution_id: String,
    /// The node running it (the `host` of a fluent record).
    pub node_name: String,
    /// The execution group (the nominal time in nanoseconds, as Dkron's `group`).
    pub group: i64,
    /// The attempt, 1 for the first try.
    pub attempt: u32,
    /// When the run started.
    pub started_at: chrono::DateTime<chrono::Utc>,
}
