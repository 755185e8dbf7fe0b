//! The corpus: each kind of secret, as it appears in a shell line, a config
//! file and a JSON transcript; and what must stay as it is.

use super::*;

fn red(s: &str) -> String {
    String::from_utf8(line(s.as_bytes()).into_owned()).unwrap()
}

/// Each case as written, and inside a JSON transcript line: the secret is
/// gone, the line parses, and the text reads as the plain case redacted.
fn check(cases: &[(&str, &str)]) {
    for (input, expected) in cases {
        assert_eq!(red(input), *expected, "{input}");
        let json = serde_json::json!({"type": "user", "message": {"content": input}}).to_string();
        let out = red(&json);
        let parsed: serde_json::Value = serde_json::from_str(&out).expect(&out);
        assert_eq!(
            parsed["message"]["content"].as_str().unwrap(),
            *expected,
            "{input} in JSON: {out}"
        );
    }
}

#[test]
fn values_after_secret_keys() {
    check(&[
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = [REDACTED]",
        ),
        (
            "SECRET_KEY=0123456789abcdef0123456789abcdef",
            "SECRET_KEY=[REDACTED]",
        ),
        (
            "AWS_SECRET_ACCESS_KEY: 0123456789abcdef0123456789abcdef",
            "AWS_SECRET_ACCESS_KEY: [REDACTED]",
        ),
        ("password=hunter2hunter2", "password=[REDACTED]"),
        ("db password: x1", "db password: [REDACTED]"),
        (
            "PGPASSWORD=s3cr3t psql -h db",
            "PGPASSWORD=[REDACTED] psql -h db",
        ),
        (
            "export GH_TOKEN='ghp_short' && gh pr list",
            "export GH_TOKEN='[REDACTED]' && gh pr list",
        ),
        (
            r#"export ANTHROPIC_API_KEY="sk-ant-api03-zzzzzzzzzzzzzzzzzzzz""#,
            r#"export ANTHROPIC_API_KEY="[REDACTED]""#,
        ),
        (
            "const authToken = 'abc.def-123';",
            "const authToken = '[REDACTED]';",
        ),
        (
            "client_secret: \"p@ss word\"",
            "client_secret: \"[REDACTED]\"",
        ),
        ("x-api-key: 1234", "x-api-key: [REDACTED]"),
        ("passwd := qwerty", "passwd := [REDACTED]"),
        ("'password' => 'letmein',", "'password' => '[REDACTED]',"),
        (
            "curl 'https://api.x.com/v1?access_token=abc123&page=2'",
            "curl 'https://api.x.com/v1?access_token=[REDACTED]&page=2'",
        ),
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "Authorization: [REDACTED]",
        ),
        (
            "-H 'authorization: Basic dXNlcjpwYXNz'",
            "-H 'authorization: [REDACTED]'",
        ),
        (
            "Cookie: sid=abcdef; theme=dark",
            "Cookie: [REDACTED]; theme=dark",
        ),
        (
            "PRIVATE_KEY_PASSPHRASE=x",
            "PRIVATE_KEY_PASSPHRASE=[REDACTED]",
        ),
    ]);
}

#[test]
fn json_keys_keep_the_line_valid() {
    for (input, expected) in [
        (
            r#"{"access_token": "0123456789abcdef0123"}"#,
            r#"{"access_token": "[REDACTED]"}"#,
        ),
        (
            r#"{"password":"a\"b\\c","user":"me"}"#,
            r#"{"password":"[REDACTED]","user":"me"}"#,
        ),
        // A number, true or null after a key is JSON's own.
        (
            r#"{"token_count":12,"password":null,"secret":true}"#,
            r#"{"token_count":12,"password":null,"secret":true}"#,
        ),
        (
            r#"{"input":{"command":"mysql -u root --password=hunter2 db"}}"#,
            r#"{"input":{"command":"mysql -u root --password=[REDACTED] db"}}"#,
        ),
        (
            r#"{"content":"{\"api_key\": \"abc\\\\def\", \"n\": 1}"}"#,
            r#"{"content":"{\"api_key\": \"[REDACTED]\\\\def\", \"n\": 1}"}"#,
        ),
    ] {
        let out = red(input);
        assert_eq!(out, expected, "{input}");
        serde_json::from_str::<serde_json::Value>(&out).expect(&out);
    }
}

#[test]
fn passwords_in_urls() {
    check(&[
        (
            "git clone https://user:pa55word@github.com/o/r.git",
            "git clone https://user:[REDACTED]@github.com/o/r.git",
        ),
        (
            "DATABASE_URL=postgres://app:s3cret@db:5432/app",
            "DATABASE_URL=postgres://app:[REDACTED]@db:5432/app",
        ),
        (
            "connect to postgres://app:s3cret@db:5432/app now",
            "connect to postgres://app:[REDACTED]@db:5432/app now",
        ),
        (
            "redis://:hunter2@cache:6379",
            "redis://:[REDACTED]@cache:6379",
        ),
        (
            "https://x-access-token:abc@github.com",
            "https://x-access-token:[REDACTED]@github.com",
        ),
    ]);
}

#[test]
fn provider_formats() {
    check(&[
        (
            "key sk-ant-api03-AbCdEf0123456789_xyz-XYZ end",
            "key sk-ant-[REDACTED] end",
        ),
        (
            "OPENAI=sk-proj-0123456789abcdefghij0123456789abcdefghij",
            "OPENAI=sk-proj-[REDACTED]",
        ),
        (
            "use sk-0123456789abcdefghij0123456789abcdefghij",
            "use sk-[REDACTED]",
        ),
        ("id AKIAIOSFODNN7EXAMPLE.", "id AKIA[REDACTED]."),
        ("ASIAY34FZKBOKMUTVV7A", "ASIA[REDACTED]"),
        (
            "ghp_0123456789abcdefghijABCDEFGHIJ0123 x",
            "ghp_[REDACTED] x",
        ),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "github_pat_[REDACTED]",
        ),
        ("glpat-0123456789abcdefghij", "glpat-[REDACTED]"),
        (
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "xoxb-[REDACTED]",
        ),
        (
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "https://hooks.slack.com/services/[REDACTED]",
        ),
        (
            "stripe sk_live_51H8abcdefghijklmnopqrstuv",
            "stripe sk_live_[REDACTED]",
        ),
        ("rk_live_0123456789abcdef", "rk_live_[REDACTED]"),
        ("sk_test_0123456789abcdef", "sk_test_[REDACTED]"),
        ("whsec_0123456789abcdefghijklmnop", "whsec_[REDACTED]"),
        (
            "maps?key=AIzaSyA-0123456789abcdefghijklmnopqrstu",
            "maps?key=AIza[REDACTED]",
        ),
        ("ya29.a0AfH6SMBx0123456789abcdefghij", "ya29.[REDACTED]"),
        ("npm_0123456789abcdefghijklmnopqrstuvwxyz", "npm_[REDACTED]"),
        ("hf_0123456789abcdefghijklmnopqrstuvwx", "hf_[REDACTED]"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok",
            "jwt [REDACTED] ok",
        ),
        (
            "curl -H 'Bearer abcdefghijklmnopqrstuvwx'",
            "curl -H 'Bearer [REDACTED]'",
        ),
    ]);
}

#[test]
fn private_keys() {
    // In a JSON string (lines joined by \n), whole or cut short.
    for (input, expected) in [
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0123456789\n-----END RSA PRIVATE KEY-----\nafter",
            "-----BEGIN RSA PRIVATE KEY-----[REDACTED]\nafter",
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
            "-----BEGIN OPENSSH PRIVATE KEY-----[REDACTED]",
        ),
    ] {
        let json = serde_json::json!({"content": input}).to_string();
        let out = red(&json);
        let parsed: serde_json::Value = serde_json::from_str(&out).expect(&out);
        assert_eq!(parsed["content"], expected, "{out}");
    }
    // A key file: every line to its END.
    let file = b"key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\nafter\n";
    assert_eq!(
        String::from_utf8(all(file)).unwrap(),
        "key:\n-----BEGIN PRIVATE KEY-----\n[REDACTED]\n[REDACTED]\n-----END PRIVATE KEY-----\nafter\n"
    );
    // A public key or certificate is not a secret.
    let public =
        b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n-----END PUBLIC KEY-----\n";
    assert_eq!(all(public), public.to_vec());
}

#[test]
fn ordinary_text_is_untouched() {
    for s in [
        r#"{"usage":{"input_tokens":12345,"output_tokens":678,"cache_read_input_tokens":91011}}"#,
        r#"{"max_tokens": 4096, "stop_reason": "end_turn"}"#,
        "max_tokens: 32000",
        "the token is short",
        "Reset your password and try again.",
        "Enter your password when prompted; passwords must be 12 characters.",
        "It's a secret to everybody.",
        "Use a Bearer token for the API, with Basic authentication as a fallback",
        "tokenizer=gpt2 secretary=Ann passwords_file",
        "pip install sk-learn-extra-things",
        "ghp_x is a GitHub token prefix",
        "git clone ssh://git@github.com/o/r.git https://github.com/o/r",
        "http://localhost:8080/path?page=2",
        r#"{"parentUuid":"0f8fad5b-d9cb-469f-a165-70867728950e","sessionId":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}"#,
        "commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        "password:",
        r#"{"password": ""}"#,
        "already password=[REDACTED]",
    ] {
        assert!(
            matches!(line(s.as_bytes()), Cow::Borrowed(_)),
            "{s}: {}",
            red(s)
        );
    }
}

#[test]
fn transcript_lines_stay_valid_json() {
    let line = serde_json::json!({
        "type": "user",
        "message": {"content": "export ANTHROPIC_API_KEY=\"sk-ant-api03-zzzzzzzzzzzzzzzzzzzz\"\nexport GH_TOKEN='ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\ncurl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwx'"},
    })
    .to_string();
    let out = red(&line);
    let parsed: serde_json::Value = serde_json::from_str(&out).expect(&out);
    let text = parsed["message"]["content"].as_str().unwrap();
    assert!(!text.contains("zzzz"), "{text}");
    assert!(!text.contains("aaaa"), "{text}");
    assert!(!text.contains("abcdefgh"), "{text}");
    assert_eq!(text.matches(MARK).count(), 3, "{text}");
}

#[test]
fn the_reader_redacts_every_line_and_keeps_the_rest() {
    let input = b"a sk-ant-0123456789abc\nplain\n\xff\xfe binary\r\nlast sk-ant-abcdefghijkl";
    let out = all(input);
    assert_eq!(
        out,
        b"a sk-ant-[REDACTED]\nplain\n\xff\xfe binary\r\nlast sk-ant-[REDACTED]".to_vec()
    );
}
