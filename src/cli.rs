//! The `sunvillage` command line: one binary, one subcommand per job.

mod users;
mod verify;

pub use users::{UnitCommand, UserCommand};

use std::path::PathBuf;

use anyhow::Context;
use clap::{ArgGroup, Args, Parser, Subcommand};

use crate::configuration::{Settings, WechatMode};
use crate::domain::menu::HandledKeys;
use crate::domain::{RegionCode, RegionLevel};
use crate::kv::Kv;
use crate::region_import::{self, ImportError, Scope};
use crate::startup::{Application, prepare_database};
use crate::wechat::api::menu::{self as wechat_menu, MenuFileError, PushError};
use crate::wechat::api::{WechatApi, qrcode};
use crate::wechat::webhook::simulate::{self, Simulated};
use crate::workers::outbox;
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

impl Cli {
    /// `serve` and `worker` run as services whose logs are shipped; the other commands
    /// are run by a person who reads their error on the terminal.
    pub fn runs_as_service(&self) -> bool {
        matches!(self.command, None | Some(Command::Serve | Command::Worker))
    }
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
    /// Staff accounts: add, passwd, disable, enable, reset-totp, list. The first
    /// administrator is made here.
    #[command(subcommand)]
    User(UserCommand),
    /// Units complaints are assigned to: add, list.
    #[command(subcommand)]
    Unit(UnitCommand),
    /// The keys of identities at rest (docs/privacy.md): new, status, rotate,
    /// rotate-lookup.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Destroy the data keys of records past their retention period (retention.*):
    /// identities and photos of long-closed complaints, addressees of old pushes. The
    /// records stay. Run daily; idempotent.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Deliver the template-message outbox until SIGINT or SIGTERM, without serving
    /// HTTP. Run as many as you like on any machines: no message is sent twice.
    Worker,
    /// The account's custom menu, from menu.json.
    #[command(subcommand)]
    Menu(MenuCommand),
    /// Create permanent QR codes (scene = the village code) for a village, or for every
    /// village of a township or county, and write a CSV of code, name, ticket, image URL
    /// and URL. Scanning one binds the follower to the village.
    Qrcode(QrcodeArgs),
    /// Fill a few villages of 信阳市 with sample disclosures, supervisors and ledger
    /// households (data/demo/demo.toml), each marked 示例 on the pages. The disclosures
    /// are drafted and approved through the publishing lifecycle by sample accounts (a
    /// clerk per village, a reviewer per township), made once with a password printed
    /// then; sign-in refuses them in production. Running it again replaces the samples
    /// and keeps the accounts. Refused with environment = production.
    DemoData,
    /// Replace the power list (小微权力清单) with the one in FILE (TOML, the format of
    /// data/power/power-list.toml); without FILE, reload the built-in list. The whole
    /// file is checked first; a bad file changes nothing.
    LoadPowerList {
        /// A power-list file; default: the built-in list.
        file: Option<PathBuf>,
    },
    /// Play WeChat: send a correctly signed message (encrypted in safe and compatible
    /// mode, with the configured token, EncodingAESKey and AppID) to a running server
    /// and print its decoded reply. E.g. `simulate --text 王岗`,
    /// `simulate --event subscribe --scene 411503209202`, `simulate --event CLICK --key HELP`.
    Simulate(SimulateArgs),
    /// Topics of what the public writes (data/analysis/topics.toml), by the built-in
    /// model; needs no database. --text prints a message's topics with confidence and
    /// reasons (or 待人工分类); --eval scores a UTF-8 CSV with header text,topics (topics
    /// joined by |) and ends with `macro F1: …`; --train refits data/analysis/model.tsv
    /// from a labelled CSV (run from the repository root, then rebuild); --all gives
    /// topics to every stored inbound text and complaint that this model has not
    /// classified yet (resumable: run it again after an interruption).
    #[command(group(ArgGroup::new("how").required(true).args(["text", "eval", "train", "all"])))]
    Classify {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        text: Option<String>,
        #[arg(long, value_name = "FILE")]
        eval: Option<PathBuf>,
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "tests/data/topics-train.csv")]
        train: Option<PathBuf>,
    },
    /// Check the transparency log as any reader can: fetch its checkpoint (--url, or
    /// --database for the operator), check the signature with --key, check that it
    /// extends the checkpoint seen last time (kept in a local file), and with
    /// --tracking or --entry prove that entries are in the signed tree.
    Verify(verify::VerifyArgs),
    /// Recompute the whole transparency log from the database: every entry, stored
    /// hash and kept checkpoint, and the timeline line each complaint entry recorded;
    /// names the first that does not match.
    VerifyLog,
    /// The transparency log's keys.
    #[command(subcommand)]
    Transparency(verify::TransparencyCommand),
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// One pass now.
    Run,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key (base64 of 32 bytes) for crypto.master_keys.<id> or
    /// crypto.lookup_key. Nothing is stored.
    New,
    /// How many live data keys each master key wraps.
    Status,
    /// Re-wrap every data key under crypto.current_key (the data is not re-encrypted).
    /// Resumable: run it again after an interruption. Fails, listing them, when a key is
    /// wrapped under a master key that is not configured.
    Rotate {
        /// Data keys per transaction.
        #[arg(long, default_value_t = crate::services::keys::BATCH)]
        batch: i64,
    },
    /// After a new crypto.lookup_key (the old one kept as crypto.previous_lookup_key):
    /// recompute every lookup hash beside a sealed identity under the new key.
    /// Resumable. Followers and their messages hold a hash only: see docs/privacy.md.
    RotateLookup {
        /// Rows per transaction.
        #[arg(long, default_value_t = crate::services::keys::BATCH)]
        batch: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum MenuCommand {
    /// Check the menu offline against WeChat's rules and the webhook's click keys;
    /// every problem is named by its path.
    Check(MenuFileArgs),
    /// Check the menu and, only if it is valid, make it the account's menu.
    Push(MenuFileArgs),
    /// Print the menu WeChat currently shows.
    Show,
    /// Remove the account's menu (and any conditional menus).
    Delete,
}

#[derive(Debug, Args)]
pub struct MenuFileArgs {
    /// The menu file (menu/create's JSON; view URLs may be paths such as /power).
    #[arg(long, default_value = "menu.json", value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct QrcodeArgs {
    /// A village, township or county code (e.g. 411503209 for every village of 王岗乡).
    pub code: String,
    /// Where to write the CSV (default: qrcodes-<code>.csv).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
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
        Command::User(command) => users::user(settings, command).await,
        Command::Unit(command) => users::unit(settings, command).await,
        Command::Keys(command) => keys(settings, command).await,
        Command::Retention(RetentionCommand::Run) => {
            let pool = storage::database::connect_and_migrate(&settings.database)
                .await
                .context("cannot prepare the database (database.url)")?;
            let done =
                crate::services::retention::run(&pool, &settings.retention, chrono::Utc::now())
                    .await?;
            println!(
                "shredded the identity of {} complaints, the addressee of {} pushes and the openid of {} unsubscribed followers",
                done.complaints.len(),
                done.outbox,
                done.followers
            );
            Ok(())
        }
        Command::Worker => worker(settings).await,
        Command::Menu(command) => menu(settings, command).await,
        Command::Qrcode(args) => qrcodes(settings, args).await,
        Command::DemoData => {
            crate::demo_data::allowed_in(settings.environment)?;
            let pool = prepare_database(&settings.database).await?;
            let accounts = crate::startup::accounts_service(&settings, pool)?;
            let report = crate::demo_data::load(&accounts, crate::demo_data::DEMO_TOML).await?;
            print!("{report}");
            Ok(())
        }
        Command::LoadPowerList { file } => load_power_list(settings, file).await,
        Command::Simulate(args) => simulate_message(settings, args).await,
        Command::Classify { all: true, .. } => classify_all(settings).await,
        Command::Classify {
            text, eval, train, ..
        } => classify(text, eval, train),
        Command::Verify(args) => verify::verify(settings, args).await,
        Command::VerifyLog => verify::verify_log(settings).await,
        Command::Transparency(command) => verify::keygen(command),
    }
}

async fn keys(settings: Settings, command: KeysCommand) -> anyhow::Result<()> {
    use base64::Engine;
    if let KeysCommand::New = command {
        let key: [u8; 32] = rand::random();
        println!("{}", base64::engine::general_purpose::STANDARD.encode(key));
        return Ok(());
    }
    let vault = crate::crypto::Vault::from_settings(&settings.crypto).context("crypto")?;
    let pool = storage::database::connect_and_migrate(&settings.database)
        .await
        .context("cannot prepare the database (database.url)")?;
    match command {
        KeysCommand::New => Ok(()),
        KeysCommand::Status => {
            for (master, n) in storage::data_keys::count_by_master(&pool).await? {
                let mark = if master == vault.current_key().as_str() {
                    " (current)"
                } else if vault.knows_master_key(&master) {
                    ""
                } else {
                    " (NOT CONFIGURED)"
                };
                println!("{master}{mark}: {n} data keys");
            }
            Ok(())
        }
        KeysCommand::Rotate { batch } => {
            let bar = indicatif::ProgressBar::new(0);
            let report = crate::services::keys::rotate(&pool, &vault, batch, |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await?;
            bar.finish_and_clear();
            println!(
                "{} data keys re-wrapped under `{}`",
                report.rewrapped,
                vault.current_key()
            );
            if report.failed.is_empty() {
                return Ok(());
            }
            for (id, why) in &report.failed {
                eprintln!("data key {id}: {why}");
            }
            anyhow::bail!(
                "{} data keys were not re-wrapped; keep their master keys configured until they are",
                report.failed.len()
            )
        }
        KeysCommand::RotateLookup { batch } => {
            if !vault.has_previous_lookup_key() {
                eprintln!(
                    "note: crypto.previous_lookup_key is not set; followers and messages stored under an older key will no longer be found"
                );
            }
            let bar = indicatif::ProgressBar::new_spinner();
            let report =
                crate::services::keys::rehash(&pool, &vault, batch, |done| bar.set_position(done))
                    .await?;
            bar.finish_and_clear();
            println!(
                "lookup hashes recomputed: {} pushes, {} complaints",
                report.outbox, report.complaints
            );
            if report.failed.is_empty() {
                return Ok(());
            }
            for (row, why) in &report.failed {
                eprintln!("{row}: {why}");
            }
            anyhow::bail!(
                "{} rows were not rehashed; keep crypto.previous_lookup_key configured",
                report.failed.len()
            )
        }
    }
}

/// `classify --all`: every stored item this model has not classified, with a progress bar.
async fn classify_all(settings: Settings) -> anyhow::Result<()> {
    use crate::services::classification;
    let pool = storage::database::connect_and_migrate(&settings.database)
        .await
        .context("cannot prepare the database (database.url)")?;
    let bar = indicatif::ProgressBar::new(classification::pending(&pool).await?);
    let report = classification::classify_pending(&pool, |done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    println!(
        "{} items classified, {} of them {}",
        report.classified,
        report.needs_review,
        crate::analysis::NEEDS_REVIEW
    );
    Ok(())
}

/// `classify`: the topic model alone, without database or Redis.
fn classify(
    text: Option<String>,
    eval: Option<PathBuf>,
    train: Option<PathBuf>,
) -> anyhow::Result<()> {
    use crate::analysis::{Classifier, labelled, train_builtin};
    let read = |path: &PathBuf| {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        labelled::read(file).with_context(|| path.display().to_string())
    };
    if let Some(path) = train {
        let set = read(&path)?;
        let model = train_builtin(&set)?;
        let out = PathBuf::from("data/analysis/model.tsv");
        std::fs::write(&out, model.to_text()).with_context(|| {
            format!(
                "cannot write {} (run from the repository root)",
                out.display()
            )
        })?;
        println!(
            "{} features from {} messages written to {}; rebuild to ship it",
            model.feature_count(),
            set.len(),
            out.display()
        );
    } else if let Some(path) = eval {
        println!(
            "{}",
            Classifier::builtin()?.evaluate(&read(&path)?).report()
        );
    } else {
        println!(
            "{}",
            Classifier::builtin()?.classify(text.as_deref().unwrap_or_default())
        );
    }
    Ok(())
}

/// The click keys the webhook's router answers, for `menu check` and `menu push`.
fn router_click_keys() -> HandledKeys {
    HandledKeys::new(crate::wechat::webhook::router::click_keys())
}

fn wechat_client(settings: &Settings) -> anyhow::Result<WechatApi> {
    if settings.wechat.placeholder_secret_for_wechat() {
        anyhow::bail!(
            "wechat.app_secret is the development placeholder, which WeChat refuses; \
             set APP__WECHAT__APP_SECRET to the account's AppSecret"
        );
    }
    let kv = Kv::from_settings(&settings.redis).context("redis.url")?;
    WechatApi::from_settings(&settings.wechat, &kv).context("cannot build the WeChat client")
}

async fn worker(settings: Settings) -> anyhow::Result<()> {
    let pool = storage::database::connect_and_migrate(&settings.database)
        .await
        .context("cannot prepare the database (database.url)")?;
    let api = wechat_client(&settings)?;
    let stop = tokio_util::sync::CancellationToken::new();
    let vault = crate::crypto::Vault::from_settings(&settings.crypto).context("crypto")?;
    let templates = crate::wechat::api::template::Templates::from_settings(&settings);
    let mut running = tokio::spawn(outbox::run_until_stopped(
        pool.clone(),
        vault.clone(),
        api,
        settings.outbox.clone(),
        stop.clone(),
    ));
    // What `serve` runs beside the outbox when it delivers it (outbox.worker_in_serve):
    // a deployment whose instances only serve has them here.
    let beside = [
        tokio::spawn(crate::workers::classifier::run_until_stopped(
            pool.clone(),
            std::time::Duration::from_secs(settings.analysis.classify_every_seconds),
            stop.clone(),
        )),
        tokio::spawn(crate::workers::staff_digest::run_until_stopped(
            pool.clone(),
            vault.clone(),
            templates.clone(),
            stop.clone(),
        )),
        tokio::spawn(crate::workers::village_pushes::run_until_stopped(
            pool.clone(),
            vault,
            templates,
            stop.clone(),
        )),
    ];
    tokio::select! {
        result = &mut running => result.context("the outbox worker panicked")?,
        () = shutdown::signal() => {
            stop.cancel();
            running.await.context("the outbox worker panicked")?;
        }
    }
    stop.cancel();
    for task in beside {
        task.await.context("a background task panicked")?;
    }
    pool.close().await;
    Ok(())
}

/// Prints every violation of an invalid menu file, one per line, to stderr.
fn report_menu_error(e: &MenuFileError) {
    if let MenuFileError::Invalid { path, violations } = e {
        for v in violations {
            eprintln!("{path}: {v}");
        }
    }
}

async fn menu(settings: Settings, command: MenuCommand) -> anyhow::Result<()> {
    let base = settings.public_base();
    match command {
        MenuCommand::Check(args) => {
            match wechat_menu::load(&args.file, base, &router_click_keys()) {
                Ok(menu) => {
                    println!(
                        "{} is valid: {} top-level buttons, {} click keys, all handled",
                        args.file.display(),
                        menu.buttons().len(),
                        menu.click_keys().len()
                    );
                    Ok(())
                }
                Err(e) => {
                    report_menu_error(&e);
                    Err(e.into())
                }
            }
        }
        MenuCommand::Push(args) => {
            let api = wechat_client(&settings)?;
            match wechat_menu::push(&api, &args.file, base, &router_click_keys()).await {
                Ok(menu) => {
                    println!(
                        "pushed {}: {} top-level buttons (followers see it within minutes, or after re-following)",
                        args.file.display(),
                        menu.buttons().len()
                    );
                    Ok(())
                }
                Err(PushError::File(e)) => {
                    report_menu_error(&e);
                    Err(anyhow::Error::new(e).context("nothing was sent to WeChat"))
                }
                Err(e) => Err(e.into()),
            }
        }
        MenuCommand::Show => {
            match wechat_client(&settings)?.get_menu().await? {
                Some(menu) => println!("{}", serde_json::to_string_pretty(&menu)?),
                None => println!("the account has no menu"),
            }
            Ok(())
        }
        MenuCommand::Delete => {
            wechat_client(&settings)?.delete_menu().await?;
            println!("menu deleted");
            Ok(())
        }
    }
}

async fn qrcodes(settings: Settings, args: QrcodeArgs) -> anyhow::Result<()> {
    let readings = RegionCode::interpretations(args.code.trim())
        .map_err(|e| anyhow::anyhow!("`{}` is not a region code: {e}", args.code))?;
    let pool = prepare_database(&settings.database).await?;
    let region = storage::regions::find_first(&pool, &readings)
        .await?
        .with_context(|| format!("no region has code {}", args.code))?;
    if region.level() < RegionLevel::County {
        anyhow::bail!(
            "{} is a {}; give a county, township or village code",
            region.display_name,
            region.level()
        );
    }
    let villages = storage::regions::villages_within(&pool, &region.code).await?;
    if villages.is_empty() {
        anyhow::bail!("{} has no villages", region.display_name);
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("qrcodes-{}.csv", region.code)));
    let file =
        std::fs::File::create(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let api = wechat_client(&settings)?;
    let written = qrcode::write_csv(&api, &villages, std::io::BufWriter::new(file))
        .await
        .with_context(|| format!("stopped after writing part of {}", out.display()))?;
    pool.close().await;
    println!(
        "wrote {written} QR codes for {} to {}",
        region.display_name,
        out.display()
    );
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    app.run_until_stopped(shutdown::signal()).await
}

async fn load_power_list(settings: Settings, file: Option<PathBuf>) -> anyhow::Result<()> {
    let text = match &file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => crate::domain::power::BUILTIN_POWER_LIST.to_owned(),
    };
    let list = crate::domain::PowerList::parse(&text)?;
    let pool = storage::database::connect_and_migrate(&settings.database).await?;
    let source = file.as_ref().map_or_else(
        || "the built-in list".to_owned(),
        |p| p.display().to_string(),
    );
    let name = file.as_ref().and_then(|p| p.file_name()).map_or_else(
        || "系统内置的清单".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let reason: String = format!("由命令行载入：{name}").chars().take(200).collect();
    let version = storage::power::replace_all(&pool, &list, &reason).await?;
    println!(
        "power list: {} items in {} categories loaded from {source} as version {version}",
        list.items().len(),
        list.categories().len(),
    );
    Ok(())
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
            .unwrap_or_else(|| simulate::default_url(&settings.server.bind.to_string())),
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
