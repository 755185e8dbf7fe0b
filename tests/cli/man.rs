//! `claude-session man`: the page is generated from the clap definition, so
//! it must show every subcommand `--help` lists, and the exit codes.

use crate::support::Env;

#[test]
fn man_page_is_roff_with_every_command_and_the_exit_codes() {
    let env = Env::new();
    let page = env.ok(&["man"]);
    assert!(page.starts_with(".TH claude-session 1 "), "{}", &page[..80]);
    let help = env.ok(&["--help"]);
    let commands: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   ")) // a wrapped description
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 12, "{commands:?}");
    for command in commands {
        let heading = format!("\\fBclaude\\-session {}\\fR", command.replace('-', "\\-"));
        assert!(page.contains(&heading), "no section for {command}");
    }
    assert!(page.contains(".SH \"EXIT STATUS\""));
    for code in ["0", "1", "2", "N"] {
        assert!(
            page.contains(&format!(".TP\n\\fB{code}\\fR\n")),
            "exit code {code}"
        );
    }
    assert!(page.contains("bad usage"));
}
