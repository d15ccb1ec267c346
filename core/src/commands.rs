//! The bot's commands, one enum: it drives dispatch (the worker), `/help` and `/admin` (the texts
//! in [`crate::i18n`]) and the menu the operator registers with `setMyCommands`. Adding a
//! command is adding a variant; the compiler then points at every place that must know it.

/// Who may use a command. Admin commands do not exist for anyone else: they get the ordinary
/// "unknown command" answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Admins,
}

/// Every command of the bot (`/buy_<package>` is [`Command::BuyPackage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Start,
    Help,
    Balance,
    BuyMinutes,
    /// `/buy_<package>`: the package id follows the underscore.
    BuyPackage,
    Settings,
    Language,
    Code,
    Yo,
    Output,
    History,
    Trial,
    /// `/t` or `/transcribe`, as a reply to media in a group.
    Transcribe,
    /// A group's auto mode (group admins).
    Auto,
    /// Subtitles for the media replied to.
    Subtitles,
    /// Words and names to spell exactly (in a group: the group's, kept by its admins).
    Glossary,
    Privacy,
    Retention,
    Forget,
    Admin,
    User,
    Credit,
    Stat,
    Metrics,
    ReviewTrials,
    Export,
    Report,
    Status,
    Flush,
    Refund,
}

impl Command {
    /// Every command, in the order menus and help list them.
    pub const ALL: &'static [Command] = &[
        Command::Start,
        Command::Help,
        Command::Balance,
        Command::BuyMinutes,
        Command::BuyPackage,
        Command::Settings,
        Command::Language,
        Command::Code,
        Command::Yo,
        Command::Output,
        Command::History,
        Command::Trial,
        Command::Transcribe,
        Command::Auto,
        Command::Subtitles,
        Command::Glossary,
        Command::Privacy,
        Command::Retention,
        Command::Forget,
        Command::Admin,
        Command::User,
        Command::Credit,
        Command::Stat,
        Command::Metrics,
        Command::ReviewTrials,
        Command::Export,
        Command::Report,
        Command::Status,
        Command::Flush,
        Command::Refund,
    ];

    /// The name after the slash (`BuyPackage`: the prefix before the package id).
    pub fn name(self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Help => "help",
            Command::Balance => "balance",
            Command::BuyMinutes => "buy_minutes",
            Command::BuyPackage => "buy_",
            Command::Settings => "settings",
            Command::Language => "language",
            Command::Code => "code",
            Command::Yo => "yo",
            Command::Output => "output",
            Command::History => "history",
            Command::Trial => "trial",
            Command::Transcribe => "transcribe",
            Command::Auto => "auto",
            Command::Subtitles => "subtitles",
            Command::Glossary => "glossary",
            Command::Privacy => "privacy",
            Command::Retention => "retention",
            Command::Forget => "forget",
            Command::Admin => "admin",
            Command::User => "user",
            Command::Credit => "credit",
            Command::Stat => "stat",
            Command::Metrics => "metrics",
            Command::ReviewTrials => "review_trials",
            Command::Export => "export",
            Command::Report => "report",
            Command::Status => "status",
            Command::Flush => "flush",
            Command::Refund => "refund",
        }
    }

    /// How to call it, for usage replies and help lists.
    pub fn usage(self) -> &'static str {
        match self {
            Command::Start => "/start",
            Command::Help => "/help",
            Command::Balance => "/balance",
            Command::BuyMinutes => "/buy_minutes",
            Command::BuyPackage => "/buy_<package>",
            Command::Settings => "/settings",
            Command::Language => "/language [code|auto]",
            Command::Code => "/code [on|off]",
            Command::Yo => "/yo [keep|replace]",
            Command::Output => "/output auto|split|file|srt",
            Command::History => "/history",
            Command::Trial => "/trial",
            Command::Transcribe => "/transcribe",
            Command::Auto => "/auto [on [minutes per day]|off]",
            Command::Subtitles => "/subtitles",
            Command::Glossary => "/glossary [add <words>|remove <words>|clear]",
            Command::Privacy => "/privacy",
            Command::Retention => "/retention off|1d|7d|30d",
            Command::Forget => "/forget",
            Command::Admin => "/admin",
            Command::User => "/user [query|id]",
            Command::Credit => "/credit <user_id> <minutes>",
            Command::Stat => "/stat [days]",
            Command::Metrics => "/metrics [hours]",
            Command::ReviewTrials => "/review_trials",
            Command::Export => "/export users|jobs|payments|ledger [days]",
            Command::Report => "/report daily|weekly",
            Command::Status => "/status",
            Command::Flush => "/flush [minutes]",
            Command::Refund => "/refund <charge_id> [force]",
        }
    }

    pub fn audience(self) -> Audience {
        match self {
            Command::Start
            | Command::Help
            | Command::Balance
            | Command::BuyMinutes
            | Command::BuyPackage
            | Command::Settings
            | Command::Language
            | Command::Code
            | Command::Yo
            | Command::Output
            | Command::History
            | Command::Trial
            | Command::Transcribe
            | Command::Auto
            | Command::Subtitles
            | Command::Glossary
            | Command::Privacy
            | Command::Retention
            | Command::Forget => Audience::Everyone,
            Command::Admin
            | Command::User
            | Command::Credit
            | Command::Stat
            | Command::Metrics
            | Command::ReviewTrials
            | Command::Export
            | Command::Report
            | Command::Status
            | Command::Flush
            | Command::Refund => Audience::Admins,
        }
    }

    /// Whether the command appears in the menu Telegram shows in private chats
    /// (`setMyCommands`). The group commands have a menu of their own ([`Command::group_menu`]).
    pub fn in_menu(self) -> bool {
        self.audience() == Audience::Everyone
            && !matches!(
                self,
                Command::BuyPackage | Command::Transcribe | Command::Auto
            )
    }

    /// Commands that work in groups, in the order the group menu lists them.
    pub fn group_menu() -> impl Iterator<Item = Command> {
        [
            Command::Transcribe,
            Command::Subtitles,
            Command::Auto,
            Command::Glossary,
            Command::Language,
            Command::Output,
            Command::Retention,
            Command::Privacy,
        ]
        .into_iter()
    }

    /// The command named `name` (lowercase, without slash or `@bot`), and for `/buy_<id>` the
    /// package id.
    pub fn parse(name: &str) -> Option<(Command, Option<&str>)> {
        if let Some(package) = name.strip_prefix(Command::BuyPackage.name())
            && name != Command::BuyMinutes.name()
            && !package.is_empty()
        {
            return Some((Command::BuyPackage, Some(package)));
        }
        if name == "t" {
            return Some((Command::Transcribe, None));
        }
        Command::ALL
            .iter()
            .copied()
            .filter(|c| *c != Command::BuyPackage)
            .find(|c| c.name() == name)
            .map(|c| (c, None))
    }

    /// The commands of the menu, in order.
    pub fn menu() -> impl Iterator<Item = Command> {
        Command::ALL.iter().copied().filter(|c| c.in_menu())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_parses_back_from_its_name() {
        for command in Command::ALL.iter().copied() {
            if command == Command::BuyPackage {
                continue;
            }
            assert_eq!(Command::parse(command.name()), Some((command, None)));
            assert!(command.usage().starts_with(&format!("/{}", command.name())));
        }
        assert_eq!(
            Command::parse("buy_start"),
            Some((Command::BuyPackage, Some("start")))
        );
        assert_eq!(Command::parse("buy_"), None);
        assert_eq!(Command::parse("t"), Some((Command::Transcribe, None)));
        assert_eq!(Command::parse("nope"), None);
    }

    #[test]
    fn the_menu_holds_only_user_commands_telegram_accepts() {
        for command in Command::menu() {
            let name = command.name();
            assert_eq!(command.audience(), Audience::Everyone);
            assert!(
                (1..=32).contains(&name.len())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name} is not a valid Bot API command"
            );
        }
    }
}
