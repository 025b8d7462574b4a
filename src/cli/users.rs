//! `sunvillage user …` and `sunvillage unit …`: staff accounts from the server's own
//! command line, where the first administrator is made. Each change is recorded in the
//! audit log as done by `cli`.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use clap::{Args, Subcommand};
use secrecy::SecretString;

use crate::configuration::Settings;
use crate::domain::RegionCode;
use crate::domain::staff::{Role, Username};
use crate::services::accounts::{AccountEdit, AccountForm, Accounts};
use crate::services::audit::Actor;
use crate::startup::prepare_database;
use crate::storage::accounts;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Make an account. The password is asked for twice (or read from stdin with
    /// --password-stdin); its owner keeps it, so it is not marked for change.
    Add(AddArgs),
    /// Set an account's password (asked twice, or --password-stdin). Every session of
    /// the account ends; a lock-out after failed sign-ins is lifted.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: its sessions end at once and it cannot sign in.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Forget an account's second factor (a lost phone): it enrols again at the next
    /// sign-in. Every session ends.
    ResetTotp { username: String },
    /// List accounts (within a region, e.g. --within 411503).
    List {
        #[arg(long, value_name = "CODE")]
        within: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    pub username: String,
    /// The name shown in timelines and the audit log, e.g. 李四.
    #[arg(long)]
    pub name: String,
    /// clerk (村务员), reviewer (乡镇审核员), handler (承办人), inspector (纪检监察干部),
    /// auditor (审计员) or admin (管理员).
    #[arg(long, value_parser = ["clerk", "reviewer", "handler", "inspector", "auditor", "admin"])]
    pub role: String,
    /// The region the account works in: a village (12 digits), township (9), county
    /// (6) or the city (4), e.g. 4115 for 信阳市.
    #[arg(long, value_name = "CODE")]
    pub region: String,
    /// For a handler: the unit it acts for (see `sunvillage unit add`).
    #[arg(long)]
    pub unit: Option<String>,
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Add a unit complaints can be assigned to (a township's office, a department).
    Add {
        name: String,
        /// Where it works: its complaints come from inside this region.
        #[arg(long, value_name = "CODE")]
        region: String,
    },
    /// List the units.
    List,
}

fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(SecretString::from(
            line.trim_end_matches(['\r', '\n']).to_owned(),
        ));
    }
    let first = rpassword::prompt_password("password: ")?;
    let second = rpassword::prompt_password("again: ")?;
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok(SecretString::from(first))
}

async fn accounts_service(settings: &Settings) -> anyhow::Result<Accounts> {
    let pool = prepare_database(&settings.database).await?;
    crate::startup::accounts_service(settings, pool)
}

async fn find(service: &Accounts, username: &str) -> anyhow::Result<accounts::Account> {
    let name = Username::parse(username).context("username")?;
    accounts::find_by_username(&service.pool, &name)
        .await?
        .with_context(|| format!("no account {name}"))
}

async fn set_active(service: &Accounts, username: &str, active: bool) -> anyhow::Result<()> {
    let a = find(service, username).await?;
    let edit = AccountEdit {
        display_name: a.display_name.as_str().to_owned(),
        role: a.role,
        region: a.region.clone(),
        unit: a.unit.clone(),
        active,
    };
    service
        .change(Actor::command_line(), a.account_id, &edit)
        .await?;
    println!(
        "{} {}",
        a.username,
        if active {
            "enabled"
        } else {
            "disabled; its sessions ended"
        }
    );
    Ok(())
}

pub async fn unit(settings: Settings, command: UnitCommand) -> anyhow::Result<()> {
    let pool = prepare_database(&settings.database).await?;
    match command {
        UnitCommand::Add { name, region } => {
            let region = RegionCode::parse(&region).context("--region")?;
            let name = name.trim();
            anyhow::ensure!(
                (1..=50).contains(&name.chars().count()),
                "a unit's name has 1 to 50 characters"
            );
            anyhow::ensure!(
                crate::storage::regions::find(&pool, &region)
                    .await?
                    .is_some(),
                "no region {region}"
            );
            let mut tx = pool.begin().await?;
            accounts::insert_unit(&mut *tx, name, &region).await?;
            crate::services::audit::record(
                &mut *tx,
                Actor::command_line(),
                "unit.created",
                crate::services::audit::Subject::new("unit", name, region.as_str()),
                crate::services::audit::Change::default(),
            )
            .await?;
            tx.commit().await?;
            println!("unit {name} ({region})");
        }
        UnitCommand::List => {
            let city = RegionCode::parse("41").context("the province")?;
            for u in accounts::units_within(&pool, &city).await? {
                println!("{:<30} {}", u.name, u.region_code);
            }
        }
    }
    Ok(())
}

pub async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let service = accounts_service(&settings).await?;
    let cli = Actor::command_line();
    match command {
        UserCommand::Add(args) => {
            let role = Role::parse(&args.role).context("--role")?;
            let region = RegionCode::parse(&args.region).context("--region")?;
            let password = read_password(args.password_stdin)?;
            let id = service
                .create(
                    cli,
                    AccountForm {
                        username: args.username.clone(),
                        display_name: args.name,
                        role,
                        region,
                        unit: args.unit,
                        password,
                        must_change_password: false,
                        sample: false,
                    },
                )
                .await?;
            println!(
                "account {} ({}) made, id {id}",
                args.username.trim().to_lowercase(),
                role.label()
            );
            if role.requires_second_factor() {
                println!("it enrols a second factor (TOTP) at its first sign-in");
            }
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let account = find(&service, &username).await?;
            let password = read_password(password_stdin)?;
            service
                .reset_password(cli, account.account_id, &password)
                .await?;
            println!("password of {} set; its sessions ended", account.username);
        }
        UserCommand::Disable { username } => set_active(&service, &username, false).await?,
        UserCommand::Enable { username } => set_active(&service, &username, true).await?,
        UserCommand::ResetTotp { username } => {
            let account = find(&service, &username).await?;
            service.reset_totp(cli, account.account_id).await?;
            println!(
                "second factor of {} forgotten; it enrols again at the next sign-in",
                account.username
            );
        }
        UserCommand::List { within } => {
            let within = match within {
                Some(code) => RegionCode::parse(&code).context("--within")?,
                None => RegionCode::parse("4115").context("the city")?,
            };
            for a in accounts::list_within(&service.pool, &within).await? {
                println!(
                    "{:<20} {:<10} {:<8} {:<12} {:<16} {}{}",
                    a.username.as_str(),
                    a.display_name.as_str(),
                    a.role.as_str(),
                    a.region.as_str(),
                    a.unit.as_deref().unwrap_or("-"),
                    if a.active { "active" } else { "disabled" },
                    if a.totp_enabled { ", totp" } else { "" },
                );
            }
        }
    }
    Ok(())
}
