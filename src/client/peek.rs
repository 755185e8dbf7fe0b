//! Looking at a running session without attaching: its screen as the
//! holder keeps it (read-only: nothing is woken or taken over), and typing
//! text into it.

use crate::ipc::endpoint;
use crate::ipc::protocol::{self, Frame, MAX_SEND, Request};
use anyhow::{Context, Result, bail};
use uuid::Uuid;

/// The session's screen as it is now.
pub fn screen(session: Uuid) -> Result<vt100::Screen> {
    let (stream, reply) = endpoint::request(session, Request::Peek)?;
    let (rows, cols) = reply.size.unwrap_or(protocol::DEFAULT_SIZE);
    // A holder that answered and then stalls must not stall a dashboard.
    stream.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
    let frame = protocol::read_frame(&mut &stream).context("the holder sent no screen")?;
    let Some(Frame::Output(bytes)) = frame else {
        bail!("the holder sent no screen");
    };
    let (rows, cols) = protocol::screen_size(rows, cols);
    let mut parser = vt100::Parser::new(rows, cols, 0);
    parser.process(&bytes);
    Ok(parser.screen().clone())
}

/// The screen's lines as text, without the blank ones at the end.
pub fn lines(screen: &vt100::Screen) -> Vec<String> {
    let mut lines: Vec<String> = screen
        .rows(0, screen.size().1.get())
        .map(|row| row.trim_end().to_string())
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Types `text` (and Enter, with `enter`) into the session's Claude. Text
/// with control characters other than line breaks and tabs is refused: it
/// would act as keys (Ctrl-C, Escape), not as text.
pub fn send(session: Uuid, text: &str, enter: bool) -> Result<()> {
    if text.len() > MAX_SEND {
        bail!(
            "the text has {} bytes; at most {MAX_SEND} are sent at once",
            text.len()
        );
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        bail!(
            "the text holds the control character {c:?}; only text, tabs and line breaks are sent"
        );
    }
    endpoint::request(
        session,
        Request::Send {
            text: text.to_string(),
            enter,
        },
    )?;
    Ok(())
}
