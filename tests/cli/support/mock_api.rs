//! A small mock of the Anthropic Messages API for the real Claude Code CLI
//! (`ANTHROPIC_BASE_URL=http://127.0.0.1:PORT`). It answers every message
//! with "ACK <the user's last prompt>" (streamed as SSE when asked), or with
//! a tool call for "USE-TOOL..." and "WRITE-FILE <name> <content>"
//! (`tool_call`; with "SLOW" in the prompt the answer after the tool comes
//! 4 s late), and keeps each request body so tests can see what Claude
//! sent.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Clone)]
pub struct MockApi {
    port: u16,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl MockApi {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        // The listener thread lives as long as the test process; connections
        // each get a thread (Claude keeps a few alive at once).
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                thread::spawn(move || serve(stream, log));
            }
        });
        Self { port, requests }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Bodies of every POST /v1/messages so far.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    /// Requests whose text contains `needle` anywhere.
    pub fn requests_with(&self, needle: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.to_string().contains(needle))
            .collect()
    }
}

fn serve(stream: TcpStream, log: Arc<Mutex<Vec<Value>>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    // HTTP/1.1 keep-alive: requests follow one another on the connection.
    while let Some((method, path, body)) = read_request(&mut reader) {
        let route = path.split('?').next().unwrap_or("");
        let (content_type, payload) = match (method.as_str(), route) {
            ("POST", "/v1/messages") => {
                let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if let Some(path) = std::env::var_os("MOCK_API_DUMP") {
                    let mut f = std::fs::OpenOptions::new()
                        .append(true)
                        .create(true)
                        .open(path)
                        .unwrap();
                    writeln!(f, "{request}").unwrap();
                }
                log.lock().unwrap().push(request.clone());
                // "SLOW" in the prompt: the answer after the tool takes a
                // while, so a test sees Claude working.
                if answers_a_tool(&request) && last_prompt(&request).contains("SLOW") {
                    thread::sleep(std::time::Duration::from_secs(4));
                }
                reply(&request)
            }
            ("POST", "/v1/messages/count_tokens") => {
                ("application/json", json!({"input_tokens": 10}).to_string())
            }
            _ => ("application/json", "{}".to_string()),
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nrequest-id: req_mock\r\n\r\n",
            payload.len()
        );
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(payload.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

/// Reads one request: method, path and body (Content-Length or chunked).
fn read_request(reader: &mut impl BufRead) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((method, path, body))
}

/// The prompt the user typed last: the last text of a user message that is
/// not a <system-reminder> Claude added (Claude also sends `system`-role
/// messages, e.g. the agent listing, after the prompt).
pub fn last_prompt(request: &Value) -> String {
    let Some(messages) = request["messages"].as_array() else {
        return String::new();
    };
    let is_prompt = |t: &&str| !t.trim_start().starts_with("<system-reminder>");
    for message in messages.iter().rev().filter(|m| m["role"] == "user") {
        let found = match &message["content"] {
            Value::String(text) => Some(text.as_str()).filter(is_prompt),
            Value::Array(blocks) => blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .rfind(is_prompt),
            _ => None,
        };
        if let Some(text) = found {
            return text.to_string();
        }
    }
    String::new()
}

/// True if the last message carries tool results (Claude ran a tool we asked for).
fn answers_a_tool(request: &Value) -> bool {
    request["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_array())
        .is_some_and(|blocks| blocks.iter().any(|b| b["type"] == "tool_result"))
}

/// The tool call a prompt asks for, as (tool, input): "USE-TOOL..." reads
/// /etc/hostname (read-only); "WRITE-FILE <name> <content>" writes
/// <content> to <name>, which, if relative, is in the working directory
/// Claude names in its request.
fn tool_call(request: &Value) -> Option<(&'static str, Value)> {
    let prompt = last_prompt(request);
    if prompt.starts_with("USE-TOOL") {
        return Some(("Read", json!({"file_path": "/etc/hostname"})));
    }
    let (name, content) = prompt.strip_prefix("WRITE-FILE ")?.split_once(' ')?;
    let path = match name.starts_with('/') {
        true => name.to_string(),
        false => format!("{}/{name}", working_directory(request)?),
    };
    Some(("Write", json!({"file_path": path, "content": content})))
}

/// "Primary working directory: <dir>" of the environment Claude describes.
fn working_directory(request: &Value) -> Option<String> {
    fn texts<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::String(s) => out.push(s),
            Value::Array(items) => items.iter().for_each(|v| texts(v, out)),
            Value::Object(map) => map.values().for_each(|v| texts(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    texts(request, &mut all);
    all.iter().find_map(|text| {
        let rest = text.split("Primary working directory: ").nth(1)?;
        rest.lines().next().map(|dir| dir.trim().to_string())
    })
}

/// The answer: "ACK <prompt>"; for a prompt that asks for a tool
/// (`tool_call`), that call first, then "TOOL-DONE" once its result is back.
fn reply(request: &Value) -> (&'static str, String) {
    let prompt: String = last_prompt(request).chars().take(200).collect();
    let (block, delta, stop) = if answers_a_tool(request) {
        (
            json!({"type": "text", "text": ""}),
            json!({"type": "text_delta", "text": "TOOL-DONE"}),
            "end_turn",
        )
    } else if let Some((tool, input)) = tool_call(request) {
        (
            json!({"type": "tool_use", "id": "toolu_mock_1", "name": tool, "input": {}}),
            json!({"type": "input_json_delta", "partial_json": input.to_string()}),
            "tool_use",
        )
    } else {
        (
            json!({"type": "text", "text": ""}),
            json!({"type": "text_delta", "text": format!("ACK {prompt}")}),
            "end_turn",
        )
    };
    let model = request["model"]
        .as_str()
        .unwrap_or("claude-mock")
        .to_string();
    // Every response its own id, as the real API does (usage is per id).
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = format!(
        "msg_mock_{}",
        NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let usage = json!({"input_tokens": 25, "output_tokens": 7, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0});
    if request["stream"] != Value::Bool(true) {
        let mut content = block.clone();
        match delta["type"].as_str() {
            Some("text_delta") => content["text"] = delta["text"].clone(),
            _ => {
                let input = delta["partial_json"].as_str().unwrap_or("{}");
                content["input"] = serde_json::from_str(input).unwrap_or(Value::Null);
            }
        }
        let body = json!({
            "id": id, "type": "message", "role": "assistant", "model": model,
            "content": [content], "stop_reason": stop, "stop_sequence": null, "usage": usage,
        });
        return ("application/json", body.to_string());
    }
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 25, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": block}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": 7}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    let mut sse = String::new();
    for (name, data) in events {
        sse.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    }
    ("text/event-stream", sse)
}
