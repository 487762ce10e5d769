use super::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn parsed(pairs: &[(&str, &str)]) -> NatsConfig {
    NatsConfig::from_map(&map(pairs)).unwrap()
}

fn refused(pairs: &[(&str, &str)]) -> NatsConfigError {
    NatsConfig::from_map(&map(pairs)).unwrap_err()
}

#[test]
fn dkrons_example_is_accepted() {
    let config = parsed(&[
        ("url", "tls://nats.demo.io:4443"),
        ("message", "the message"),
        ("subject", "myfavoritesubject"),
        ("userName", "someusername"),
        ("password", "somepassword"),
    ]);
    assert_eq!(config.servers.len(), 1);
    assert!(config.servers[0].tls_required());
    assert_eq!(config.servers[0].port(), 4443);
    assert_eq!(config.subject, "myfavoritesubject");
    assert_eq!(config.message, "the message");
    assert_eq!(
        config.credentials,
        Credentials::UserPassword {
            user: "someusername".into(),
            password: "somepassword".into()
        }
    );
    assert!(!config.debug);
}

#[test]
fn missing_keys_use_dkrons_texts() {
    assert_eq!(refused(&[("subject", "a")]), NatsConfigError::UrlEmpty);
    assert_eq!(
        refused(&[("url", " , ,"), ("subject", "a")]),
        NatsConfigError::UrlEmpty
    );
    assert_eq!(
        refused(&[("url", "nats://h")]),
        NatsConfigError::SubjectEmpty
    );
    assert_eq!(NatsConfigError::UrlEmpty.to_string(), "url is empty");
    assert_eq!(
        NatsConfigError::SubjectEmpty.to_string(),
        "subject is empty"
    );
    assert_eq!(NatsConfigError::UrlEmpty.key(), "url");
    assert_eq!(NatsConfigError::SubjectEmpty.key(), "subject");
}

#[test]
fn server_lists_are_split_trimmed_and_defaulted_like_nats_go() {
    let config = parsed(&[
        ("url", " nats://a:4223/ , 127.0.0.1:5000,b,"),
        ("subject", "s"),
    ]);
    let described: Vec<(String, String, u16)> = config
        .servers
        .iter()
        .map(|server| (server.scheme().into(), server.host().into(), server.port()))
        .collect();
    assert_eq!(
        described,
        vec![
            ("nats".into(), "a".into(), 4223),
            ("nats".into(), "127.0.0.1".into(), 5000),
            ("nats".into(), "b".into(), 4222),
        ]
    );
}

#[test]
fn foreign_schemes_and_hostless_entries_are_refused_with_the_url_key() {
    for url in [
        "http://h:4222",
        "ws://h:80",
        "wss://h",
        "nats://",
        "nats://h:notaport",
    ] {
        let error = refused(&[("url", &format!("nats://ok,{url}")), ("subject", "s")]);
        assert!(
            matches!(error, NatsConfigError::BadServer { .. }),
            "{url}: {error:?}"
        );
        assert_eq!(error.key(), "url");
        assert_eq!(error.to_fault().field(), "executor_config.url");
    }
}

#[test]
fn a_refused_entry_does_not_show_its_password() {
    let error = refused(&[("url", "http://app:hunter2@h:4222"), ("subject", "s")]);
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert!(error.to_string().contains("app"), "{error}");
}

#[test]
fn subjects_with_whitespace_are_refused() {
    let error = refused(&[("url", "h"), ("subject", "a b")]);
    assert_eq!(error.key(), "subject");
    assert!(error.to_string().contains("whitespace"), "{error}");
}

#[test]
fn url_user_info_wins_over_the_keys_as_in_nats_go() {
    let config = parsed(&[
        ("url", "nats://h1,nats://app:p%40ss@h2"),
        ("subject", "s"),
        ("userName", "other"),
        ("password", "other"),
    ]);
    assert_eq!(
        config.credentials,
        Credentials::UserPassword {
            user: "app".into(),
            password: "p@ss".into()
        }
    );
    let printed = format!("{:?}", config.servers);
    assert!(
        !printed.contains("p%40ss") && !printed.contains("app"),
        "{printed}"
    );
    let token = parsed(&[("url", "nats://s3cret@h"), ("subject", "s")]);
    assert!(!format!("{:?}", token.servers).contains("s3cret"));
    assert_eq!(token.credentials, Credentials::Token("s3cret".into()));
    let none = parsed(&[("url", "h"), ("subject", "s")]);
    assert_eq!(none.credentials, Credentials::None);
}

#[test]
fn debug_prints_never_show_a_secret() {
    let config = parsed(&[
        ("url", "h"),
        ("subject", "s"),
        ("userName", "app"),
        ("password", "hunter2"),
        ("debug", "1"),
    ]);
    assert!(config.debug);
    let printed = format!("{config:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(!format!("{:?}", Credentials::Token("tok3n".into())).contains("tok3n"));
}

#[test]
fn percent_escapes_are_decoded_and_broken_ones_kept() {
    assert_eq!(percent_decoded("a%40b%3Ac"), "a@b:c");
    assert_eq!(percent_decoded("100%"), "100%");
    assert_eq!(percent_decoded("%zz%+f"), "%zz%+f");
}
