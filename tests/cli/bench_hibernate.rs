//! The figures of bench/hibernate.sh (not a test: `#[ignore]`d, run by the
//! script with the real Claude Code CLI): the memory of idle sessions
//! before and after hibernation, and how long a wake takes.

use crate::support::pty::Terminal;
use crate::support::real::{prompt_shown, real_env};
use crate::support::{Env, wait_until};
use std::time::{Duration, Instant};

/// PSS in kB of `pid` and every process under it (/proc/PID/smaps_rollup).
fn pss_tree(pid: u32) -> u64 {
    let mut children: std::collections::HashMap<u32, Vec<u32>> = Default::default();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // The parent is the second field after the name's closing ')'.
        if let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|f| f.parse().ok())
        {
            children.entry(ppid).or_default().push(p);
        }
    }
    let mut total = 0;
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        total += std::fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0);
        todo.extend(children.get(&p).into_iter().flatten());
    }
    total
}

fn holders(env: &Env, names: &[String]) -> Vec<u32> {
    names
        .iter()
        .map(|n| env.show(n)["holderPid"].as_u64().unwrap() as u32)
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
#[ignore = "a benchmark: bench/hibernate.sh runs it"]
fn bench_hibernate() {
    let Some((env, _mock)) = real_env() else {
        return;
    };
    let n: usize = std::env::var("BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .clamp(1, 200);
    let wakes: usize = std::env::var("BENCH_WAKES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .clamp(1, n);
    let names: Vec<String> = (0..n).map(|i| format!("s{i:03}")).collect();
    let mut cold = Vec::new();
    for name in &names {
        let start = Instant::now();
        env.ok(&["new", name, "--detached"]);
        wait_until(
            Duration::from_secs(120),
            || format!("{name} never showed its prompt"),
            || prompt_shown(&env.peek(name)).then_some(()),
        );
        cold.push(start.elapsed());
    }
    for name in &names {
        wait_until(
            Duration::from_secs(120),
            || format!("{name} never idle: {}", env.show(name)),
            || (env.show(name)["state"] == "idle").then_some(()),
        );
    }
    // Claude settles after its first screen (plugins, MCP, caches).
    std::thread::sleep(Duration::from_secs(5));
    let awake: u64 = holders(&env, &names).into_iter().map(pss_tree).sum();

    let start = Instant::now();
    let out = env.ok(&["hibernate", "--idle"]);
    let hibernate_all = start.elapsed();
    assert_eq!(
        out.lines().filter(|l| l.starts_with("hibernated ")).count(),
        n,
        "{out}"
    );
    std::thread::sleep(Duration::from_secs(1));
    let asleep: u64 = holders(&env, &names).into_iter().map(pss_tree).sum();

    // A wake: attach, then type at once; the text shows when the woken
    // Claude has taken it (the holder keeps it until Claude's prompt).
    let mut screen_back = Vec::new();
    let mut usable = Vec::new();
    for name in names.iter().take(wakes) {
        let start = Instant::now();
        let mut term = Terminal::spawn(&env, &["attach", name], 40, 120);
        term.wait_until("the kept screen", prompt_shown);
        screen_back.push(start.elapsed());
        term.type_bytes(b"WAKE-PROBE");
        term.wait_for("WAKE-PROBE");
        usable.push(start.elapsed());
        term.type_bytes(b"\x1cd");
        term.wait_exit();
    }
    for name in &names {
        let _ = env.run(&["kill", name]);
    }
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!("BENCH sessions {n}, Claude Code {}", {
        let claude = crate::support::real::real_claude().unwrap();
        let v = std::process::Command::new(claude)
            .arg("--version")
            .output()
            .unwrap();
        String::from_utf8_lossy(&v.stdout).trim().to_string()
    });
    println!(
        "BENCH PSS of everything {n} idle sessions hold | {:.1} MB ({:.1} MB each) | {:.1} MB ({:.2} MB each) hibernated",
        mb(awake),
        mb(awake) / n as f64,
        mb(asleep),
        mb(asleep) / n as f64
    );
    println!(
        "BENCH hibernate --idle for all {n} | {:.0} ms",
        hibernate_all.as_secs_f64() * 1e3
    );
    println!(
        "BENCH attach to the kept screen, median of {wakes} | {:.0} ms",
        median(screen_back).as_secs_f64() * 1e3
    );
    println!(
        "BENCH attach to a woken Claude taking keys, median of {wakes} | {:.2} s",
        median(usable).as_secs_f64()
    );
    println!(
        "BENCH floor: a new session to its prompt (cold start), median of {n} | {:.2} s",
        median(cold).as_secs_f64()
    );
}
