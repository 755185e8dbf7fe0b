//! `export --redact`: replaces secrets with `[REDACTED]`, one line at a
//! time (transcripts are JSON lines): the value after a key that names a
//! secret (`password=…`, `"api_key": "…"`, `AWS_SECRET_ACCESS_KEY: …`,
//! `Authorization: Bearer …`), the password in a URL (`https://user:…@`),
//! and the shapes of the common providers' keys and tokens (Anthropic,
//! OpenAI, AWS, GitHub, GitLab, Slack, Stripe, Google, npm, Hugging Face,
//! JWTs, private keys).
//!
//! Only the secret itself is replaced, by characters that need no escaping
//! in JSON, and never half of an escape sequence, so every line that was
//! valid JSON stays valid JSON; a number, `true` or `null` after a JSON key
//! is left as it is (replacing it would make a string of it). The patterns
//! are ASCII-only byte regexes: no Unicode tables, and a line that is not
//! UTF-8 is handled like any other. A private key in a file of its own (a
//! `-----BEGIN … PRIVATE KEY-----` line) is redacted down to its `END` line.

use regex::bytes::{Captures, Regex};
use std::borrow::Cow;
use std::io::{self, BufRead, Read};
use std::sync::LazyLock;

pub const MARK: &str = "[REDACTED]";

/// One alternation, so each line is scanned once. Each branch captures the
/// part that is kept before the secret (what the secret was), some the
/// part kept after it; the rest of the match is the secret.
static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?-u){KEY_VALUE}|{URL}|{PEM}|{PEM_OPEN}|{PROVIDERS}|{BEARER}|{JWT}"#
    ))
    .expect("the secret patterns compile")
});

/// A key naming a secret: an identifier holding one of the words, which
/// ends there or goes on after `_`, `-`, `.`, a digit or a capital
/// (`aws_secret_access_key`, `authToken`, `GH_TOKEN`), so that
/// `max_tokens`, `tokenizer` or `secretary` are not keys of secrets; then
/// the key's closing quote (maybe escaped, inside a JSON string), `=`, `:`,
/// `:=` or `=>`, and the value's opening quote, if any.
const KEY_VALUE: &str = concat!(
    r#"(?P<kv>[A-Za-z0-9_.-]*?"#,
    r#"(?i:api[_.-]?key|apikey|secret|token|passw(?:or)?d|passphrase|credentials?|"#,
    r#"private[_.-]?key|access[_.-]?key|auth|authorization|cookie)"#,
    r#"(?:[_.0-9-][A-Za-z0-9_.-]*|[A-Z][A-Za-z0-9_.-]*)?"#,
    r#"(?P<kq>\\?["'])?[ \t]*(?:=>|:=|[:=])[ \t]*)"#,
    // The value: quoted (a JSON string's escapes whole; inside a JSON
    // string, up to the escaped closing quote), an auth scheme and its
    // token, or a bare word up to a space, quote, separator or bracket.
    r#"(?:(?P<dq>")(?:[^"\\]|\\.)+"#,
    r#"|(?P<edq>\\")[^"\\]+"#,
    r#"|(?P<sq>')[^'\\]+"#,
    r#"|(?i:bearer|basic|token)[ \t]+[A-Za-z0-9._~+/=-]+"#,
    r#"|(?:[^\s"'\\,;&<>{}\[\]()`]|\\\\)+)"#,
);

/// `scheme://user:password@`: the password goes, the user and host stay.
const URL: &str =
    r#"(?P<url>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@"'\\]*:)[^\s/?#@"'\\]+(?P<url_end>@)"#;

/// A private key in one line, or one JSON string holding its lines joined
/// by `\n` (escape pairs are taken whole, so none is cut in half).
const PEM: &str = concat!(
    r#"(?P<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)"#,
    r#"(?:[A-Za-z0-9+/=:, \t-]|\\[nrt])*?-----END [A-Z0-9 ]*PRIVATE KEY-----"#,
);
/// The same with its end missing (a line cut short).
const PEM_OPEN: &str = concat!(
    r#"(?P<pem_open>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)"#,
    r#"(?:[A-Za-z0-9+/=:, \t]|\\[nrt]){16,}"#,
);

/// Keys and tokens known by their shape; the prefix says what it was.
/// Long enough that ordinary words (`sk-learn`, `ghp_x`) pass.
const PROVIDERS: &str = concat!(
    // Anthropic API keys and OAuth tokens.
    r#"(?P<ant>sk-ant-)[A-Za-z0-9_-]{10,}"#,
    // OpenAI.
    r#"|(?P<openai>\bsk-(?:proj-|svcacct-|admin-)?)[A-Za-z0-9_-]{32,}"#,
    // Stripe secret and restricted keys, webhook secrets.
    r#"|(?P<stripe>\b(?:[sr]k_(?:live|test)_|whsec_))[A-Za-z0-9]{10,}"#,
    // GitHub, GitLab.
    r#"|(?P<github>\b(?:gh[pousr]_|github_pat_))[A-Za-z0-9_]{20,}"#,
    r#"|(?P<gitlab>\bglpat-)[A-Za-z0-9_-]{20,}"#,
    // AWS access key ids.
    r#"|(?P<aws>\b(?:AKIA|ASIA))[0-9A-Z]{16}\b"#,
    // Slack tokens and webhooks.
    r#"|(?P<slack>\b(?:xox[abposre]-|xapp-))[A-Za-z0-9-]{10,}"#,
    r#"|(?P<slack_hook>hooks\.slack\.com/services/)[A-Za-z0-9/]{20,}"#,
    // Google API keys, OAuth access tokens, OAuth client secrets.
    r#"|(?P<google>\b(?:AIza|ya29\.|GOCSPX-))[A-Za-z0-9_-]{20,}"#,
    // npm, Hugging Face.
    r#"|(?P<npm>\bnpm_)[A-Za-z0-9]{36}"#,
    r#"|(?P<hf>\bhf_)[A-Za-z0-9]{30,}"#,
);

/// A token after `Bearer` where no key names it.
const BEARER: &str = r#"(?P<bearer>\b(?i:bearer)[ \t]+)[A-Za-z0-9._~+/-]{16,}=*"#;

/// A JSON Web Token (header and payload are base64 of `{"`), replaced whole.
const JWT: &str = r#"(?P<jwt>)\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"#;

/// The groups that hold what is kept before the secret; `url_end` is kept
/// after it.
const KEPT: &[&str] = &[
    "url",
    "pem",
    "pem_open",
    "ant",
    "openai",
    "stripe",
    "github",
    "gitlab",
    "aws",
    "slack",
    "slack_hook",
    "google",
    "npm",
    "hf",
    "bearer",
    "jwt",
];

/// `line` (without its newline) with every secret replaced, borrowed if
/// there was none.
pub fn line(line: &[u8]) -> Cow<'_, [u8]> {
    SECRET.replace_all(line, |caps: &Captures| {
        let whole = caps.get(0).map_or(&[][..], |m| m.as_bytes());
        let mut out = match caps.name("kv") {
            Some(kv) => {
                let quote = ["dq", "edq", "sq"].iter().find_map(|q| caps.name(q));
                // `"key": 42` (or true, null) is JSON's own, not a secret.
                if quote.is_none() && caps.name("kq").is_some_and(|q| q.as_bytes() == b"\"") {
                    return whole.to_vec();
                }
                let mut kept = kv.as_bytes().to_vec();
                kept.extend_from_slice(quote.map_or(&[][..], |q| q.as_bytes()));
                kept
            }
            None => KEPT
                .iter()
                .find_map(|name| caps.name(name))
                .map_or(Vec::new(), |m| m.as_bytes().to_vec()),
        };
        out.extend_from_slice(MARK.as_bytes());
        out.extend_from_slice(caps.name("url_end").map_or(&[][..], |m| m.as_bytes()));
        out
    })
}

/// A private key's first and last lines, in a file of their own.
static KEY_BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[ \t\r]*$").expect("compiles")
});
static KEY_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)-----END [A-Z0-9 ]*PRIVATE KEY-----").expect("compiles"));

/// A line longer than this is redacted in pieces of this size (a secret
/// straddling two pieces is missed), so a file without newlines cannot
/// make the export hold it all in memory.
const MAX_LINE: u64 = 16 << 20;

/// Reads `inner` redacted, line by line.
pub struct Reader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    /// Inside a private key's lines: each is replaced until its END line.
    in_key: bool,
}

impl<R: BufRead> Reader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            pos: 0,
            in_key: false,
        }
    }

    /// The line in `buf` (newline and all) redacted.
    fn redact(&mut self) {
        let end = self.buf.len() - usize::from(self.buf.last() == Some(&b'\n'));
        let (text, newline) = self.buf.split_at(end);
        let mut out = match (self.in_key, KEY_END.find(text)) {
            (true, Some(close)) => {
                self.in_key = false;
                let mut out = match close.start() {
                    0 => Vec::new(),
                    _ => MARK.as_bytes().to_vec(),
                };
                out.extend_from_slice(&text[close.start()..]);
                out
            }
            (true, None) => MARK.as_bytes().to_vec(),
            (false, _) => {
                self.in_key = KEY_BEGIN.is_match(text);
                match line(text) {
                    Cow::Borrowed(_) => return,
                    Cow::Owned(out) => out,
                }
            }
        };
        out.extend_from_slice(newline);
        self.buf = out;
    }
}

impl<R: BufRead> Read for Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if (&mut self.inner)
                .take(MAX_LINE)
                .read_until(b'\n', &mut self.buf)?
                == 0
            {
                return Ok(0);
            }
            self.redact();
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// All of `bytes`, redacted line by line.
pub fn all(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    Reader::new(bytes)
        .read_to_end(&mut out)
        .expect("reading memory cannot fail");
    out
}

#[cfg(test)]
mod tests;
