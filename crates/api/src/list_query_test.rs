use dkron_model::gotime;

use super::*;

fn pairs(raw: &str) -> Vec<(String, String)> {
    let uri: axum::http::Uri = format!("/v1/jobs?{raw}").parse().unwrap();
    crate::query::query_pairs(&uri)
}

fn job(name: &str, displayname: &str, success_count: i64) -> Job {
    Job {
        name: name.into(),
        displayname: displayname.into(),
        success_count,
        ..Job::default()
    }
}

fn names(page: &Page<Job>) -> Vec<&str> {
    page.items.iter().map(|job| job.name.as_str()).collect()
}

#[test]
fn sorts_strings_case_insensitively_with_name_ties() {
    let jobs = vec![job("c", "b", 0), job("a", "B", 0), job("b", "a", 0)];
    let query = JobListQuery::parse(&pairs("_sort=displayname")).unwrap();
    assert_eq!(names(&query.apply(jobs.clone())), ["b", "a", "c"]);
    let query = JobListQuery::parse(&pairs("_sort=displayname&_order=DESC")).unwrap();
    assert_eq!(names(&query.apply(jobs)), ["c", "a", "b"]);
}

#[test]
fn sorts_counts_numerically_and_times_chronologically() {
    let jobs = vec![job("a", "", 10), job("b", "", 9), job("c", "", 100)];
    let query = JobListQuery::parse(&pairs("_sort=success_count")).unwrap();
    assert_eq!(names(&query.apply(jobs.clone())), ["b", "a", "c"]);

    let mut early = job("early", "", 0);
    early.last_success = Some(gotime::parse("2025-01-01T00:00:00Z").unwrap());
    let mut late = job("late", "", 0);
    late.last_success = Some(gotime::parse("2025-06-01T00:00:00.5Z").unwrap());
    let never = job("never", "", 0);
    let query = JobListQuery::parse(&pairs("_sort=last_success")).unwrap();
    let page = query.apply(vec![never, late, early]);
    assert_eq!(names(&page), ["early", "late", "never"]);
}

#[test]
fn filters_by_text_status_disabled_and_metadata() {
    let mut tagged = job("tagged", "Nightly", 0);
    tagged.metadata = Some(StringMap::from([("user".into(), "12".into())]));
    tagged.status = "success".into();
    let mut off = job("off", "", 0);
    off.disabled = true;
    let jobs = vec![tagged, off, job("plain", "", 0)];

    let run = |raw: &str| {
        names(
            &JobListQuery::parse(&pairs(raw))
                .unwrap()
                .apply(jobs.clone()),
        )
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    assert_eq!(run("q=Night"), ["tagged"]);
    assert_eq!(run("q=night"), Vec::<String>::new());
    assert_eq!(run("status=untriggered"), ["off", "plain"]);
    assert_eq!(run("status=success"), ["tagged"]);
    assert_eq!(run("disabled=true"), ["off"]);
    assert_eq!(run("metadata%5Buser%5D=12"), ["tagged"]);
    assert_eq!(run("metadata[user]=13"), Vec::<String>::new());
}

#[test]
fn pages_after_counting() {
    let jobs: Vec<Job> = ["a", "b", "c", "d"]
        .iter()
        .map(|name| job(name, "", 0))
        .collect();
    let page = JobListQuery::parse(&pairs("_start=1&_end=3"))
        .unwrap()
        .apply(jobs.clone());
    assert_eq!((page.total, names(&page)), (4, vec!["b", "c"]));
    let page = JobListQuery::parse(&pairs("_start=3&_end=100"))
        .unwrap()
        .apply(jobs.clone());
    assert_eq!(names(&page), ["d"]);
    let page = JobListQuery::parse(&pairs("_start=10"))
        .unwrap()
        .apply(jobs);
    assert_eq!((page.total, page.items.len()), (4, 0));
}

#[test]
fn rejects_bad_input_with_a_message() {
    for (raw, expected) in [
        ("_sort=owner", "invalid _sort \"owner\""),
        ("_order=up", "invalid _order"),
        ("_start=x", "invalid _start \"x\""),
        ("_start=-1", "invalid _start \"-1\""),
        ("_end=1.5", "invalid _end"),
        ("_start=5&_end=2", "_start (5) is greater than _end (2)"),
        ("status=running", "invalid status"),
        ("disabled=yes", "invalid disabled"),
        ("metadata[]=x", "invalid metadata filter"),
        ("metadata[a=x", "invalid metadata filter"),
    ] {
        let error = JobListQuery::parse(&pairs(raw)).unwrap_err();
        assert!(error.contains(expected), "{raw}: {error}");
    }
    let error = ExecutionListQuery::parse(&pairs("_sort=node")).unwrap_err();
    assert!(error.contains("started_at"), "{error}");
    assert!(ExecutionListQuery::parse(&pairs("output_size_limit=-3")).is_err());
}

#[test]
fn executions_default_to_newest_first_and_keep_the_output_tail() {
    let execution = |id: &str, output: &str| Execution {
        id: id.into(),
        output: output.into(),
        ..Execution::default()
    };
    let stored = vec![execution("1-a", "hello world"), execution("2-a", "ñandú")];
    let query = ExecutionListQuery::parse(&pairs("output_size_limit=5")).unwrap();
    let listed = query.apply(stored.clone());
    assert_eq!(listed[0].id, "2-a");
    assert_eq!(listed[0].output, "andú");
    assert_eq!(listed[1].output, "world");
    assert_eq!(listed[1].output_truncated, Some(true));

    let listed = ExecutionListQuery::parse(&pairs("_order=asc"))
        .unwrap()
        .apply(stored);
    assert_eq!(listed[0].id, "1-a");
    assert_eq!(listed[0].output_truncated, Some(false));
}

#[test]
fn tail_never_splits_a_character() {
    let mut text = String::from("aú");
    assert!(keep_tail(&mut text, 1));
    assert_eq!(text, "");
    let mut text = String::from("aú");
    assert!(!keep_tail(&mut text, 3));
    assert_eq!(text, "aú");
}

/// A page ranked while jobs pass one at a time equals the same slice of the fully sorted
/// list, and the collector never holds much more than the page's end.
#[test]
fn the_collector_ranks_like_a_full_sort_and_keeps_little() {
    // Counters repeat, so ties are broken by name; the jobs come in a scrambled order.
    let jobs: Vec<Job> = (0..5_000)
        .map(|index| (index * 7_919) % 5_000)
        .map(|index| job(&format!("j{index:04}"), "", (index % 13) as i64))
        .collect();
    for raw in [
        "_sort=success_count&_start=40&_end=60",
        "_sort=success_count&_order=DESC&_start=0&_end=25",
        "_sort=displayname&_start=4990&_end=5010",
        "_sort=success_count&_order=DESC",
    ] {
        let query = JobListQuery::parse(&pairs(raw)).unwrap();
        let mut sorted = jobs.clone();
        sorted.sort_by(|left, right| query.order(left, right));
        let end = query.end.unwrap_or(sorted.len()).min(sorted.len());
        let start = query.start.unwrap_or(0).min(end);
        let expected: Vec<&str> = sorted[start..end].iter().map(|j| j.name.as_str()).collect();

        let mut collector = PageCollector::new(query.clone());
        let mut most_kept = 0;
        for job in jobs.iter().cloned() {
            collector.offer(job);
            most_kept = most_kept.max(collector.kept.len());
        }
        if let Some(end) = query.end {
            assert!(most_kept <= 2 * end + 64, "{raw}: kept {most_kept}");
        }
        let page = collector.finish();
        assert_eq!(page.total, 5_000, "{raw}");
        assert_eq!(names(&page), expected, "{raw}");
    }
}
