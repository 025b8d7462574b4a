//! The `sunvillage` command line: one binary, one subcommand per job.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::configuration::Settings;
use crate::region_import::{self, ImportError, Scope};
use crate::startup::Application;
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
    /// Fill a few villages of 信阳市 with sample disclosures, supervisors and ledger
    /// households (data/demo/demo.toml), each marked 示例 on the pages. Running it again
    /// replaces the samples and touches nothing else.
    DemoData,
    /// Replace the power list (小微权力清单) with the one in FILE (TOML, the format of
    /// data/power/power-list.toml); without FILE, reload the built-in list. The whole
    /// file is checked first; a bad file changes nothing.
    LoadPowerList {
        /// A power-list file; default: the built-in list.
        file: Option<PathBuf>,
    },
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
        Command::DemoData => {
            let pool = storage::database::connect_and_migrate(&settings.database).await?;
            region_import::import_builtin_if_empty(&pool).await?;
            let report = crate::demo_data::load(&pool, crate::demo_data::DEMO_TOML).await?;
            println!("{report}");
            Ok(())
        }
        Command::LoadPowerList { file } => load_power_list(settings, file).await,
    }
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
    let n = storage::power::replace_all(&pool, &list).await?;
    println!(
        "power list: {n} items in {} categories loaded from {}",
        list.categories().len(),
        file.as_ref().map_or_else(
            || "the built-in list".to_owned(),
            |p| p.display().to_string()
        )
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
