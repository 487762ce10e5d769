//! The gob subset against gob's documented bytes, against bytes Go really wrote, round trips,
//! and malformed input (which must give an error, never a panic or a huge allocation).

use bytes::BytesMut;
use proptest::prelude::*;

use super::*;
use crate::netrpc::dkron_types::{
    GoExecution, GoTimestamp, ProcessorArgs, execution_type, processor_args_type,
};

pub(crate) fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("test vector is hex"))
        .collect()
}

/// Decodes every message of `stream`, returning the values.
pub(crate) fn decode_all(decoder: &mut Decoder, stream: &[u8]) -> Result<Vec<GobValue>, GobError> {
    let mut buffer = BytesMut::from(stream);
    let mut values = Vec::new();
    while !buffer.is_empty() {
        let Some((message, used)) = take_message(&buffer)? else {
            return Err(GobError::Truncated);
        };
        if let Some(value) = decoder.decode_message(message)? {
            values.push(value);
        }
        let _taken = buffer.split_to(used);
    }
    Ok(values)
}

// Made by `target/test-plugins/dkron-processor-fixture gob-vectors` (the fixture's
// vectors.go: Go 1.19's encoding/gob, one encoder, a ProcessorArgs then an Execution).
const GO_PROCESSOR_ARGS: &str = "36ff810301010d50726f636573736f724172677301ff820001020109457865637574696f6e01ff84000106436f6e66696701ff880000007cff8303010109457865637574696f6e01ff8400010801074a6f624e616d65010c00010953746172746564417401ff8600010a46696e6973686564417401ff860001075375636365737301020001064f7574707574010a0001084e6f64654e616d65010c00010547726f75700104000107417474656d707401060000002dff850301010954696d657374616d7001ff8600010201075365636f6e647301040001054e616e6f73010400000021ff87040101116d61705b737472696e675d737472696e6701ff8800010c010c00003eff820101066261636b75700101fccaa7e20001fc0eb79a2a000201010668656c6c6f0a01066e6f64652d310153010300010106707265666978033e3e2000";
const GO_EXECUTION_AFTER: &str = "0eff840101650201010005fe012c00";

fn vector_args() -> ProcessorArgs {
    ProcessorArgs {
        execution: GoExecution {
            job_name: "backup".to_string(),
            success: true,
            output: b"hello\n".to_vec(),
            node_name: "node-1".to_string(),
            group: -42,
            attempt: 3,
            started_at: Some(GoTimestamp {
                seconds: 1_700_000_000,
                nanos: 123_456_789,
            }),
            finished_at: None,
        },
        config: [("prefix".to_string(), ">> ".to_string())].into(),
    }
}

#[test]
fn go_bytes_decode_to_the_values_go_encoded() {
    let mut decoder = Decoder::new();
    let values = decode_all(&mut decoder, &hex(GO_PROCESSOR_ARGS)).expect("Go's bytes decode");
    assert_eq!(values.len(), 1);
    assert_eq!(
        ProcessorArgs::from_gob(&values[0]).expect("a ProcessorArgs"),
        vector_args()
    );
    let values =
        decode_all(&mut decoder, &hex(GO_EXECUTION_AFTER)).expect("the same stream goes on");
    let execution = GoExecution::from_gob(&values[0]).expect("an Execution");
    assert_eq!(
        execution,
        GoExecution {
            job_name: "e".to_string(),
            attempt: 300,
            finished_at: Some(GoTimestamp {
                seconds: -1,
                nanos: 0
            }),
            ..GoExecution::default()
        }
    );
}

#[test]
fn the_go_stream_needs_its_type_definitions() {
    let error =
        decode_all(&mut Decoder::new(), &hex(GO_EXECUTION_AFTER)).expect_err("no definitions");
    assert_eq!(error, GobError::UnknownType(66));
}

#[test]
fn a_struct_encodes_as_gobs_documentation_shows() {
    let point = GobType::Struct(StructType::new(
        "Point",
        vec![("X", GobType::Int), ("Y", GobType::Int)],
    ));
    let value = GobValue::Struct(vec![
        ("X".to_string(), GobValue::Int(22)),
        ("Y".to_string(), GobValue::Int(33)),
    ]);
    let mut encoder = Encoder::new();
    let mut out = Vec::new();
    encoder.encode(&point, &value, &mut out).expect("encodes");
    let documented =
        "1fff810301010550 6f696e7401ff8200 0102010158010400 0101590104000000 07ff82012c014200";
    assert_eq!(out, hex(&documented.replace(' ', "")));
    out.clear();
    encoder
        .encode(&point, &value, &mut out)
        .expect("encodes again");
    assert_eq!(
        out,
        hex("07ff82012c014200"),
        "a type is defined once per stream"
    );
}

#[test]
fn a_single_value_travels_as_a_field() {
    let mut out = Vec::new();
    Encoder::new()
        .encode(&GobType::Int, &GobValue::Int(3), &mut out)
        .expect("encodes");
    assert_eq!(out, [0x03, 0x04, 0x00, 0x06]);
}

#[test]
fn our_bytes_decode_back_through_our_decoder() {
    let mut encoder = Encoder::new();
    let mut out = Vec::new();
    encoder
        .encode(&processor_args_type(), &vector_args().to_gob(), &mut out)
        .expect("encodes");
    let values = decode_all(&mut Decoder::new(), &out).expect("decodes");
    assert_eq!(
        ProcessorArgs::from_gob(&values[0]).expect("a ProcessorArgs"),
        vector_args()
    );
}

#[test]
fn floats_slices_and_nested_types_round_trip() {
    let inner = GobType::Struct(StructType::new("Inner", vec![("Ratio", GobType::Float)]));
    let ty = GobType::Struct(StructType::new(
        "Outer",
        vec![
            ("Items", GobType::Slice(Box::new(inner))),
            (
                "Counts",
                GobType::Map(Box::new(GobType::Uint), Box::new(GobType::Int)),
            ),
        ],
    ));
    let item = |ratio: f64| GobValue::Struct(vec![("Ratio".to_string(), GobValue::Float(ratio))]);
    let value = GobValue::Struct(vec![
        (
            "Items".to_string(),
            GobValue::Slice(vec![item(0.5), item(-1e300)]),
        ),
        (
            "Counts".to_string(),
            GobValue::Map(vec![(GobValue::Uint(1), GobValue::Int(-1))]),
        ),
    ]);
    let mut out = Vec::new();
    let mut encoder = Encoder::new();
    encoder.encode(&ty, &value, &mut out).expect("encodes");
    encoder
        .encode(&ty, &value, &mut out)
        .expect("encodes again");
    let values = decode_all(&mut Decoder::new(), &out).expect("decodes");
    assert_eq!(values, vec![value.clone(), value]);
}

#[test]
fn a_value_of_the_wrong_type_is_refused_without_output() {
    let mut out = Vec::new();
    let error = Encoder::new().encode(&GobType::String, &GobValue::Int(1), &mut out);
    assert!(matches!(error, Err(GobError::Mismatch(_))));
    assert!(out.is_empty());
}

#[test]
fn a_message_length_of_two_to_the_62_is_refused_before_buffering() {
    let mut stream = Vec::new();
    put_uint(&mut stream, 1 << 62);
    stream.extend_from_slice(&[0xff, 0x81]);
    assert_eq!(
        take_message(&stream),
        Err(GobError::MessageTooLong(1 << 62))
    );
}

/// A stream defining struct type 65 whose only field is of type 65 itself (a Go
/// `type T struct{ Next *T }`), then a value nested `levels` deep.
fn self_nesting_stream(levels: usize) -> Vec<u8> {
    let mut definition = vec![0xff, 0x81];
    super::wire_type::put_wire_type(
        &mut definition,
        65,
        "T",
        &super::wire_type::WireType::Struct {
            name: "T".to_string(),
            fields: vec![("Next".to_string(), 65)],
        },
    );
    let mut value = vec![0xff, 0x82];
    value.extend(std::iter::repeat_n(0x01, levels - 1));
    value.extend(std::iter::repeat_n(0x00, levels));
    let mut stream = Vec::new();
    for message in [definition, value] {
        put_uint(&mut stream, message.len() as u64);
        stream.extend_from_slice(&message);
    }
    stream
}

#[test]
fn nesting_is_bounded() {
    assert!(decode_all(&mut Decoder::new(), &self_nesting_stream(MAX_DEPTH)).is_ok());
    let error =
        decode_all(&mut Decoder::new(), &self_nesting_stream(100_000)).expect_err("too deep");
    assert_eq!(error, GobError::TooDeep);
}

#[test]
fn a_huge_element_count_is_refused() {
    // `[]int` defined as type 65, then a value claiming 2^40 elements.
    let mut definition = vec![0xff, 0x81];
    super::wire_type::put_wire_type(
        &mut definition,
        65,
        "[]int",
        &super::wire_type::WireType::Slice { elem: 2 },
    );
    let mut value = vec![0xff, 0x82, 0x00];
    put_uint(&mut value, 1 << 40);
    value.extend_from_slice(&[2, 4, 6]);
    let mut stream = Vec::new();
    for message in [definition, value] {
        put_uint(&mut stream, message.len() as u64);
        stream.extend_from_slice(&message);
    }
    let error = decode_all(&mut Decoder::new(), &stream).expect_err("count past the message");
    assert!(matches!(error, GobError::CountTooLarge { count, .. } if count == 1 << 40));
}

fn arbitrary_timestamp() -> impl Strategy<Value = Option<GoTimestamp>> {
    proptest::option::of(
        (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| GoTimestamp { seconds, nanos }),
    )
}

prop_compose! {
    fn arbitrary_execution()(
        job_name in ".{0,20}", success: bool, output in proptest::collection::vec(any::<u8>(), 0..300),
        node_name in ".{0,12}", group: i64, attempt: u32,
        started_at in arbitrary_timestamp(), finished_at in arbitrary_timestamp(),
    ) -> GoExecution {
        GoExecution { job_name, success, output, node_name, group, attempt, started_at, finished_at }
    }
}

prop_compose! {
    fn arbitrary_args()(
        execution in arbitrary_execution(),
        config in proptest::collection::btree_map(".{0,8}", ".{0,8}", 0..5),
    ) -> ProcessorArgs {
        ProcessorArgs { execution, config }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn processor_args_and_executions_round_trip(args in arbitrary_args(), execution in arbitrary_execution()) {
        let mut encoder = Encoder::new();
        let mut out = Vec::new();
        encoder.encode(&processor_args_type(), &args.to_gob(), &mut out).unwrap();
        encoder.encode(&execution_type(), &execution.to_gob(), &mut out).unwrap();
        let values = decode_all(&mut Decoder::new(), &out).unwrap();
        prop_assert_eq!(ProcessorArgs::from_gob(&values[0]).unwrap(), args);
        prop_assert_eq!(GoExecution::from_gob(&values[1]).unwrap(), execution);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _result = decode_all(&mut Decoder::new(), &bytes);
    }

    #[test]
    fn mutated_go_bytes_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        huge in any::<prop::sample::Index>(),
    ) {
        let mut stream = hex(GO_PROCESSOR_ARGS);
        stream.extend(hex(GO_EXECUTION_AFTER));
        for (at, byte) in flips {
            let at = at.index(stream.len());
            stream[at] = byte;
        }
        let mut decoder = Decoder::new();
        if let Ok(values) = decode_all(&mut decoder, &stream) {
            for value in &values {
                let _args = ProcessorArgs::from_gob(value);
                let _execution = GoExecution::from_gob(value);
            }
        }
        // The same stream cut short, and with an 8-byte count spliced in.
        let _cut = decode_all(&mut Decoder::new(), &stream[..cut.index(stream.len())]);
        let at = huge.index(stream.len());
        let mut spliced = stream[..at].to_vec();
        spliced.extend_from_slice(&[0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        spliced.extend_from_slice(&stream[at..]);
        let _spliced = decode_all(&mut Decoder::new(), &spliced);
    }
}
