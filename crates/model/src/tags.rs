//! Target selection: which nodes run a job, from the job's tags (`dkron-behaviour.md` §5).
//!
//! A job tag is `key: value` or `key: value:count`. A node qualifies when it is alive and has
//! every key with exactly the bare value. The smallest count over all tags caps how many of
//! the qualifying nodes run the job; the pick among them is random, through a source the
//! caller passes so that tests stay deterministic. Dkron also requires a node's `region` tag
//! to equal the leader's; that filter needs cluster state and is the caller's job.

use crate::StringMap;

/// What a job's tags ask for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetSpec {
    /// Tag key to the value a node must carry (the count removed).
    pub tags: StringMap,
    /// At most this many nodes run the job; `i64::MAX` when no tag gives a count, and zero or
    /// below means none.
    pub cardinality: i64,
    /// One message per tag whose count is not an integer (that count is taken as 0).
    pub warnings: Vec<String>,
}

/// A node that may run a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The node's name.
    pub name: &'a str,
    /// The node's tags.
    pub tags: &'a StringMap,
    /// Whether membership sees the node as alive.
    pub alive: bool,
}

/// Reads a job's tags: `value` or `value:count`.
///
/// As in Dkron, only a value with exactly one `:` carries a count (`a:b:2` means the value `a`
/// with no count), and a count that is not an integer counts as 0, so the job runs nowhere.
pub fn parse_job_tags(job_tags: Option<&StringMap>) -> TargetSpec {
    let mut spec = TargetSpec {
        cardinality: i64::MAX,
        ..TargetSpec::default()
    };
    for (key, value) in job_tags.into_iter().flatten() {
        let parts: Vec<&str> = value.split(':').collect();
        spec.tags.insert(key.clone(), parts[0].to_string());
        if let [_, count_text] = parts.as_slice() {
            let count = count_text.parse::<i64>().unwrap_or_else(|_| {
                spec.warnings.push(format!(
                    "improper cardinality specified for tag {key}: {count_text:?} is not an integer"
                ));
                0
            });
            spec.cardinality = spec.cardinality.min(count);
        }
    }
    spec
}

/// Returns the names of the nodes that should run the job, in no meaningful order.
///
/// `pick(n)` must return an index below `n`; it is called once per chosen node when there are
/// more qualifying nodes than the cardinality allows, and each call removes one node from the
/// draw (uniform sampling without replacement, as Dkron does it).
pub fn select_targets<'a>(
    spec: &TargetSpec,
    candidates: impl IntoIterator<Item = Candidate<'a>>,
    pick: &mut impl FnMut(usize) -> usize,
) -> Vec<String> {
    let mut qualifying: Vec<&str> = candidates
        .into_iter()
        .filter(|candidate| candidate.alive && carries_all(candidate.tags, &spec.tags))
        .map(|candidate| candidate.name)
        .collect();
    if spec.cardinality <= 0 {
        return Vec::new();
    }
    let wanted = usize::try_from(spec.cardinality).unwrap_or(usize::MAX);
    if qualifying.len() <= wanted {
        return qualifying.into_iter().map(str::to_string).collect();
    }
    let mut remaining = qualifying.len();
    for _ in 0..wanted {
        let chosen = pick(remaining).min(remaining - 1);
        remaining -= 1;
        qualifying.swap(chosen, remaining);
    }
    qualifying[remaining..]
        .iter()
        .map(|name| name.to_string())
        .collect()
}

/// Like [`select_targets`], but nodes for which `avoided` holds (say, ones the leader just
/// failed to reach) are chosen only to fill places no other qualifying node can: a job with
/// one target runs elsewhere while another node qualifies, and on an avoided node rather than
/// nowhere.
pub fn select_targets_avoiding<'a>(
    spec: &TargetSpec,
    candidates: impl IntoIterator<Item = Candidate<'a>>,
    avoided: impl Fn(&str) -> bool,
    pick: &mut impl FnMut(usize) -> usize,
) -> Vec<String> {
    let (last_resort, preferred): (Vec<Candidate<'a>>, Vec<Candidate<'a>>) = candidates
        .into_iter()
        .partition(|candidate| avoided(candidate.name));
    let mut chosen = select_targets(spec, preferred, pick);
    let wanted = usize::try_from(spec.cardinality.max(0)).unwrap_or(usize::MAX);
    if chosen.len() < wanted && !last_resort.is_empty() {
        let missing = i64::try_from(wanted - chosen.len()).unwrap_or(i64::MAX);
        let rest = TargetSpec {
            cardinality: missing,
            ..spec.clone()
        };
        chosen.extend(select_targets(&rest, last_resort, pick));
    }
    chosen
}

/// Returns true when a node with `node_tags` carries every tag the job asks for (its count
/// aside): the node may run the job.
pub fn node_matches(spec: &TargetSpec, node_tags: &StringMap) -> bool {
    carries_all(node_tags, &spec.tags)
}

/// Returns true when the node has every wanted tag with exactly the wanted value.
fn carries_all(node_tags: &StringMap, wanted: &StringMap) -> bool {
    wanted
        .iter()
        .all(|(key, value)| node_tags.get(key) == Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn reads_values_and_counts() {
        let spec = parse_job_tags(Some(&map(&[("role", "web:3"), ("dc", "east:2")])));
        assert_eq!(spec.tags, map(&[("role", "web"), ("dc", "east")]));
        assert_eq!(spec.cardinality, 2);
        assert!(spec.warnings.is_empty());

        let none = parse_job_tags(None);
        assert_eq!(none.cardinality, i64::MAX);
        assert!(none.tags.is_empty());

        let bad = parse_job_tags(Some(&map(&[("role", "web:x")])));
        assert_eq!(bad.cardinality, 0);
        assert_eq!(
            bad.warnings,
            ["improper cardinality specified for tag role: \"x\" is not an integer"]
        );

        let two_colons = parse_job_tags(Some(&map(&[("role", "a:b:2")])));
        assert_eq!(two_colons.tags, map(&[("role", "a")]));
        assert_eq!(two_colons.cardinality, i64::MAX);
    }

    #[test]
    fn selects_alive_nodes_with_every_tag() {
        let web_east = map(&[("role", "web"), ("dc", "east")]);
        let web_west = map(&[("role", "web"), ("dc", "west")]);
        let db_east = map(&[("role", "db"), ("dc", "east")]);
        let nodes = [
            Candidate {
                name: "a",
                tags: &web_east,
                alive: true,
            },
            Candidate {
                name: "b",
                tags: &web_west,
                alive: true,
            },
            Candidate {
                name: "c",
                tags: &db_east,
                alive: true,
            },
            Candidate {
                name: "d",
                tags: &web_east,
                alive: false,
            },
        ];
        let mut never = |_: usize| -> usize { panic!("no draw expected") };
        let web = parse_job_tags(Some(&map(&[("role", "web")])));
        assert_eq!(select_targets(&web, nodes, &mut never), ["a", "b"]);
        let web_east_only = parse_job_tags(Some(&map(&[("role", "web"), ("dc", "east")])));
        assert_eq!(select_targets(&web_east_only, nodes, &mut never), ["a"]);
        let all = parse_job_tags(None);
        assert_eq!(select_targets(&all, nodes, &mut never), ["a", "b", "c"]);
        // Values are compared exactly, case included.
        let upper = parse_job_tags(Some(&map(&[("role", "WEB")])));
        assert!(select_targets(&upper, nodes, &mut never).is_empty());
        let zero = parse_job_tags(Some(&map(&[("role", "web:0")])));
        assert!(select_targets(&zero, nodes, &mut never).is_empty());
    }

    #[test]
    fn draws_the_cardinality_without_replacement() {
        let tags = map(&[("server", "true")]);
        let nodes: Vec<Candidate> = ["a", "b", "c", "d"]
            .iter()
            .map(|name| Candidate {
                name,
                tags: &tags,
                alive: true,
            })
            .collect();
        let spec = parse_job_tags(Some(&map(&[("server", "true:2")])));
        let mut draws = Vec::new();
        let mut first = |n: usize| {
            draws.push(n);
            0
        };
        // Draw 0 of 4 swaps "a" to the end; draw 0 of 3 swaps "d" (now first) next to it.
        assert_eq!(select_targets(&spec, nodes.clone(), &mut first), ["d", "a"]);
        assert_eq!(draws, [4, 3]);
        let mut last = |n: usize| n - 1;
        assert_eq!(select_targets(&spec, nodes, &mut last), ["c", "d"]);
    }

    #[test]
    fn avoided_nodes_only_fill_places_no_other_node_can() {
        // Issue 14: a node the leader cannot reach is not chosen while another qualifies.
        let web = map(&[("role", "web")]);
        let nodes = [
            Candidate {
                name: "a",
                tags: &web,
                alive: true,
            },
            Candidate {
                name: "b",
                tags: &web,
                alive: true,
            },
        ];
        let one = parse_job_tags(Some(&map(&[("role", "web:1")])));
        let avoid_a = |name: &str| name == "a";
        for draw in 0..2 {
            let mut pick = |_: usize| draw;
            assert_eq!(
                select_targets_avoiding(&one, nodes, avoid_a, &mut pick),
                ["b"]
            );
        }
        let mut first = |_: usize| 0;
        // Every qualifying node avoided: better one of them than none.
        let both = |_: &str| true;
        assert_eq!(
            select_targets_avoiding(&one, nodes, both, &mut first).len(),
            1
        );
        // Two places and one node avoided: the other first, then the avoided one.
        let two = parse_job_tags(Some(&map(&[("role", "web:2")])));
        assert_eq!(
            select_targets_avoiding(&two, nodes, avoid_a, &mut first),
            ["b", "a"]
        );
        // No count: every qualifying node runs it, avoided or not.
        let all = parse_job_tags(Some(&map(&[("role", "web")])));
        assert_eq!(
            select_targets_avoiding(&all, nodes, avoid_a, &mut first),
            ["b", "a"]
        );
        let none = parse_job_tags(Some(&map(&[("role", "web:0")])));
        assert!(select_targets_avoiding(&none, nodes, avoid_a, &mut first).is_empty());
    }

    #[test]
    fn a_node_matches_when_it_carries_every_tag_whatever_the_count() {
        let spec = parse_job_tags(Some(&map(&[("role", "web:1")])));
        assert!(node_matches(&spec, &map(&[("role", "web"), ("dc", "x")])));
        assert!(!node_matches(&spec, &map(&[("role", "db")])));
        assert!(!node_matches(&spec, &map(&[])));
    }
}
