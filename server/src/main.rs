//! `server serve` runs the app; `server seed-demo` makes a demo database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DurationRound, TimeDelta, Utc};
use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use server::config::Settings;
use server::demo::{DemoOptions, seed_demo};
use server::startup::Application;

#[derive(Parser)]
#[command(about = "The partner activity log", version)]
struct Cli {
    /// Runtime settings file.
    #[arg(long, global = true, default_value = "Leptos.toml")]
    config: PathBuf,
    /// SQLite database file (default: database.path in the settings file).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (the default). Creates a demo database first if the file is missing.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:3000 (port 0 picks a free one).
        /// Default: LEPTOS_SITE_ADDR, else site-addr of the build.
        #[arg(long)]
        addr: Option<SocketAddr>,
    },
    /// Create a demo database: two partners, demo accounts and N events.
    SeedDemo {
        #[arg(long)]
        events: Option<usize>,
        #[arg(long)]
        seed: Option<u64>,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::load(&cli.config).map_err(|error| error.to_string())?;
    let database = cli.db.clone().unwrap_or_else(|| settings.database.path.clone());
    match cli.command.unwrap_or(Command::Serve { addr: None }) {
        Command::SeedDemo { events, seed, force } => {
            if database.exists() {
                if !force {
                    return Err(format!(
                        "{} exists; pass --force to replace it",
                        database.display()
                    ));
                }
                remove_database(&database)?;
            }
            let events = events.unwrap_or(settings.demo.events);
            seed_new_database(&database, seed.unwrap_or(settings.demo.seed), events).await
        }
        Command::Serve { addr } => {
            if !database.exists() {
                seed_new_database(&database, settings.demo.seed, settings.demo.events).await?;
            }
            let leptos_options = get_configuration(None)
                .map_err(|error| format!("leptos configuration: {error}"))?
                .leptos_options;
            let addr = addr.unwrap_or(leptos_options.site_addr);
            let app = Application::build(&database, settings.session_settings(), leptos_options, addr)
                .await
                .map_err(|error| error.to_string())?;
            // Tests and scripts wait for this exact line to learn the port.
            println!("listening on http://{}", app.local_addr());
            app.run_until_stopped().await.map_err(|error| error.to_string())?;
            println!("stopped cleanly");
            Ok(())
        }
    }
}

async fn seed_new_database(database: &std::path::Path, seed: u64, events: usize) -> Result<(), String> {
    let pool = app::db::connect(database)
        .await
        .map_err(|error| format!("cannot create {}: {error}", database.display()))?;
    // Whole hours, so two seeds in the same hour are identical.
    let now = Utc::now()
        .duration_trunc(TimeDelta::hours(1))
        .unwrap_or_else(|_| Utc::now());
    let summary = seed_demo(&pool, &DemoOptions { seed, events, now })
        .await
        .map_err(|error| error.to_string())?;
    pool.close().await;
    println!(
        "created demo database {}: {} partners, {} users, {} customers, {} subscriptions, {} events",
        database.display(),
        summary.partners,
        summary.users,
        summary.customers,
        summary.subscriptions,
        summary.events
    );
    Ok(())
}

fn remove_database(database: &std::path::Path) -> Result<(), String> {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = database.as_os_str().to_owned();
        path.push(suffix);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(format!(
                    "cannot remove {}: {error}",
                    PathBuf::from(path).display()
                ));
            }
        }
    }
    Ok(())
}
