//! Which command a typed text reaches, without a server: `commands::parse` (slash, `@bot`,
//! arguments) feeding `Command::parse` (the name, `/buy_<package>`), for every command.

use scribe_core::commands::Command;
use scribe_worker::commands::parse;

const BOT: &str = "ScribeBot";

/// The command a text reaches, with the package of `/buy_<package>`; `None`: an unknown name.
type Reached = Option<(Command, Option<String>)>;

/// What a text reaches, and its arguments; `None` when it is not addressed to us at all.
fn dispatch(text: &str) -> Option<(Reached, Vec<String>)> {
    let invocation = parse(text, BOT)?;
    let command =
        Command::parse(&invocation.name).map(|(c, package)| (c, package.map(str::to_owned)));
    let args = invocation.args.iter().map(|a| (*a).to_owned()).collect();
    Some((command, args))
}

fn named() -> impl Iterator<Item = Command> {
    Command::ALL
        .iter()
        .copied()
        .filter(|c| *c != Command::BuyPackage)
}

#[test]
fn every_command_is_reached_with_or_without_this_bots_name() {
    for command in named() {
        let name = command.name();
        for typed in [
            format!("/{name}"),
            format!("/{name}@{BOT}"),
            format!("/{name}@scribebot"),
            format!("/{}", name.to_uppercase()),
            format!("/{}@SCRIBEBOT", name.to_uppercase()),
        ] {
            assert_eq!(
                dispatch(&typed),
                Some((Some((command, None)), vec![])),
                "{typed}"
            );
        }
        assert_eq!(
            dispatch(&format!("/{name}@{BOT}  one\ttwo\nthree")),
            Some((
                Some((command, None)),
                vec!["one".into(), "two".into(), "three".into()]
            )),
            "{name} with arguments"
        );
    }
}

#[test]
fn commands_for_other_bots_are_ignored() {
    for command in named() {
        for typed in [
            format!("/{}@OtherBot", command.name()),
            format!("/{}@ScribeBot2", command.name()),
            format!("/{}@", command.name()),
        ] {
            assert_eq!(parse(&typed, BOT), None, "{typed}");
        }
    }
    assert_eq!(parse("/buy_micro@OtherBot", BOT), None);
}

#[test]
fn buy_commands_carry_their_package() {
    let package = |text: &str| dispatch(text).and_then(|(c, _)| c);
    assert_eq!(
        package("/buy_micro"),
        Some((Command::BuyPackage, Some("micro".into())))
    );
    assert_eq!(
        package("/buy_micro@ScribeBot"),
        Some((Command::BuyPackage, Some("micro".into())))
    );
    assert_eq!(
        package("/BUY_Pro_10"),
        Some((Command::BuyPackage, Some("pro_10".into()))),
        "names are lowercased, the package with them"
    );
    assert_eq!(package("/buy_minutes"), Some((Command::BuyMinutes, None)));
    assert_eq!(
        package("/buy_minutes2"),
        Some((Command::BuyPackage, Some("minutes2".into())))
    );
    assert_eq!(package("/buy_"), None, "no package: an unknown command");
    assert_eq!(package("/buy"), None);
}

#[test]
fn texts_that_are_not_commands_reach_nothing() {
    for text in [
        "",
        "   ",
        "start",
        "hello /start",
        "/",
        "/@ScribeBot",
        "//start",
    ] {
        assert_eq!(
            dispatch(text).and_then(|(c, _)| c),
            None,
            "{text:?} is no command"
        );
    }
    for text in ["", "start", "hello /start", "/", "/@ScribeBot"] {
        assert_eq!(parse(text, BOT), None, "{text:?} is not addressed to us");
    }
    // An unknown name is ours (it gets the "unknown command" answer), but reaches no command.
    assert_eq!(dispatch("/nope"), Some((None, vec![])));
    assert_eq!(
        dispatch("/nope@ScribeBot x"),
        Some((None, vec!["x".into()]))
    );
}
