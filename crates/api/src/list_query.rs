//! Query parameters of the list routes: filters, sorting and paging (react-admin's
//! `_sort`/`_order`/`_start`/`_end`).
//!
//! Parsing is strict where Dkron answers 500 or silently ignores a typo: every bad value is
//! reported as a plain-text message naming the parameter, and nothing is read or changed.

use std::cmp::Ordering;

use dkron_model::{Execution, Job, StringMap};

use crate::backend::ListingVisitor;
use crate::query::first_value;

/// `_sort` values the job list accepts (`id` is an alias of `name`).
pub(crate) const JOB_SORT_KEYS: &[&str] = &[
    "id",
    "name",
    "displayname",
    "schedule",
    "success_count",
    "error_count",
    "last_success",
    "last_error",
    "next",
];

/// `status` values the job list accepts (`untriggered` = never finished).
pub(crate) const JOB_STATUSES: &[&str] = &["success", "failed", "partially_failed", "untriggered"];

/// `_sort` values the executions list accepts (`id` is an alias of `started_at`).
pub(crate) const EXECUTION_SORT_KEYS: &[&str] = &["id", "started_at", "finished_at", "attempt"];

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortOrder {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// Reads `_order`: `ASC`/`DESC` in any letter case; empty or absent means `default`.
pub(crate) fn parse_order(
    pairs: &[(String, String)],
    default: SortOrder,
) -> Result<SortOrder, String> {
    match first_value(pairs, "_order") {
        None | Some("") => Ok(default),
        Some(value) if value.eq_ignore_ascii_case("asc") => Ok(SortOrder::Ascending),
        Some(value) if value.eq_ignore_ascii_case("desc") => Ok(SortOrder::Descending),
        Some(value) => Err(format!("invalid _order {value:?}: use \"ASC\" or \"DESC\"")),
    }
}

/// Reads a non-negative integer parameter; empty or absent means `None`.
pub(crate) fn parse_index(pairs: &[(String, String)], key: &str) -> Result<Option<usize>, String> {
    match first_value(pairs, key) {
        None | Some("") => Ok(None),
        Some(value) => value
            .parse::<usize>()
            .map(Some)
            .map_err(|_| format!("invalid {key} {value:?}: must be a non-negative integer")),
    }
}

/// What the job list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobSortKey {
    Name,
    DisplayName,
    Schedule,
    SuccessCount,
    ErrorCount,
    LastSuccess,
    LastError,
    Next,
}

impl JobSortKey {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "" | "id" | "name" => JobSortKey::Name,
            "displayname" => JobSortKey::DisplayName,
            "schedule" => JobSortKey::Schedule,
            "success_count" => JobSortKey::SuccessCount,
            "error_count" => JobSortKey::ErrorCount,
            "last_success" => JobSortKey::LastSuccess,
            "last_error" => JobSortKey::LastError,
            "next" => JobSortKey::Next,
            other => {
                return Err(format!(
                    "invalid _sort {other:?}: valid values are {}",
                    JOB_SORT_KEYS.join(", ")
                ));
            }
        })
    }

    /// Compares two jobs by this key alone (the caller breaks ties by name).
    fn compare(self, left: &Job, right: &Job) -> Ordering {
        match self {
            JobSortKey::Name => compare_text(&left.name, &right.name),
            JobSortKey::DisplayName => compare_text(&left.displayname, &right.displayname),
            JobSortKey::Schedule => compare_text(&left.schedule, &right.schedule),
            JobSortKey::SuccessCount => left.success_count.cmp(&right.success_count),
            JobSortKey::ErrorCount => left.error_count.cmp(&right.error_count),
            JobSortKey::LastSuccess => {
                compare_optional_time(&left.last_success, &right.last_success)
            }
            JobSortKey::LastError => compare_optional_time(&left.last_error, &right.last_error),
            JobSortKey::Next => left.next.cmp(&right.next),
        }
    }
}

fn compare_text(left: &str, right: &str) -> Ordering {
    left.to_lowercase().cmp(&right.to_lowercase())
}

/// Jobs that never had the event sort after those that had it, as in Dkron's index.
fn compare_optional_time<T: Ord>(left: &Option<T>, right: &Option<T>) -> Ordering {
    match (left, right) {
        (Some(left), Some(right)) => left.cmp(right),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// A parsed `GET /v1/jobs` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobListQuery {
    text: String,
    status: Option<String>,
    disabled: Option<bool>,
    metadata: StringMap,
    sort: JobSortKey,
    order: SortOrder,
    start: Option<usize>,
    end: Option<usize>,
}

/// One page of a list and the number of items before paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page<T> {
    /// Items that matched the filters, before `_start`/`_end`.
    pub(crate) total: usize,
    /// The requested slice.
    pub(crate) items: Vec<T>,
}

impl JobListQuery {
    /// Parses the query pairs of a job list request.
    pub(crate) fn parse(pairs: &[(String, String)]) -> Result<Self, String> {
        let status = match first_value(pairs, "status") {
            None | Some("") => None,
            Some(value) if JOB_STATUSES.contains(&value) => Some(value.to_owned()),
            Some(value) => {
                return Err(format!(
                    "invalid status {value:?}: valid values are {}",
                    JOB_STATUSES.join(", ")
                ));
            }
        };
        let disabled = match first_value(pairs, "disabled") {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(value) => {
                return Err(format!(
                    "invalid disabled {value:?}: use \"true\" or \"false\""
                ));
            }
        };
        let start = parse_index(pairs, "_start")?;
        let end = parse_index(pairs, "_end")?;
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            return Err(format!("_start ({start}) is greater than _end ({end})"));
        }
        Ok(JobListQuery {
            text: first_value(pairs, "q").unwrap_or("").to_owned(),
            status,
            disabled,
            metadata: parse_metadata_filter(pairs)?,
            sort: JobSortKey::parse(first_value(pairs, "_sort").unwrap_or(""))?,
            order: parse_order(pairs, SortOrder::Ascending)?,
            start,
            end,
        })
    }

    fn matches(&self, job: &Job) -> bool {
        let text_matches = self.text.is_empty()
            || job.name.contains(&self.text)
            || job.displayname.contains(&self.text);
        let status_matches = match self.status.as_deref() {
            None => true,
            Some("untriggered") => job.status.is_empty(),
            Some(status) => job.status == status,
        };
        let disabled_matches = self
            .disabled
            .is_none_or(|disabled| job.disabled == disabled);
        let metadata_matches = self.metadata.iter().all(|(key, value)| {
            job.metadata
                .as_ref()
                .and_then(|metadata| metadata.get(key))
                .is_some_and(|stored| stored == value)
        });
        text_matches && status_matches && disabled_matches && metadata_matches
    }

    /// When the query has no filter and sorts by name (the order jobs are stored in), returns
    /// the slice to read: (first index, how many, descending). Other queries need every job.
    pub(crate) fn name_order_slice(&self) -> Option<(usize, Option<usize>, bool)> {
        let filtered = !self.text.is_empty()
            || self.status.is_some()
            || self.disabled.is_some()
            || !self.metadata.is_empty();
        if filtered || self.sort != JobSortKey::Name {
            return None;
        }
        let start = self.start.unwrap_or(0);
        let limit = self.end.map(|end| end.saturating_sub(start));
        Some((start, limit, self.order == SortOrder::Descending))
    }

    /// Returns how many jobs the query asks for at most (`_end - _start`), or `None` when it
    /// asks for every job from `_start` on.
    pub(crate) fn page_len(&self) -> Option<usize> {
        self.end
            .map(|end| end.saturating_sub(self.start.unwrap_or(0)))
    }

    /// Orders two jobs as the list shows them: by the sort key, ties by name, the whole
    /// order reversed for `DESC` (as Dkron reverses its sorted list).
    fn order(&self, left: &Job, right: &Job) -> Ordering {
        let ascending = self
            .sort
            .compare(left, right)
            .then_with(|| left.name.cmp(&right.name));
        match self.order {
            SortOrder::Ascending => ascending,
            SortOrder::Descending => ascending.reverse(),
        }
    }

    /// Filters, sorts and slices `jobs` (all at once; the routes offer them one at a time).
    #[cfg(test)]
    pub(crate) fn apply(&self, jobs: Vec<Job>) -> Page<Job> {
        let mut collector = PageCollector::new(self.clone());
        for job in jobs {
            collector.offer(job);
        }
        collector.finish()
    }
}

/// Builds one page of a filtered or sorted job list from jobs offered one at a time. It keeps
/// at most about twice the page's end, so memory follows the page asked for, not the number
/// of jobs (an unpaged list keeps every match).
#[derive(Debug)]
pub(crate) struct PageCollector {
    query: JobListQuery,
    /// Jobs ranked after this many can never be on the page.
    keep: usize,
    kept: Vec<Job>,
    matched: usize,
}

impl PageCollector {
    /// Starts collecting the page `query` asks for.
    pub(crate) fn new(query: JobListQuery) -> Self {
        let keep = query.end.unwrap_or(usize::MAX);
        PageCollector {
            query,
            keep,
            kept: Vec::new(),
            matched: 0,
        }
    }

    /// Counts `job` if it matches the filters, and keeps it while it may be on the page.
    pub(crate) fn offer(&mut self, job: Job) {
        if !self.query.matches(&job) {
            return;
        }
        self.matched += 1;
        self.kept.push(job);
        if self.kept.len() >= self.keep.saturating_mul(2).saturating_add(64) {
            self.rank();
            self.kept.truncate(self.keep);
        }
    }

    fn rank(&mut self) {
        let query = &self.query;
        self.kept.sort_by(|left, right| query.order(left, right));
    }

    /// Returns the page and how many jobs matched in all.
    pub(crate) fn finish(mut self) -> Page<Job> {
        self.rank();
        let total = self.matched;
        let end = self.query.end.unwrap_or(total).min(self.kept.len());
        let start = self.query.start.unwrap_or(0).min(end);
        let items = self.kept.drain(start..end).collect();
        Page { total, items }
    }
}

impl ListingVisitor for PageCollector {
    fn visit(&mut self, job: Job) {
        self.offer(job);
    }
}

/// Reads `metadata[<key>]=<value>` pairs (first value per key wins, as in gin's `QueryMap`).
fn parse_metadata_filter(pairs: &[(String, String)]) -> Result<StringMap, String> {
    let mut filter = StringMap::new();
    for (key, value) in pairs {
        let Some(rest) = key.strip_prefix("metadata[") else {
            continue;
        };
        match rest.strip_suffix(']') {
            Some(name) if !name.is_empty() && !name.contains(['[', ']']) => {
                filter
                    .entry(name.to_owned())
                    .or_insert_with(|| value.clone());
            }
            _ => {
                return Err(format!(
                    "invalid metadata filter {key:?}: use metadata[<key>]=<value>"
                ));
            }
        }
    }
    Ok(filter)
}

/// A parsed `GET /v1/jobs/{job}/executions` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecutionListQuery {
    sort: Option<ExecutionSortKey>,
    order: SortOrder,
    output_size_limit: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExecutionSortKey {
    StartedAt,
    FinishedAt,
    Attempt,
}

impl ExecutionListQuery {
    /// Parses the query pairs of an executions list request.
    pub(crate) fn parse(pairs: &[(String, String)]) -> Result<Self, String> {
        let sort = match first_value(pairs, "_sort").unwrap_or("") {
            "" => None,
            "id" | "started_at" => Some(ExecutionSortKey::StartedAt),
            "finished_at" => Some(ExecutionSortKey::FinishedAt),
            "attempt" => Some(ExecutionSortKey::Attempt),
            other => {
                return Err(format!(
                    "invalid _sort {other:?}: valid values are {}",
                    EXECUTION_SORT_KEYS.join(", ")
                ));
            }
        };
        Ok(ExecutionListQuery {
            sort,
            order: parse_order(pairs, SortOrder::Descending)?,
            output_size_limit: parse_index(pairs, "output_size_limit")?,
        })
    }

    /// Sorts `executions` (given oldest first) and cuts their output; every item gets
    /// `output_truncated`.
    pub(crate) fn apply(&self, mut executions: Vec<Execution>) -> Vec<Execution> {
        match self.sort {
            None => {}
            Some(ExecutionSortKey::StartedAt) => executions.sort_by_key(|item| item.started_at),
            Some(ExecutionSortKey::FinishedAt) => executions.sort_by_key(|item| item.finished_at),
            Some(ExecutionSortKey::Attempt) => executions.sort_by_key(|item| item.attempt),
        }
        if self.order == SortOrder::Descending {
            executions.reverse();
        }
        for execution in &mut executions {
            let truncated = match self.output_size_limit {
                Some(limit) => keep_tail(&mut execution.output, limit),
                None => false,
            };
            execution.output_truncated = Some(truncated);
        }
        executions
    }
}

/// Keeps at most the last `limit` bytes of `text`, never splitting a character; returns true
/// when something was cut.
fn keep_tail(text: &mut String, limit: usize) -> bool {
    if text.len() <= limit {
        return false;
    }
    let mut cut_at = text.len() - limit;
    while !text.is_char_boundary(cut_at) {
        cut_at += 1;
    }
    text.drain(..cut_at);
    true
}

#[cfg(test)]
#[path = "list_query_test.rs"]
mod tests;
