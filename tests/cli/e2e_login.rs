//! End to end with the real Claude Code CLI logged in by OAuth, with no API
//! key anywhere: the CLI sends `Authorization: Bearer <accessToken>` from
//! the session's `.credentials.json`, and the mock accepts any. A proxy in
//! front of the mock records which token each request carried, so a test
//! sees which login a session's Claude used.
//!
//! What this cannot show: a real token refresh (the CLI refreshes only
//! against Anthropic's own OAuth host, with no override for a local one);
//! the refresh is simulated by saving a newer file as the CLI would.

use crate::support::mock_api::MockApi;
use crate::support::{Env, wait_for};
use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

const FILE: &str = ".credentials.json";
/// 2100-01-01: the CLI never tries to refresh a token this far from expiry.
const FAR_FUTURE_MS: u64 = 4_102_444_800_000;

fn login(tag: &str, later_by: u64) -> String {
    format!(
        r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-TEST-{tag}","refreshToken":"sk-ant-ort01-TEST-{tag}","expiresAt":{},"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}}}"#,
        FAR_FUTURE_MS + later_by
    )
}

fn bearer(tag: &str) -> String {
    format!("Bearer sk-ant-oat01-TEST-{tag}")
}

/// Saves a login as the CLI does: under its lock dir, temp file, rename.
fn claude_save(dir: &Path, content: &str) {
    let lock = dir.join(".storage-write.lock");
    wait_for(|| fs::create_dir(&lock).ok());
    let tmp = dir.join(".credentials.json.e2e-tmp");
    fs::write(&tmp, content).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
    fs::rename(&tmp, dir.join(FILE)).unwrap();
    fs::remove_dir(&lock).unwrap();
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    api_key: Option<String>,
    body: String,
}

/// The bytes one client sent on one connection.
type Sent = Arc<Mutex<Vec<u8>>>;

/// A TCP proxy in front of the mock that keeps what clients sent.
struct AuthSpy {
    port: u16,
    streams: Arc<Mutex<Vec<Sent>>>,
}

impl AuthSpy {
    fn start(mock: &MockApi) -> Self {
        let upstream = mock.url().trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let streams: Arc<Mutex<Vec<Sent>>> = Arc::default();
        let kept = streams.clone();
        // Lives as long as the test process, like the mock's own thread.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let sent = Arc::new(Mutex::new(Vec::new()));
                kept.lock().unwrap().push(sent.clone());
                let (client_r, server_w) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pump(client_r, server_w, Some(sent)));
                std::thread::spawn(move || pump(server, client, None));
            }
        });
        Self { port, streams }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every complete request so far, per connection in order.
    fn requests(&self) -> Vec<Seen> {
        let streams = self.streams.lock().unwrap().clone();
        streams
            .iter()
            .flat_map(|s| parse_requests(&s.lock().unwrap()))
            .collect()
    }

    /// The Messages API requests whose body contains `needle`.
    fn messages_with(&self, needle: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/v1/messages"))
            .filter(|r| r.body.contains(needle))
            .collect()
    }
}

/// Copies `from` to `to` until either side closes, keeping a copy.
fn pump(mut from: TcpStream, mut to: TcpStream, keep: Option<Sent>) {
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        if let Some(keep) = &keep {
            keep.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Splits one connection's bytes into HTTP/1.1 requests (Content-Length or
/// chunked bodies); an incomplete last one is left out.
fn parse_requests(bytes: &[u8]) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut rest = bytes;
    while let Some(end) = find(rest, b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&rest[..end]).into_owned();
        let mut body_bytes = &rest[end + 4..];
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let (method, path) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
        let mut request = Seen {
            method: method.to_string(),
            path: path.to_string(),
            authorization: None,
            api_key: None,
            body: String::new(),
        };
        let (mut length, mut chunked) = (0usize, false);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim().to_string();
            match name.trim().to_ascii_lowercase().as_str() {
                "authorization" => request.authorization = Some(value),
                "x-api-key" => request.api_key = Some(value),
                "content-length" => length = value.parse().unwrap_or(0),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let Some(eol) = find(body_bytes, b"\r\n") else {
                    return seen;
                };
                let size_text = String::from_utf8_lossy(&body_bytes[..eol]).into_owned();
                let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                    .unwrap_or(0);
                if body_bytes.len() < eol + 2 + size + 2 {
                    return seen;
                }
                body.extend_from_slice(&body_bytes[eol + 2..eol + 2 + size]);
                body_bytes = &body_bytes[eol + 2 + size + 2..];
                if size == 0 {
                    break;
                }
            }
        } else {
            if body_bytes.len() < length {
                return seen;
            }
            body.extend_from_slice(&body_bytes[..length]);
            body_bytes = &body_bytes[length..];
        }
        request.body = String::from_utf8_lossy(&body).into_owned();
        seen.push(request);
        rest = body_bytes;
    }
    seen
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An Env whose `claude` is the real CLI, logged in by OAuth only (no API
/// key, no token in the environment), talking to the mock through the spy.
fn oauth_env() -> Option<(Env, MockApi, AuthSpy)> {
    let claude = crate::support::real::real_claude()?;
    let mock = MockApi::start();
    let spy = AuthSpy::start(&mock);
    let env = crate::support::real::offline_env(&claude, &spy.url());
    fs::create_dir_all(&env.base).unwrap();
    Some((env, mock, spy))
}

fn session_dir(env: &Env, name: &str) -> std::path::PathBuf {
    crate::support::real::session_dir(env, name)
}

/// Asserts that every request carrying `needle` used the login `tag`.
fn assert_used(spy: &AuthSpy, needle: &str, tag: &str) {
    let asked = spy.messages_with(needle);
    assert!(
        !asked.is_empty(),
        "no request with {needle}: {:?}",
        spy.requests()
    );
    for request in asked {
        assert_eq!(
            request.authorization.as_deref(),
            Some(bearer(tag).as_str()),
            "{needle}: {} {}",
            request.method,
            request.path
        );
        assert_eq!(request.api_key, None, "{needle}: an API key was sent");
    }
}

#[test]
fn claude_in_a_session_uses_the_shared_oauth_login_and_follows_a_refresh() {
    let Some((env, _mock, spy)) = oauth_env() else {
        return;
    };
    claude_save(&env.base, &login("BASE", 0));
    let out = env.ok(&["new", "one", "--", "-p", "hello OAUTH-ONE"]);
    assert!(out.contains("ACK hello OAUTH-ONE"), "{out}");
    assert_used(&spy, "OAUTH-ONE", "BASE");
    let one = session_dir(&env, "one");
    assert_eq!(
        fs::read_to_string(one.join(FILE)).unwrap(),
        login("BASE", 0)
    );

    // The CLI in session one refreshed (simulated: a real refresh needs
    // Anthropic's OAuth host): a new session, the base and one agree.
    claude_save(&one, &login("REFRESHED", 3_600_000));
    let out = env.ok(&["new", "two", "--", "-p", "hello OAUTH-TWO"]);
    assert!(out.contains("ACK hello OAUTH-TWO"), "{out}");
    assert_used(&spy, "OAUTH-TWO", "REFRESHED");
    for dir in [&env.base, &one, &session_dir(&env, "two")] {
        assert_eq!(
            fs::read_to_string(dir.join(FILE)).unwrap(),
            login("REFRESHED", 3_600_000),
            "{}",
            dir.display()
        );
    }
    // A resumed conversation in one still authenticates, with the newest.
    let out = env.ok(&["resume", "one", "--", "-p", "again OAUTH-THREE"]);
    assert!(out.contains("ACK again OAUTH-THREE"), "{out}");
    assert_used(&spy, "OAUTH-THREE", "REFRESHED");
}

#[test]
fn a_running_claude_takes_a_login_saved_elsewhere() {
    let Some((env, _mock, spy)) = oauth_env() else {
        return;
    };
    claude_save(&env.base, &login("FIRST", 0));
    let mut term = crate::support::pty::Terminal::spawn(&env, &["new", "live"], 40, 120);
    term.wait_until("Claude's prompt", crate::support::real::prompt_shown);
    term.submit("ping LIVE-ONE");
    term.wait_for("ACK ping LIVE-ONE");
    assert_used(&spy, "LIVE-ONE", "FIRST");

    // `/login` in a plain `claude` (the base) while the session runs: its
    // holder copies the new login in, and the running CLI re-reads it.
    let live = session_dir(&env, "live");
    claude_save(&env.base, &login("SECOND", 7_200_000));
    wait_for(|| {
        (fs::read_to_string(live.join(FILE)).ok()? == login("SECOND", 7_200_000)).then_some(())
    });
    term.submit("ping LIVE-TWO");
    term.wait_for("ACK ping LIVE-TWO");
    assert_used(&spy, "LIVE-TWO", "SECOND");

    term.submit("/exit");
    assert_eq!(term.wait_exit().code(), Some(0));
    // Claude never rewrote the login it was given.
    assert_eq!(
        fs::read_to_string(live.join(FILE)).unwrap(),
        login("SECOND", 7_200_000)
    );
}
