//! `log`: the output between markers on this node's standard output (success) or standard
//! error (failure), as Dkron's plugin prints it.

use std::io::Write;

use super::processor::{Processor, ProcessorContext};

/// Prints the output when the run ends.
pub(super) struct LogProcessor {
    job_name: String,
    execution_id: String,
}

impl LogProcessor {
    pub(super) fn new(context: &ProcessorContext) -> Self {
        LogProcessor {
            job_name: context.job_name.clone(),
            execution_id: context.execution_id.clone(),
        }
    }
}

/// Dkron's block around the output.
pub(super) fn block(job_name: &str, execution_id: &str, output: &str) -> String {
    format!(
        "----- BEGIN OUTPUT job={job_name} execution={execution_id} -----\n{output}\n----- END OUTPUT -----\n"
    )
}

impl Processor for LogProcessor {
    fn chunk(&mut self, _bytes: &[u8]) {}

    fn finish(&mut self, success: bool, stored: &str) -> String {
        let text = block(&self.job_name, &self.execution_id, stored);
        let written = if success {
            std::io::stdout().lock().write_all(text.as_bytes())
        } else {
            std::io::stderr().lock().write_all(text.as_bytes())
        };
        if let Err(error) = written {
            tracing::warn!(error = %error, "log processor could not print the output");
        }
        "Output in dkron log".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_dkrons_markers() {
        assert_eq!(
            block("job", "1-n", "hello\n"),
            "----- BEGIN OUTPUT job=job execution=1-n -----\nhello\n\n----- END OUTPUT -----\n"
        );
    }
}
