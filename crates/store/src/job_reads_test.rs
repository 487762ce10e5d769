use std::ops::ControlFlow;

use chrono::{DateTime, Utc};
use dkron_model::{Job, StringMap};

use crate::command::Command;
use crate::records::whole_job_decodes;
use crate::state_store::StateStore;

const JOBS: usize = 10_000;

/// A job whose executor configuration is most of its bytes, as in big real jobs.
fn big_job(index: usize) -> Job {
    Job {
        name: format!("job-{index:05}"),
        displayname: format!("Job {index}"),
        schedule: "@every 1h".into(),
        executor: "shell".into(),
        success_count: (index % 7) as i64,
        metadata: Some(StringMap::from([(
            "team".into(),
            format!("t{}", index % 3),
        )])),
        executor_config: Some(StringMap::from([("command".into(), "x".repeat(2_000))])),
        ..Job::default()
    }
}

fn store_with_jobs(dir: &tempfile::TempDir) -> StateStore {
    let store = StateStore::open(&dir.path().join("state.redb"), 4 << 20).unwrap();
    let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let commands: Vec<Command> = (0..JOBS)
        .map(|index| Command::PutJob {
            job: Box::new(big_job(index)),
            now,
        })
        .collect();
    for batch in commands.chunks(1_000) {
        store.apply(batch.to_vec(), &[]).unwrap();
    }
    store
}

/// The reads behind one page of a sorted or filtered list: a listing of every job, then the
/// page's jobs. Only the page is decoded whole, however many jobs there are.
#[test]
fn a_page_decodes_only_its_own_jobs_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_jobs(&dir);
    let before = whole_job_decodes::so_far();
    let mut listed = Vec::new();
    store
        .for_each_job_listing(|listing| listed.push(listing))
        .unwrap();
    assert_eq!(listed.len(), JOBS);
    assert_eq!(
        whole_job_decodes::so_far(),
        before,
        "listing decoded whole jobs"
    );
    let sample = &listed[4_321];
    assert_eq!(sample.job.name, "job-04321");
    assert_eq!(sample.job.displayname, "Job 4321");
    assert_eq!(sample.job.success_count, 4_321 % 7);
    assert_eq!(sample.job.metadata.as_ref().unwrap()["team"], "t1");
    assert_eq!(
        sample.job.executor_config, None,
        "the listing leaves the config out"
    );
    assert!(sample.cursor.is_some());

    let page: Vec<String> = (100..110).map(|index| format!("job-{index:05}")).collect();
    let jobs = store.jobs_named(&page).unwrap();
    assert_eq!(whole_job_decodes::so_far() - before, 10);
    assert_eq!(jobs.len(), 10);
    assert_eq!(jobs[0].job.executor_config, big_job(100).executor_config);

    let (deep, total) = store.jobs_page(9_000, Some(25), false).unwrap();
    assert_eq!((deep.len(), total), (25, JOBS));
    assert_eq!(deep[0].job.name, "job-09000");
    assert_eq!(whole_job_decodes::so_far() - before, 35);
}

/// The streamed walk decodes a job only when it hands it over, and stops when told.
#[test]
fn the_walk_by_name_stops_when_the_reader_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_jobs(&dir);
    let before = whole_job_decodes::so_far();
    let mut total = 0;
    let mut seen = Vec::new();
    store
        .visit_jobs_by_name(
            2,
            None,
            true,
            |count| total = count,
            |job| {
                seen.push(job.job.name);
                match seen.len() {
                    3 => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                }
            },
        )
        .unwrap();
    assert_eq!(total, JOBS);
    assert_eq!(seen, ["job-09997", "job-09996", "job-09995"]);
    assert_eq!(whole_job_decodes::so_far() - before, 3);
}

/// Names that are not stored are left out; the order given is kept.
#[test]
fn named_reads_keep_the_order_and_skip_missing_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_jobs(&dir);
    let names = ["job-00009", "nope", "job-00001"].map(String::from);
    let jobs = store.jobs_named(&names).unwrap();
    let got: Vec<&str> = jobs.iter().map(|job| job.job.name.as_str()).collect();
    assert_eq!(got, ["job-00009", "job-00001"]);
}
