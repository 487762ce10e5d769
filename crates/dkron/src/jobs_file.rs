//! `dkron backup` and `dkron restore`: jobs to a file and back, through a server's REST API
//! (`GET /v1/backup`, `POST /v1/restore` with the file as the JSON body).

use std::time::Duration;

use crate::cli::{BackupArgs, HttpTarget, RestoreArgs};

/// How long one request may take before the command gives up.
const REQUEST_DEADLINE: Duration = Duration::from_secs(60);

/// Why a backup or a restore failed; printed on stderr.
#[derive(Debug, thiserror::Error)]
pub enum JobsFileError {
    /// The server could not be reached or did not answer in time.
    #[error("cannot reach {url}: {message}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The transport's reason.
        message: String,
    },
    /// The server refused the request.
    #[error("{url} answered {status}: {message}")]
    Refused {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// The system's reason.
        message: String,
    },
    /// The TLS flags cannot be used.
    #[error("{0}")]
    Credential(#[from] crate::credential::CredentialError),
    /// The file is not a JSON array of jobs.
    #[error("{path} is not a backup (a JSON array of jobs): {message}")]
    NotABackup {
        /// The file.
        path: String,
        /// The parser's reason.
        message: String,
    },
}

pub(crate) fn url(target: &HttpTarget, path: &str) -> String {
    let base = target.http_addr.trim_end_matches('/');
    if base.starts_with("http://") || base.starts_with("https://") {
        format!("{base}{path}")
    } else if target.tls.trusted_ca_file.is_some() {
        // Certificates given: the server speaks HTTPS.
        format!("https://{base}{path}")
    } else {
        format!("http://{base}{path}")
    }
}

pub(crate) fn client(target: &HttpTarget) -> Result<reqwest::Client, JobsFileError> {
    Ok(crate::credential::http_client(
        &target.tls,
        REQUEST_DEADLINE,
    )?)
}

/// Adds the target's ACL token, if any, to a request.
pub(crate) fn with_token(
    request: reqwest::RequestBuilder,
    target: &HttpTarget,
) -> reqwest::RequestBuilder {
    match &target.token {
        Some(token) => request.header("x-dkron-token", token),
        None => request,
    }
}

pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    url: &str,
) -> Result<String, JobsFileError> {
    let unreachable = |error: reqwest::Error| JobsFileError::Unreachable {
        url: url.to_string(),
        message: error.to_string(),
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let body = response.text().await.map_err(unreachable)?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(JobsFileError::Refused {
            url: url.to_string(),
            status: status.as_u16(),
            message: body.trim().to_string(),
        })
    }
}

/// `dkron backup`: writes every job to the file (or stdout); returns the summary line.
pub async fn backup(args: BackupArgs) -> Result<String, JobsFileError> {
    // With its secrets, so that the file restores into an empty cluster; the server allows
    // that only while ACLs are off or for a management token.
    let url = url(&args.target, "/v1/backup?pretty&include_secrets=true");
    let body = send(
        with_token(client(&args.target)?.get(&url), &args.target),
        &url,
    )
    .await?;
    let count = serde_json::from_str::<Vec<serde_json::Value>>(&body)
        .map(|jobs| jobs.len())
        .unwrap_or(0);
    match &args.output {
        Some(path) => {
            write_private(path, &format!("{body}\n")).map_err(|error| JobsFileError::File {
                path: path.display().to_string(),
                message: error.to_string(),
            })?;
            Ok(format!("saved {count} jobs to {}\n", path.display()))
        }
        None => {
            println!("{body}");
            Ok(format!("saved {count} jobs\n"))
        }
    }
}

/// Writes a file only its owner may read (a backup holds the jobs' secrets).
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // An existing file keeps its mode on open: narrow it too.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(content.as_bytes())
}

/// `dkron restore`: sends the file to the server; returns one line per job.
pub async fn restore(args: RestoreArgs) -> Result<String, JobsFileError> {
    let path = args.file.display().to_string();
    let content = std::fs::read(&args.file).map_err(|error| JobsFileError::File {
        path: path.clone(),
        message: error.to_string(),
    })?;
    serde_json::from_slice::<Vec<serde_json::Value>>(&content).map_err(|error| {
        JobsFileError::NotABackup {
            path: path.clone(),
            message: error.to_string(),
        }
    })?;
    let url = url(&args.target, "/v1/restore");
    let request = with_token(client(&args.target)?.post(&url), &args.target)
        .header("content-type", "application/json")
        .body(content);
    let answer = send(request, &url).await?;
    // Dkron's answer: a JSON string holding a JSON array of lines.
    let lines: Vec<String> = serde_json::from_str::<String>(&answer)
        .ok()
        .and_then(|inner| serde_json::from_str(&inner).ok())
        .unwrap_or_default();
    Ok(lines.iter().map(|line| format!("{line}\n")).collect())
}
