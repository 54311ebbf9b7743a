//! `folio`: Folio's engine from the command line. This binary parses arguments and prints; the work is
//! done by `folio-engine`. Every command takes `--json` and then prints exactly one JSON object on stdout.

mod commands;
mod process;
mod search;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "folio", version, about = "Folio document workbench, headless")]
struct Cli {
    /// Print one JSON object on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The store to use (default: $XDG_DATA_HOME/folio/folio.sqlite, the one the app uses).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Open the store read-only (to list and export from one that cannot be written).
    #[arg(long, global = true)]
    read_only: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check that every runtime and model is present with the manifest's checksum and loads.
    Doctor,
    /// Kind, page count and page sizes of PDFs, images and folders, with the reason for any file that fails.
    Info {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Render pages of a PDF one after another, reporting speed and memory.
    Render(commands::RenderArgs),
    /// Run the document-AI stages over PDFs and image folders as one job, kept in the store.
    Process(process::ProcessArgs),
    /// List the store's jobs (id, state, documents, pages done / failed / total); remove or reorder one.
    Jobs(store::JobsArgs),
    /// Go on with unfinished jobs (all of them, in queue order, or one) from their first unfinished page.
    Resume(store::ResumeArgs),
    /// Run a job's failed pages again.
    Retry(store::RetryArgs),
    /// Write a stored document out: json (lossless), md, hocr, alto, pdf (searchable) or csv (its tables).
    Export(store::ExportArgs),
    /// Find passages across every processed document, by meaning and by words.
    Search(search::SearchArgs),
    /// Where the store is and what it holds; move it aside to start a fresh one.
    Store(store::StoreArgs),
    /// Process many pages (looping the document) and report the RSS slope after warm-up.
    Soak(process::SoakArgs),
    /// Try batch sizes on sample pages and recommend one per stage under the budget.
    Tune(process::TuneArgs),
}

fn main() -> ExitCode {
    folio_engine::native::configure_allocator();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("FOLIO_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = Cli::parse();
    let db = cli.db.clone().unwrap_or_else(folio_engine::store::default_path);
    let open = || store::open(&db, cli.read_only);
    let result = match cli.command {
        Command::Doctor => commands::doctor(cli.json),
        Command::Info { paths } => commands::info(&paths, cli.json),
        Command::Render(args) => commands::render(&args, cli.json),
        Command::Process(args) => open().and_then(|s| process::process(&args, s, cli.json)),
        Command::Jobs(args) => open().and_then(|s| store::jobs(&args, &s, cli.json)),
        Command::Resume(args) => open().and_then(|s| store::resume(&args, s, cli.json)),
        Command::Retry(args) => open().and_then(|s| store::retry(&args, s, cli.json)),
        Command::Export(args) => open().and_then(|s| store::export(&args, &s, cli.json)),
        Command::Search(args) => open().and_then(|s| search::search(&args, s, cli.json)),
        Command::Store(args) => store::store(&args, &db, cli.read_only, cli.json),
        Command::Soak(args) => process::soak(&args, cli.json),
        Command::Tune(args) => process::tune(&args, cli.json),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            if cli.json {
                println!("{}", serde_json::json!({ "error": format!("{error:#}") }));
            } else {
                eprintln!("folio: error: {error:#}");
            }
            ExitCode::from(2)
        }
    }
}
