//! `rapport analyze` and `rapport themes`: JSON Lines front end of the text engine.

use std::path::PathBuf;

/// Analyse texts from JSON Lines.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Input JSON Lines file, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: PathBuf,
    /// Output file, or `-` for standard output.
    #[arg(long, default_value = "-")]
    pub output: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Print corpus themes as JSON.
#[derive(Debug, clap::Args)]
pub struct ThemesArgs {
    /// Input JSON Lines file, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: PathBuf,
}

pub fn run_analyze(_args: AnalyzeArgs) -> anyhow::Result<()> {
    anyhow::bail!("the text engine is being built (issue 3)")
}

pub fn run_themes(_args: ThemesArgs) -> anyhow::Result<()> {
    anyhow::bail!("the text engine is being built (issue 3)")
}
