//! Inline-button presses: buying, settings, transcript actions, and (for admins only) trial
//! decisions and user pages. Every press is answered, so the client's spinner stops; a double tap finds the state
//! already changed and does nothing twice; data that is not one of our buttons (forged, or
//! from an older version) changes nothing.

use scribe_telegram::CallbackQuery;

use crate::buttons::{Action, Button, SettingToggle};
use crate::context::Context;
use crate::error::Result;
use crate::replies::reply;
use crate::{actions, admin, payments, privacy, settings};

/// Where a press goes, from its data and whether an admin pressed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Press {
    /// Anyone may buy: an invoice for the package.
    Buy { package: String },
    /// Anyone may change their settings.
    Setting(SettingToggle),
    /// Anyone may answer `/forget`'s question about their own data.
    Forget { confirm: bool },
    /// A transcript action: who may press it is decided with the job ([`actions::press`]).
    Action { job_id: i64, action: Action },
    /// Translate's languages.
    Languages { job_id: i64 },
    /// An admin's button, pressed by an admin.
    Admin(Button),
    /// An admin's button pressed by someone else: ignored.
    NotAdmin,
    /// Data that is not one of our buttons: ignored.
    Unknown,
}

impl Press {
    pub fn route(data: Option<&str>, by_admin: bool) -> Press {
        let Some(Ok(button)) = data.map(str::parse::<Button>) else {
            return Press::Unknown;
        };
        match button {
            Button::Buy { package } => Press::Buy { package },
            Button::Setting(toggle) => Press::Setting(toggle),
            Button::Forget { confirm } => Press::Forget { confirm },
            Button::Action { job_id, action } => Press::Action { job_id, action },
            Button::Languages { job_id } => Press::Languages { job_id },
            Button::Trial { .. } | Button::Users { .. } | Button::User { .. } if by_admin => {
                Press::Admin(button)
            }
            Button::Trial { .. } | Button::Users { .. } | Button::User { .. } => Press::NotAdmin,
        }
    }
}

pub async fn handle(ctx: &Context, query: &CallbackQuery) -> Result<()> {
    let user = ctx.contact(&query.from).await?;
    let lang = ctx.lang_of(&user);
    let message_id = query.message.as_ref().map(|m| m.message_id);
    match Press::route(query.data.as_deref(), ctx.bot.is_admin(user.id)) {
        Press::Buy { package } => payments::invoice(ctx, &user, &package, lang).await?,
        Press::Setting(toggle) => settings::toggle(ctx, &user, toggle, message_id).await?,
        Press::Forget { confirm } => privacy::forget(ctx, &user, confirm, message_id, lang).await?,
        // Action buttons answer their query themselves, often with a short notice.
        Press::Action { job_id, action } => {
            return actions::press(ctx, query, &user, job_id, action).await;
        }
        Press::Languages { job_id } => return actions::languages(ctx, query, &user, job_id).await,
        Press::Admin(button) => {
            if let Some(outcome) = admin::on_button(ctx, &user, &button, lang).await? {
                reply(ctx, user.id, &outcome).await?;
            }
        }
        Press::NotAdmin => tracing::info!("an admin button pressed by someone else; ignored"),
        Press::Unknown => tracing::info!("button data that is not ours; ignored"),
    }
    match ctx.telegram.answer_callback_query(&query.id, None).await {
        Err(e) if !e.is_query_too_old() => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buttons::{Query, TrialDecision};

    fn admin_buttons() -> [Button; 6] {
        [
            Button::Trial {
                decision: TrialDecision::Approve,
                user_id: 7,
            },
            Button::Trial {
                decision: TrialDecision::Deny,
                user_id: 7,
            },
            Button::Trial {
                decision: TrialDecision::Revoke,
                user_id: 7,
            },
            Button::users(0, "ann"),
            Button::Users {
                offset: 5,
                query: Query::Handle(Query::handle_of("a long search")),
            },
            Button::User { user_id: 7 },
        ]
    }

    #[test]
    fn anyone_may_buy_change_settings_and_answer_forget() {
        for by_admin in [false, true] {
            assert_eq!(
                Press::route(Some("buy:micro"), by_admin),
                Press::Buy {
                    package: "micro".into()
                }
            );
            for (data, toggle) in [
                ("set:lang", SettingToggle::Language),
                ("set:code", SettingToggle::Code),
                ("set:yo", SettingToggle::Yo),
                ("set:out", SettingToggle::Output),
            ] {
                assert_eq!(
                    Press::route(Some(data), by_admin),
                    Press::Setting(toggle),
                    "{data}"
                );
            }
            for confirm in [true, false] {
                let data = Button::Forget { confirm }.data();
                assert_eq!(
                    Press::route(Some(&data), by_admin),
                    Press::Forget { confirm },
                    "{data}"
                );
            }
            assert_eq!(
                Press::route(Some("act:5:tr-de"), by_admin),
                Press::Action {
                    job_id: 5,
                    action: Action::Translate("de".into())
                }
            );
            assert_eq!(
                Press::route(Some("tr:5"), by_admin),
                Press::Languages { job_id: 5 }
            );
            assert_eq!(Press::route(Some("act:5:tr-<b>"), by_admin), Press::Unknown);
        }
    }

    #[test]
    fn admin_buttons_reach_admins_only() {
        for button in admin_buttons() {
            let data = button.data();
            assert_eq!(
                Press::route(Some(&data), true),
                Press::Admin(button),
                "{data}"
            );
            assert_eq!(Press::route(Some(&data), false), Press::NotAdmin, "{data}");
        }
    }

    #[test]
    fn data_that_is_not_a_button_goes_nowhere() {
        for by_admin in [false, true] {
            assert_eq!(Press::route(None, by_admin), Press::Unknown);
            for data in [
                "",
                "buy:",
                "set:volume",
                "trial:ok:x",
                "admin:all",
                "users:-1:a",
            ] {
                assert_eq!(Press::route(Some(data), by_admin), Press::Unknown, "{data}");
            }
        }
    }
}
