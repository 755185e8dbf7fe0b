//! Which dirs hold the newest login and which differ, for `doctor`: states
//! and expiry times only, never a token.

use super::file::{self, Cred};
use crate::store::layout::Layout;
use anyhow::Result;
use nix::fcntl::FlockArg;
use serde::Serialize;
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Survey {
    /// The dir whose credentials every other should have (`sync_all` copies
    /// them); None when no dir holds a valid login.
    pub newest: Option<PathBuf>,
    /// The base first (when it exists), then every session dir.
    pub dirs: Vec<DirState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirState {
    pub dir: PathBuf,
    /// None for the base.
    pub session_id: Option<Uuid>,
    pub state: State,
    /// `claudeAiOauth.expiresAt` (ms since the epoch) of a valid file.
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// This is the newest login.
    Newest,
    /// Byte-identical to the newest.
    Same,
    /// A valid login that expires earlier than the newest.
    Older,
    /// A valid login with the newest's expiry but other content, written
    /// earlier.
    Differs,
    Missing,
    /// Not a login (unreadable, not JSON, no `claudeAiOauth`).
    Invalid,
}

impl Survey {
    /// The dirs that `sync_all` would write.
    pub fn differing(&self) -> impl Iterator<Item = &DirState> {
        self.dirs
            .iter()
            .filter(|d| !matches!(d.state, State::Newest | State::Same))
            .filter(|_| self.newest.is_some())
    }

    /// Every dir holds the newest login (or no dir holds any).
    pub fn in_sync(&self) -> bool {
        self.differing().next().is_none()
    }
}

/// Reads the base and every session dir, under the store's lock (shared:
/// a survey waits for a sync in progress, not for another survey).
pub fn survey(layout: &Layout) -> Result<Survey> {
    let _lock = super::store_lock(layout, FlockArg::LockShared)?;
    let places = super::places(layout);
    let creds: Vec<Cred> = places.iter().map(|p| file::read(&p.dir)).collect();
    let newest = file::newest(&creds);
    // Copies are byte-identical: name the first (the base, if it has it).
    let first = newest.and_then(|n| {
        creds
            .iter()
            .position(|c| c.valid().is_some_and(|v| v.bytes == n.bytes))
    });
    let mut survey = Survey {
        newest: None,
        dirs: Vec::with_capacity(places.len()),
    };
    for (i, (place, cred)) in places.into_iter().zip(&creds).enumerate() {
        let state = match (cred, newest) {
            (Cred::Missing, _) => State::Missing,
            (Cred::Invalid, _) => State::Invalid,
            (Cred::Valid(_), Some(_)) if Some(i) == first => {
                survey.newest = Some(place.dir.clone());
                State::Newest
            }
            (Cred::Valid(v), Some(n)) if v.bytes == n.bytes => State::Same,
            (Cred::Valid(v), Some(n)) if v.expires_at < n.expires_at => State::Older,
            (Cred::Valid(_), _) => State::Differs,
        };
        survey.dirs.push(DirState {
            dir: place.dir,
            session_id: place.session,
            state,
            expires_at: cred.valid().map(|v| v.expires_at),
        });
    }
    Ok(survey)
}
