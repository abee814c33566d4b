//! `hotwash closeout ID`: an incident is closed when its prevention work is
//! verified, not when the postmortem is written. Shows the four criteria
//! (top prevention actions shipped, verification complete, runbook updated,
//! follow-up review done), records the runbook change and the review, and
//! lists the follow-up reviews that are due.

use std::path::PathBuf;

use anyhow::{bail, Result};
use chrono::NaiveDate;
use clap::Args;
use hotwash_library::{Closeout, CloseoutUpdate};

/// Arguments of `hotwash closeout`.
#[derive(Debug, Args)]
pub struct CloseoutArgs {
    /// The incident's id in the library.
    #[arg(value_name = "ID", required_unless_present = "reviews_due")]
    pub id: Option<String>,
    /// Record the runbook change: a link or a note of what changed.
    #[arg(long, value_name = "LINK-OR-NOTE")]
    pub runbook: Option<String>,
    /// Set the date of the follow-up review ("did these actions prevent a recurrence?").
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub review_on: Option<NaiveDate>,
    /// Record the follow-up review as held, with what it found.
    #[arg(long, value_name = "FINDING")]
    pub review_done: Option<String>,
    /// List the follow-up reviews not yet held that are due (within --within days).
    #[arg(long, conflicts_with_all = ["id", "runbook", "review_on", "review_done"])]
    pub reviews_due: bool,
    /// Days ahead for --reviews-due.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 7,
        requires = "reviews_due"
    )]
    pub within: u32,
    /// Today's date for --reviews-due (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "reviews_due")]
    pub today: Option<NaiveDate>,
    /// Who is recording (default: $USER).
    #[arg(long, value_name = "NAME", env = "HOTWASH_USER")]
    pub by: Option<String>,
    /// The library database (default: $HOTWASH_HOME/library.db, else the user's data directory).
    #[arg(long, value_name = "PATH", env = "HOTWASH_DB")]
    pub db: Option<PathBuf>,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 3 when a criterion is not met (for scripts that gate on it).
    #[arg(long, conflicts_with = "reviews_due")]
    pub check: bool,
}

fn print(c: &Closeout) {
    println!("{}  {}", c.incident.id, c.incident.title);
    for k in &c.criteria {
        println!(
            "  [{}] {}: {}",
            if k.met { "x" } else { " " },
            k.name,
            k.detail
        );
    }
    let met = c.criteria.iter().filter(|k| k.met).count();
    if c.closed() {
        println!("closed: every criterion is met");
    } else {
        println!("open: {met} of {} criteria met", c.criteria.len());
    }
}

/// Runs `hotwash closeout`; with `--check`, exit code 3 when criteria are
/// still missing, so scripts can gate on it.
pub fn run(a: CloseoutArgs) -> Result<i32> {
    let mut lib = crate::cmd::library::open(a.db.as_deref())?;
    if a.reviews_due {
        let today = a.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
        let until = today
            .checked_add_days(chrono::Days::new(u64::from(a.within)))
            .unwrap_or(NaiveDate::MAX);
        let due = lib.reviews_due(until)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&due)?);
        } else if due.is_empty() {
            println!("no follow-up review due by {until}");
        } else {
            for d in &due {
                let late = if d.due < today { "  (late)" } else { "" };
                println!(
                    "{}  review due {}{late}  {}",
                    d.incident.id, d.due, d.incident.title
                );
            }
        }
        return Ok(0);
    }
    let Some(id) = a.id.as_deref() else {
        bail!("give the incident's id (`hotwash library list` shows them)");
    };
    let update = CloseoutUpdate {
        runbook: a.runbook.clone(),
        review_on: a.review_on,
        review_done: a.review_done.clone(),
    };
    let c =
        if update.runbook.is_some() || update.review_on.is_some() || update.review_done.is_some() {
            let by = crate::cmd::library::who(a.by.as_deref());
            lib.update_closeout(id, &update, &by)?
        } else {
            lib.closeout(id)?
        };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        print(&c);
    }
    Ok(if a.check && !c.closed() { 3 } else { 0 })
}
