//! The other hosts' sessions, asked for in the background: a host that is
//! slow or gone never holds up a frame or a key; its last answer, or its
//! trouble, is shown until the next one.

use super::model::Row;
use crate::remote::config::Host;
use crate::remote::fleet::{self, Report};
use crate::util::timestamp::Timestamp;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// How long a host has to answer one survey.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The pause between surveys: over a kept ssh connection one costs tens of
/// milliseconds of a host's time.
const EVERY: Duration = Duration::from_secs(3);

pub struct Fleet {
    answers: Receiver<Vec<Report>>,
}

impl Fleet {
    /// Starts asking `hosts`, if there are any.
    pub fn watch(hosts: Vec<Host>) -> Option<Fleet> {
        if hosts.is_empty() {
            return None;
        }
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            loop {
                if tx
                    .send(fleet::survey(&hosts, TIMEOUT, fleet::Git::NotAsked))
                    .is_err()
                {
                    return;
                }
                std::thread::sleep(EVERY);
            }
        });
        Some(Fleet { answers })
    }

    /// The newest answers since the last call: the hosts' rows, and a
    /// line for each host that did not list ("box: unreachable").
    pub fn latest(&self, now: Timestamp) -> Option<(Vec<Row>, Vec<String>)> {
        let reports = self.answers.try_iter().last()?;
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for report in reports {
            let host = &report.host.name;
            match report.result {
                Ok(listing) => rows.extend(listing.sessions.iter().map(|listed| {
                    super::rows::remote_row(host, &listing.home, &listed.session, &listed.json, now)
                })),
                Err(failure) => problems.push(
                    crate::view::safe(&format!("{host}: {}", failure.problem.as_str()))
                        .into_owned(),
                ),
            }
        }
        Some((rows, problems))
    }
}
