use super::*;

fn parse(pairs: &[(&str, &str)]) -> Result<HttpConfig, HttpConfigError> {
    let map = pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    HttpConfig::from_map(&map)
}

fn minimal(extra: &[(&str, &str)]) -> HttpConfig {
    let mut pairs = vec![("method", "GET"), ("url", "http://127.0.0.1:1/x")];
    pairs.extend_from_slice(extra);
    parse(&pairs).unwrap()
}

#[test]
fn method_and_url_are_required() {
    assert_eq!(
        parse(&[("url", "http://127.0.0.1/")])
            .unwrap_err()
            .to_string(),
        "method is empty"
    );
    assert_eq!(
        parse(&[("method", "GET")]).unwrap_err().to_string(),
        "url is empty"
    );
    assert!(matches!(
        parse(&[("method", "GE T"), ("url", "http://127.0.0.1/")]),
        Err(HttpConfigError::Method { .. })
    ));
    assert!(matches!(
        parse(&[("method", "GET"), ("url", "not a url")]),
        Err(HttpConfigError::Url { .. })
    ));
}

#[test]
fn defaults() {
    let config = minimal(&[]);
    assert_eq!(config.timeout, Some(DEFAULT_TIMEOUT));
    assert!(config.headers.is_empty());
    assert!(config.expect_codes.is_empty());
    assert!(config.accepts_status(500));
    assert!(!config.debug);
    assert_eq!(config.tls, TlsSettings::default());
    assert!(config.warnings.is_empty());
}

#[test]
fn headers_split_at_the_first_colon() {
    let config = minimal(&[(
        "headers",
        r#"["Content-Type: application/json", "X-Url:  http://a:b/c ", "broken", "Bad Name: x"]"#,
    )]);
    let pairs: Vec<(String, String)> = config
        .headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("content-type".to_string(), "application/json".to_string()),
            ("x-url".to_string(), "http://a:b/c".to_string()),
        ]
    );
    assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
    assert!(config.warnings[0].contains("\"broken\""));
}

#[test]
fn headers_that_are_not_json_are_a_warning() {
    let config = minimal(&[("headers", "Content-Type: text/plain")]);
    assert!(config.headers.is_empty());
    assert_eq!(config.warnings, ["Error: parsing headers failed"]);
}

#[test]
fn timeout_in_seconds_with_fallback() {
    assert_eq!(
        minimal(&[("timeout", "5")]).timeout,
        Some(Duration::from_secs(5))
    );
    assert_eq!(minimal(&[("timeout", "0")]).timeout, None);
    let invalid = minimal(&[("timeout", "5s")]);
    assert_eq!(invalid.timeout, Some(DEFAULT_TIMEOUT));
    assert!(invalid.warnings[0].starts_with("Warning: invalid timeout value"));
}

#[test]
fn expect_code_matches_items_exactly() {
    let config = minimal(&[("expectCode", "1200, 201,abc")]);
    assert_eq!(config.expect_codes, [1200, 201]);
    assert!(!config.accepts_status(200), "1200 must not accept 200");
    assert!(config.accepts_status(201));
    assert_eq!(config.warnings.len(), 1);
}

#[test]
fn expect_body_must_compile() {
    assert!(minimal(&[("expectBody", "ok|fine")]).expect_body.is_some());
    assert!(matches!(
        parse(&[
            ("method", "GET"),
            ("url", "http://127.0.0.1/"),
            ("expectBody", "(")
        ]),
        Err(HttpConfigError::ExpectBody { .. })
    ));
}

#[test]
fn tls_keys() {
    let config = minimal(&[
        ("tlsNoVerifyPeer", "true"),
        ("tlsCertificateFile", "/c.pem"),
        ("tlsCertificateKeyFile", "/k.pem"),
        ("tlsRootCAsFile", "/ca.pem"),
        ("debug", "1"),
    ]);
    assert!(config.debug);
    assert!(config.tls.no_verify_peer);
    assert_eq!(config.tls.root_cas_file, Some(PathBuf::from("/ca.pem")));
    let invalid = minimal(&[("tlsNoVerifyPeer", "sure")]);
    assert!(!invalid.tls.no_verify_peer);
    assert_eq!(invalid.warnings.len(), 1);
}
