use super::*;

fn load(env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load(ConfigFile::None, &env)
}

fn error(env: &[(&str, &str)]) -> String {
    match load(env) {
        Ok(_) => panic!("{env:?} should be refused"),
        Err(e) => e.to_string(),
    }
}

fn load_file(contents: &str) -> Result<Settings, SettingsError> {
    load_file_and_env(contents, &[])
}

/// `contents` as config.toml, then the variables `env`.
fn load_file_and_env(contents: &str, env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let dir = std::env::temp_dir().join(format!(
        "twofa-settings-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("config.toml");
    std::fs::write(&path, contents).expect("write");
    let env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = Settings::load(ConfigFile::Required(path), &env);
    let _ = std::fs::remove_dir_all(dir);
    settings
}

fn file_error(contents: &str) -> String {
    match load_file(contents) {
        Ok(_) => panic!("{contents:?} should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn with_nothing_configured_the_defaults_use_the_console() {
    let settings = load(&[]).expect("defaults are valid");
    assert_eq!(settings.server.listen.to_string(), "127.0.0.1:3000");
    assert!(matches!(settings.sms, SmsSettings::Console));
    assert_eq!(settings.otp.format.length, 6);
    assert_eq!(settings.otp.format.alphabet, Alphabet::Digits);
    assert_eq!(settings.otp.ttl, Duration::from_secs(600));
    assert_eq!(settings.otp.max_attempts, 5);
    assert_eq!(settings.phone.default_country.code(), 1);
    assert!(settings.warnings().iter().any(|w| w.contains("NOT texted")));
}

#[test]
fn environment_variables_override_defaults() {
    let settings = load(&[
        ("TWOFA_SERVER__LISTEN", "0.0.0.0:8080"),
        ("TWOFA_SMS__PROVIDER", "console"),
        ("TWOFA_OTP__LENGTH", "8"),
        ("TWOFA_OTP__ALPHABET", "hex"),
        ("TWOFA_PHONE__COUNTRY_CODE", "+44"),
    ])
    .expect("valid");
    assert_eq!(settings.server.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(settings.otp.format.length, 8);
    assert_eq!(settings.otp.format.alphabet, Alphabet::Hex);
    assert_eq!(settings.phone.default_country.code(), 44);
}

#[test]
fn choices_are_read_in_any_case() {
    let settings = load(&[
        ("TWOFA_OTP__ALPHABET", "HEX"),
        ("TWOFA_SMS__PROVIDER", "Console"),
        ("TWOFA_STORE__BACKEND", "Memory"),
    ])
    .expect("valid");
    assert_eq!(settings.otp.format.alphabet, Alphabet::Hex);
    assert!(matches!(settings.sms, SmsSettings::Console));
    assert!(matches!(settings.store, StoreSettings::Memory));
}

#[test]
fn a_wrong_choice_lists_the_right_ones_and_says_where_it_came_from() {
    assert_eq!(
        error(&[("TWOFA_OTP__ALPHABET", "letters")]),
        "otp.alphabet must be \"digits\" or \"hex\" (got \"letters\" in TWOFA_OTP__ALPHABET)"
    );
    let problem = file_error("[otp]\nalphabet = \"emoji\"\n");
    assert!(
        problem.starts_with("otp.alphabet must be \"digits\" or \"hex\" (got \"emoji\" in "),
        "{problem}"
    );
    assert!(problem.ends_with("config.toml)"), "{problem}");
}

#[test]
fn an_api_key_alone_selects_telnyx_and_needs_a_sender() {
    let problem = error(&[("TWOFA_TELNYX__API_KEY", "KEY")]);
    assert!(
        problem.starts_with("telnyx.from_number or telnyx.messaging_profile_id is required"),
        "{problem}"
    );
    let settings = load(&[
        ("TWOFA_TELNYX__API_KEY", "KEY"),
        ("TWOFA_TELNYX__FROM_NUMBER", "+15550001111"),
        ("TWOFA_SERVER__COOKIE_KEY", &STANDARD.encode([7u8; 64])),
        ("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com"),
    ])
    .expect("valid");
    assert!(matches!(settings.sms, SmsSettings::Telnyx(_)));
    assert!(settings.warnings().is_empty(), "{:?}", settings.warnings());
}

fn telnyx_key(settings: &Settings) -> Option<String> {
    match &settings.sms {
        SmsSettings::Telnyx(telnyx) => Some(telnyx.api_key.expose_secret().to_owned()),
        SmsSettings::Console => None,
    }
}

#[test]
fn telnyx_api_key_is_honoured_but_twofa_wins() {
    let settings = load(&[
        ("TELNYX_API_KEY", "plain"),
        ("TWOFA_TELNYX__MESSAGING_PROFILE_ID", "p"),
    ])
    .expect("valid");
    assert_eq!(telnyx_key(&settings), Some("plain".into()));
    let settings = load(&[
        ("TELNYX_API_KEY", "plain"),
        ("TWOFA_TELNYX__API_KEY", "prefixed"),
        ("TWOFA_TELNYX__MESSAGING_PROFILE_ID", "p"),
    ])
    .expect("valid");
    assert_eq!(telnyx_key(&settings), Some("prefixed".into()));
}

#[test]
fn the_telnyx_provider_without_a_key_is_refused() {
    let problem = error(&[("TWOFA_SMS__PROVIDER", "telnyx")]);
    assert!(
        problem.starts_with("telnyx.api_key is required"),
        "{problem}"
    );
}

#[test]
fn bad_values_are_named_in_one_line_with_where_they_came_from() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("TWOFA_OTP__LENGTH", "42")],
            "otp.length must be between 4 and 10 (got 42 in TWOFA_OTP__LENGTH)",
        ),
        (
            &[("TWOFA_OTP__LENGTH", "3")],
            "otp.length must be between 4 and 10 (got 3 in TWOFA_OTP__LENGTH)",
        ),
        (
            &[("TWOFA_OTP__TTL_SECS", "0")],
            "otp.ttl_secs must be at least 1",
        ),
        (
            &[("TWOFA_OTP__MAX_ATTEMPTS", "0")],
            "otp.max_attempts must be at least 1",
        ),
        (
            &[("TWOFA_TELNYX__TIMEOUT_SECS", "0")],
            "telnyx.timeout_secs must be at least 1",
        ),
        (
            &[("TWOFA_SERVER__LISTEN", "localhost")],
            "server.listen must be an address",
        ),
        (
            &[("TWOFA_SERVER__LISTEN", "example.com:80")],
            "server.listen names a host that",
        ),
        (
            &[("TWOFA_PHONE__COUNTRY_CODE", "1")],
            "phone.country_code must be a calling code",
        ),
        (
            &[("TWOFA_TELNYX__API_BASE", "ftp://x")],
            "telnyx.api_base must be an http(s) URL",
        ),
        (
            &[("TWOFA_LIMITS__SENDS_PER_PHONE_PER_HOUR", "99999999999")],
            "limits.sends_per_phone_per_hour must be at most 4294967295",
        ),
    ];
    for (env, expected) in cases {
        let problem = error(env);
        assert!(
            problem.starts_with(expected),
            "{problem:?} should start with {expected:?}"
        );
        assert!(!problem.contains('\n'));
    }
}

#[test]
fn a_host_name_that_resolves_to_loopback_is_a_listen_address() {
    let settings = load(&[("TWOFA_SERVER__LISTEN", "localhost:3000")]).expect("valid");
    assert!(settings.server.listen.ip().is_loopback());
    assert_eq!(settings.server.listen.port(), 3000);
    let settings = load(&[("TWOFA_SERVER__ADMIN_LISTEN", "localhost:9100")]).expect("valid");
    let admin = settings.server.admin_listen.expect("set");
    assert!(admin.ip().is_loopback());
    assert_eq!(admin.port(), 9100);
}

#[test]
fn a_listen_host_name_is_refused_in_one_line_that_says_why() {
    let cases = [
        (
            "localhost",
            "server.listen must be an address and port such as 127.0.0.1:3000, 0.0.0.0:3000 \
             or localhost:3000; the port is missing (got \"localhost\" in TWOFA_SERVER__LISTEN)",
        ),
        (
            "localhost:http",
            "server.listen must be an address and port such as 127.0.0.1:3000, 0.0.0.0:3000 \
             or localhost:3000; the port must be a number from 0 to 65535 \
             (got \"localhost:http\" in TWOFA_SERVER__LISTEN)",
        ),
        (
            "::1:3000",
            "server.listen must be an address and port such as 127.0.0.1:3000, 0.0.0.0:3000 \
             or localhost:3000; an IPv6 address goes in brackets, such as [::1]:3000 \
             (got \"::1:3000\" in TWOFA_SERVER__LISTEN)",
        ),
    ];
    for (listen, expected) in cases {
        assert_eq!(error(&[("TWOFA_SERVER__LISTEN", listen)]), expected);
    }
    // .invalid never resolves (RFC 6761).
    let problem = error(&[("TWOFA_SERVER__LISTEN", "no-such-host.invalid:3000")]);
    assert!(
        problem.starts_with("server.listen names a host that could not be resolved ("),
        "{problem}"
    );
    assert!(
        problem.ends_with(
            "write an address such as 127.0.0.1:3000 \
             (got \"no-such-host.invalid:3000\" in TWOFA_SERVER__LISTEN)"
        ),
        "{problem}"
    );
    assert!(!problem.contains('\n'), "{problem}");
    let problem = file_error("[server]\nadmin_listen = \"localhost\"\n");
    assert!(
        problem
            .starts_with("server.admin_listen must be an address and port such as 127.0.0.1:9100"),
        "{problem}"
    );
    assert!(problem.ends_with("config.toml)"), "{problem}");
}

#[test]
fn of_a_host_name_s_addresses_the_loopback_one_is_listened_on_ipv4_first() {
    let address = |text: &str| text.parse::<SocketAddr>().expect("an address");
    assert_eq!(
        loopback_of(&[
            address("192.0.2.1:3000"),
            address("[::1]:3000"),
            address("127.0.0.1:3000")
        ]),
        Some(address("127.0.0.1:3000"))
    );
    assert_eq!(
        loopback_of(&[address("192.0.2.1:3000"), address("[::1]:3000")]),
        Some(address("[::1]:3000"))
    );
    assert_eq!(loopback_of(&[address("192.0.2.1:3000")]), None);
    assert_eq!(loopback_of(&[]), None);
}

#[test]
fn a_value_out_of_range_says_where_it_came_from() {
    for (env, expected) in [
        (
            ("TWOFA_OTP__TTL_SECS", "0"),
            "otp.ttl_secs must be at least 1 (got 0 in TWOFA_OTP__TTL_SECS)",
        ),
        (
            ("TWOFA_PUMPING__WINDOW_SECS", "5"),
            "pumping.window_secs must be at least 60 (got 5 in TWOFA_PUMPING__WINDOW_SECS)",
        ),
        (
            ("TWOFA_PUMPING__MIN_CONVERSION", "2"),
            "pumping.min_conversion must be a fraction from 0 to 1, e.g. 0.2 for one verified \
             code in five (got 2.0 in TWOFA_PUMPING__MIN_CONVERSION)",
        ),
        (
            ("TWOFA_LIMITS__SMS_PER_HOUR", "0"),
            "limits.sms_per_hour must be at least 1 (got 0 in TWOFA_LIMITS__SMS_PER_HOUR)",
        ),
        (
            ("TWOFA_VERIFY_PROFILES__SHOP__CODE_LENGTH", "11"),
            "verify_profiles.shop.code_length must be between 4 and 10 \
             (got 11 in TWOFA_VERIFY_PROFILES__SHOP__CODE_LENGTH)",
        ),
        (
            ("TWOFA_BRANDING__NAME", "Acme\nCorp"),
            "branding.name must be 1 to 40 characters on one line (it is in every SMS) \
             (got \"Acme\\nCorp\" in TWOFA_BRANDING__NAME)",
        ),
    ] {
        assert_eq!(error(&[env]), expected);
    }
    for (file, expected) in [
        (
            "[otp]\nttl_secs = 0\n",
            "otp.ttl_secs must be at least 1 (got 0 in ",
        ),
        (
            "[otp]\nlength = 11\n",
            "otp.length must be between 4 and 10 (got 11 in ",
        ),
        (
            "[verify_profiles.Shop]\ncode_length = 3\n",
            "verify_profiles.Shop.code_length must be between 4 and 10 (got 3 in ",
        ),
    ] {
        let problem = file_error(file);
        assert!(problem.starts_with(expected), "{problem}");
        assert!(problem.ends_with("config.toml)"), "{problem}");
    }
}

#[test]
fn a_profile_named_in_another_case_in_the_environment_is_blamed_on_the_environment() {
    let problem = load_file_and_env(
        "[verify_profiles.Shop]\nname = \"Shop\"\n",
        &[("TWOFA_VERIFY_PROFILES__SHOP__CODE_LENGTH", "99")],
    )
    .map(|_| ());
    assert_eq!(
        problem.map_err(|e| e.to_string()),
        Err("verify_profiles.Shop.code_length must be between 4 and 10 \
             (got 99 in TWOFA_VERIFY_PROFILES__SHOP__CODE_LENGTH)"
            .to_owned())
    );
}

#[test]
fn values_of_the_wrong_kind_are_refused_with_their_key() {
    for (env, expected) in [
        (
            ("TWOFA_OTP__LENGTH", "six"),
            "otp.length must be a whole number, 0 or more (got \"six\" in TWOFA_OTP__LENGTH)",
        ),
        (
            ("TWOFA_OTP__WEBOTP", "maybe"),
            "otp.webotp must be true or false (got \"maybe\" in TWOFA_OTP__WEBOTP)",
        ),
        (
            ("TWOFA_SMS__PROVIDER", "pigeon"),
            "sms.provider must be \"telnyx\" or \"console\" (got \"pigeon\" in TWOFA_SMS__PROVIDER)",
        ),
    ] {
        assert_eq!(error(&[env]), expected);
    }
    let problem = file_error("[otp]\nlength = \"six\"\n");
    assert!(
        problem.starts_with("otp.length must be a whole number, 0 or more (got \"six\" in "),
        "{problem}"
    );
}

#[test]
fn a_variable_that_names_no_setting_is_refused_with_the_closest_real_one() {
    assert_eq!(
        error(&[("TWOFA_OTP_LENGTH", "8")]),
        "the environment variable TWOFA_OTP_LENGTH names no setting; did you mean TWOFA_OTP__LENGTH?"
    );
    assert_eq!(
        error(&[("TWOFA_OTP__LENGHT", "6")]),
        "the environment variable TWOFA_OTP__LENGHT names no setting; did you mean TWOFA_OTP__LENGTH?"
    );
    assert!(load(&[("TWOFA_TEST_REDIS_URL", "redis://x"), ("TWOFA_CONFIG", "x")]).is_ok());
}

#[test]
fn a_misspelt_section_or_key_in_the_file_is_refused_with_the_closest_real_one() {
    let problem = file_error("[sever]\nlisten = \"127.0.0.1:3000\"\n");
    assert!(
        problem.starts_with("sever is not a setting (in "),
        "{problem}"
    );
    assert!(problem.ends_with("did you mean server?"), "{problem}");
    let problem = file_error("[otp]\nlenght = 6\n");
    assert!(
        problem.starts_with("otp.lenght is not a setting"),
        "{problem}"
    );
    assert!(problem.ends_with("did you mean otp.length?"), "{problem}");
    let problem = file_error("listen = 1\n");
    assert!(problem.starts_with("listen is not a setting"), "{problem}");
}

#[test]
fn a_file_that_is_not_toml_is_refused_in_one_line() {
    let problem = file_error("[otp\nlength = 6\n");
    assert!(problem.contains("is not valid TOML"), "{problem}");
    assert!(!problem.contains('\n'), "{problem}");
}

#[test]
fn the_limits_default_to_the_documented_figures() {
    let settings = load(&[]).expect("defaults are valid");
    let limits = &settings.limits;
    assert_eq!(limits.resend_cooldown, Duration::from_secs(30));
    assert_eq!(limits.sends_per_phone_per_hour, 5);
    assert_eq!(limits.sends_per_ip_per_hour, 20);
    assert_eq!(limits.max_pending, 100_000);
    assert_eq!(limits.verify_failures_per_ip_per_hour, 100);
    assert_eq!(settings.server.forwarded_for, ForwardedFor::Ignored);
    assert!(
        settings
            .warnings()
            .iter()
            .any(|w| w.contains("server.cookie_key is not set"))
    );
}

#[test]
fn lists_can_be_given_as_comma_separated_environment_values() {
    let settings = load(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "US, CA,GB")]).expect("valid");
    assert_eq!(
        settings.phone.countries,
        CountryPolicy::parse(&["US".into(), "CA".into(), "GB".into()]).expect("valid")
    );
    let settings = load(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "*")]).expect("valid");
    assert!(
        settings
            .warnings()
            .iter()
            .any(|w| w.contains("every country"))
    );
    let problem = error(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "US,Narnia")]);
    assert!(
        problem.starts_with("phone.allowed_countries must be ISO country codes"),
        "{problem}"
    );
}

#[test]
fn a_cookie_key_must_be_base64_of_at_least_32_bytes_and_is_never_echoed() {
    for good in [
        STANDARD.encode([1u8; 32]),
        STANDARD.encode([1u8; 64]),
        STANDARD.encode([1u8; 100]),
    ] {
        let settings = load(&[("TWOFA_SERVER__COOKIE_KEY", &good)]).expect("valid");
        assert_eq!(settings.server.master_keys.len(), 1);
    }
    for (bad, detail) in [
        ("not base64!", "not base64"),
        (&*STANDARD.encode([1u8; 16]), "holds 16 bytes"),
    ] {
        let problem = error(&[("TWOFA_SERVER__COOKIE_KEY", bad)]);
        assert!(
            problem.starts_with("server.cookie_key must be base64"),
            "{problem}"
        );
        assert!(problem.contains(detail), "{problem}");
        assert!(
            problem.ends_with("(set in TWOFA_SERVER__COOKIE_KEY)"),
            "{problem}"
        );
        assert!(!problem.contains(bad), "the key itself is not echoed");
    }
}

#[test]
fn limits_of_zero_are_refused_except_the_cooldown() {
    for key in [
        "TWOFA_LIMITS__SENDS_PER_PHONE_PER_HOUR",
        "TWOFA_LIMITS__SENDS_PER_IP_PER_HOUR",
        "TWOFA_LIMITS__MAX_PENDING",
        "TWOFA_LIMITS__VERIFY_FAILURES_PER_IP_PER_HOUR",
    ] {
        let problem = error(&[(key, "0")]);
        assert!(
            problem.contains("must be at least 1 (got 0 in "),
            "{problem}"
        );
    }
    assert!(load(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")]).is_ok());
}

#[test]
fn a_client_timeout_of_more_than_an_hour_is_refused() {
    let problem = error(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "9000000000000000000")]);
    assert!(problem.contains("must be at most 3600"), "{problem}");
    let problem = error(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "3601")]);
    assert!(problem.contains("must be at most 3600"), "{problem}");
    let settings = load(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "3600")]).expect("an hour");
    assert_eq!(settings.server.client_timeout, Duration::from_secs(3600));
    assert!(error(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "0")]).contains("must be at least 1"));
}

#[test]
fn a_duration_of_more_than_a_year_is_refused() {
    for key in [
        "TWOFA_OTP__TTL_SECS",
        "TWOFA_LIMITS__RESEND_COOLDOWN_SECS",
        "TWOFA_SERVER__SHUTDOWN_GRACE_SECS",
        "TWOFA_TELNYX__TIMEOUT_SECS",
        "TWOFA_PUMPING__WINDOW_SECS",
        "TWOFA_PUMPING__BLOCK_SECS",
    ] {
        let problem = error(&[(key, "9000000000000000000")]);
        assert!(
            problem.contains("must be at most 31536000"),
            "{key}: {problem}"
        );
    }
    assert!(load(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "31536000")]).is_ok());
}

#[test]
fn the_redis_backend_needs_a_usable_url_and_warns_without_a_cookie_key() {
    let settings = load(&[]).expect("defaults");
    assert!(matches!(settings.store, StoreSettings::Memory));
    let problem = error(&[("TWOFA_STORE__BACKEND", "redis")]);
    assert!(
        problem.starts_with("store.redis_url is required"),
        "{problem}"
    );
    let problem = error(&[
        ("TWOFA_STORE__BACKEND", "redis"),
        ("TWOFA_STORE__REDIS_URL", "http://user:hunter2@x"),
    ]);
    assert!(
        problem.starts_with("store.redis_url must be a redis://"),
        "{problem}"
    );
    assert!(!problem.contains("hunter2"), "{problem}");
    let settings = load(&[
        ("TWOFA_STORE__BACKEND", "redis"),
        ("TWOFA_STORE__REDIS_URL", "redis://127.0.0.1:6379/0"),
    ])
    .expect("valid");
    match &settings.store {
        StoreSettings::Redis(redis) => assert_eq!(redis.key_prefix, "twofa:"),
        StoreSettings::Memory => panic!("redis was asked for"),
    }
    assert!(
        settings
            .warnings()
            .iter()
            .any(|w| w.contains("works only on the instance that set it"))
    );
}

#[test]
fn a_public_url_must_be_http_or_https() {
    let settings = load(&[("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com")]);
    assert!(settings.expect("valid").server.is_https());
    let problem = error(&[("TWOFA_SERVER__PUBLIC_URL", "verify.example.com")]);
    assert!(
        problem.starts_with("server.public_url must be an http(s) URL"),
        "{problem}"
    );
}

#[test]
fn a_weak_code_is_allowed_with_a_warning() {
    let settings =
        load(&[("TWOFA_OTP__LENGTH", "4"), ("TWOFA_OTP__ALPHABET", "hex")]).expect("valid");
    assert!(
        settings
            .warnings()
            .iter()
            .any(|w| w.contains("65536 possible codes"))
    );
}

#[test]
fn a_config_file_is_read_and_the_environment_wins_over_it() {
    let dir = std::env::temp_dir().join(format!("twofa-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("config.toml");
    std::fs::write(&path, "[otp]\nlength = 8\nttl_secs = 300\n").expect("write");
    let env = HashMap::from([("TWOFA_OTP__LENGTH".to_owned(), "7".to_owned())]);
    let settings = Settings::load(ConfigFile::Required(path.clone()), &env).expect("valid");
    assert_eq!(settings.otp.format.length, 7);
    assert_eq!(settings.otp.ttl, Duration::from_secs(300));
    let missing = Settings::load(ConfigFile::Required(dir.join("nope.toml")), &HashMap::new());
    assert!(missing.is_err());
    let absent = Settings::load(
        ConfigFile::IfPresent(dir.join("nope.toml")),
        &HashMap::new(),
    );
    assert!(absent.is_ok());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_example_config_file_is_valid_and_matches_the_defaults() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let settings =
        Settings::load(ConfigFile::Required(path), &HashMap::new()).expect("example is valid");
    assert_eq!(settings.otp.format.length, 6);
    assert!(matches!(settings.sms, SmsSettings::Console));
}

fn key_file() -> String {
    format!(
        "{}/tests/fixtures/oidc-test-key.pem",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn oidc_clients_are_read_from_the_file_and_the_environment() {
    let key = key_file();
    let settings = load_file(&format!(
        "[server]\npublic_url = \"https://verify.example.com\"\n\
         [oidc]\nsigning_key_file = \"{key}\"\n\
         [oidc.clients.MyApp]\nname = \"My App\"\nredirect_uris = [\"https://app.example.com/cb\"]\n"
    ))
    .expect("valid");
    let client = &settings.oidc.clients[0];
    assert_eq!(client.id, "MyApp", "a name keeps the case the file gave it");
    assert_eq!(client.name, "My App");
    assert!(client.secret.is_none());
    assert!(settings.oidc.signing_key.is_some());
    assert_eq!(settings.oidc.id_token_ttl, Duration::from_secs(300));
    let settings = load(&[
        ("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com"),
        (
            "TWOFA_OIDC__CLIENTS__EXAMPLE__SECRET",
            "0123456789abcdef0123",
        ),
        (
            "TWOFA_OIDC__CLIENTS__EXAMPLE__REDIRECT_URIS",
            "https://a.example/cb,http://localhost:8080/cb",
        ),
    ])
    .expect("valid");
    let client = &settings.oidc.clients[0];
    assert_eq!(
        client.id, "example",
        "names from the environment are lower case"
    );
    assert_eq!(client.name, "example");
    assert_eq!(client.redirect_uris.len(), 2);
    assert!(
        settings
            .warnings()
            .iter()
            .any(|w| w.contains("oidc.signing_key_file is not set")),
        "{:?}",
        settings.warnings()
    );
}

#[test]
fn oidc_clients_need_a_public_url_safe_redirect_uris_and_long_secrets() {
    let client = [(
        "TWOFA_OIDC__CLIENTS__APP__REDIRECT_URIS",
        "https://app.example.com/cb",
    )];
    assert!(
        error(&client)
            .starts_with("server.public_url is required when oidc clients are registered"),
        "{}",
        error(&client)
    );
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut env = vec![("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com")];
        env.extend_from_slice(extra);
        error(&env)
    };
    for uri in [
        "http://app.example.com/cb",
        "https://app.example.com/cb#x",
        "/cb",
        "ftp://x/cb",
    ] {
        let problem = with(&[("TWOFA_OIDC__CLIENTS__APP__REDIRECT_URIS", uri)]);
        assert!(
            problem.starts_with("oidc.clients.app.redirect_uris must"),
            "{uri}: {problem}"
        );
    }
    let problem = with(&[("TWOFA_OIDC__CLIENTS__APP__NAME", "App")]);
    assert!(
        problem.starts_with("oidc.clients.app.redirect_uris must list at least one"),
        "{problem}"
    );
    let problem = with(&[
        ("TWOFA_OIDC__CLIENTS__APP__SECRET", "short"),
        (
            "TWOFA_OIDC__CLIENTS__APP__REDIRECT_URIS",
            "https://app.example.com/cb",
        ),
    ]);
    assert!(
        problem.starts_with("oidc.clients.app.secret must be at least 16 characters"),
        "{problem}"
    );
    assert!(
        !problem.contains("short"),
        "a secret is never echoed: {problem}"
    );
}

#[test]
fn a_signing_key_file_that_is_missing_or_not_a_key_is_refused() {
    let problem = error(&[("TWOFA_OIDC__SIGNING_KEY_FILE", "/nonexistent/key.pem")]);
    assert!(
        problem.starts_with("oidc.signing_key_file cannot be read"),
        "{problem}"
    );
    let config = format!("{}/config.example.toml", env!("CARGO_MANIFEST_DIR"));
    let problem = error(&[("TWOFA_OIDC__SIGNING_KEY_FILE", &config)]);
    assert!(
        problem.starts_with("oidc.signing_key_file is not an unencrypted RSA private key"),
        "{problem}"
    );
}

#[test]
fn codes_go_to_the_log_on_a_public_address_only_when_asked_for_by_name() {
    let problem = error(&[("TWOFA_SERVER__LISTEN", "0.0.0.0:3000")]);
    assert!(problem.starts_with("sms.provider must be set"), "{problem}");
    let settings = load(&[
        ("TWOFA_SERVER__LISTEN", "0.0.0.0:3000"),
        ("TWOFA_SMS__PROVIDER", "console"),
    ]);
    assert!(matches!(settings.expect("valid").sms, SmsSettings::Console));
    for loopback in ["127.0.0.1:3000", "[::1]:3000"] {
        let settings = load(&[("TWOFA_SERVER__LISTEN", loopback)]).expect("valid");
        assert!(matches!(settings.sms, SmsSettings::Console), "{loopback}");
    }
}

#[test]
fn cookie_keys_rotate_and_exclude_the_single_key() {
    let (new, old) = (STANDARD.encode([1u8; 64]), STANDARD.encode([2u8; 64]));
    let keys = format!("{new},{old}");
    let settings = load(&[("TWOFA_SERVER__COOKIE_KEYS", &keys)]).expect("valid");
    assert_eq!(settings.server.master_keys.len(), 2);
    let problem = error(&[
        ("TWOFA_SERVER__COOKIE_KEYS", &keys),
        ("TWOFA_SERVER__COOKIE_KEY", &new),
    ]);
    assert!(problem.contains("are both set"), "{problem}");
    let problem = error(&[("TWOFA_SERVER__COOKIE_KEYS", "short")]);
    assert!(
        problem.starts_with("server.cookie_keys must be base64"),
        "{problem}"
    );
    assert!(!problem.contains("short"), "{problem}");
}

#[test]
fn trusted_proxies_are_networks_and_make_forwarded_for_count() {
    let settings = load(&[(
        "TWOFA_SERVER__TRUSTED_PROXIES",
        "10.0.0.0/8, 192.0.2.7, 2001:db8::/32",
    )])
    .expect("valid");
    match settings.server.forwarded_for {
        ForwardedFor::Through(networks) => assert_eq!(networks.len(), 3),
        other => panic!("{other:?}"),
    }
    let settings = load(&[("TWOFA_SERVER__TRUST_FORWARDED_FOR", "true")]).expect("valid");
    assert_eq!(settings.server.forwarded_for, ForwardedFor::FromPeer);
    let problem = error(&[("TWOFA_SERVER__TRUSTED_PROXIES", "10.0.0.0/40")]);
    assert!(
        problem.starts_with("server.trusted_proxies must be"),
        "{problem}"
    );
}

#[test]
fn the_pumping_breaker_is_on_by_default_and_its_figures_are_checked() {
    let settings = load(&[]).expect("defaults");
    let pumping = &settings.pumping;
    assert!(pumping.enabled);
    assert_eq!((pumping.min_sends, pumping.min_conversion), (20, 0.2));
    assert_eq!(pumping.window, Duration::from_secs(3600));
    assert_eq!(pumping.block, Duration::from_secs(3600));
    let settings = load(&[
        ("TWOFA_PUMPING__MIN_CONVERSION", "0.5"),
        ("TWOFA_PUMPING__EXEMPT", "+1201555,CA,001"),
    ])
    .expect("valid");
    assert_eq!(settings.pumping.min_conversion, 0.5);
    assert_eq!(settings.pumping.exempt.len(), 3);
    for (key, value, expected) in [
        (
            "TWOFA_PUMPING__MIN_CONVERSION",
            "1.5",
            "pumping.min_conversion must be a fraction",
        ),
        (
            "TWOFA_PUMPING__MIN_CONVERSION",
            "much",
            "pumping.min_conversion must be a number",
        ),
        ("TWOFA_PUMPING__EXEMPT", "Narnia", "pumping.exempt must be"),
    ] {
        let problem = error(&[(key, value)]);
        assert!(problem.starts_with(expected), "{problem}");
    }
    let from_file =
        load_file("[pumping]\nmin_conversion = 0.25\nwindow_secs = 600\n").expect("valid");
    assert_eq!(from_file.pumping.min_conversion, 0.25);
}

fn redis_target(url: &str) -> Result<RedisTarget, String> {
    let settings = load(&[
        ("TWOFA_STORE__BACKEND", "redis"),
        ("TWOFA_STORE__REDIS_URL", url),
    ])
    .map_err(|e| e.to_string())?;
    match settings.store {
        StoreSettings::Redis(redis) => Ok(redis.target),
        StoreSettings::Memory => Err("memory".into()),
    }
}

#[test]
fn a_sentinel_url_names_the_sentinels_the_master_and_whose_password_is_which() {
    let target = redis_target(
        "redis+sentinel://10.0.0.1:26380,sentinel-2,[::1]:26381/mymaster/2?password=data%2Bpw&sentinel_password=s",
    );
    let Ok(RedisTarget::Sentinel(sentinel)) = target else {
        panic!("{target:?}")
    };
    assert_eq!(
        sentinel.sentinels,
        [
            ("10.0.0.1".to_owned(), 26380),
            ("sentinel-2".to_owned(), 26379),
            ("::1".to_owned(), 26381)
        ]
    );
    assert_eq!(
        (sentinel.master.as_str(), sentinel.db, sentinel.tls),
        ("mymaster", 2, false)
    );
    assert_eq!(
        sentinel.password.as_ref().map(|p| p.expose_secret()),
        Some("data+pw")
    );
    assert_eq!(
        sentinel
            .sentinel_password
            .as_ref()
            .map(|p| p.expose_secret()),
        Some("s")
    );
    assert!(matches!(
        redis_target("rediss+sentinel://h/m"),
        Ok(RedisTarget::Sentinel(SentinelTarget { tls: true, .. }))
    ));
    assert!(matches!(
        redis_target("redis://127.0.0.1:6379/0"),
        Ok(RedisTarget::Direct(_))
    ));
}

#[test]
fn a_sentinel_url_that_cannot_be_read_is_refused_without_quoting_it() {
    for (url, problem) in [
        (
            "redis+sentinel://h1:26379",
            "must look like redis+sentinel://",
        ),
        (
            "redis+sentinel://h1:26379/",
            "must look like redis+sentinel://",
        ),
        (
            "redis+sentinel://h1:port/m",
            "must look like redis+sentinel://",
        ),
        (
            "redis+sentinel://:hunter2@h1/m",
            "gives passwords as ?password=",
        ),
        (
            "redis+sentinel://h1/m/x",
            "names a database that is not a number",
        ),
        (
            "redis+sentinel://h1/m?pasword=hunter2",
            "takes only username=",
        ),
    ] {
        let error = redis_target(url).map(|_| ()).expect_err(url);
        assert!(
            error.starts_with(&format!("store.redis_url {problem}")),
            "{url}: {error}"
        );
        assert!(!error.contains("hunter2"), "{error}");
    }
}

#[test]
fn the_admin_listener_and_the_log_format_are_read_and_checked() {
    let settings = load(&[
        ("TWOFA_SERVER__ADMIN_LISTEN", "127.0.0.1:9100"),
        ("TWOFA_LOG__FORMAT", "JSON"),
        ("TWOFA_SERVER__SHUTDOWN_GRACE_SECS", "5"),
    ])
    .expect("valid");
    assert_eq!(
        settings.server.admin_listen,
        Some("127.0.0.1:9100".parse().expect("an address"))
    );
    assert_eq!(settings.log_format, LogFormat::Json);
    assert_eq!(settings.server.shutdown_grace, Duration::from_secs(5));
    let defaults = load(&[]).expect("defaults");
    assert_eq!(
        (defaults.server.admin_listen, defaults.log_format),
        (None, LogFormat::Text)
    );
    assert_eq!(defaults.server.shutdown_grace, Duration::from_secs(20));
    let problem = error(&[("TWOFA_SERVER__ADMIN_LISTEN", "localhost")]);
    assert!(
        problem.starts_with("server.admin_listen must be an address and port"),
        "{problem}"
    );
    let problem = error(&[("TWOFA_LOG__FORMAT", "xml")]);
    assert!(
        problem.starts_with("log.format must be \"text\" or \"json\""),
        "{problem}"
    );
}

#[test]
fn a_brand_name_must_fit_on_one_line_in_an_sms_and_the_help_link_be_a_web_address() {
    let settings = load(&[
        ("TWOFA_BRANDING__NAME", " Acme "),
        ("TWOFA_BRANDING__SUPPORT_URL", "https://acme.example/help"),
    ])
    .expect("valid");
    assert_eq!(settings.branding.name.as_deref(), Some("Acme"));
    assert_eq!(settings.branding.display_name(), "Acme");
    let unset = load(&[]).expect("valid");
    assert_eq!(
        unset.branding.name, None,
        "the SMS names no sender by default"
    );
    assert_eq!(unset.branding.display_name(), "Phone verification");
    for name in ["", "   ", &"x".repeat(41), "Acme\nCorp"] {
        let problem = error(&[("TWOFA_BRANDING__NAME", name)]);
        assert!(problem.contains("branding.name"), "{name:?}: {problem}");
    }
    let problem = error(&[("TWOFA_VERIFY_PROFILES__ACME__APP_NAME", &"y".repeat(41))]);
    assert!(
        problem.contains("verify_profiles.acme.app_name"),
        "a profile's sender name is held to the same bound: {problem}"
    );
    let problem = error(&[("TWOFA_BRANDING__SUPPORT_URL", "javascript:alert(1)")]);
    assert!(problem.contains("branding.support_url"), "{problem}");
}

/// The settings `config.example.toml` names (commented or not), with the
/// value of those it sets. A commented `[section.name]` stands for `*`.
fn example_keys() -> Vec<(String, Option<String>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(path).expect("config.example.toml");
    let mut section = String::new();
    let mut keys = Vec::new();
    for line in text.lines() {
        let (commented, line) = match line.strip_prefix('#') {
            Some(rest) => (true, rest.trim()),
            None => (false, line.trim()),
        };
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            // `[verify_profiles.acme]` is an example of `verify_profiles.*`.
            let named = name
                .rsplit_once('.')
                .map(|(table, _)| format!("{table}.*"))
                .filter(|named| {
                    KEYS.iter()
                        .any(|k| k.path.starts_with(&format!("{named}.")))
                });
            section = named.unwrap_or_else(|| name.to_owned());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            continue;
        }
        let value = (!commented).then(|| value.trim().to_owned());
        keys.push((format!("{section}.{key}"), value));
    }
    keys
}

/// A default as the example file or README would write it in TOML.
fn as_toml(key: &Key, default: &str) -> String {
    match key.kind {
        Kind::Text | Kind::Secret => format!("\"{default}\""),
        Kind::List | Kind::SecretList => {
            let items: Vec<String> = default.split(',').map(|i| format!("\"{i}\"")).collect();
            format!("[{}]", items.join(", "))
        }
        _ => default.to_owned(),
    }
}

#[test]
fn the_example_config_names_every_setting_with_its_default_and_nothing_else() {
    let example = example_keys();
    for key in KEYS {
        let found = example.iter().find(|(path, _)| path == key.path);
        let Some((_, value)) = found else {
            panic!("config.example.toml does not name {}", key.path);
        };
        if key.path.contains('*') {
            continue;
        }
        match (key.default, value) {
            (Some(default), Some(value)) => assert_eq!(
                value,
                &as_toml(key, default),
                "config.example.toml sets {} to something other than its default",
                key.path
            ),
            (Some(_), None) => panic!(
                "config.example.toml comments out {}, which has a default",
                key.path
            ),
            (None, Some(_)) => panic!(
                "config.example.toml sets {}, which has no default",
                key.path
            ),
            (None, None) => {}
        }
    }
    for (path, _) in &example {
        assert!(
            KEYS.iter().any(|key| key.path == path),
            "config.example.toml names {path}, which is no setting"
        );
    }
}

#[test]
fn the_readme_settings_table_lists_every_setting_its_variable_and_its_default() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    // Rows of the settings table: | `key` | `TWOFA_…` … | default | meaning |
    let rows: Vec<Vec<&str>> = readme
        .lines()
        .filter(|line| line.starts_with("| `") && line.contains("`TWOFA_"))
        .map(|line| line.split(" | ").collect())
        .collect();
    let listed: Vec<String> = rows
        .iter()
        .map(|cells| {
            cells[0]
                .trim_start_matches("| ")
                .trim_matches('`')
                .replace("<id>", "*")
        })
        .collect();
    for key in KEYS {
        let Some(row) = listed.iter().position(|path| path == key.path) else {
            panic!("README's settings table does not list {}", key.path);
        };
        let cells = &rows[row];
        assert!(
            cells[1].contains(&format!("`{}`", env_name(key.path))),
            "README gives {} another variable than {}",
            key.path,
            env_name(key.path)
        );
        if let (Some(default), false) = (key.default, key.path.contains('*')) {
            let written = [
                format!("`{default}`"),
                format!("`{}`", as_toml(key, default)),
            ];
            assert!(
                written.iter().any(|w| cells[2].contains(w.as_str())),
                "README gives {} a default other than {default}: {}",
                key.path,
                cells[2]
            );
        }
    }
    for path in &listed {
        assert!(
            KEYS.iter().any(|key| key.path == path),
            "README's settings table lists {path}, which is no setting"
        );
    }
}

#[test]
fn languages_must_be_files_in_locales_and_the_default_is_always_offered() {
    let settings = load(&[
        ("TWOFA_I18N__DEFAULT_LANGUAGE", "fr"),
        ("TWOFA_I18N__LANGUAGES", "es, pt-br"),
    ])
    .expect("valid");
    let offered: Vec<&str> = settings
        .languages
        .offered()
        .iter()
        .map(|l| l.tag())
        .collect();
    assert_eq!(offered, ["es", "fr", "pt-BR"]);
    assert_eq!(settings.languages.default_language().tag(), "fr");
    let unset = load(&[]).expect("valid");
    assert_eq!(
        unset.languages.offered().len(),
        crate::i18n::Language::all().count()
    );
    assert_eq!(unset.languages.default_language().tag(), "en");
    for (key, value, named) in [
        (
            "TWOFA_I18N__DEFAULT_LANGUAGE",
            "klingon",
            "i18n.default_language",
        ),
        ("TWOFA_I18N__LANGUAGES", "en,xx", "i18n.languages"),
        (
            "TWOFA_VERIFY_PROFILES__ACME__LANGUAGE",
            "tlh",
            "verify_profiles.acme.language",
        ),
    ] {
        let problem = error(&[(key, value)]);
        assert!(problem.contains(named), "{value}: {problem}");
    }
    let profile = load(&[("TWOFA_VERIFY_PROFILES__ACME__LANGUAGE", "es-MX")]).expect("valid");
    let acme = &profile.api.profiles[0];
    assert_eq!(acme.language.map(|l| l.tag()), Some("es"));
    // A profile speaks only a language the app offers.
    let problem = error(&[
        ("TWOFA_I18N__LANGUAGES", "en,es"),
        ("TWOFA_VERIFY_PROFILES__ACME__LANGUAGE", "fr-FR"),
    ]);
    assert!(
        problem.contains("verify_profiles.acme.language") && problem.contains("en, es"),
        "{problem}"
    );
}
