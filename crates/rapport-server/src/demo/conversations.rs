//! Demo conversations: calls, chats and e-mails between the demo agents and customers, in English,
//! Hebrew and Greek, deterministic for a given RNG.
//!
//! Each conversation follows a scenario script (good empathy, policy deflection, an angry customer
//! calmed down, …); each step of the script draws a variant from a block in `dialogues/*.txt` and
//! fills its slots (names, policy and claim numbers, amounts, days), so a few thousand transcripts
//! do not read as copies. The subjects are those of the demo organisation, a home insurer: claims,
//! emergency plumbers, billing, the app, documents, refunds, card payments and loss adjusters.
//!
//! File format: `#` starts a comment line, `@name` starts a block, and every other non-blank line
//! is one variant of that block. `{slot}` is filled per conversation (see [`SLOTS`]); `{A:m|f}` and
//! `{C:m|f}` agree with the agent's or the customer's gender (Hebrew and Greek). A variant that
//! needs a gender we cannot infer from the first name is skipped, so every Hebrew block keeps
//! gender-neutral variants. A literal `\n` breaks the turn into lines.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use rand::rngs::StdRng;
use rand::Rng;
use rapport_domain::conversation::{Metadata, Speaker, Transcript, Turn};
use rapport_domain::{Channel, Locale};

const EN: &str = include_str!("dialogues/en.txt");
const HE: &str = include_str!("dialogues/he.txt");
const EL: &str = include_str!("dialogues/el.txt");

/// An agent who can take a conversation.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct DemoAgent<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub locale: Locale,
    /// 0..1: how empathic and owning this agent tends to be.
    pub skill: f64,
}

/// A customer who contacts the service.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct DemoCustomer<'a> {
    pub external_id: &'a str,
    pub first_name: &'a str,
    pub locale: Locale,
}

/// What kind of conversation this is; the analysis should find it again in the text.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scenario {
    GoodEmpathy,
    PoorEmpathy,
    PolicyDeflection,
    AngryCalmed,
    AngryEscalated,
    Unresolved,
    PassTheBuck,
    Praise,
    Routine,
}

#[allow(dead_code)]
impl Scenario {
    pub(crate) const ALL: [Scenario; 9] = [
        Scenario::GoodEmpathy,
        Scenario::PoorEmpathy,
        Scenario::PolicyDeflection,
        Scenario::AngryCalmed,
        Scenario::AngryEscalated,
        Scenario::Unresolved,
        Scenario::PassTheBuck,
        Scenario::Praise,
        Scenario::Routine,
    ];

    /// How likely an agent of this skill lands in this scenario; the weights sum to 0.9 at any
    /// skill, so skill only moves conversations from the poor scenarios to the good ones.
    fn weight(self, skill: f64) -> f64 {
        let s = if skill.is_finite() {
            skill.clamp(0.0, 1.0)
        } else {
            0.5
        };
        match self {
            Scenario::GoodEmpathy => 0.08 + 0.22 * s,
            Scenario::Praise => 0.02 + 0.10 * s,
            Scenario::AngryCalmed => 0.03 + 0.10 * s,
            Scenario::Routine => 0.20,
            Scenario::PoorEmpathy => 0.16 - 0.12 * s,
            Scenario::PolicyDeflection => 0.14 - 0.11 * s,
            Scenario::PassTheBuck => 0.10 - 0.08 * s,
            Scenario::Unresolved => 0.10 - 0.06 * s,
            Scenario::AngryEscalated => 0.07 - 0.05 * s,
        }
    }

    /// Chance that the customer's problem is solved by the end of the conversation.
    fn resolved_chance(self) -> f64 {
        match self {
            Scenario::GoodEmpathy | Scenario::Praise | Scenario::Routine => 1.0,
            Scenario::AngryCalmed => 1.0,
            Scenario::PoorEmpathy => 0.5,
            Scenario::PolicyDeflection
            | Scenario::AngryEscalated
            | Scenario::Unresolved
            | Scenario::PassTheBuck => 0.0,
        }
    }

    /// Scenarios where the two talk over each other now and then (voice).
    fn overtalk(self) -> bool {
        matches!(
            self,
            Scenario::PoorEmpathy
                | Scenario::PolicyDeflection
                | Scenario::AngryEscalated
                | Scenario::PassTheBuck
                | Scenario::AngryCalmed
        )
    }
}

/// One generated conversation and what it was generated as.
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub(crate) struct DemoConversation {
    pub transcript: Transcript,
    pub scenario: Scenario,
    pub resolved: bool,
    /// Talk time for calls and chats; working time on the replies for e-mail.
    pub handle_seconds: u32,
}

/// Subjects of the non-routine scenarios; each has `problem.*`, `finding.*` and `ownership.*`.
const DOMAINS: [&str; 8] = [
    "claim",
    "plumber",
    "billing",
    "app",
    "documents",
    "refund",
    "card",
    "adjuster",
];
/// Routine requests; each has `request.*` and `done.*`.
const ROUTINES: [&str; 5] = ["address", "copy", "paydate", "cover", "contents"];

/// Blocks without a subject. The test checks each file has exactly these plus the subject blocks.
#[cfg(test)]
const GENERIC_BLOCKS: [&str; 54] = [
    "open.voice",
    "open.chat",
    "hello",
    "ask.details",
    "empathy.short",
    "details",
    "details.grudging",
    "thanks.details",
    "hold",
    "ok.wait",
    "still.there",
    "back",
    "worry",
    "empathy",
    "apology",
    "relief",
    "recap",
    "thanks",
    "close.good",
    "bye",
    "praise",
    "praise.reply",
    "angry",
    "calm",
    "still.upset",
    "calmer",
    "defensive",
    "escalate",
    "complaint.route",
    "churn",
    "close.curt",
    "flat",
    "frustrated",
    "script",
    "close.poor_done",
    "resigned.ok",
    "resigned",
    "ask.exception",
    "policy",
    "pushback",
    "policy.again",
    "buck",
    "circular",
    "buck.again",
    "noanswer",
    "vague",
    "ask.when",
    "vague.when",
    "close.neutral",
    "anything.else",
    "no.thanks",
    "email.c.open",
    "email.c.sign",
    "email.a.open",
];
/// Blocks used only in e-mails, after the generic ones.
#[cfg(test)]
const EMAIL_BLOCKS: [&str; 1] = ["email.a.sign"];

/// Slots a variant may use.
const SLOTS: [&str; 12] = [
    "cust", "cust_v", "agent", "agent_v", "policy", "claim", "ref", "amount", "days", "day",
    "time", "last4",
];

#[derive(Debug)]
struct Variant {
    text: &'static str,
    /// Comma-separated issues within a subject (`[b]`, `[a,c]`); empty when it fits any issue.
    tags: &'static str,
    needs_agent_gender: bool,
    needs_customer_gender: bool,
}

#[derive(Debug)]
struct Dialogues {
    blocks: HashMap<&'static str, Vec<Variant>>,
}

impl Dialogues {
    fn block(&self, name: &str) -> &[Variant] {
        match self.blocks.get(name) {
            Some(v) => v,
            None => panic!("dialogue block `{name}` is missing (see the tests)"),
        }
    }
}

fn parse(src: &'static str) -> Result<Dialogues, String> {
    let mut blocks: HashMap<&'static str, Vec<Variant>> = HashMap::new();
    let mut current: Option<&'static str> = None;
    for (i, raw) in src.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('@') {
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(format!("line {}: bad block name `{name}`", i + 1));
            }
            if blocks.insert(name, vec![]).is_some() {
                return Err(format!("line {}: block `{name}` appears twice", i + 1));
            }
            current = Some(name);
            continue;
        }
        let Some(name) = current else {
            return Err(format!("line {}: text before the first @block", i + 1));
        };
        let (tags, line) = match line.strip_prefix('[').and_then(|r| r.split_once(']')) {
            Some((tags, text)) => {
                let bad = |t: &str| t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric());
                if tags.split(',').any(bad) {
                    return Err(format!("line {}: bad issue tags `[{tags}]`", i + 1));
                }
                (tags, text.trim())
            }
            None => ("", line),
        };
        check_template(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if let Some(b) = blocks.get_mut(name) {
            b.push(Variant {
                text: line,
                tags,
                needs_agent_gender: line.contains("{A:"),
                needs_customer_gender: line.contains("{C:"),
            });
        }
    }
    if let Some((name, _)) = blocks.iter().find(|(_, v)| v.is_empty()) {
        return Err(format!("block `{name}` has no variants"));
    }
    Ok(Dialogues { blocks })
}

/// Every `{…}` is a known slot or a two-way gender choice.
fn check_template(t: &str) -> Result<(), String> {
    let mut rest = t;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("`}` without `{`".into());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("`{` without `}`")?;
        let inner = &after[..close];
        if inner.contains('{') {
            return Err(format!("nested `{{` in `{inner}`"));
        }
        if let Some(choice) = inner
            .strip_prefix("A:")
            .or_else(|| inner.strip_prefix("C:"))
        {
            let parts: Vec<&str> = choice.split('|').collect();
            // One side may be empty: בוא{C:|י} is "בוא" to a man and "בואי" to a woman.
            if parts.len() != 2 || parts.iter().all(|p| p.trim().is_empty()) {
                return Err(format!(
                    "`{{{inner}}}` must be `{{A:masc|fem}}` or `{{C:masc|fem}}`"
                ));
            }
        } else if !SLOTS.contains(&inner) {
            return Err(format!("unknown slot `{{{inner}}}`"));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn dialogues(locale: Locale) -> &'static Dialogues {
    static PARSED: OnceLock<[Dialogues; 3]> = OnceLock::new();
    let all = PARSED.get_or_init(|| {
        [EN, HE, EL].map(|src| match parse(src) {
            Ok(d) => d,
            Err(e) => panic!("demo dialogue file: {e}"),
        })
    });
    match locale {
        Locale::En => &all[0],
        Locale::He => &all[1],
        Locale::El => &all[2],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gender {
    Male,
    Female,
}

const HE_FEMALE: &str = "נועה מיכל תמר שירה יעל מאיה הילה ענבל ליאת אורית רחל שרה דנה \
    גלית קרן אפרת סיגל נטע אביגיל אסתר רבקה הדס שני יפעת אושרת \
    ורד רים לינה יוליה מרינה אורלי רונית חנה לאה אילנה מירב סיון \
    שלומית טליה רינה ציפי יהודית לימור אנה נורית";
const HE_MALE: &str = "יוסי דוד משה אבי יונתן איתי עומר אורי אלון רון גיא עידו אייל \
    יואב דניאל אליהו חיים יצחק שמעון רועי ניר אסף תומר מתן אלעד \
    שלומי מוטי סמיר ראמי אלכס יעקב אברהם מיכאל בני אהרון שי עמרי \
    ערן אמיר נדב";

/// The gender a first name implies, when it clearly does; unisex names (טל, עדי, נועם…) give none.
fn gender(locale: Locale, first: &str) -> Option<Gender> {
    match locale {
        Locale::He if HE_FEMALE.split_whitespace().any(|n| n == first) => Some(Gender::Female),
        Locale::He if HE_MALE.split_whitespace().any(|n| n == first) => Some(Gender::Male),
        // Greek first names: masculine ones end in -ς (as in the demo's surname rule).
        Locale::El if !first.is_empty() => Some(if first.ends_with('ς') {
            Gender::Male
        } else {
            Gender::Female
        }),
        _ => None,
    }
}

/// The vocative of a Greek first name: Γιώργος → Γιώργο, Άγγελος → Άγγελε, Δημήτρης → Δημήτρη,
/// Κώστας → Κώστα; feminine names do not change.
fn greek_vocative(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ος") {
        // Stress on the antepenult (Άγγελος, Απόστολος) takes -ε; otherwise -ο.
        // A vowel ending the stem (Στέλι-ος, Μάρι-ος) merges with the ending, so it is not counted.
        let accented = "άέήίόύώΐΰΆΈΉΊΌΎΏ";
        let vowels = "αεηιουωάέήίόύώϊϋΐΰΆΈΉΊΌΎΏ";
        let chars: Vec<char> = stem.chars().collect();
        let after_accent = chars.iter().rposition(|c| accented.contains(*c));
        let groups = after_accent.map_or(0, |p| {
            let mut groups = 0;
            let mut in_vowels = true;
            for (k, c) in chars.iter().enumerate().skip(p + 1) {
                let v = vowels.contains(*c);
                let ends_stem = chars[k..].iter().all(|c| vowels.contains(*c));
                if v && !in_vowels && !ends_stem {
                    groups += 1;
                }
                in_vowels = v;
            }
            groups
        });
        let ending = if groups >= 1 { "ε" } else { "ο" };
        return format!("{stem}{ending}");
    }
    for (from, to) in [
        ("ής", "ή"),
        ("ης", "η"),
        ("ας", "α"),
        ("ός", "έ"),
        ("ς", ""),
    ] {
        if let Some(stem) = name.strip_suffix(from) {
            return format!("{stem}{to}");
        }
    }
    name.to_string()
}

/// Values for the slots, fixed for one conversation.
struct Slots {
    policy: String,
    claim: String,
    reference: String,
    amount: String,
    days: u32,
    day: &'static str,
    time: &'static str,
    last4: String,
}

impl Slots {
    fn draw(rng: &mut StdRng, locale: Locale) -> Self {
        let (days_of_week, times): (&[&'static str], &[&'static str]) = match locale {
            Locale::En => (
                &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                &[
                    "noon",
                    "2 pm",
                    "3 pm",
                    "4 pm",
                    "5 pm",
                    "half past four",
                    "4:30",
                ],
            ),
            Locale::He => (
                &["ראשון", "שני", "שלישי", "רביעי", "חמישי"],
                &["12:00", "14:00", "15:00", "16:00", "16:30", "17:00"],
            ),
            Locale::El => (
                &["Δευτέρα", "Τρίτη", "Τετάρτη", "Πέμπτη", "Παρασκευή"],
                &[
                    "12:00",
                    "2 το μεσημέρι",
                    "3 το απόγευμα",
                    "4 το απόγευμα",
                    "5 το απόγευμα",
                    "17:00",
                ],
            ),
        };
        let amount = match locale {
            Locale::En => format!("£{}.{:02}", rng.gen_range(38..900), rng.gen_range(0..100)),
            Locale::He => format!("{} ₪", thousands(rng.gen_range(140..4_800), ',')),
            Locale::El => format!(
                "{},{:02} €",
                thousands(rng.gen_range(45..1_600), '.'),
                rng.gen_range(0..100)
            ),
        };
        Self {
            policy: format!("AH-{:07}", rng.gen_range(1_000_000..10_000_000)),
            claim: format!("CL-{:06}", rng.gen_range(100_000..1_000_000)),
            reference: format!("{:06}", rng.gen_range(100_000..1_000_000)),
            amount,
            days: rng.gen_range(3..=21),
            day: days_of_week[rng.gen_range(0..days_of_week.len())],
            time: times[rng.gen_range(0..times.len())],
            last4: format!("{:04}", rng.gen_range(0..10_000)),
        }
    }
}

fn thousands(n: u32, sep: char) -> String {
    if n < 1000 {
        n.to_string()
    } else {
        format!("{}{sep}{:03}", n / 1000, n % 1000)
    }
}

/// Who is talking, and the slot values: everything a template needs.
struct Context<'a> {
    agent: &'a str,
    agent_v: String,
    agent_gender: Option<Gender>,
    customer: &'a str,
    customer_v: String,
    customer_gender: Option<Gender>,
    slots: Slots,
}

impl Context<'_> {
    /// Whether the variant fits the issue already chosen within the subject (if any).
    fn fits(issue: Option<&str>, v: &Variant) -> bool {
        match issue {
            Some(issue) if !v.tags.is_empty() => v.tags.split(',').any(|t| t == issue),
            _ => true,
        }
    }

    fn allows(&self, v: &Variant) -> bool {
        (!v.needs_agent_gender || self.agent_gender.is_some())
            && (!v.needs_customer_gender || self.customer_gender.is_some())
    }

    fn render(&self, template: &str, out: &mut String) {
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open].replace("\\n", "\n"));
            let after = &rest[open + 1..];
            let close = after.find('}').unwrap_or(after.len());
            let inner = &after[..close];
            let choice = |g: Option<Gender>, alts: &str| {
                let (m, f) = alts.split_once('|').unwrap_or((alts, alts));
                if g == Some(Gender::Female) {
                    f.to_string()
                } else {
                    m.to_string()
                }
            };
            let value = if let Some(alts) = inner.strip_prefix("A:") {
                choice(self.agent_gender, alts)
            } else if let Some(alts) = inner.strip_prefix("C:") {
                choice(self.customer_gender, alts)
            } else {
                match inner {
                    "cust" => self.customer.to_string(),
                    "cust_v" => self.customer_v.clone(),
                    "agent" => self.agent.to_string(),
                    "agent_v" => self.agent_v.clone(),
                    "policy" => self.slots.policy.clone(),
                    "claim" => self.slots.claim.clone(),
                    "ref" => self.slots.reference.clone(),
                    "amount" => self.slots.amount.clone(),
                    "days" => self.slots.days.to_string(),
                    "day" => self.slots.day.to_string(),
                    "time" => self.slots.time.to_string(),
                    "last4" => self.slots.last4.clone(),
                    other => other.to_string(),
                }
            };
            out.push_str(&value);
            rest = after.get(close + 1..).unwrap_or("");
        }
        out.push_str(&rest.replace("\\n", "\n"));
    }
}

/// One step of a script: who speaks, and the blocks their turn is made of (`*` is the subject).
struct Step {
    speaker: Speaker,
    blocks: Vec<&'static str>,
    /// A pause before this turn (the agent put the customer on hold).
    after_hold: bool,
}

fn agent(blocks: &[&'static str]) -> Step {
    Step {
        speaker: Speaker::Agent,
        blocks: blocks.to_vec(),
        after_hold: false,
    }
}

fn customer(blocks: &[&'static str]) -> Step {
    Step {
        speaker: Speaker::Customer,
        blocks: blocks.to_vec(),
        after_hold: false,
    }
}

/// The turns of a call or chat for this scenario.
fn script(rng: &mut StdRng, scenario: Scenario, resolved: bool, voice: bool) -> Vec<Step> {
    use Scenario::*;
    let mut s = vec![agent(&[if voice { "open.voice" } else { "open.chat" }])];
    let problem = if scenario == Routine {
        "request.*"
    } else {
        "problem.*"
    };
    if rng.gen_bool(0.5) {
        s.push(customer(&["hello", problem]));
    } else {
        s.push(customer(&[problem]));
    }
    let warm = matches!(scenario, GoodEmpathy | Praise | AngryCalmed | Routine);
    if matches!(scenario, GoodEmpathy | Praise) {
        s.push(agent(&["empathy.short", "ask.details"]));
    } else {
        s.push(agent(&["ask.details"]));
    }
    match scenario {
        AngryCalmed => {
            s.push(customer(&["angry"]));
            s.push(agent(&["calm"]));
            s.push(customer(&["details.grudging"]));
        }
        AngryEscalated => {
            s.push(customer(&["angry"]));
            s.push(agent(&["defensive"]));
            s.push(customer(&["details.grudging"]));
        }
        _ => s.push(customer(&["details"])),
    }
    // Looking it up: sometimes on hold first (and on a poor call, the customer wonders if anyone is there).
    let finding: &'static str = if scenario == Routine {
        "done.*"
    } else {
        "finding.*"
    };
    let lookup = |s: &mut Vec<Step>, rng: &mut StdRng| {
        let thanks: &[&'static str] = if warm {
            &["thanks.details", finding]
        } else {
            &[finding]
        };
        if voice && rng.gen_bool(0.3) {
            s.push(agent(&["hold"]));
            let poor = !warm && rng.gen_bool(0.5);
            s.push(customer(&[if poor { "still.there" } else { "ok.wait" }]));
            let mut back = vec!["back"];
            back.extend_from_slice(thanks);
            let mut step = agent(&back);
            step.after_hold = true;
            s.push(step);
        } else {
            s.push(agent(thanks));
        }
    };
    match scenario {
        GoodEmpathy | Praise => {
            lookup(&mut s, rng);
            s.push(customer(&["worry"]));
            s.push(agent(&["empathy", "ownership.*"]));
            s.push(customer(&["relief"]));
            s.push(agent(&["recap"]));
            s.push(customer(&["thanks"]));
            s.push(agent(&["close.good"]));
            if scenario == Praise {
                s.push(customer(&["praise"]));
                s.push(agent(&["praise.reply"]));
            }
            if rng.gen_bool(0.5) {
                s.push(customer(&["bye"]));
            }
        }
        AngryCalmed => {
            lookup(&mut s, rng);
            s.push(customer(&["still.upset"]));
            s.push(agent(&["apology", "ownership.*"]));
            s.push(customer(&["calmer"]));
            s.push(agent(&["recap"]));
            s.push(customer(&["thanks"]));
            s.push(agent(&["close.good"]));
        }
        AngryEscalated => {
            lookup(&mut s, rng);
            s.push(customer(&["still.upset"]));
            s.push(agent(&[if rng.gen_bool(0.5) { "policy" } else { "flat" }]));
            s.push(customer(&["escalate"]));
            s.push(agent(&["complaint.route"]));
            s.push(customer(&["churn"]));
            s.push(agent(&["close.curt"]));
        }
        PoorEmpathy => {
            lookup(&mut s, rng);
            s.push(customer(&["worry"]));
            s.push(agent(&["flat"]));
            s.push(customer(&["frustrated"]));
            s.push(agent(&["script"]));
            if resolved {
                s.push(customer(&["ask.when"]));
                s.push(agent(&["close.poor_done"]));
                s.push(customer(&["resigned.ok"]));
            } else {
                s.push(customer(&["resigned"]));
                s.push(agent(&["close.curt"]));
            }
        }
        PolicyDeflection => {
            lookup(&mut s, rng);
            s.push(customer(&["ask.exception"]));
            s.push(agent(&["policy"]));
            s.push(customer(&["pushback"]));
            s.push(agent(&["policy.again"]));
            s.push(customer(&["churn"]));
            s.push(agent(&["close.curt"]));
        }
        PassTheBuck => {
            s.push(agent(&["buck"]));
            s.push(customer(&["circular"]));
            s.push(agent(&["buck.again"]));
            s.push(customer(&["frustrated"]));
            if rng.gen_bool(0.4) {
                s.push(agent(&["script"]));
                s.push(customer(&["churn"]));
            }
            s.push(agent(&["close.curt"]));
        }
        Unresolved => {
            s.push(agent(&["noanswer"]));
            s.push(customer(&["frustrated"]));
            s.push(agent(&["vague"]));
            s.push(customer(&["ask.when"]));
            s.push(agent(&["vague.when"]));
            s.push(customer(&["resigned"]));
            s.push(agent(&["close.neutral"]));
        }
        Routine => {
            lookup(&mut s, rng);
            s.push(customer(&["thanks"]));
            s.push(agent(&["anything.else"]));
            s.push(customer(&["no.thanks"]));
            s.push(agent(&["close.good"]));
        }
    }
    s
}

/// The turns of an e-mail thread: each turn wraps the spoken blocks in a greeting and signature.
fn email_script(rng: &mut StdRng, scenario: Scenario) -> Vec<Step> {
    use Scenario::*;
    let c = |mid: &[&'static str]| {
        let mut b = vec!["email.c.open"];
        b.extend_from_slice(mid);
        b.push("email.c.sign");
        customer(&b)
    };
    let a = |mid: &[&'static str]| {
        let mut b = vec!["email.a.open"];
        b.extend_from_slice(mid);
        b.push("email.a.sign");
        agent(&b)
    };
    let problem = if scenario == Routine {
        "request.*"
    } else {
        "problem.*"
    };
    let mut s = vec![match scenario {
        AngryCalmed | AngryEscalated => c(&[problem, "angry"]),
        Routine => c(&[problem]),
        _ => c(&[problem, "worry"]),
    }];
    let (reply, answer, again): (&[&'static str], &[&'static str], &[&'static str]) = match scenario
    {
        GoodEmpathy => (&["empathy", "ownership.*", "recap"], &["thanks"], &[]),
        Praise => (&["empathy", "ownership.*", "recap"], &["praise"], &[]),
        AngryCalmed => (&["apology", "ownership.*", "recap"], &["calmer"], &[]),
        AngryEscalated => (&["policy"], &["escalate", "churn"], &["complaint.route"]),
        PoorEmpathy => (&["flat", "script"], &["frustrated"], &[]),
        PolicyDeflection => (&["policy"], &["pushback", "churn"], &["policy.again"]),
        PassTheBuck => (&["buck"], &["circular"], &["buck.again"]),
        Unresolved => (&["noanswer", "vague"], &["ask.when"], &["vague.when"]),
        Routine => (&["done.*"], &["thanks"], &[]),
    };
    s.push(a(reply));
    if scenario != Routine || rng.gen_bool(0.4) {
        s.push(c(answer));
        if !again.is_empty() && rng.gen_bool(0.6) {
            s.push(a(again));
        }
    }
    s
}

/// Start and end of one turn, in seconds from the start of the conversation.
type TurnTimes = (Option<f64>, Option<f64>);

/// Renders one turn: for each block (`*` is the subject), a variant allowed by what we know of
/// genders and, within the subject, on the same issue as the customer's problem (`issue`).
fn render_step(
    rng: &mut StdRng,
    d: &'static Dialogues,
    ctx: &Context,
    step: &Step,
    subject: &str,
    separator: &str,
    issue: &mut Option<&'static str>,
) -> String {
    let mut text = String::new();
    for (i, name) in step.blocks.iter().enumerate() {
        let variants = match name.strip_suffix('*') {
            Some(prefix) => d.block(&format!("{prefix}{subject}")),
            None => d.block(name),
        };
        let start = rng.gen_range(0..variants.len());
        let order = || (0..variants.len()).map(|k| &variants[(start + k) % variants.len()]);
        let variant = order()
            .find(|v| ctx.allows(v) && Context::fits(*issue, v))
            .or_else(|| order().find(|v| ctx.allows(v)))
            .unwrap_or(&variants[start]);
        if issue.is_none() && !variant.tags.is_empty() {
            *issue = variant.tags.split(',').next();
        }
        if i > 0 {
            text.push_str(separator);
        }
        ctx.render(variant.text, &mut text);
    }
    text
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Start and end of each turn, in seconds: spoken at ~2.5 words a second with short gaps.
fn voice_times(
    rng: &mut StdRng,
    scenario: Scenario,
    steps: &[Step],
    texts: &[String],
) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(texts.len());
    let mut t = rng.gen_range(0.5..2.0);
    let mut prev: Option<(f64, f64)> = None;
    for (step, text) in steps.iter().zip(texts) {
        let words = text.split_whitespace().count().max(1) as f64;
        let duration = words / 2.5 * rng.gen_range(0.85..1.2) + 0.3;
        let mut start = t;
        if let Some((ps, pe)) = prev {
            start = pe + rng.gen_range(0.2..1.1);
            if step.after_hold {
                start += rng.gen_range(12.0..75.0);
            } else if scenario.overtalk() && rng.gen_bool(0.25) {
                // Talking over the other side, but never back past the start of their turn.
                let overlap = rng.gen_range(0.5..1.5f64).min((pe - ps) * 0.5);
                start = pe - overlap;
            }
        }
        let start = round2(start);
        let end = round2(start + duration);
        out.push((start, end));
        prev = Some((start, end));
        t = end;
    }
    out
}

/// Send times of chat messages: typing speed, reading time, and the agent juggling other chats.
fn chat_times(rng: &mut StdRng, steps: &[Step], texts: &[String]) -> Vec<f64> {
    let mut t = 0.0;
    steps
        .iter()
        .zip(texts)
        .enumerate()
        .map(|(i, (step, text))| {
            let words = text.split_whitespace().count().max(1) as f64;
            let typing = match step.speaker {
                Speaker::Customer => words / 0.7,
                Speaker::Agent => words / 1.6,
            };
            let think = match step.speaker {
                Speaker::Customer => rng.gen_range(3.0..15.0),
                Speaker::Agent if step.after_hold => rng.gen_range(40.0..180.0),
                Speaker::Agent => rng.gen_range(4.0..40.0),
            };
            if i > 0 {
                t += typing + think;
            }
            round2(t)
        })
        .collect()
}

/// When the conversation started: a working day in the last `months` months, in working hours
/// of the team's city (Sunday to Thursday in Tel Aviv).
fn started_at(rng: &mut StdRng, now: DateTime<Utc>, months: u32, locale: Locale) -> DateTime<Utc> {
    let span_days = (f64::from(months.max(1)) * 30.44) as i64;
    let (utc_offset_hours, weekend): (i64, [Weekday; 2]) = match locale {
        Locale::He => (2, [Weekday::Fri, Weekday::Sat]),
        Locale::El => (2, [Weekday::Sat, Weekday::Sun]),
        Locale::En => (0, [Weekday::Sat, Weekday::Sun]),
    };
    let midnight = now.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default();
    let mut day = midnight - Duration::days(rng.gen_range(1..=span_days));
    while weekend.contains(&day.weekday()) {
        day -= Duration::days(1);
    }
    let local_seconds = rng.gen_range(8 * 3600..18 * 3600);
    let at = day + Duration::seconds(local_seconds) - Duration::hours(utc_offset_hours);
    DateTime::from_naive_utc_and_offset(at, Utc)
}

fn pick_scenario(rng: &mut StdRng, skill: f64) -> Scenario {
    let total: f64 = Scenario::ALL.iter().map(|s| s.weight(skill)).sum();
    let mut roll = rng.gen_range(0.0..total);
    for s in Scenario::ALL {
        roll -= s.weight(skill);
        if roll < 0.0 {
            return s;
        }
    }
    Scenario::Routine
}

/// Voice for most, chat for many, e-mail for some; the touchpoint's own channel when it is one of
/// those, otherwise a conversation about that touchpoint on the drawn channel.
fn pick_channel(rng: &mut StdRng, touchpoints: &[(i64, Channel)]) -> (Option<i64>, Channel) {
    let roll: f64 = rng.gen();
    let drawn = if roll < 0.55 {
        Channel::Phone
    } else if roll < 0.85 {
        Channel::Chat
    } else {
        Channel::Email
    };
    let same: Vec<i64> = touchpoints
        .iter()
        .filter(|(_, c)| *c == drawn)
        .map(|(id, _)| *id)
        .collect();
    if !same.is_empty() {
        return (Some(same[rng.gen_range(0..same.len())]), drawn);
    }
    if touchpoints.is_empty() {
        return (None, drawn);
    }
    let (id, channel) = touchpoints[rng.gen_range(0..touchpoints.len())];
    if matches!(channel, Channel::Phone | Channel::Chat | Channel::Email) {
        (Some(id), channel)
    } else {
        (Some(id), drawn)
    }
}

/// `n` conversations between the given agents and customers, spread over the last `months` months.
/// Deterministic for the state of `rng`; empty if there are no agents or no customers.
#[allow(dead_code)]
pub(crate) fn generate(
    rng: &mut StdRng,
    n: usize,
    agents: &[DemoAgent],
    customers: &[DemoCustomer],
    touchpoints: &[(i64, Channel)],
    now: DateTime<Utc>,
    months: u32,
) -> Vec<DemoConversation> {
    if agents.is_empty() || customers.is_empty() {
        return vec![];
    }
    let by_locale = |l: Locale| -> Vec<usize> {
        (0..agents.len())
            .filter(|&i| agents[i].locale == l)
            .collect()
    };
    let agents_of = [
        by_locale(Locale::En),
        by_locale(Locale::He),
        by_locale(Locale::El),
    ];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let cust = &customers[rng.gen_range(0..customers.len())];
        let locale = cust.locale;
        let pool = &agents_of[Locale::ALL.iter().position(|&l| l == locale).unwrap_or(0)];
        let ag = if pool.is_empty() {
            &agents[rng.gen_range(0..agents.len())]
        } else {
            &agents[pool[rng.gen_range(0..pool.len())]]
        };
        let scenario = pick_scenario(rng, ag.skill);
        let resolved = rng.gen_bool(scenario.resolved_chance());
        let (touchpoint, channel) = pick_channel(rng, touchpoints);
        let subject = if scenario == Scenario::Routine {
            ROUTINES[rng.gen_range(0..ROUTINES.len())]
        } else {
            DOMAINS[rng.gen_range(0..DOMAINS.len())]
        };
        let vocative = |name: &str| match locale {
            Locale::El => greek_vocative(name),
            _ => name.to_string(),
        };
        let ctx = Context {
            agent: ag.first_name,
            agent_v: vocative(ag.first_name),
            agent_gender: gender(locale, ag.first_name),
            customer: cust.first_name,
            customer_v: vocative(cust.first_name),
            customer_gender: gender(locale, cust.first_name),
            slots: Slots::draw(rng, locale),
        };
        let d = dialogues(locale);
        let (steps, separator) = match channel {
            Channel::Email => (email_script(rng, scenario), "\n"),
            _ => (
                script(rng, scenario, resolved, channel == Channel::Phone),
                " ",
            ),
        };
        let mut issue = None;
        let texts: Vec<String> = steps
            .iter()
            .map(|step| render_step(rng, d, &ctx, step, subject, separator, &mut issue))
            .collect();
        let (times, handle_seconds): (Vec<TurnTimes>, u32) = match channel {
            Channel::Phone => {
                let t = voice_times(rng, scenario, &steps, &texts);
                let last = t.last().map_or(0.0, |&(_, e)| e);
                (
                    t.into_iter().map(|(s, e)| (Some(s), Some(e))).collect(),
                    last.ceil() as u32,
                )
            }
            Channel::Chat => {
                let t = chat_times(rng, &steps, &texts);
                let last = t.last().copied().unwrap_or(0.0);
                let timed = rng.gen_bool(0.5);
                (
                    t.into_iter().map(|s| (timed.then_some(s), None)).collect(),
                    last.ceil() as u32,
                )
            }
            _ => {
                let replies = steps.iter().filter(|s| s.speaker == Speaker::Agent).count();
                let work: u32 = (0..replies).map(|_| rng.gen_range(150..720)).sum();
                (vec![(None, None); steps.len()], work)
            }
        };
        let turns: Vec<Turn> = steps
            .iter()
            .zip(&texts)
            .zip(times)
            .map(|((step, text), (start, end))| {
                Turn::new(step.speaker, text, start, end)
                    .unwrap_or_else(|e| panic!("demo turn {text:?}: {e:?}"))
            })
            .collect();
        let mut meta = Metadata::new(format!("conv-{:05}", i + 1), channel);
        meta.agent = Some(ag.email.to_string());
        meta.customer = Some(cust.external_id.to_string());
        meta.touchpoint = touchpoint;
        meta.started_at = Some(started_at(rng, now, months, locale));
        meta.language = Some(locale);
        let transcript = Transcript::new(meta, turns)
            .unwrap_or_else(|e| panic!("demo conversation {}: {e:?}", i + 1));
        out.push(DemoConversation {
            transcript,
            scenario,
            resolved,
            handle_seconds,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::TimeZone;
    use rand::SeedableRng;

    use super::*;

    fn agents() -> Vec<DemoAgent<'static>> {
        let spec: [(&str, &str, Locale, f64); 12] = [
            ("dana@aurora.example", "דנה", Locale::He, 0.9),
            ("yossi@aurora.example", "יוסי", Locale::He, 0.2),
            ("tal@aurora.example", "טל", Locale::He, 0.6),
            ("ido@aurora.example", "עידו", Locale::He, 0.5),
            ("maria@aurora.example", "Μαρία", Locale::El, 0.85),
            ("giorgos@aurora.example", "Γιώργος", Locale::El, 0.15),
            ("angelos@aurora.example", "Άγγελος", Locale::El, 0.5),
            ("eleni@aurora.example", "Ελένη", Locale::El, 0.4),
            ("sarah@aurora.example", "Sarah", Locale::En, 0.95),
            ("james@aurora.example", "James", Locale::En, 0.1),
            ("priya@aurora.example", "Priya", Locale::En, 0.5),
            ("owen@aurora.example", "Owen", Locale::En, 0.6),
        ];
        spec.iter()
            .map(|&(email, first_name, locale, skill)| DemoAgent {
                email,
                first_name,
                locale,
                skill,
            })
            .collect()
    }

    const HE_NAMES: [&str; 10] = [
        "נועה", "מיכל", "עדי", "רוני", "דוד", "אבי", "נועם", "שירה", "איתי", "חן",
    ];
    const EL_NAMES: [&str; 8] = [
        "Ελένη",
        "Κατερίνα",
        "Νίκος",
        "Δημήτρης",
        "Κώστας",
        "Απόστολος",
        "Σοφία",
        "Στέλιος",
    ];
    const EN_NAMES: [&str; 8] = [
        "Olivia", "Jack", "Emily", "Raj", "Aisha", "Thomas", "Fiona", "Liam",
    ];

    fn customer_ids() -> Vec<String> {
        (1..=200).map(|i| format!("cust-{i:05}")).collect()
    }

    fn customers(ids: &[String]) -> Vec<DemoCustomer<'_>> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                let (locale, first_name) = match i % 10 {
                    0..=3 => (Locale::He, HE_NAMES[i % HE_NAMES.len()]),
                    4..=6 => (Locale::El, EL_NAMES[i % EL_NAMES.len()]),
                    _ => (Locale::En, EN_NAMES[i % EN_NAMES.len()]),
                };
                DemoCustomer {
                    external_id: id,
                    first_name,
                    locale,
                }
            })
            .collect()
    }

    const TOUCHPOINTS: [(i64, Channel); 6] = [
        (1, Channel::Phone),
        (2, Channel::Chat),
        (3, Channel::Email),
        (4, Channel::InPerson),
        (5, Channel::Phone),
        (6, Channel::Sms),
    ];

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap()
    }

    fn run(seed: u64, n: usize) -> Vec<DemoConversation> {
        let ids = customer_ids();
        let mut rng = StdRng::seed_from_u64(seed);
        generate(
            &mut rng,
            n,
            &agents(),
            &customers(&ids),
            &TOUCHPOINTS,
            now(),
            12,
        )
    }

    fn required_blocks() -> Vec<String> {
        let mut all: Vec<String> = GENERIC_BLOCKS
            .iter()
            .chain(EMAIL_BLOCKS.iter())
            .map(|s| s.to_string())
            .collect();
        for d in DOMAINS {
            for b in ["problem", "finding", "ownership"] {
                all.push(format!("{b}.{d}"));
            }
        }
        for r in ROUTINES {
            for b in ["request", "done"] {
                all.push(format!("{b}.{r}"));
            }
        }
        all.sort();
        all
    }

    #[test]
    fn every_dialogue_file_parses_with_exactly_the_blocks_the_scripts_use() {
        for (name, src) in [("en", EN), ("he", HE), ("el", EL)] {
            let d = parse(src).unwrap_or_else(|e| panic!("{name}.txt: {e}"));
            let mut have: Vec<String> = d.blocks.keys().map(|s| s.to_string()).collect();
            have.sort();
            assert_eq!(have, required_blocks(), "{name}.txt blocks");
            for (block, variants) in &d.blocks {
                // Unisex names give no gender, so each block needs a variant that does not ask.
                assert!(
                    variants
                        .iter()
                        .any(|v| !v.needs_agent_gender && !v.needs_customer_gender),
                    "{name}.txt @{block} has no gender-neutral variant"
                );
                if name == "en" {
                    assert!(
                        variants
                            .iter()
                            .all(|v| !v.needs_agent_gender && !v.needs_customer_gender),
                        "en.txt @{block} uses a gender choice"
                    );
                }
            }
        }
    }

    #[test]
    fn every_issue_of_a_problem_has_a_finding_and_an_ownership_on_it() {
        for (name, src) in [("en", EN), ("he", HE), ("el", EL)] {
            let d = parse(src).unwrap();
            for subject in DOMAINS {
                for p in d.block(&format!("problem.{subject}")) {
                    for issue in p.tags.split(',').filter(|t| !t.is_empty()) {
                        for then in ["finding", "ownership"] {
                            let ok = d.block(&format!("{then}.{subject}")).iter().any(|v| {
                                Context::fits(Some(issue), v)
                                    && !v.needs_agent_gender
                                    && !v.needs_customer_gender
                            });
                            assert!(ok, "{name}.txt: no neutral {then}.{subject} for [{issue}]");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn templates_are_checked() {
        assert!(check_template("Hi {cust}, {A:מבין|מבינה}.").is_ok());
        assert!(check_template("Hi {customer}").is_err());
        assert!(check_template("Hi {cust").is_err());
        assert!(check_template("Hi cust}").is_err());
        assert!(check_template("{A:only}").is_err());
        assert!(check_template("{C:|}").is_err());
        assert!(check_template("בוא{C:|י}").is_ok());
        assert!(parse("no block first").is_err());
        assert!(parse("@a\n@a\nx").is_err());
        assert!(parse("@empty\n@b\nx").is_err());
        assert!(parse("@a\n[] x").is_err());
        assert!(parse("@a\n[b c] x").is_err());
        let d = parse("@a\n[b,c] x {cust}").unwrap();
        assert_eq!(
            (d.block("a")[0].tags, d.block("a")[0].text),
            ("b,c", "x {cust}")
        );
    }

    #[test]
    fn greek_vocatives_and_genders() {
        for (name, voc) in [
            ("Γιώργος", "Γιώργο"),
            ("Άγγελος", "Άγγελε"),
            ("Απόστολος", "Απόστολε"),
            ("Αλέξανδρος", "Αλέξανδρε"),
            ("Στέλιος", "Στέλιο"),
            ("Μάριος", "Μάριο"),
            ("Κυριάκος", "Κυριάκο"),
            ("Χαράλαμπος", "Χαράλαμπε"),
            ("Δημήτρης", "Δημήτρη"),
            ("Κώστας", "Κώστα"),
            ("Θοδωρής", "Θοδωρή"),
            ("Μαρία", "Μαρία"),
        ] {
            assert_eq!(greek_vocative(name), voc);
        }
        assert_eq!(gender(Locale::El, "Νίκος"), Some(Gender::Male));
        assert_eq!(gender(Locale::El, "Ελένη"), Some(Gender::Female));
        assert_eq!(gender(Locale::He, "דנה"), Some(Gender::Female));
        assert_eq!(gender(Locale::He, "דוד"), Some(Gender::Male));
        assert_eq!(gender(Locale::He, "טל"), None);
        assert_eq!(gender(Locale::En, "Sarah"), None);
    }

    #[test]
    fn a_demo_sized_run_is_valid_varied_and_in_every_language_and_scenario() {
        let convs = run(7, 2_500);
        assert_eq!(convs.len(), 2_500);
        let ids = customer_ids();
        let custs = customers(&ids);
        let ags = agents();
        let mut locales = HashSet::new();
        let mut scenarios = HashSet::new();
        let mut channels = HashSet::new();
        let mut first_customer_turns = HashSet::new();
        for (i, c) in convs.iter().enumerate() {
            let t = &c.transcript;
            assert_eq!(t.external_id(), format!("conv-{:05}", i + 1));
            let cust = custs
                .iter()
                .find(|x| Some(x.external_id) == t.customer())
                .expect("customer");
            let agent = ags
                .iter()
                .find(|a| Some(a.email) == t.agent())
                .expect("agent");
            assert_eq!(t.language(), Some(cust.locale));
            assert_eq!(agent.locale, cust.locale);
            let started = t.started_at().expect("started_at");
            assert!(started < now() && started > now() - Duration::days(380));
            assert!(t.touchpoint().is_some());
            locales.insert(cust.locale);
            scenarios.insert(c.scenario);
            channels.insert(t.channel());
            let turns = t.turns();
            match t.channel() {
                Channel::Email => assert!((2..=6).contains(&turns.len()), "{}", turns.len()),
                _ => assert!((6..=16).contains(&turns.len()), "{}", turns.len()),
            }
            assert!(c.handle_seconds > 0);
            for turn in turns {
                assert!(
                    !turn.text().contains(['{', '}']),
                    "unfilled slot in {:?}",
                    turn.text()
                );
                let letters = |range: &[std::ops::RangeInclusive<char>]| {
                    turn.text()
                        .chars()
                        .any(|ch| range.iter().any(|r| r.contains(&ch)))
                };
                match cust.locale {
                    Locale::He => assert!(letters(&['\u{05D0}'..='\u{05EA}']), "{}", turn.text()),
                    Locale::El => assert!(
                        letters(&['\u{0370}'..='\u{03FF}', '\u{1F00}'..='\u{1FFF}']),
                        "{}",
                        turn.text()
                    ),
                    Locale::En => assert!(letters(&['a'..='z', 'A'..='Z']), "{}", turn.text()),
                }
            }
            if let Some(first) = turns.iter().find(|t| t.speaker() == Speaker::Customer) {
                first_customer_turns.insert(first.text().to_string());
            }
            if c.scenario == Scenario::Praise {
                assert!(
                    turns.iter().any(|t| t.speaker() == Speaker::Customer
                        && t.text()
                            .contains(&*as_addressed(agent.first_name, agent.locale))),
                    "praise names the agent"
                );
            }
            if matches!(c.scenario, Scenario::GoodEmpathy | Scenario::Praise) {
                assert!(
                    turns.iter().any(|t| t.speaker() == Speaker::Agent
                        && t.text()
                            .contains(&*as_addressed(cust.first_name, cust.locale))),
                    "good scenarios address the customer by name: {:?}",
                    t.to_json()
                );
            }
        }
        assert_eq!(locales.len(), 3);
        assert_eq!(scenarios.len(), Scenario::ALL.len());
        assert!(channels.contains(&Channel::Phone));
        assert!(channels.contains(&Channel::Chat));
        assert!(channels.contains(&Channel::Email));
        assert!(
            first_customer_turns.len() >= 300,
            "{} distinct first customer turns",
            first_customer_turns.len()
        );
    }

    /// A name as the other side says it (Greek names in the vocative).
    fn as_addressed(first_name: &str, locale: Locale) -> String {
        match locale {
            Locale::El => greek_vocative(first_name),
            _ => first_name.to_string(),
        }
    }

    #[test]
    fn calls_have_monotone_times_and_the_rest_fit_their_channel() {
        let convs = run(11, 600);
        let mut overtalk = 0;
        for c in &convs {
            let turns = c.transcript.turns();
            match c.transcript.channel() {
                Channel::Phone => {
                    let mut last_start = -1.0;
                    for t in turns {
                        let (s, e) = (t.start().expect("start"), t.end().expect("end"));
                        assert!(s > last_start && e > s, "{s} {e} after {last_start}");
                        last_start = s;
                    }
                    overtalk += turns
                        .windows(2)
                        .filter(|w| w[1].start() < w[0].end())
                        .count();
                    let end = turns.last().and_then(|t| t.end()).unwrap_or(0.0);
                    assert_eq!(c.handle_seconds, end.ceil() as u32);
                }
                Channel::Email => assert!(turns.iter().all(|t| t.start().is_none())),
                _ => assert!(turns.iter().all(|t| t.end().is_none())),
            }
        }
        assert!(overtalk > 0, "some calls have overtalk");
    }

    #[test]
    fn the_same_seed_gives_the_same_conversations() {
        let key = |cs: &[DemoConversation]| -> Vec<String> {
            cs.iter()
                .map(|c| {
                    format!(
                        "{} {:?} {} {}",
                        c.transcript.to_json(),
                        c.scenario,
                        c.resolved,
                        c.handle_seconds
                    )
                })
                .collect()
        };
        assert_eq!(key(&run(3, 300)), key(&run(3, 300)));
        assert_ne!(key(&run(3, 300)), key(&run(4, 300)));
    }

    #[test]
    fn skill_moves_conversations_towards_the_good_scenarios() {
        let good = |skill: f64| {
            let mut rng = StdRng::seed_from_u64(1);
            (0..4_000)
                .filter(|_| {
                    matches!(
                        pick_scenario(&mut rng, skill),
                        Scenario::GoodEmpathy | Scenario::Praise | Scenario::AngryCalmed
                    )
                })
                .count()
        };
        assert!(good(0.9) > 2 * good(0.1));
    }

    #[test]
    fn nothing_to_talk_about_gives_nothing() {
        let mut rng = StdRng::seed_from_u64(1);
        assert!(generate(&mut rng, 10, &[], &[], &[], now(), 12).is_empty());
    }
}
