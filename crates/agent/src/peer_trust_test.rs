use super::*;

fn member(name: &str, rpc_addr: &str) -> Due {
    Due {
        name: name.to_string(),
        rpc_addr: rpc_addr.to_string(),
    }
}

fn refused() -> Probe {
    Probe::Refused("invalid peer certificate: UnknownIssuer".into())
}

#[test]
fn a_refused_member_is_refused_at_its_address_only_and_warned_about_once() {
    let trust = PeerTrust::default();
    let start = Instant::now();
    let stranger = member("stranger", "127.0.0.1:7000");
    assert_eq!(
        trust.due(std::slice::from_ref(&stranger), start),
        vec![stranger.clone()]
    );
    // Under way: not handed out twice.
    assert!(trust.due(std::slice::from_ref(&stranger), start).is_empty());
    assert!(
        trust.record(&stranger, refused(), start),
        "first refusal warns"
    );
    assert!(trust.any_refused());
    assert!(trust.refusal("stranger", Some("127.0.0.1:7000")).is_some());
    assert_eq!(trust.refusal("stranger", Some("127.0.0.1:7001")), None);
    assert_eq!(trust.refusal("friend", Some("127.0.0.1:7000")), None);

    // Probed again later; the same refusal does not warn again.
    assert!(trust.due(std::slice::from_ref(&stranger), start).is_empty());
    let later = start + RETRY_REFUSED_AFTER;
    assert_eq!(
        trust.due(std::slice::from_ref(&stranger), later),
        vec![stranger.clone()]
    );
    assert!(!trust.record(&stranger, refused(), later));
    // Unreachable for a moment: still refused.
    let again = later + RETRY_REFUSED_AFTER;
    assert_eq!(trust.due(std::slice::from_ref(&stranger), again).len(), 1);
    assert!(!trust.record(&stranger, Probe::Unanswered, again));
    assert!(trust.refusal("stranger", Some("127.0.0.1:7000")).is_some());
}

#[test]
fn a_member_at_a_new_address_is_probed_again_and_a_fixed_one_is_admitted() {
    let trust = PeerTrust::default();
    let now = Instant::now();
    let old = member("node", "127.0.0.1:7000");
    trust.due(std::slice::from_ref(&old), now);
    trust.record(&old, refused(), now);
    let moved = member("node", "127.0.0.1:7001");
    assert_eq!(
        trust.due(std::slice::from_ref(&moved), now),
        vec![moved.clone()]
    );
    // The old verdict does not hold for the new address, even before the probe answers.
    assert_eq!(trust.refusal("node", Some("127.0.0.1:7001")), None);
    assert!(!trust.any_refused());
    trust.record(&moved, Probe::Trusted, now);
    assert!(
        trust
            .due(std::slice::from_ref(&moved), now + RETRY_REFUSED_AFTER * 10)
            .is_empty()
    );
    // A result for the address it left is ignored.
    assert!(!trust.record(&old, refused(), now));
    assert_eq!(trust.refusal("node", Some("127.0.0.1:7001")), None);
}

#[test]
fn the_set_keeps_its_bound_and_forgets_members_that_are_gone() {
    let trust = PeerTrust::with_capacity(4);
    let now = Instant::now();
    let many: Vec<Due> = (0..10)
        .map(|index| member(&format!("n{index}"), &format!("127.0.0.1:{}", 7000 + index)))
        .collect();
    let due = trust.due(&many, now);
    assert_eq!(due.len(), 4);
    assert_eq!(trust.len(), 4);
    for probed in &due {
        trust.record(probed, Probe::Trusted, now);
    }
    // Members beyond the bound get no entry and are not refused.
    assert!(trust.due(&many, now).is_empty());
    assert_eq!(trust.refusal("n9", Some("127.0.0.1:7009")), None);
    // Members that left free their room.
    let due = trust.due(&many[6..], now);
    assert_eq!(trust.len(), 4);
    assert_eq!(due.len(), 4);
}

#[test]
fn probes_under_way_are_bounded() {
    let trust = PeerTrust::default();
    let now = Instant::now();
    let many: Vec<Due> = (0..100)
        .map(|index| member(&format!("n{index}"), "127.0.0.1:7000"))
        .collect();
    assert_eq!(trust.due(&many, now).len(), MAX_PROBES_IN_FLIGHT);
    assert!(trust.due(&many, now).is_empty());
}

#[test]
fn an_order_that_fails_the_handshake_refuses_the_member_without_a_probe() {
    let trust = PeerTrust::default();
    let now = Instant::now();
    let stranger = member("stranger", "127.0.0.1:7000");
    assert!(trust.refuse(&stranger, "invalid peer certificate".into(), now));
    assert!(
        !trust.refuse(&stranger, "invalid peer certificate".into(), now),
        "warned once"
    );
    assert!(trust.refusal("stranger", Some("127.0.0.1:7000")).is_some());
    // It is probed again later like any refused member, and admitted once it proves itself.
    let later = now + RETRY_REFUSED_AFTER;
    assert_eq!(trust.due(std::slice::from_ref(&stranger), later).len(), 1);
    trust.record(&stranger, Probe::Trusted, later);
    assert!(!trust.any_refused());
}
