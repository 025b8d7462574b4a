use std::process::ExitCode;

use clap::Parser;
use secrecy::ExposeSecret;
use sunvillage::cli::{self, Cli};
use sunvillage::configuration::Settings;
use sunvillage::telemetry;

/// mimalloc instead of glibc's malloc: under webhook load the allocator was a fifth of the
/// server's CPU (docs/benchmarks.md, the profile), most of it glibc's arena and free-list
/// work across threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    telemetry::set_log_key(settings.session.secret.expose_secret().as_bytes());
    let service = cli.runs_as_service();
    match cli::run(cli, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if service {
                tracing::error!(error.cause_chain = ?e, "sunvillage failed");
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
