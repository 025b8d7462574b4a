//! The `sunvillage` command line: one binary, one subcommand per job.

use std::path::PathBuf;

use anyhow::Context;
use clap::{ArgGroup, Args, Parser, Subcommand};

use crate::configuration::{Settings, WechatMode};
use crate::region_import::{self, ImportError, Scope};
use crate::startup::Application;
use crate::wechat::simulate::{self, Simulated};
use crate::{shutdown, storage};

/// 阳光村务: the WeChat Official Account backend through which villagers watch how
/// village power is used.
///
/// Settings come from the built-in config/default.toml, then the file given with
/// --config, then environment variables APP__SECTION__KEY (APP__DATABASE__URL,
/// APP__WECHAT__MODE, …). Secrets are read only from files and the environment.
#[derive(Debug, Parser)]
#[command(name = "sunvillage", version)]
pub struct Cli {
    /// A TOML file layered over the built-in defaults (e.g. config/production.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (the default). Creates the database when missing, applies
    /// migrations, imports the built-in 信阳市 divisions into an empty region table,
    /// then serves until SIGINT or SIGTERM.
    Serve,
    /// Create the database when missing and apply pending migrations, then exit.
    Migrate,
    /// Import division codes from a directory in the five-file layout (provinces,
    /// cities, areas, streets, villages; .csv or .csv.gz). Every row is checked first;
    /// when any row is bad, each is reported with its file and line and nothing is
    /// imported. Re-running the same data changes nothing.
    ImportRegions(ImportRegionsArgs),
    /// Play WeChat: send a correctly signed message (encrypted in safe and compatible
    /// mode, with the configured token, EncodingAESKey and AppID) to a running server
    /// and print its decoded reply. E.g. `simulate --text 王岗`,
    /// `simulate --event subscribe --scene 411503209202`, `simulate --event CLICK --key HELP`.
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["text", "voice", "event"])))]
pub struct SimulateArgs {
    /// Send a text message with this content.
    #[arg(long)]
    pub text: Option<String>,
    /// Send a voice message whose recognised speech is this.
    #[arg(long)]
    pub voice: Option<String>,
    /// Send an event: subscribe, unsubscribe, SCAN, CLICK, VIEW, LOCATION,
    /// scancode_waitmsg, TEMPLATESENDJOBFINISH, …
    #[arg(long)]
    pub event: Option<String>,
    /// The event's EventKey: a menu key for CLICK, a URL for VIEW, the scanned text for
    /// scancode_push and scancode_waitmsg.
    #[arg(long, conflicts_with = "scene")]
    pub key: Option<String>,
    /// A QR scene (a village code): subscribe gets EventKey qrscene_<SCENE>, SCAN gets
    /// <SCENE>.
    #[arg(long)]
    pub scene: Option<String>,
    /// The follower's openid.
    #[arg(long, default_value = "oSimulatedFollower0000000000")]
    pub openid: String,
    /// The webhook's URL [default: http://<server.bind>/wechat].
    #[arg(long)]
    pub url: Option<String>,
    /// Message encryption [default: wechat.mode].
    #[arg(long, value_parser = ["plain", "compatible", "safe"])]
    pub mode: Option<String>,
    /// Also print the message sent and the reply document as XML.
    #[arg(long)]
    pub xml: bool,
}

#[derive(Debug, Args)]
pub struct ImportRegionsArgs {
    /// Directory holding the files, e.g. data/regions/china.
    pub dir: PathBuf,
    /// Import only codes starting with these digits (and their ancestors), e.g. 4115.
    #[arg(long, value_name = "PREFIX")]
    pub within: Option<String>,
    /// Never draw progress bars, even on a terminal.
    #[arg(long)]
    pub quiet: bool,
}

/// Bad rows printed before the rest are summarised.
const MAX_ROWS_SHOWN: usize = 200;

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            storage::database::connect_and_migrate(&settings.database).await?;
            println!("database {} is up to date", settings.database.describe());
            Ok(())
        }
        Command::ImportRegions(args) => import_regions(settings, args).await,
        Command::Simulate(args) => simulate_message(settings, args).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    app.run_until_stopped(shutdown::signal()).await
}

async fn import_regions(settings: Settings, args: ImportRegionsArgs) -> anyhow::Result<()> {
    let scope = match &args.within {
        Some(prefix) => Scope::within(prefix).map_err(anyhow::Error::msg)?,
        None => Scope::all(),
    };
    let files = region_import::open_dir(&args.dir)?;
    let pool = storage::database::connect_for_bulk_work(&settings.database)
        .await
        .context("cannot prepare the database (database.url)")?;
    match region_import::import(&pool, files, &scope, !args.quiet).await {
        Ok(report) => {
            println!("{report}");
            Ok(())
        }
        Err(ImportError::BadRows(rows)) => {
            for row in rows.iter().take(MAX_ROWS_SHOWN) {
                eprintln!("{row}");
            }
            if rows.len() > MAX_ROWS_SHOWN {
                eprintln!("… and {} more bad rows", rows.len() - MAX_ROWS_SHOWN);
            }
            Err(ImportError::BadRows(rows).into())
        }
        Err(e) => Err(e.into()),
    }
}

async fn simulate_message(settings: Settings, args: SimulateArgs) -> anyhow::Result<()> {
    let what = if let Some(text) = args.text {
        Simulated::Text(text)
    } else if let Some(words) = args.voice {
        Simulated::Voice(words)
    } else {
        let name = args.event.unwrap_or_default();
        let key = match (&args.scene, name.to_ascii_lowercase().as_str()) {
            (Some(scene), "subscribe") => Some(format!("qrscene_{scene}")),
            (Some(scene), _) => Some(scene.clone()),
            (None, _) => args.key,
        };
        Simulated::Event { name, key }
    };
    let mode = match args.mode.as_deref() {
        Some("plain") => WechatMode::Plain,
        Some("compatible") => WechatMode::Compatible,
        Some("safe") => WechatMode::Safe,
        _ => settings.wechat.mode,
    };
    let options = simulate::Options {
        url: args
            .url
            .unwrap_or_else(|| simulate::default_url(&settings.server.bind)),
        mode,
        openid: args.openid,
        what,
    };
    let outcome = simulate::run(&settings, &options).await?;
    if args.xml {
        println!("→ sent ({mode:?} mode)\n{}\n", outcome.sent_xml);
        if let Some(xml) = &outcome.reply_xml {
            println!("← reply document\n{xml}\n");
        }
    }
    println!("{}", simulate::describe(outcome.reply_xml.as_deref()));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
