//! `export --redact`: replaces what looks like an API key or a token with
//! `[REDACTED]`, one line at a time (transcripts are JSON lines).
//!
//! Only the secret itself is replaced, by characters that need no escaping
//! in JSON, so every line that was valid JSON stays valid JSON. The
//! patterns are ASCII-only byte regexes: no Unicode tables, and a line
//! that is not UTF-8 is handled like any other.

use regex::bytes::{Captures, Regex};
use std::borrow::Cow;
use std::io::{self, BufRead, Read};
use std::sync::LazyLock;

pub const MARK: &str = "[REDACTED]";

/// One alternation, so each line is scanned once. Each branch captures the
/// part that is kept (a prefix saying what the secret was); the rest of the
/// match is the secret.
static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?-u)",
        // Anthropic API keys and OAuth tokens.
        r"(?P<ant>sk-ant-)[A-Za-z0-9_-]{10,}",
        // OpenAI-style keys; long, so ordinary words such as sk-learn pass.
        r"|(?P<sk>\bsk-(?:proj-|svcacct-|admin-)?)[A-Za-z0-9_-]{32,}",
        // GitHub tokens.
        r"|(?P<gh>\b(?:gh[pousr]_|github_pat_))[A-Za-z0-9_]{20,}",
        // AWS access key ids.
        r"|(?P<aws>\b(?:AKIA|ASIA))[0-9A-Z]{16}\b",
        // Slack tokens.
        r"|(?P<slack>\bxox[abposr]-)[A-Za-z0-9-]{10,}",
        // Private keys (a JSON string holds their lines joined by \n).
        r"|(?P<pem>-----BEGIN [A-Z ]*PRIVATE KEY-----)[A-Za-z0-9+/=\\\s]{16,}-----END [A-Z ]*PRIVATE KEY-----",
        // Authorization headers.
        r"|(?P<bearer>(?i:bearer)\s+)[A-Za-z0-9._~+/-]{16,}=*",
        // api_key=..., "token": "...", SECRET: ..., also inside a JSON
        // string, where quotes come escaped (\").
        r#"|(?P<kv>(?i:api[_-]?key|token|secret|password|passwd)["':=\\ ]+)[A-Za-z0-9_-]{16,}"#,
    ))
    .expect("the secret patterns compile")
});

const KEPT: &[&str] = &["ant", "sk", "gh", "aws", "slack", "pem", "bearer", "kv"];

/// `line` with every secret replaced, borrowed if there was none.
pub fn line(line: &[u8]) -> Cow<'_, [u8]> {
    SECRET.replace_all(line, |caps: &Captures| {
        let kept = KEPT
            .iter()
            .find_map(|name| caps.name(name))
            .map(|m| m.as_bytes())
            .unwrap_or_default();
        let mut out = kept.to_vec();
        out.extend_from_slice(MARK.as_bytes());
        out
    })
}

/// A line longer than this is redacted in pieces of this size (a secret
/// straddling two pieces is missed), so a file without newlines cannot
/// make the export hold it all in memory.
const MAX_LINE: u64 = 16 << 20;

/// Reads `inner` redacted, line by line.
pub struct Reader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
}

impl<R: BufRead> Reader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            pos: 0,
        }
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
            if let Cow::Owned(redacted) = line(&self.buf) {
                self.buf = redacted;
            }
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
mod tests {
    use super::*;

    fn red(s: &str) -> String {
        String::from_utf8(line(s.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn known_key_shapes_are_replaced() {
        let ant = "sk-ant-api03-AbCdEf0123456789_xyz-XYZ";
        assert_eq!(red(&format!("key {ant} end")), "key sk-ant-[REDACTED] end");
        assert_eq!(
            red("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"),
            "Authorization: Bearer [REDACTED]"
        );
        assert_eq!(
            red("ghp_0123456789abcdefghijABCDEFGHIJ0123 x"),
            "ghp_[REDACTED] x"
        );
        assert_eq!(red("id AKIAIOSFODNN7EXAMPLE."), "id AKIA[REDACTED].");
        assert_eq!(
            red("OPENAI=sk-proj-0123456789abcdefghij0123456789abcdefghij"),
            "OPENAI=sk-proj-[REDACTED]"
        );
        assert_eq!(
            red(
                r"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0123456789\n-----END RSA PRIVATE KEY-----"
            ),
            "-----BEGIN RSA PRIVATE KEY-----[REDACTED]"
        );
    }

    #[test]
    fn generic_assignments_keep_their_name() {
        assert_eq!(
            red("export API_KEY=abcdefghijklmnop1234"),
            "export API_KEY=[REDACTED]"
        );
        assert_eq!(
            red(r#"{"access_token": "0123456789abcdef0123"}"#),
            r#"{"access_token": "[REDACTED]"}"#
        );
        assert_eq!(red("Secret: 0123456789abcdefXYZ"), "Secret: [REDACTED]");
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
    fn ordinary_text_is_untouched() {
        for s in [
            r#"{"usage":{"input_tokens":12345,"output_tokens":678,"cache_read_input_tokens":91011}}"#,
            "the token is short",
            "pip install sk-learn-extra-things",
            "max_tokens: 32000",
            r#"{"parentUuid":"0f8fad5b-d9cb-469f-a165-70867728950e","sessionId":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}"#,
        ] {
            assert!(matches!(line(s.as_bytes()), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn the_reader_redacts_every_line_and_keeps_the_rest() {
        let input = b"a sk-ant-0123456789abc\nplain\n\xff\xfe binary\nlast sk-ant-abcdefghijkl";
        let out = all(input);
        assert_eq!(
            out,
            b"a sk-ant-[REDACTED]\nplain\n\xff\xfe binary\nlast sk-ant-[REDACTED]".to_vec()
        );
    }
}
