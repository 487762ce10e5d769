//! Fuzz targets (issue 14): every datagram a gossip port can receive goes through the
//! cipher, our frame decoder and foca's packet decoder; random bytes must never panic.
//! `PROPTEST_CASES=100000 cargo nextest run -p dkron-membership fuzz` runs them long.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use foca::{AccumulatingRuntime, Foca, PostcardCodec};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::cipher::DatagramCipher;
use crate::config::GossipTiming;
use crate::frame::{self, Frame, LeaveNotice};
use crate::identity::NodeIdentity;
use crate::task::FocaInstance;

fn foca() -> FocaInstance {
    let address: SocketAddr = "127.0.0.1:7946".parse().expect("a literal address");
    let identity = NodeIdentity::new("fuzz".into(), address, BTreeMap::new());
    Foca::new(
        identity,
        GossipTiming::fast_for_tests().foca_config(),
        StdRng::seed_from_u64(14),
        PostcardCodec,
    )
}

/// Hands `bytes` to every decoder a received datagram meets, as the gossip task does.
fn receive(bytes: &[u8], foca: &mut FocaInstance) {
    let key = [7u8; 32];
    for cipher in [DatagramCipher::new(None), DatagramCipher::new(Some(&key))] {
        let cipher = cipher.expect("a 32-byte key is valid");
        if let Err(error) = cipher.open(bytes) {
            assert!(!error.reason().is_empty());
        }
    }
    let mut effects = AccumulatingRuntime::new();
    match frame::decode(bytes) {
        Some(Frame::Foca(packet)) => {
            let _outcome_is_either = foca.handle_data(packet, &mut effects).is_ok();
        }
        Some(Frame::Leave(_)) | None => {}
    }
    // foca's own decoder also sees the bytes unframed.
    let _outcome_is_either = foca.handle_data(bytes, &mut effects).is_ok();
}

proptest! {
    #[test]
    fn random_datagrams_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1400)) {
        let mut foca = foca();
        receive(&bytes, &mut foca);
    }

    #[test]
    fn framed_random_packets_never_panic(
        kind in 0u8..4,
        body in prop::collection::vec(any::<u8>(), 0..1400),
    ) {
        let mut framed = vec![kind];
        framed.extend_from_slice(&body);
        let mut foca = foca();
        receive(&framed, &mut foca);
    }

    #[test]
    fn mutated_leave_notices_never_panic(
        name in ".{0,40}",
        generation in any::<u64>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
    ) {
        let notice = LeaveNotice { name, generation };
        let mut bytes = frame::encode_leave(&notice).expect("a notice encodes");
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] ^= value;
        }
        let mut foca = foca();
        receive(&bytes, &mut foca);
    }
}
