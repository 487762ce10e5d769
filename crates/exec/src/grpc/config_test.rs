use super::*;

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn parse(pairs: &[(&str, &str)]) -> Result<GrpcConfig, GrpcConfigError> {
    GrpcConfig::from_map(&config(pairs))
}

fn refused_key(pairs: &[(&str, &str)]) -> &'static str {
    parse(pairs).expect_err("config accepted").key()
}

const URL: &str = "127.0.0.1:9000/test.TestService/Test";

#[test]
fn dkrons_example_parses_with_its_defaults() {
    let parsed = parse(&[
        ("url", URL),
        ("body", "{\"key\": \"value\"}"),
        ("timeout", "30"),
        ("expectCode", "0"),
    ])
    .unwrap();
    assert_eq!(
        parsed.target,
        GrpcTarget {
            address: "127.0.0.1:9000".to_string(),
            service: "test.TestService".to_string(),
            method: "Test".to_string(),
        }
    );
    assert_eq!(parsed.timeout, Some(Duration::from_secs(30)));
    assert_eq!(parsed.expect_code, Code::Ok);
    let bare = parse(&[("url", URL)]).unwrap();
    assert_eq!(bare.timeout, Some(DEFAULT_TIMEOUT));
    assert!(bare.headers.is_empty() && bare.body.is_empty());
}

#[test]
fn url_shapes() {
    assert_eq!(parse(&[]).unwrap_err(), GrpcConfigError::UrlMissing);
    assert_eq!(
        parse(&[("url", "127.0.0.1:9000")]).unwrap_err().to_string(),
        "we require at least a url and a path to do a proto request"
    );
    let dotted = parse(&[("url", "[::1]:9000/a.b.Svc.Method")]).unwrap();
    assert_eq!(dotted.target.address, "[::1]:9000");
    assert_eq!(dotted.target.service, "a.b.Svc");
    assert_eq!(dotted.target.method, "Method");
    for bad in [
        "127.0.0.1/a.Svc/M",
        ":9000/a.Svc/M",
        "user:pw@host:9000/a.Svc/M",
        "host:9000/",
        "host:9000/Svc",
        "host:9000/a.Svc/",
        "host:9000/a.Svc/M/extra",
        "host:9000/a..Svc/M",
        "host:9000/a.Svc/M-x",
    ] {
        assert_eq!(refused_key(&[("url", bad)]), "url", "{bad}");
    }
}

#[test]
fn timeout_is_whole_seconds_and_zero_means_none() {
    assert_eq!(
        parse(&[("url", URL), ("timeout", "0")]).unwrap().timeout,
        None
    );
    let longest = parse(&[("url", URL), ("timeout", "4294967295")]).unwrap();
    assert_eq!(longest.timeout, Some(Duration::from_secs(4_294_967_295)));
    for bad in ["-1", "1.5", "30s", " 30", "x", "4294967296"] {
        let error = parse(&[("url", URL), ("timeout", bad)]).unwrap_err();
        assert_eq!(error.key(), "timeout");
        assert!(error.to_string().starts_with("Invalid timeout"), "{error}");
    }
}

#[test]
fn expect_code_is_a_status_code() {
    let parsed = parse(&[("url", URL), ("expectCode", "5")]).unwrap();
    assert_eq!(parsed.expect_code, Code::NotFound);
    let last = parse(&[("url", URL), ("expectCode", "16")]).unwrap();
    assert_eq!(last.expect_code, Code::Unauthenticated);
    for bad in ["17", "-1", "OK", "4294967296"] {
        let error = parse(&[("url", URL), ("expectCode", bad)]).unwrap_err();
        assert_eq!(error.key(), "expectCode");
        assert!(
            error.to_string().starts_with("Invalid expectCode"),
            "{error}"
        );
    }
}

#[test]
fn headers_become_lower_case_metadata() {
    let parsed = parse(&[
        ("url", URL),
        (
            "headers",
            r#"["X-Team: ops", "Authorization: Bearer s3cret", "", "x-flag", "trace-bin: AQID"]"#,
        ),
    ])
    .unwrap();
    let metadata = parsed.metadata();
    assert_eq!(metadata.get("x-team").unwrap(), "ops");
    assert_eq!(metadata.get("authorization").unwrap(), "Bearer s3cret");
    assert_eq!(metadata.get("x-flag").unwrap(), "");
    let binary = metadata.get_bin("trace-bin").unwrap().to_bytes().unwrap();
    assert_eq!(binary.as_ref(), &[1, 2, 3]);
    assert_eq!(parsed.headers.len(), 4);
}

#[test]
fn bad_headers_are_refused_without_showing_values() {
    for bad in [r#"{"a": "b"}"#, "X-Team: ops", r#"[1]"#] {
        let error = parse(&[("url", URL), ("headers", bad)]).unwrap_err();
        assert_eq!(error, GrpcConfigError::HeadersNotJson, "{bad}");
        assert!(error.to_string().starts_with("Parsing headers failed"));
    }
    let bad_name = parse(&[("url", URL), ("headers", r#"["bad name: x"]"#)]).unwrap_err();
    assert_eq!(bad_name.key(), "headers");
    let bad_value = parse(&[
        ("url", URL),
        ("headers", "[\"authorization: s3cret\\u0001\"]"),
    ]);
    let error = bad_value.unwrap_err();
    assert_eq!(error.key(), "headers");
    assert!(!error.to_string().contains("s3cret"), "{error}");
}

#[test]
fn body_is_a_json_object() {
    assert!(parse(&[("url", URL), ("body", "  ")]).is_ok());
    assert!(parse(&[("url", URL), ("body", r#"{"name": "x", "n": 2}"#)]).is_ok());
    for bad in ["[1]", "\"text\"", "{\"name\": ", "{} {}"] {
        assert_eq!(refused_key(&[("url", URL), ("body", bad)]), "body", "{bad}");
    }
}

#[test]
fn faults_name_the_key_and_keep_dkrons_words() {
    let fault = parse(&[("url", "x")]).unwrap_err().to_fault();
    assert_eq!(fault.key, "url");
    assert_eq!(fault.field(), "executor_config.url");
    assert_eq!(
        fault.message,
        "we require at least a url and a path to do a proto request"
    );
}
