//! `files`: every byte of the output to `<log_dir>/<execution id>.log`.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

use dkron_model::StringMap;

use super::processor::{Processor, ProcessorContext};
use crate::error::ProcessorError;

/// Dkron's default directory.
const DEFAULT_LOG_DIR: &str = "/var/log/dkron";

/// Writes the output to a file as it arrives.
pub(super) struct FilesProcessor {
    path: PathBuf,
    file: Option<File>,
}

impl FilesProcessor {
    /// Opens the file (creating the directory if missing); fails if it cannot.
    pub(super) fn open(
        config: &StringMap,
        context: &ProcessorContext,
    ) -> Result<Self, ProcessorError> {
        let log_dir = config
            .get("log_dir")
            .filter(|dir| !dir.is_empty())
            .map_or(DEFAULT_LOG_DIR, String::as_str);
        DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(log_dir)
            .map_err(|source| ProcessorError::CreateDir {
                dir: log_dir.to_string(),
                source,
            })?;
        let path = PathBuf::from(log_dir).join(format!("{}.log", context.execution_id));
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o644)
            .open(&path)
            .map_err(|source| ProcessorError::OpenFile {
                path: path.display().to_string(),
                source,
            })?;
        Ok(FilesProcessor {
            path,
            file: Some(file),
        })
    }
}

impl Processor for FilesProcessor {
    fn chunk(&mut self, bytes: &[u8]) {
        if let Some(file) = &mut self.file
            && let Err(error) = file.write_all(bytes)
        {
            tracing::warn!(path = %self.path.display(), error = %error, "files processor stopped writing");
            self.file = None;
        }
    }

    fn finish(&mut self, _success: bool, _stored: &str) -> String {
        if let Some(file) = self.file.take()
            && let Err(error) = file.sync_all()
        {
            tracing::warn!(path = %self.path.display(), error = %error, "files processor could not flush");
        }
        self.path.display().to_string()
    }
}
