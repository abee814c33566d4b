//! `hotwash actions list|due|overdue|set|history|import`: every action item of the
//! incidents in the library, tracked open → in progress → done → verified
//! (with evidence) or won't do (with a reason).

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use hotwash_library::{ActionFilter, ActionRow, ActionStatus};

/// Arguments of `hotwash actions`.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// The library database (default: $HOTWASH_HOME/library.db, else the user's data directory).
    #[arg(long, value_name = "PATH", env = "HOTWASH_DB", global = true)]
    pub db: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: ActionsCommand,
}

/// The action tracker's subcommands.
#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// List action items.
    List(ListArgs),
    /// Open or in-progress items due soon.
    Due(DueArgs),
    /// Open or in-progress items past their due date.
    Overdue(OverdueArgs),
    /// Move an item to another status.
    Set(SetArgs),
    /// An item's status changes: who, when, evidence or reason.
    History(HistoryArgs),
    /// Read a Jira or Linear CSV export of the issues hotwash exported:
    /// move items forward where the tracker is ahead and report drift.
    Import(ImportArgs),
}

/// Arguments of `hotwash actions import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tracker's CSV export (Jira: Issues → Export CSV; Linear: Export CSV), with the Labels field.
    #[arg(value_name = "CSV")]
    pub file: PathBuf,
    /// Who is importing (default: $USER).
    #[arg(long, value_name = "NAME", env = "HOTWASH_USER")]
    pub by: Option<String>,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// A status as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// Agreed, not started.
    Open,
    /// Someone is on it.
    #[value(alias = "in_progress", alias = "inprogress")]
    InProgress,
    /// Shipped, not yet shown to work.
    Done,
    /// Shown to work (needs --evidence).
    Verified,
    /// Decided against (needs --reason).
    #[value(alias = "wont_do", alias = "wontdo")]
    WontDo,
}

impl From<StatusArg> for ActionStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Open => ActionStatus::Open,
            StatusArg::InProgress => ActionStatus::InProgress,
            StatusArg::Done => ActionStatus::Done,
            StatusArg::Verified => ActionStatus::Verified,
            StatusArg::WontDo => ActionStatus::WontDo,
        }
    }
}

/// Arguments of `hotwash actions list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only items owned by this person (case-insensitive).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// Only items of this incident.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Only items in this status.
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<StatusArg>,
}

/// Arguments of `hotwash actions due`.
#[derive(Debug, Args)]
pub struct DueArgs {
    /// Days ahead to look.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub within: u32,
    /// Today's date (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
}

/// Arguments of `hotwash actions overdue`.
#[derive(Debug, Args)]
pub struct OverdueArgs {
    /// Today's date (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
}

/// Arguments of `hotwash actions set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The item: INCIDENT/ITEM as `hotwash actions list` shows it (e.g. inc-20260212-0035/A3).
    #[arg(value_name = "ID")]
    pub id: String,
    /// The new status.
    #[arg(value_enum, value_name = "STATUS")]
    pub status: StatusArg,
    /// How the verification plan was met: a link or a note (required for verified).
    #[arg(
        long,
        value_name = "TEXT",
        required_if_eq("status", "verified"),
        conflicts_with = "reason"
    )]
    pub evidence: Option<String>,
    /// Why it will not be done (required for wont-do).
    #[arg(long, value_name = "TEXT", required_if_eq("status", "wont-do"))]
    pub reason: Option<String>,
    /// Who is changing it (default: $USER).
    #[arg(long, value_name = "NAME", env = "HOTWASH_USER")]
    pub by: Option<String>,
}

/// Arguments of `hotwash actions history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The item (INCIDENT/ITEM).
    #[arg(value_name = "ID")]
    pub id: String,
}

/// One action as a line: id, status, due date, owner, what.
pub fn action_line(a: &ActionRow) -> String {
    format!(
        "{}  {}  due {}  {}  {}",
        a.id,
        a.status,
        a.due.map_or_else(|| "-".to_string(), |d| d.to_string()),
        a.owner.as_deref().unwrap_or("(no owner)"),
        a.action
    )
}

fn print_rows(rows: &[ActionRow], none: &str) {
    if rows.is_empty() {
        println!("{none}");
    }
    for a in rows {
        println!("{}", action_line(a));
    }
}

fn today(given: Option<NaiveDate>) -> NaiveDate {
    given.unwrap_or_else(|| chrono::Utc::now().date_naive())
}

/// Runs `hotwash actions`.
pub fn run(args: ActionsArgs) -> Result<i32> {
    let db = args.db.as_deref();
    match args.command {
        ActionsCommand::List(a) => {
            let lib = crate::cmd::library::open(db)?;
            let rows = lib.actions(&ActionFilter {
                owner: a.owner,
                incident: a.incident,
                status: a.status.map(Into::into),
            })?;
            print_rows(&rows, "no action items");
        }
        ActionsCommand::Due(a) => {
            let lib = crate::cmd::library::open(db)?;
            let rows = lib.due(today(a.today), a.within)?;
            print_rows(&rows, &format!("nothing due in the next {} days", a.within));
        }
        ActionsCommand::Overdue(a) => {
            let lib = crate::cmd::library::open(db)?;
            let rows = lib.overdue(today(a.today))?;
            print_rows(&rows, "nothing overdue");
        }
        ActionsCommand::Set(a) => {
            let mut lib = crate::cmd::library::open(db)?;
            let by = crate::cmd::library::who(a.by.as_deref());
            let row = lib.set_status(
                &a.id,
                a.status.into(),
                a.evidence.as_deref(),
                a.reason.as_deref(),
                &by,
            )?;
            println!("{}", action_line(&row));
        }
        ActionsCommand::Import(a) => {
            let mut lib = crate::cmd::library::open(db)?;
            let by = crate::cmd::library::who(a.by.as_deref());
            let r = lib.import_tracker(&a.file, &by)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{}: {} issues read, {} tied to actions here",
                    r.tracker.name(),
                    r.issues,
                    r.matched
                );
                for m in &r.moved {
                    println!("moved {}  {} -> {}  ({})", m.action, m.from, m.to, m.key);
                }
                for d in &r.drift {
                    println!("drift {}  ({}): {}", d.action, d.key, d.note);
                }
                for u in &r.unknown_markers {
                    println!("unknown {u}: no such action in this library");
                }
                if r.matched == 0 {
                    eprintln!(
                        "note: no issue carried a hotwash-… label; export the issues with their Labels from the tracker"
                    );
                }
            }
        }
        ActionsCommand::History(a) => {
            let lib = crate::cmd::library::open(db)?;
            for h in lib.history(&a.id)? {
                println!(
                    "{}  {} -> {}  by {}{}",
                    h.at_utc,
                    h.from.map_or("(new)", |s| s.as_str()),
                    h.to,
                    h.who,
                    h.note.map(|n| format!(": {n}")).unwrap_or_default()
                );
            }
        }
    }
    Ok(0)
}
