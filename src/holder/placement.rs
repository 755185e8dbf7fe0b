//! Where a new holder sets up: on a CPU other than its starter's.
//!
//! Measured on a 2-vCPU KVM guest (Linux 6.18): a new thread, and the
//! process it spawns or forks, start on their parent's CPU and wait there
//! until the parent blocks, even with the other CPU idle; nothing moves them
//! before the next balancing tick, milliseconds later. A `new` then made its
//! session and its holder started (an exec, about a millisecond of CPU, or
//! a fork's own set-up) one after the other instead of side by side. So the
//! holder (or the thread that spawns it) is moved to another CPU the starter
//! may use, and the holder gets the starter's whole CPU set back before it
//! starts Claude.

use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
use nix::unistd::Pid;
use std::os::unix::thread::JoinHandleExt;
use std::thread::JoinHandle;

/// The CPUs this thread may run on.
#[derive(Clone, Copy)]
pub struct Allowed(CpuSet);

impl Allowed {
    pub fn here() -> Option<Allowed> {
        sched_getaffinity(Pid::from_raw(0)).ok().map(Allowed)
    }

    /// Moves `thread` (just spawned: it may not have run yet) to one of
    /// these CPUs other than the caller's, if there is one. A hint: when
    /// it cannot be done, the thread runs where the kernel put it.
    /// Returns the CPU it was moved to.
    pub fn place_beside<T>(&self, thread: &JoinHandle<T>) -> Option<usize> {
        let (other, one) = self.one_other()?;
        // SAFETY: the thread is not joined yet, so its pthread_t is valid;
        // CpuSet is a transparent wrapper of cpu_set_t, and the size given
        // is that of the set passed.
        let rc = unsafe {
            nix::libc::pthread_setaffinity_np(
                thread.as_pthread_t(),
                std::mem::size_of::<CpuSet>(),
                (&raw const one).cast::<nix::libc::cpu_set_t>(),
            )
        };
        (rc == 0).then_some(other)
    }

    /// Moves process `pid` (just forked: it may not have run yet) to one of
    /// these CPUs other than the caller's, as `place_beside` does a thread.
    pub fn place(&self, pid: Pid) -> Option<usize> {
        let (other, one) = self.one_other()?;
        sched_setaffinity(pid, &one).ok()?;
        Some(other)
    }

    /// One of these CPUs other than the caller's, alone in a set.
    fn one_other(&self) -> Option<(usize, CpuSet)> {
        let other = self.other_than(sched_getcpu().ok()?)?;
        let mut one = CpuSet::new();
        one.set(other).ok()?;
        Some((other, one))
    }

    /// Lets process `pid` (placed, or spawned by a placed thread) run on all of these
    /// CPUs again. Best effort, like the placement: for a child of ours and
    /// a set we run on it cannot fail, and were it to, that process (a
    /// holder, and the Claude it starts) would keep to one CPU.
    pub fn give_back(&self, pid: Pid) {
        let _ = sched_setaffinity(pid, &self.0);
    }

    /// The next allowed CPU after `cpu`, going round; None if `cpu` is the
    /// only one.
    fn other_than(&self, cpu: usize) -> Option<usize> {
        let count = CpuSet::count();
        (1..count)
            .map(|step| (cpu + step) % count)
            .find(|&c| self.0.is_set(c).unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(cpus: &[usize]) -> Allowed {
        let mut set = CpuSet::new();
        for &cpu in cpus {
            set.set(cpu).unwrap();
        }
        Allowed(set)
    }

    #[test]
    fn the_other_cpu_is_the_next_allowed_one() {
        assert_eq!(allowed(&[0, 1]).other_than(0), Some(1));
        assert_eq!(allowed(&[0, 1]).other_than(1), Some(0));
        assert_eq!(allowed(&[2, 5, 7]).other_than(5), Some(7));
        assert_eq!(allowed(&[2, 5, 7]).other_than(7), Some(2));
        assert_eq!(allowed(&[3]).other_than(3), None);
    }

    #[test]
    fn a_placed_thread_runs_elsewhere_and_its_child_gets_all_back() {
        let here = Allowed::here().unwrap();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            wait.recv().unwrap();
            let ran_on = sched_getcpu().unwrap();
            let child = std::process::Command::new("sleep")
                .arg("5")
                .spawn()
                .unwrap();
            let inherited = sched_getaffinity(Pid::from_raw(child.id() as i32)).unwrap();
            (ran_on, inherited, child)
        });
        let placed = here.place_beside(&thread);
        go.send(()).unwrap();
        let (ran_on, inherited, mut child) = thread.join().unwrap();
        here.give_back(Pid::from_raw(child.id() as i32));
        let given_back = sched_getaffinity(Pid::from_raw(child.id() as i32)).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        let same =
            |a: &CpuSet, b: &CpuSet| (0..CpuSet::count()).all(|c| a.is_set(c) == b.is_set(c));
        assert!(same(&given_back, &here.0));
        match placed {
            // Placed before it ran: it and its child ran on that CPU only.
            Some(other) => {
                assert_eq!(ran_on, other);
                assert!((0..CpuSet::count()).all(|c| inherited.is_set(c).unwrap() == (c == other)));
            }
            None => assert!(same(&inherited, &here.0)),
        }
    }

    #[test]
    fn a_placed_process_runs_elsewhere_until_given_back() {
        let here = Allowed::here().unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        let placed = here.place(pid);
        let after_place = sched_getaffinity(pid).unwrap();
        here.give_back(pid);
        let given_back = sched_getaffinity(pid).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        let same =
            |a: &CpuSet, b: &CpuSet| (0..CpuSet::count()).all(|c| a.is_set(c) == b.is_set(c));
        match placed {
            Some(other) => {
                assert!(
                    (0..CpuSet::count()).all(|c| after_place.is_set(c).unwrap() == (c == other))
                );
            }
            None => assert!(same(&after_place, &here.0)),
        }
        assert!(same(&given_back, &here.0));
    }
}
