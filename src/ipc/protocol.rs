//! The holder's wire protocol, versioned: holders outlive upgrades of
//! claude-session, so every connection starts with a handshake naming the
//! protocol, and new fields are `#[serde(default)]`.
//!
//! A connection starts with one JSON line from the client (`Hello`) and one
//! JSON line back (`Reply`). On an `Attach` connection the client then sends
//! raw keystrokes and the holder sends frames: a kind byte, a big-endian
//! u32 length, the payload. Control requests (resize, kill, status) use
//! short connections of their own.

use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::num::NonZeroU16;

/// Bumped on any change an older peer could not handle.
pub const PROTOCOL: u32 = 1;

/// The size a detached session starts with (rows, columns), until a
/// terminal attaches.
pub const DEFAULT_SIZE: (u16, u16) = (40, 120);

/// The largest screen a holder keeps (rows, columns). A screen's memory
/// grows with its cells (about 32 bytes each): 65535x65535 asked for by a
/// client would take tens of gigabytes; this bound, about 16 MB. Wider
/// than any real terminal.
pub const MAX_SIZE: (u16, u16) = (500, 1000);

/// A terminal size from outside (a client, a terminal), within 1..MAX_SIZE.
pub fn bounded_size(rows: u16, cols: u16) -> (u16, u16) {
    (rows.clamp(1, MAX_SIZE.0), cols.clamp(1, MAX_SIZE.1))
}

/// `bounded_size`, as a screen (vt100) takes a size.
pub fn screen_size(rows: u16, cols: u16) -> (NonZeroU16, NonZeroU16) {
    let (rows, cols) = bounded_size(rows, cols);
    let nonzero = |n| NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN);
    (nonzero(rows), nonzero(cols))
}

/// The longest grace a `Kill` request may give Claude before SIGKILL.
pub const MAX_KILL_GRACE_SECS: u64 = 3600;

/// The longest text a `Send` request types in one go.
pub const MAX_SEND: usize = 32 * 1024;

/// The longest handshake line accepted; anything longer is garbage. A
/// `Send` of MAX_SEND bytes fits whatever it holds: JSON writes each line
/// break, tab, quote or backslash in two bytes.
pub const MAX_HELLO: usize = 2 * MAX_SEND + 4 * 1024;

#[derive(Debug, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    #[serde(default)]
    pub client_version: String,
    pub request: Request,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Attach this connection: the current screen, then live output.
    Attach {
        rows: u16,
        cols: u16,
        #[serde(default)]
        read_only: bool,
        /// Where the client connects from ($SSH_CLIENT), told to a client it displaces.
        #[serde(default)]
        from: Option<String>,
    },
    /// The attached terminal changed size.
    Resize { rows: u16, cols: u16 },
    /// Stop Claude: SIGTERM now, SIGKILL after `timeout_secs` (at most
    /// `MAX_KILL_GRACE_SECS`).
    Kill { timeout_secs: u64 },
    /// Just the reply (is the holder alive, how many clients).
    Status,
    /// The screen as it is now: the reply, one output frame (the screen
    /// formatted, as an attaching client gets it), then the end. Only
    /// looks: wakes nothing, takes over nothing.
    Peek,
    /// Types `text` into Claude (pasted, if Claude reads pastes and it has
    /// a line break), then Enter unless `enter` is false.
    Send {
        text: String,
        #[serde(default = "yes")]
        enter: bool,
    },
    /// Let Claude exit now, keeping the screen and the session (see
    /// `holder::hibernate`); refused, with the reason, while it is busy.
    Hibernate,
    /// Start a hibernated session's Claude again.
    Wake,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    pub protocol: u32,
    #[serde(default)]
    pub holder_version: String,
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub agent_pid: Option<u32>,
    #[serde(default)]
    pub clients: u32,
    /// The screen's size (rows, columns), for a client that draws it.
    #[serde(default)]
    pub size: Option<(u16, u16)>,
    /// Claude is not running: the holder keeps the session, hibernated.
    #[serde(default)]
    pub hibernated: bool,
}

impl Reply {
    pub fn ok(agent_pid: Option<u32>, clients: u32) -> Self {
        Self {
            protocol: PROTOCOL,
            holder_version: env!("CARGO_PKG_VERSION").to_string(),
            ok: true,
            error: None,
            agent_pid,
            clients,
            size: None,
            hibernated: false,
        }
    }

    pub fn error(why: impl Into<String>) -> Self {
        Self {
            protocol: PROTOCOL,
            holder_version: env!("CARGO_PKG_VERSION").to_string(),
            ok: false,
            error: Some(why.into()),
            agent_pid: None,
            clients: 0,
            size: None,
            hibernated: false,
        }
    }
}

/// Holder -> client frames on an attach connection.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// Bytes for the terminal.
    Output(Vec<u8>),
    /// Claude exited with this status; the connection ends.
    Exit(i32),
    /// This client was detached by the holder (another client took over).
    Detached(String),
}

const OUTPUT: u8 = 1;
const EXIT: u8 = 2;
const DETACHED: u8 = 3;

/// The largest frame a client accepts, so a garbage peer cannot make it
/// allocate without bound.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Appends the encoding of an output frame without copying `bytes` twice.
pub fn encode_output(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(OUTPUT);
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

pub fn encode(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    match frame {
        Frame::Output(bytes) => encode_output(&mut out, bytes),
        Frame::Exit(code) => {
            out.push(EXIT);
            out.extend_from_slice(&4u32.to_be_bytes());
            out.extend_from_slice(&code.to_be_bytes());
        }
        Frame::Detached(why) => {
            out.push(DETACHED);
            out.extend_from_slice(&(why.len() as u32).to_be_bytes());
            out.extend_from_slice(why.as_bytes());
        }
    }
    out
}

/// Reads one frame; Ok(None) at a clean end of stream.
pub fn read_frame(reader: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut head = [0u8; HEADER];
    match reader.read_exact(&mut head[..1]) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    reader.read_exact(&mut head[1..])?;
    let len = payload_len(&head);
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut payload = vec![0; len];
    reader.read_exact(&mut payload)?;
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    Ok(Some(match head[0] {
        OUTPUT => Frame::Output(payload),
        EXIT => Frame::Exit(i32::from_be_bytes(
            payload.try_into().map_err(|_| bad("bad exit frame"))?,
        )),
        DETACHED => Frame::Detached(String::from_utf8_lossy(&payload).into_owned()),
        _ => return Err(bad("unknown frame kind")),
    }))
}

/// Whether `buffered` (bytes read ahead from the holder) holds a whole
/// frame, which `read_frame` can then return without waiting.
pub fn frame_buffered(buffered: &[u8]) -> bool {
    buffered.len() >= HEADER && buffered.len() - HEADER >= payload_len(buffered)
}

/// A frame's header: its kind byte and its payload's length.
const HEADER: usize = 5;

/// The payload length a frame header (at the start of `header`) gives.
fn payload_len(header: &[u8]) -> usize {
    u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize
}

/// Writes a JSON line.
pub fn write_line<T: Serialize>(writer: &mut impl Write, value: &T) -> io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line)
}

/// Reads a JSON line of at most `MAX_HELLO` bytes, one byte at a time:
/// frames follow the line on the same stream, and a buffered reader would
/// swallow them.
pub fn read_line<T: for<'de> Deserialize<'de>>(reader: &mut impl Read) -> io::Result<T> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match reader.read(&mut byte) {
            Ok(0) if line.is_empty() => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the holder closed the connection",
                ));
            }
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if line.len() > MAX_HELLO {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "handshake line too long",
            ));
        }
    }
    serde_json::from_slice(&line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frames = [
            Frame::Output(b"hello\x1b[0m".to_vec()),
            Frame::Exit(-3),
            Frame::Detached("why".into()),
        ];
        let mut bytes = Vec::new();
        for f in &frames {
            bytes.extend(encode(f));
        }
        let mut reader = &bytes[..];
        for f in frames {
            assert_eq!(read_frame(&mut reader).unwrap(), Some(f));
        }
        assert_eq!(read_frame(&mut reader).unwrap(), None);
    }

    #[test]
    fn tells_whether_a_whole_frame_is_buffered() {
        let frame = encode(&Frame::Output(b"abc".to_vec()));
        assert!(frame_buffered(&frame));
        assert!(!frame_buffered(&frame[..frame.len() - 1]));
        assert!(!frame_buffered(&frame[..3]));
        assert!(!frame_buffered(&[]));
    }

    #[test]
    fn garbage_frames_are_errors() {
        assert!(read_frame(&mut &[9u8, 0, 0, 0, 0][..]).is_err());
        assert!(read_frame(&mut &[1u8, 0xff, 0xff, 0xff, 0xff][..]).is_err());
    }

    #[test]
    fn hello_tolerates_unknown_fields() {
        let hello: Hello = serde_json::from_str(
            r#"{"protocol":1,"request":{"type":"attach","rows":24,"cols":80,"future":true},"extra":1}"#,
        )
        .unwrap();
        assert!(matches!(
            hello.request,
            Request::Attach {
                rows: 24,
                cols: 80,
                read_only: false,
                ..
            }
        ));
    }
}
