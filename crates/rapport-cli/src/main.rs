//! `rapport`: thin command-line front end.
use clap::{Parser, Subcommand};

mod analyze;

#[derive(Debug, Parser)]
#[command(name = "rapport", version, about = "Rapport: frontline-first customer experience platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse texts (JSON Lines in, JSON Lines out) with the offline text engine.
    Analyze(analyze::AnalyzeArgs),
    /// Print the themes of a corpus as JSON.
    Themes(analyze::ThemesArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze(args) => analyze::run_analyze(args),
        Command::Themes(args) => analyze::run_themes(args),
    }
}
