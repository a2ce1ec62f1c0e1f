//! Voice-of-customer and job-queue SQL, expanded inside each backend's `Storage` impl by
//! [`sql_impl`](crate::sql_impl). Rows and their conversions are plain code below.

use chrono::{DateTime, Utc};
use rapport_domain::survey::{Answer, SurveyDefinition};
use rapport_domain::voc::*;
use rapport_domain::*;

use crate::{StorageError, StorageResult};

pub(crate) const SURVEY_COLS: &str =
    "s.id, s.org_id, s.touchpoint_id, s.name, s.status, s.current_version, s.public_id, \
     s.created_at, s.updated_at, v.definition";

#[derive(sqlx::FromRow)]
pub(crate) struct SurveyRow {
    pub id: i64,
    pub org_id: i64,
    pub touchpoint_id: i64,
    pub name: String,
    pub status: String,
    pub current_version: i64,
    pub public_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub definition: String,
}

impl SurveyRow {
    pub fn into_domain(self) -> StorageResult<Survey> {
        Ok(Survey {
            id: SurveyId(self.id),
            org_id: OrgId(self.org_id),
            touchpoint_id: TouchpointId(self.touchpoint_id),
            name: self.name,
            status: SurveyStatus::parse("status", &self.status)?,
            version: self.current_version,
            public_id: self.public_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            definition: parse_definition(&self.definition)?,
        })
    }
}

pub(crate) fn parse_definition(s: &str) -> StorageResult<SurveyDefinition> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(format!("survey definition: {e}")))
}

pub(crate) const INVITATION_COLS: &str =
    "id, org_id, survey_id, customer_id, touchpoint_id, agent_id, interaction_ref, \
     channel, created_at, expires_at, used_at, sent_at, reminder_sent_at";

#[derive(sqlx::FromRow)]
pub(crate) struct InvitationRow {
    pub id: i64,
    pub org_id: i64,
    pub survey_id: i64,
    pub customer_id: i64,
    pub touchpoint_id: i64,
    pub agent_id: Option<i64>,
    pub interaction_ref: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub reminder_sent_at: Option<DateTime<Utc>>,
}

impl InvitationRow {
    pub fn into_domain(self) -> (OrgId, Invitation) {
        (
            OrgId(self.org_id),
            Invitation {
                id: InvitationId(self.id),
                survey_id: SurveyId(self.survey_id),
                customer_id: CustomerId(self.customer_id),
                touchpoint_id: TouchpointId(self.touchpoint_id),
                agent_id: self.agent_id.map(UserId),
                interaction_ref: self.interaction_ref,
                channel: self.channel,
                created_at: self.created_at,
                expires_at: self.expires_at,
                used_at: self.used_at,
                sent_at: self.sent_at,
                reminder_sent_at: self.reminder_sent_at,
            },
        )
    }
}

pub(crate) const RESPONSE_COLS: &str = "id, survey_id, version, journey_id, stage_id, touchpoint_id, channel, customer_id, \
     agent_id, team_id, locale, source, external_id, submitted_at, answers, nps, csat, ces, expectation, experience, \
     comment, language, sentiment_label, sentiment_score, topics, analysis";

#[derive(sqlx::FromRow)]
pub(crate) struct ResponseRow {
    pub id: i64,
    pub survey_id: i64,
    pub version: i64,
    pub journey_id: i64,
    pub stage_id: i64,
    pub touchpoint_id: i64,
    pub channel: String,
    pub customer_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub team_id: Option<i64>,
    pub locale: String,
    pub source: String,
    pub external_id: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub answers: String,
    pub nps: Option<i32>,
    pub csat: Option<i32>,
    pub ces: Option<i32>,
    pub expectation: Option<i32>,
    pub experience: Option<i32>,
    pub comment: Option<String>,
    pub language: Option<String>,
    pub sentiment_label: Option<String>,
    pub sentiment_score: Option<f64>,
    pub topics: Option<String>,
    pub analysis: Option<String>,
}

/// Topics are stored as `,a,b,` so one `LIKE '%,a,%'` finds a topic on both backends.
pub(crate) fn topics_column(topics: &[String]) -> String {
    format!(",{},", topics.join(","))
}

pub(crate) fn split_topics(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

impl ResponseRow {
    pub fn into_domain(self) -> StorageResult<Response> {
        let answers: std::collections::BTreeMap<String, Answer> =
            serde_json::from_str(&self.answers)
                .map_err(|e| StorageError::Corrupt(format!("answers: {e}")))?;
        let analysis = match (&self.language, &self.analysis) {
            (Some(lang), detail) => Some(ResponseAnalysis {
                language: lang.clone(),
                sentiment_label: self.sentiment_label.clone(),
                sentiment_score: self.sentiment_score,
                topics: self.topics.as_deref().map(split_topics).unwrap_or_default(),
                redacted_comment: None,
                detail: detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or(serde_json::Value::Null),
            }),
            _ => None,
        };
        Ok(Response {
            id: ResponseId(self.id),
            survey_id: SurveyId(self.survey_id),
            version: self.version,
            journey_id: JourneyId(self.journey_id),
            stage_id: StageId(self.stage_id),
            touchpoint_id: TouchpointId(self.touchpoint_id),
            channel: Channel::parse("channel", &self.channel)?,
            customer_id: self.customer_id.map(CustomerId),
            agent_id: self.agent_id.map(UserId),
            team_id: self.team_id.map(TeamId),
            locale: Locale::parse("locale", &self.locale)?,
            source: ResponseSource::parse(&self.source)?,
            external_id: self.external_id,
            submitted_at: self.submitted_at,
            answers,
            nps: self.nps,
            csat: self.csat,
            ces: self.ces,
            expectation: self.expectation,
            experience: self.experience,
            comment: self.comment,
            analysis,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SumsRow {
    pub key: Option<String>,
    pub responses: i64,
    pub nps_n: i64,
    pub promoters: i64,
    pub detractors: i64,
    pub csat_n: i64,
    pub csat_satisfied: i64,
    pub ces_n: i64,
    pub ces_sum: i64,
    pub gap_n: i64,
    pub gap_sum: i64,
    pub sentiment_n: i64,
    pub sentiment_sum: Option<f64>,
    pub negative: i64,
}

impl SumsRow {
    /// The row's key and its sums (the key is left empty in the sums).
    pub fn into_sums(self) -> (String, GroupSums) {
        let key = self.key.unwrap_or_default();
        let sums = GroupSums {
            key: key.clone(),
            responses: self.responses,
            nps_n: self.nps_n,
            promoters: self.promoters,
            detractors: self.detractors,
            csat_n: self.csat_n,
            csat_satisfied: self.csat_satisfied,
            ces_n: self.ces_n,
            ces_sum: self.ces_sum,
            gap_n: self.gap_n,
            gap_sum: self.gap_sum,
            sentiment_n: self.sentiment_n,
            sentiment_sum: self.sentiment_sum.unwrap_or(0.0),
            negative: self.negative,
        };
        (key, sums)
    }
}

/// The sums of `GroupSums` over `responses` rows, in the column names `SumsRow` reads.
const RAW_SUMS: &str = "COUNT(*) AS responses, COUNT(nps) AS nps_n, \
     CAST(COALESCE(SUM(CASE WHEN nps >= 9 THEN 1 ELSE 0 END), 0) AS BIGINT) AS promoters, \
     CAST(COALESCE(SUM(CASE WHEN nps <= 6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS detractors, \
     COUNT(csat) AS csat_n, CAST(COALESCE(SUM(CASE WHEN csat >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS csat_satisfied, \
     COUNT(ces) AS ces_n, CAST(COALESCE(SUM(ces), 0) AS BIGINT) AS ces_sum, \
     COUNT(experience - expectation) AS gap_n, CAST(COALESCE(SUM(experience - expectation), 0) AS BIGINT) AS gap_sum, \
     COUNT(sentiment_score) AS sentiment_n, SUM(sentiment_score) AS sentiment_sum, \
     CAST(COALESCE(SUM(CASE WHEN sentiment_label = 'negative' THEN 1 ELSE 0 END), 0) AS BIGINT) AS negative";

/// `response_sums` over every matching row of `responses`.
pub(crate) fn raw_sums_sql(f: &ResponseFilter, group_by: GroupBy) -> (String, Vec<FilterValue>) {
    let (cond, vals) = filter_sql(f);
    let key = group_by.column();
    let grouping = if group_by == GroupBy::None {
        String::new()
    } else {
        format!("GROUP BY {key} ORDER BY {key}")
    };
    let sql = format!(
        "SELECT CAST({key} AS TEXT) AS key, {RAW_SUMS} FROM responses WHERE {cond} {grouping}"
    );
    (sql, vals)
}

/// `response_sums_by_period` over every matching row of `responses`: one query for every
/// (group, period) cell, keyed `group|period` ('|' never occurs in a period key).
pub(crate) fn raw_period_sql(
    f: &ResponseFilter,
    group_by: GroupBy,
    period: GroupBy,
) -> (String, Vec<FilterValue>) {
    let (cond, vals) = filter_sql(f);
    let (key, per) = (group_by.column(), period.column());
    // PostgreSQL refuses a constant in GROUP BY, so the ungrouped case groups by period only.
    let cols = if group_by == GroupBy::None {
        per.to_string()
    } else {
        format!("{key}, {per}")
    };
    let sql = format!(
        "SELECT COALESCE(CAST({key} AS TEXT), '') || '|' || CAST({per} AS TEXT) AS key, {RAW_SUMS} \
         FROM responses WHERE {cond} GROUP BY {cols} ORDER BY {cols}"
    );
    (sql, vals)
}

/// Builds the WHERE clause for a filter. Placeholders start at `$2` (`$1` is the organisation);
/// values are returned in order for binding. Only fixed column names are interpolated.
pub(crate) fn filter_sql(f: &ResponseFilter) -> (String, Vec<FilterValue>) {
    filter_sql_on(f, false)
}

/// Is `t` the first instant of a UTC day, so `submitted_at >= t` means `day >= t`'s day?
fn midnight(t: Option<DateTime<Utc>>) -> bool {
    t.is_none_or(|t| t.time() == chrono::NaiveTime::MIN)
}

/// The WHERE clause over `response_rollup` for a filter that names only its dimensions and
/// day-aligned times; `None` when the query must read `responses` (agent, customer, topic,
/// NPS group, or a time inside a day).
pub(crate) fn rollup_filter_sql(f: &ResponseFilter) -> Option<(String, Vec<FilterValue>)> {
    let eligible = f.agent.is_none()
        && f.customer.is_none()
        && f.topic.is_none()
        && f.nps_group.is_none()
        && midnight(f.from)
        && midnight(f.to);
    eligible.then(|| filter_sql_on(f, true))
}

/// How the roll-up groups by `g`: (GROUP BY column, the key as `responses` spells it), or
/// `None` for agents, which the roll-up does not keep. The roll-up stores "no team" as 0.
pub(crate) fn rollup_group(g: GroupBy) -> Option<(&'static str, &'static str)> {
    match g {
        GroupBy::Agent => None,
        GroupBy::Team => Some(("team_id", "NULLIF(team_id, 0)")),
        g => Some((g.column(), g.column())),
    }
}

/// Do the filter and groupings leave out team and locale (and agent), so the touchpoint-level
/// roll-ups (migration 0007), about 30× smaller than `response_rollup`, can answer?
fn touchpoint_level(f: &ResponseFilter, groups: &[GroupBy]) -> bool {
    f.team.is_none()
        && f.locale.is_none()
        && groups
            .iter()
            .all(|g| !matches!(g, GroupBy::Team | GroupBy::Locale | GroupBy::Agent))
}

/// Do the filter and groupings name only team, locale and time, so the team roll-up
/// (migration 0013), about 20× smaller than `response_rollup`, can answer?
fn team_level(f: &ResponseFilter, groups: &[GroupBy]) -> bool {
    f.survey.is_none()
        && f.journey.is_none()
        && f.stage.is_none()
        && f.touchpoint.is_none()
        && f.channel.is_none()
        && groups.iter().all(|g| {
            matches!(
                g,
                GroupBy::None
                    | GroupBy::Team
                    | GroupBy::Locale
                    | GroupBy::Day
                    | GroupBy::Week
                    | GroupBy::Month
            )
        })
}

/// The roll-up to read for an eligible filter (see `rollup_filter_sql`) and groupings: the
/// smallest one that keeps every dimension they name.
pub(crate) fn rollup_table(f: &ResponseFilter, groups: &[GroupBy]) -> &'static str {
    if touchpoint_level(f, groups) {
        "response_touchpoint_rollup"
    } else if team_level(f, groups) {
        "response_team_rollup"
    } else {
        "response_rollup"
    }
}

/// `topic_sums` over the topic roll-up, or `None` when it cannot answer (see `raw_topic_sql`).
/// Topic '' in the roll-up is the row of all analysed responses with an NPS answer.
pub(crate) fn rollup_topic_sql(
    f: &ResponseFilter,
    group_by: GroupBy,
) -> Option<(String, Vec<FilterValue>)> {
    let (cond, vals) = rollup_filter_sql(f)?;
    if !touchpoint_level(f, &[group_by]) {
        return None;
    }
    let key = group_by.column();
    // PostgreSQL refuses a constant in GROUP BY, so the ungrouped case groups by topic only.
    let cols = if group_by == GroupBy::None {
        "topic".to_string()
    } else {
        format!("{key}, topic")
    };
    let sql = format!(
        "SELECT CAST({key} AS TEXT) AS key, topic, CAST(SUM(responses) AS BIGINT) AS responses, \
         CAST(SUM(promoters) AS BIGINT) AS promoters, CAST(SUM(detractors) AS BIGINT) AS detractors, \
         CAST(SUM(mentions) AS BIGINT) AS mentions \
         FROM response_topic_rollup WHERE {cond} GROUP BY {cols} HAVING SUM(responses) > 0"
    );
    Some((sql, vals))
}

/// The rows `topic_sums` sums when the roll-up cannot answer: (group key, nps, topics) of every
/// matching analysed response with an NPS answer.
pub(crate) fn raw_topic_sql(f: &ResponseFilter, group_by: GroupBy) -> (String, Vec<FilterValue>) {
    let (cond, vals) = filter_sql(f);
    let key = group_by.column();
    let sql = format!(
        "SELECT CAST({key} AS TEXT) AS key, nps, topics FROM responses \
         WHERE {cond} AND nps IS NOT NULL AND topics IS NOT NULL"
    );
    (sql, vals)
}

/// Each touchpoint's newest responses matching the filter, one index range per touchpoint in
/// one statement: (touchpoint, id, submitted_at, sentiment score of an analysed comment).
/// Binds after the filter's values: the window size, then the touchpoints.
pub(crate) fn verbatim_window_sql(
    f: &ResponseFilter,
    touchpoints: usize,
) -> (String, Vec<FilterValue>) {
    let (cond, vals) = filter_sql(f);
    let limit = vals.len() + 2;
    let parts: Vec<String> = (0..touchpoints)
        .map(|i| {
            format!(
                "SELECT * FROM (SELECT touchpoint_id, id, submitted_at, \
                 CASE WHEN comment IS NOT NULL AND language IS NOT NULL THEN sentiment_score END AS score \
                 FROM responses WHERE {cond} AND touchpoint_id = ${} \
                 ORDER BY submitted_at DESC, id DESC LIMIT ${limit}) w{i}",
                limit + 1 + i
            )
        })
        .collect();
    (parts.join(" UNION ALL "), vals)
}

/// The verbatims' ids per touchpoint, in the touchpoints' order, from the window rows (whose
/// order the UNION does not promise, so each window is put newest first again here).
pub(crate) fn verbatim_picks(
    touchpoints: &[TouchpointId],
    window: Vec<(i64, i64, DateTime<Utc>, Option<f64>)>,
) -> Vec<(TouchpointId, Vec<i64>)> {
    let mut per: std::collections::HashMap<i64, Vec<(DateTime<Utc>, i64, f64)>> =
        Default::default();
    for (tp, id, at, score) in window {
        if let Some(s) = score {
            per.entry(tp).or_default().push((at, id, s));
        }
    }
    touchpoints
        .iter()
        .map(|tp| {
            let mut w = per.remove(&tp.0).unwrap_or_default();
            w.sort_by_key(|x| std::cmp::Reverse((x.0, x.1)));
            let scored: Vec<(i64, f64)> = w.into_iter().map(|(_, id, s)| (id, s)).collect();
            (*tp, representative_pick(&scored))
        })
        .collect()
}

/// One row of `rollup_topic_sql`.
pub(crate) type TopicRow = (Option<String>, String, i64, i64, i64, i64);

pub(crate) fn topic_row(r: TopicRow) -> TopicSums {
    let (key, topic, responses, promoters, detractors, mentions) = r;
    TopicSums {
        key: key.unwrap_or_default(),
        topic: (!topic.is_empty()).then_some(topic),
        responses,
        promoters,
        detractors,
        mentions,
    }
}

/// `TopicSums::from_rows` over the rows of `raw_topic_sql`.
pub(crate) fn topic_sums_of_rows(rows: Vec<(Option<String>, i32, String)>) -> Vec<TopicSums> {
    let rows: Vec<(String, i32, Vec<String>)> = rows
        .into_iter()
        .map(|(k, nps, t)| (k.unwrap_or_default(), nps, split_topics(&t)))
        .collect();
    TopicSums::from_rows(rows.iter().map(|(k, n, t)| (k.as_str(), *n, t.as_slice())))
}

/// The order `TopicSums::from_rows` returns: by key, the all-responses row, then by topic.
pub(crate) fn sort_topic_sums(v: &mut [TopicSums]) {
    v.sort_by(|a, b| (&a.key, &a.topic).cmp(&(&b.key, &b.topic)));
}

/// The sums of `GroupSums` over roll-up rows, in the column names `SumsRow` reads.
pub(crate) const ROLLUP_SUMS: &str =
    "CAST(COALESCE(SUM(responses), 0) AS BIGINT) AS responses, \
     CAST(COALESCE(SUM(nps_n), 0) AS BIGINT) AS nps_n, \
     CAST(COALESCE(SUM(promoters), 0) AS BIGINT) AS promoters, \
     CAST(COALESCE(SUM(detractors), 0) AS BIGINT) AS detractors, \
     CAST(COALESCE(SUM(csat_n), 0) AS BIGINT) AS csat_n, \
     CAST(COALESCE(SUM(csat_satisfied), 0) AS BIGINT) AS csat_satisfied, \
     CAST(COALESCE(SUM(ces_n), 0) AS BIGINT) AS ces_n, \
     CAST(COALESCE(SUM(ces_sum), 0) AS BIGINT) AS ces_sum, \
     CAST(COALESCE(SUM(gap_n), 0) AS BIGINT) AS gap_n, \
     CAST(COALESCE(SUM(gap_sum), 0) AS BIGINT) AS gap_sum, \
     CAST(COALESCE(SUM(sentiment_n), 0) AS BIGINT) AS sentiment_n, \
     CASE WHEN COALESCE(SUM(sentiment_n), 0) = 0 THEN NULL ELSE SUM(sentiment_sum) END AS sentiment_sum, \
     CAST(COALESCE(SUM(negative), 0) AS BIGINT) AS negative";

/// The sums query for `response_sums` over the roll-up, or `None` when it cannot answer.
pub(crate) fn rollup_sums_sql(
    f: &ResponseFilter,
    group_by: GroupBy,
) -> Option<(String, Vec<FilterValue>)> {
    let (cond, vals) = rollup_filter_sql(f)?;
    let (col, key) = rollup_group(group_by)?;
    let table = rollup_table(f, &[group_by]);
    // Rows emptied by deletes stay in the roll-up; a group with no responses does not exist.
    let grouping = if group_by == GroupBy::None {
        String::new()
    } else {
        format!("GROUP BY {col} HAVING SUM(responses) > 0 ORDER BY {key}")
    };
    let sql = format!(
        "SELECT CAST({key} AS TEXT) AS key, {ROLLUP_SUMS} FROM {table} WHERE {cond} {grouping}"
    );
    Some((sql, vals))
}

/// The query for `response_sums_by_period` over the roll-up, or `None`.
pub(crate) fn rollup_period_sql(
    f: &ResponseFilter,
    group_by: GroupBy,
    period: GroupBy,
) -> Option<(String, Vec<FilterValue>)> {
    let (cond, vals) = rollup_filter_sql(f)?;
    let (col, key) = rollup_group(group_by)?;
    let (per, _) = rollup_group(period)?;
    let table = rollup_table(f, &[group_by, period]);
    let (cols, order) = if group_by == GroupBy::None {
        (per.to_string(), per.to_string())
    } else {
        (format!("{col}, {per}"), format!("{key}, {per}"))
    };
    let sql = format!(
        "SELECT COALESCE(CAST({key} AS TEXT), '') || '|' || CAST({per} AS TEXT) AS key, {ROLLUP_SUMS} \
         FROM {table} WHERE {cond} GROUP BY {cols} HAVING SUM(responses) > 0 ORDER BY {order}"
    );
    Some((sql, vals))
}

/// `filter_sql` over `responses`, or over `response_rollup` (`rollup`: times become day keys;
/// the caller has checked the filter names nothing else the roll-up lacks).
fn filter_sql_on(f: &ResponseFilter, rollup: bool) -> (String, Vec<FilterValue>) {
    let mut sql = String::from("org_id = $1");
    let mut vals = vec![];
    fn push(sql: &mut String, vals: &mut Vec<FilterValue>, cond: &str, v: FilterValue) {
        vals.push(v);
        sql.push_str(&format!(" AND {cond} ${}", vals.len() + 1));
    }
    if let Some(v) = f.survey {
        push(&mut sql, &mut vals, "survey_id =", FilterValue::Int(v.0))
    }
    if let Some(v) = f.journey {
        push(&mut sql, &mut vals, "journey_id =", FilterValue::Int(v.0))
    }
    if let Some(v) = f.stage {
        push(&mut sql, &mut vals, "stage_id =", FilterValue::Int(v.0))
    }
    if let Some(v) = f.touchpoint {
        push(
            &mut sql,
            &mut vals,
            "touchpoint_id =",
            FilterValue::Int(v.0),
        )
    }
    if let Some(v) = f.team {
        push(&mut sql, &mut vals, "team_id =", FilterValue::Int(v.0))
    }
    if let Some(v) = f.agent {
        push(&mut sql, &mut vals, "agent_id =", FilterValue::Int(v.0))
    }
    if let Some(v) = f.customer {
        push(&mut sql, &mut vals, "customer_id =", FilterValue::Int(v.0))
    }
    if let Some(v) = f.locale {
        push(
            &mut sql,
            &mut vals,
            "locale =",
            FilterValue::Text(v.as_str().into()),
        )
    }
    if let Some(v) = f.channel {
        push(
            &mut sql,
            &mut vals,
            "channel =",
            FilterValue::Text(v.as_str().into()),
        )
    }
    if let Some(v) = &f.topic {
        let escaped = v
            .replace(['\\', ','], "")
            .replace('%', "\\%")
            .replace('_', "\\_");
        push(
            &mut sql,
            &mut vals,
            "topics LIKE",
            FilterValue::Text(format!("%,{escaped},%")),
        );
        sql.push_str(" ESCAPE '\\'");
    }
    let day = |t: DateTime<Utc>| FilterValue::Text(period_keys(t).0);
    match (f.from, rollup) {
        (Some(v), false) => push(&mut sql, &mut vals, "submitted_at >=", FilterValue::Time(v)),
        (Some(v), true) => push(&mut sql, &mut vals, "day >=", day(v)),
        (None, _) => {}
    }
    match (f.to, rollup) {
        (Some(v), false) => push(&mut sql, &mut vals, "submitted_at <", FilterValue::Time(v)),
        (Some(v), true) => push(&mut sql, &mut vals, "day <", day(v)),
        (None, _) => {}
    }
    match f.nps_group {
        Some(survey::NpsGroup::Promoter) => sql.push_str(" AND nps >= 9"),
        Some(survey::NpsGroup::Passive) => sql.push_str(" AND nps BETWEEN 7 AND 8"),
        Some(survey::NpsGroup::Detractor) => sql.push_str(" AND nps <= 6"),
        None => {}
    }
    (sql, vals)
}

pub(crate) enum FilterValue {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
}

macro_rules! bind_filter {
    ($q:expr, $vals:expr) => {{
        let mut q = $q;
        for v in $vals {
            q = match v {
                $crate::sql_voc::FilterValue::Int(i) => q.bind(*i),
                $crate::sql_voc::FilterValue::Text(t) => q.bind(t.clone()),
                $crate::sql_voc::FilterValue::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}
pub(crate) use bind_filter;

/// The database type of a transaction, so helpers can name the pool of their backend.
pub(crate) trait TxDb {
    type Db: sqlx::Database;
}
impl<DB: sqlx::Database> TxDb for sqlx::Transaction<'static, DB> {
    type Db = DB;
}

/// Most responses one group commit stores in one transaction.
pub(crate) const GROUP_MAX: usize = 256;
/// The longest one group commit may take. Past it the group is answered `Unavailable` and its
/// connection dropped: a database that stopped answering mid-commit (a network partition)
/// must not hold every later submission behind it until TCP gives up.
pub(crate) const GROUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// One single-response submission waiting for the group writer.
pub(crate) struct GroupItem {
    pub org: OrgId,
    pub new: NewResponse,
    pub reply: tokio::sync::oneshot::Sender<StorageResult<(ResponseId, bool)>>,
}

/// Group commit for single-response inserts: concurrent submissions queue here and one writer
/// task stores everything queued in one transaction, then answers each caller after the commit.
/// With one SQLite writer this turns N write transactions into one, without delaying a lone
/// submission (the writer never waits for company).
#[derive(Default)]
pub(crate) struct ResponseGroup {
    tx: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedSender<GroupItem>>>,
    /// (org, survey) → the survey as read then; see `Storage::get_survey_recent`.
    surveys: std::sync::Mutex<std::collections::HashMap<(i64, i64), (std::time::Instant, Survey)>>,
}

/// How long `get_survey_recent` may answer from memory.
pub(crate) const SURVEY_FRESH: std::time::Duration = std::time::Duration::from_secs(1);

impl ResponseGroup {
    /// Queues `item` for the writer, starting one with `start` if none runs (first use, or the
    /// runtime that ran the previous one has gone).
    pub(crate) fn submit(
        &self,
        item: GroupItem,
        start: impl FnOnce(tokio::sync::mpsc::UnboundedReceiver<GroupItem>),
    ) {
        let mut guard = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let item = match guard.as_ref() {
            Some(sender) => match sender.send(item) {
                Ok(()) => return,
                Err(tokio::sync::mpsc::error::SendError(item)) => item,
            },
            None => item,
        };
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let _ = sender.send(item);
        start(receiver);
        *guard = Some(sender);
    }

    pub(crate) fn recent_survey(&self, org: OrgId, id: SurveyId) -> Option<Survey> {
        let cache = self.surveys.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(&(org.0, id.0))
            .filter(|(at, _)| at.elapsed() < SURVEY_FRESH)
            .map(|(_, s)| s.clone())
    }

    pub(crate) fn remember_survey(&self, org: OrgId, at: std::time::Instant, survey: &Survey) {
        let mut cache = self.surveys.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > 1000 {
            cache.retain(|_, (t, _)| t.elapsed() < SURVEY_FRESH);
        }
        cache.insert((org.0, survey.id.0), (at, survey.clone()));
    }

    /// Called after a survey's status or version changes in this process.
    pub(crate) fn forget_survey(&self, id: i64) {
        let mut cache = self.surveys.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|(_, s), _| *s != id);
    }
}

/// A unique violation (another transaction stored the same key first), a deadlock or a
/// serialization failure (PostgreSQL chose this transaction to roll back): worth one more try.
pub(crate) fn lost_a_race(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| {
        d.is_unique_violation() || matches!(d.code().as_deref(), Some("40P01" | "40001"))
    })
}

/// The columns that make a response unique within its survey, with this response's values.
pub(crate) fn key_columns(r: &NewResponse) -> [(&'static str, Option<&str>); 2] {
    [
        ("idempotency_key", r.idempotency_key.as_deref()),
        ("external_id", r.external_id.as_deref()),
    ]
}

/// What one transaction of response inserts has learned so far.
#[derive(Default)]
pub(crate) struct InsertCtx {
    /// (survey, org) → (touchpoint, stage, journey, channel).
    pub places: std::collections::HashMap<(i64, i64), (i64, i64, i64, String)>,
    /// (org, response) of every analysis job to queue before the commit.
    pub jobs: Vec<(i64, i64)>,
    /// (survey, key column) pairs whose keys in this transaction were all looked up at once;
    /// `known` then holds every such key that names a response, including those inserted since.
    pub prefetched: std::collections::HashSet<(i64, usize)>,
    pub known: std::collections::HashMap<(i64, usize, String), i64>,
}

/// Free functions shared by the VoC methods of one backend.
macro_rules! voc_helpers {
    () => {
        /// Inserts one response inside `tx`; `(id, false)` when the idempotency key or external id
        /// already names a response (committed, or earlier in this transaction). Its analysis job
        /// is queued in `ctx.jobs`: the caller writes them with [`insert_jobs`] before committing.
        async fn insert_response_tx(
            tx: &mut Tx,
            org: OrgId,
            r: &NewResponse,
            ctx: &mut $crate::sql_voc::InsertCtx,
        ) -> StorageResult<(ResponseId, bool)> {
            for (ci, (col, val)) in $crate::sql_voc::key_columns(r).into_iter().enumerate() {
                if let Some(val) = val {
                    let found = if ctx.prefetched.contains(&(r.survey_id.0, ci)) {
                        ctx.known.get(&(r.survey_id.0, ci, val.to_string())).copied()
                    } else {
                        let row: Option<(i64,)> = sqlx::query_as(&format!("SELECT id FROM responses WHERE survey_id = $1 AND {col} = $2"))
                            .bind(r.survey_id.0)
                            .bind(val)
                            .fetch_optional(&mut **tx)
                            .await?;
                        row.map(|(id,)| id)
                    };
                    if let Some(id) = found {
                        return Ok((ResponseId(id), false));
                    }
                }
            }
            let (touchpoint, stage, journey, channel) = match ctx.places.get(&(r.survey_id.0, org.0)) {
                Some(p) => p.clone(),
                None => {
                    let place: Option<(i64, i64, i64, String)> = sqlx::query_as(
                        "SELECT t.id, t.stage_id, t.journey_id, t.channel FROM surveys s JOIN touchpoints t ON t.id = s.touchpoint_id \
                         WHERE s.id = $1 AND s.org_id = $2",
                    )
                    .bind(r.survey_id.0)
                    .bind(org.0)
                    .fetch_optional(&mut **tx)
                    .await?;
                    let p = place.ok_or(StorageError::NotFound { entity: "survey" })?;
                    ctx.places.insert((r.survey_id.0, org.0), p.clone());
                    p
                }
            };
            if let Some(c) = r.customer_id {
                ensure_in_org(tx, "customers", "customer_id", c.0, org).await?;
            }
            let team: Option<i64> = match r.agent_id {
                Some(a) => {
                    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT team_id FROM users WHERE id = $1 AND org_id = $2")
                        .bind(a.0)
                        .bind(org.0)
                        .fetch_optional(&mut **tx)
                        .await?;
                    row.ok_or(StorageError::Invalid { field: "agent_id", message: "no such agent in this organisation".into() })?.0
                }
                None => None,
            };
            if let Some(inv) = r.invitation_id {
                let done = sqlx::query("UPDATE invitations SET used_at = $1 WHERE id = $2 AND org_id = $3 AND used_at IS NULL AND expires_at > $1")
                    .bind(r.submitted_at.max(Utc::now()))
                    .bind(inv.0)
                    .bind(org.0)
                    .execute(&mut **tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::Conflict { field: "invitation", message: "this invitation has already been answered or has expired".into() });
                }
            }
            let (day, week, month) = period_keys(r.submitted_at);
            let answers = serde_json::to_string(&r.answers.answers).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let a = &r.answers;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO responses (org_id, survey_id, version, journey_id, stage_id, touchpoint_id, channel, customer_id, \
                 agent_id, team_id, invitation_id, locale, source, idempotency_key, external_id, submitted_at, day, week, month, \
                 answers, nps, csat, ces, expectation, experience, comment) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26) \
                 RETURNING id",
            )
            .bind(org.0)
            .bind(r.survey_id.0)
            .bind(r.version)
            .bind(journey)
            .bind(stage)
            .bind(touchpoint)
            .bind(channel)
            .bind(r.customer_id.map(|c| c.0))
            .bind(r.agent_id.map(|u| u.0))
            .bind(team)
            .bind(r.invitation_id.map(|i| i.0))
            .bind(r.locale.as_str())
            .bind(r.source.as_str())
            .bind(r.idempotency_key.as_deref())
            .bind(r.external_id.as_deref())
            .bind(r.submitted_at)
            .bind(day)
            .bind(week)
            .bind(month)
            .bind(answers)
            .bind(a.nps)
            .bind(a.csat)
            .bind(a.ces)
            .bind(a.expectation)
            .bind(a.experience)
            .bind(a.comment.as_deref())
            .fetch_one(&mut **tx)
            .await?;
            // Every response is analysed, even without a comment, so the worker records that
            // it saw it; analysis never blocks the acknowledgement.
            ctx.jobs.push((org.0, id));
            for (ci, (_, val)) in $crate::sql_voc::key_columns(r).into_iter().enumerate() {
                if let Some(val) = val {
                    ctx.known.insert((r.survey_id.0, ci, val.to_string()), id);
                }
            }
            Ok((ResponseId(id), true))
        }

        /// Queues the analysis jobs of responses inserted in `tx`, many rows per statement.
        async fn insert_jobs(tx: &mut Tx, jobs: &[(i64, i64)]) -> StorageResult<()> {
            let now = Utc::now();
            for chunk in jobs.chunks(200) {
                let mut sql = String::from(
                    "INSERT INTO jobs (org_id, kind, payload, state, attempts, max_attempts, run_at, created_at) VALUES ",
                );
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("(${}, 'analyze_response', ${}, 'queued', 0, 10, $1, $1)", 2 * i + 2, 2 * i + 3));
                }
                let mut q = sqlx::query(&sql).bind(now);
                for (org, id) in chunk {
                    q = q.bind(*org).bind(serde_json::json!({"response_id": id}).to_string());
                }
                q.execute(&mut **tx).await?;
            }
            Ok(())
        }

        type GroupPool = sqlx::Pool<<Tx as $crate::sql_voc::TxDb>::Db>;

        /// One response in its own transaction; a concurrent insert with the same key (another
        /// instance on PostgreSQL) loses the race cleanly and answers with the winner's row.
        /// Two instances' group commits holding each other's keys (a client's retry sent through
        /// the other instance while its first request is still being stored) deadlock; the
        /// victim is tried again too.
        async fn insert_one(pool: &GroupPool, begin: &'static str, org: OrgId, new: &NewResponse) -> StorageResult<(ResponseId, bool)> {
            let mut tries = 0;
            loop {
                tries += 1;
                let mut tx = pool.begin_with(begin).await?;
                let mut ctx = $crate::sql_voc::InsertCtx::default();
                let stored = match insert_response_tx(&mut tx, org, new, &mut ctx).await {
                    Ok(r) => match insert_jobs(&mut tx, &ctx.jobs).await {
                        Ok(()) => tx.commit().await.map(|()| r).map_err(StorageError::from),
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                };
                match stored {
                    Err(StorageError::Database(e)) if tries < 4 && $crate::sql_voc::lost_a_race(&e) => {
                        tracing::debug!(error = %e, tries, "response insert lost a race; trying again");
                    }
                    other => return other,
                }
            }
        }

        /// Stores a group of submissions in one transaction. A submission that is refused (unknown
        /// survey, agent or customer; used invitation) is answered with its error and writes
        /// nothing; a database error rolls the whole group back for the caller to retry singly.
        async fn insert_group(
            pool: &GroupPool,
            begin: &'static str,
            batch: &[$crate::sql_voc::GroupItem],
        ) -> StorageResult<Vec<StorageResult<(ResponseId, bool)>>> {
            let mut tx = pool.begin_with(begin).await?;
            let mut ctx = $crate::sql_voc::InsertCtx::default();
            // One look-up per (survey, key column) for the whole group, not one per submission.
            let mut keys: std::collections::BTreeMap<(i64, usize), Vec<&str>> = Default::default();
            for item in batch {
                for (ci, (_, val)) in $crate::sql_voc::key_columns(&item.new).into_iter().enumerate() {
                    if let Some(val) = val {
                        keys.entry((item.new.survey_id.0, ci)).or_default().push(val);
                    }
                }
            }
            for ((survey, ci), vals) in keys {
                let col = $crate::sql_voc::key_columns(&batch[0].new)[ci].0;
                for chunk in vals.chunks(500) {
                    let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                    let sql = format!("SELECT {col}, id FROM responses WHERE survey_id = $1 AND {col} IN ({})", marks.join(", "));
                    let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(survey);
                    for v in chunk {
                        q = q.bind(*v);
                    }
                    for (key, id) in q.fetch_all(&mut *tx).await? {
                        ctx.known.insert((survey, ci, key), id);
                    }
                }
                ctx.prefetched.insert((survey, ci));
            }
            let mut out = Vec::with_capacity(batch.len());
            for item in batch {
                match insert_response_tx(&mut tx, item.org, &item.new, &mut ctx).await {
                    Err(e @ (StorageError::Database(_) | StorageError::Unavailable(_))) => return Err(e),
                    r => out.push(r),
                }
            }
            insert_jobs(&mut tx, &ctx.jobs).await?;
            tx.commit().await?;
            Ok(out)
        }

        /// The group writer: takes whatever submissions are queued (at most `GROUP_MAX`), stores
        /// them in one transaction and answers each only after the commit. Ends when the store
        /// (the only sender) is dropped.
        async fn group_writer(pool: GroupPool, begin: &'static str, mut rx: tokio::sync::mpsc::UnboundedReceiver<$crate::sql_voc::GroupItem>) {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < $crate::sql_voc::GROUP_MAX {
                    match rx.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let group = tokio::time::timeout($crate::sql_voc::GROUP_TIMEOUT, insert_group(&pool, begin, &batch));
                let results = match group.await.unwrap_or(Err(StorageError::Unavailable(sqlx::Error::PoolTimedOut))) {
                    Ok(r) => r,
                    // Retrying one by one would make the last caller wait out the pool's
                    // acquire timeout once per submission ahead of it: all fail fast instead,
                    // and their clients retry (with their idempotency keys).
                    Err(StorageError::Unavailable(e)) => {
                        let why = e.to_string();
                        batch.iter().map(|_| Err(StorageError::Unavailable(sqlx::Error::Io(
                            std::io::Error::other(why.clone()),
                        )))).collect()
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, n = batch.len(), "group commit failed; storing one by one");
                        let mut r = Vec::with_capacity(batch.len());
                        for item in &batch {
                            r.push(insert_one(&pool, begin, item.org, &item.new).await);
                        }
                        r
                    }
                };
                for (item, result) in batch.into_iter().zip(results) {
                    // A caller that went away still has its response stored, as with any commit
                    // it did not wait for; a retry with its key finds it.
                    let _ = item.reply.send(result);
                }
            }
        }
    };
}
pub(crate) use voc_helpers;

/// The `Storage` methods for surveys, responses, metrics and jobs, handed to
/// `storage_impl_inner` as tokens so `#[async_trait]` sees them with the core methods.
macro_rules! with_voc_methods {
    ($store:ident, $db:ty, $backend:expr) => {
        $crate::sql_impl::storage_impl_inner!($store, $db, $backend, {
        async fn org_settings(&self, org: OrgId) -> StorageResult<OrgSettings> {
            let (redact_pii, survey_cooldown_days): (bool, i32) =
                sqlx::query_as("SELECT redact_pii, survey_cooldown_days FROM organisations WHERE id = $1")
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound { entity: "organisation" })?;
            Ok(OrgSettings { redact_pii, survey_cooldown_days })
        }

        async fn update_org_settings(&self, actor: Actor, s: &OrgSettings) -> StorageResult<()> {
            let mut tx = self.begin().await?;
            sqlx::query("UPDATE organisations SET redact_pii = $1, survey_cooldown_days = $2 WHERE id = $3")
                .bind(s.redact_pii)
                .bind(s.survey_cooldown_days)
                .bind(actor.org_id.0)
                .execute(&mut *tx)
                .await?;
            audit(&mut tx, actor, "update_settings", "organisation", actor.org_id, json!(s)).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn create_survey(&self, actor: Actor, touchpoint: TouchpointId, name: &Name, def: &rapport_domain::survey::SurveyDefinition, public_id: &str) -> StorageResult<Survey> {
            let mut tx = self.begin().await?;
            ensure_in_org(&mut tx, "touchpoints", "touchpoint_id", touchpoint.0, actor.org_id).await?;
            let now = Utc::now();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO surveys (org_id, touchpoint_id, name, status, current_version, public_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'draft', 1, $4, $5, $5) RETURNING id",
            )
            .bind(actor.org_id.0)
            .bind(touchpoint.0)
            .bind(name.as_str())
            .bind(public_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO survey_versions (survey_id, version, definition, created_at) VALUES ($1, 1, $2, $3)")
                .bind(id)
                .bind(serde_json::to_string(def).map_err(|e| StorageError::Corrupt(e.to_string()))?)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            audit(&mut tx, actor, "create", "survey", id, json!({"name": name.as_str(), "touchpoint_id": touchpoint})).await?;
            tx.commit().await?;
            self.get_survey(actor.org_id, SurveyId(id)).await
        }

        async fn get_survey(&self, org: OrgId, id: SurveyId) -> StorageResult<Survey> {
            let sql = format!(
                "SELECT {} FROM surveys s JOIN survey_versions v ON v.survey_id = s.id AND v.version = s.current_version \
                 WHERE s.id = $1 AND s.org_id = $2",
                $crate::sql_voc::SURVEY_COLS
            );
            sqlx::query_as::<_, $crate::sql_voc::SurveyRow>(&sql)
                .bind(id.0)
                .bind(org.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StorageError::NotFound { entity: "survey" })?
                .into_domain()
        }

        async fn survey_by_public_id(&self, public_id: &str) -> StorageResult<Survey> {
            let sql = format!(
                "SELECT {} FROM surveys s JOIN survey_versions v ON v.survey_id = s.id AND v.version = s.current_version \
                 WHERE s.public_id = $1",
                $crate::sql_voc::SURVEY_COLS
            );
            sqlx::query_as::<_, $crate::sql_voc::SurveyRow>(&sql)
                .bind(public_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StorageError::NotFound { entity: "survey" })?
                .into_domain()
        }

        async fn list_surveys(&self, org: OrgId, touchpoint: Option<TouchpointId>) -> StorageResult<Vec<Survey>> {
            let sql = format!(
                "SELECT {} FROM surveys s JOIN survey_versions v ON v.survey_id = s.id AND v.version = s.current_version \
                 WHERE s.org_id = $1 AND ($2 IS NULL OR s.touchpoint_id = $2) ORDER BY s.name, s.id",
                $crate::sql_voc::SURVEY_COLS
            );
            sqlx::query_as::<_, $crate::sql_voc::SurveyRow>(&sql)
                .bind(org.0)
                .bind(touchpoint.map(|t| t.0))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map($crate::sql_voc::SurveyRow::into_domain)
                .collect()
        }

        async fn update_survey(&self, actor: Actor, id: SurveyId, name: &Name, def: &rapport_domain::survey::SurveyDefinition) -> StorageResult<Survey> {
            let current = self.get_survey(actor.org_id, id).await?;
            let body = serde_json::to_string(def).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let now = Utc::now();
            let mut tx = self.begin().await?;
            let version = if current.status == SurveyStatus::Draft {
                sqlx::query("UPDATE survey_versions SET definition = $1 WHERE survey_id = $2 AND version = $3")
                    .bind(&body)
                    .bind(id.0)
                    .bind(current.version)
                    .execute(&mut *tx)
                    .await?;
                current.version
            } else {
                let v = current.version + 1;
                sqlx::query("INSERT INTO survey_versions (survey_id, version, definition, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(id.0)
                    .bind(v)
                    .bind(&body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                v
            };
            sqlx::query("UPDATE surveys SET name = $1, current_version = $2, updated_at = $3 WHERE id = $4")
                .bind(name.as_str())
                .bind(version)
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            audit(&mut tx, actor, "update", "survey", id, json!({"version": version})).await?;
            tx.commit().await?;
            self.group.forget_survey(id.0);
            self.get_survey(actor.org_id, id).await
        }

        async fn set_survey_status(&self, actor: Actor, id: SurveyId, status: SurveyStatus) -> StorageResult<Survey> {
            let mut tx = self.begin().await?;
            let done = sqlx::query("UPDATE surveys SET status = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
                .bind(status.as_str())
                .bind(Utc::now())
                .bind(id.0)
                .bind(actor.org_id.0)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StorageError::NotFound { entity: "survey" });
            }
            audit(&mut tx, actor, status.as_str(), "survey", id, json!({})).await?;
            tx.commit().await?;
            self.group.forget_survey(id.0);
            self.get_survey(actor.org_id, id).await
        }

        async fn survey_definition(&self, survey: SurveyId, version: i64) -> StorageResult<rapport_domain::survey::SurveyDefinition> {
            let (d,): (String,) = sqlx::query_as("SELECT definition FROM survey_versions WHERE survey_id = $1 AND version = $2")
                .bind(survey.0)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StorageError::NotFound { entity: "survey version" })?;
            $crate::sql_voc::parse_definition(&d)
        }

        async fn create_invitation(&self, actor: Actor, new: &$crate::NewInvitation) -> StorageResult<Invitation> {
            let survey = self.get_survey(actor.org_id, new.survey_id).await?;
            let mut tx = self.begin().await?;
            ensure_in_org(&mut tx, "customers", "customer_id", new.customer_id.0, actor.org_id).await?;
            if let Some(a) = new.agent_id {
                ensure_in_org(&mut tx, "users", "agent_id", a.0, actor.org_id).await?;
            }
            let sql = format!(
                "INSERT INTO invitations (org_id, survey_id, customer_id, touchpoint_id, agent_id, interaction_ref, token_hash, channel, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {}",
                $crate::sql_voc::INVITATION_COLS
            );
            let row: $crate::sql_voc::InvitationRow = sqlx::query_as(&sql)
                .bind(actor.org_id.0)
                .bind(survey.id.0)
                .bind(new.customer_id.0)
                .bind(survey.touchpoint_id.0)
                .bind(new.agent_id.map(|a| a.0))
                .bind(new.interaction_ref.as_deref())
                .bind(&new.token_hash)
                .bind(&new.channel)
                .bind(Utc::now())
                .bind(new.expires_at)
                .fetch_one(&mut *tx)
                .await?;
            audit(&mut tx, actor, "create", "invitation", row.id, json!({"survey_id": survey.id, "customer_id": new.customer_id})).await?;
            tx.commit().await?;
            Ok(row.into_domain().1)
        }

        async fn find_invitation(&self, token_hash: &str) -> StorageResult<Option<(OrgId, Invitation)>> {
            let sql = format!("SELECT {} FROM invitations WHERE token_hash = $1", $crate::sql_voc::INVITATION_COLS);
            Ok(sqlx::query_as::<_, $crate::sql_voc::InvitationRow>(&sql)
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?
                .map($crate::sql_voc::InvitationRow::into_domain))
        }

        async fn list_invitations(&self, org: OrgId, survey: SurveyId, limit: i64, offset: i64) -> StorageResult<(Vec<Invitation>, i64)> {
            let sql = format!(
                "SELECT {} FROM invitations WHERE org_id = $1 AND survey_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
                $crate::sql_voc::INVITATION_COLS
            );
            let rows = sqlx::query_as::<_, $crate::sql_voc::InvitationRow>(&sql)
                .bind(org.0)
                .bind(survey.0)
                .bind(limit.clamp(1, 500))
                .bind(offset.max(0))
                .fetch_all(&self.pool)
                .await?;
            let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM invitations WHERE org_id = $1 AND survey_id = $2")
                .bind(org.0)
                .bind(survey.0)
                .fetch_one(&self.pool)
                .await?;
            Ok((rows.into_iter().map(|r| r.into_domain().1).collect(), total))
        }

        async fn mark_invitation_sent(&self, id: InvitationId, reminder: bool, at: DateTime<Utc>) -> StorageResult<()> {
            let col = if reminder { "reminder_sent_at" } else { "sent_at" };
            sqlx::query(&format!("UPDATE invitations SET {col} = $1 WHERE id = $2"))
                .bind(at)
                .bind(id.0)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn last_invited_at(&self, customer: CustomerId, except: Option<InvitationId>) -> StorageResult<Option<DateTime<Utc>>> {
            let row: Option<(DateTime<Utc>,)> = sqlx::query_as(
                "SELECT sent_at FROM invitations WHERE customer_id = $1 AND sent_at IS NOT NULL AND id <> $2 ORDER BY sent_at DESC LIMIT 1",
            )
            .bind(customer.0)
            .bind(except.map(|i| i.0).unwrap_or(-1))
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|r| r.0))
        }

        async fn insert_response(&self, org: OrgId, new: &NewResponse) -> StorageResult<(ResponseId, bool)> {
            // Group commit: concurrent submissions share one transaction; this returns only
            // after the transaction holding this response and its job has committed.
            let (reply, answer) = tokio::sync::oneshot::channel();
            let pool = self.pool.clone();
            self.group.submit($crate::sql_voc::GroupItem { org, new: new.clone(), reply }, move |rx| {
                tokio::spawn(group_writer(pool, Self::BEGIN, rx));
            });
            answer.await.map_err(|_| StorageError::Unavailable(sqlx::Error::PoolClosed))?
        }

        async fn insert_responses(&self, org: OrgId, batch: &[NewResponse]) -> StorageResult<Vec<(ResponseId, bool)>> {
            let mut tx = self.begin().await?;
            let mut ctx = $crate::sql_voc::InsertCtx::default();
            let mut out = Vec::with_capacity(batch.len());
            for r in batch {
                out.push(insert_response_tx(&mut tx, org, r, &mut ctx).await?);
            }
            insert_jobs(&mut tx, &ctx.jobs).await?;
            tx.commit().await?;
            Ok(out)
        }

        async fn get_response(&self, org: OrgId, id: ResponseId) -> StorageResult<Response> {
            let sql = format!("SELECT {} FROM responses WHERE id = $1 AND org_id = $2", $crate::sql_voc::RESPONSE_COLS);
            sqlx::query_as::<_, $crate::sql_voc::ResponseRow>(&sql)
                .bind(id.0)
                .bind(org.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StorageError::NotFound { entity: "response" })?
                .into_domain()
        }

        async fn list_responses(&self, org: OrgId, filter: &ResponseFilter, limit: i64, offset: i64) -> StorageResult<(Vec<Response>, i64)> {
            let (cond, vals) = $crate::sql_voc::filter_sql(filter);
            let n = vals.len();
            // The roll-up counts a touchpoint's year without visiting its rows.
            let (count_sql, count_vals) = match $crate::sql_voc::rollup_filter_sql(filter) {
                Some((c, v)) => (format!("SELECT CAST(COALESCE(SUM(responses), 0) AS BIGINT) FROM {} WHERE {c}", $crate::sql_voc::rollup_table(filter, &[])), v),
                None => (format!("SELECT COUNT(*) FROM responses WHERE {cond}"), $crate::sql_voc::filter_sql(filter).1),
            };
            let (total,): (i64,) = $crate::sql_voc::bind_filter!(sqlx::query_as(&count_sql).bind(org.0), &count_vals).fetch_one(&self.pool).await?;
            let sql = format!(
                "SELECT {} FROM responses WHERE {cond} ORDER BY submitted_at DESC, id DESC LIMIT ${} OFFSET ${}",
                $crate::sql_voc::RESPONSE_COLS,
                n + 2,
                n + 3
            );
            let rows: Vec<$crate::sql_voc::ResponseRow> =
                $crate::sql_voc::bind_filter!(sqlx::query_as(&sql).bind(org.0), &vals).bind(limit).bind(offset).fetch_all(&self.pool).await?;
            let items = rows.into_iter().map($crate::sql_voc::ResponseRow::into_domain).collect::<StorageResult<Vec<_>>>()?;
            Ok((items, total))
        }

        async fn set_response_analysis(&self, id: ResponseId, a: &ResponseAnalysis) -> StorageResult<()> {
            let mut tx = self.begin().await?;
            sqlx::query(
                "UPDATE responses SET analysed_at = $1, language = $2, sentiment_label = $3, sentiment_score = $4, topics = $5, analysis = $6 WHERE id = $7",
            )
            .bind(Utc::now())
            .bind(&a.language)
            .bind(a.sentiment_label.as_deref())
            .bind(a.sentiment_score)
            .bind($crate::sql_voc::topics_column(&a.topics))
            .bind(a.detail.to_string())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if let Some(redacted) = &a.redacted_comment {
                // With redaction on, the stored comment itself loses the personal data.
                sqlx::query("UPDATE responses SET comment = $1 WHERE id = $2").bind(redacted).bind(id.0).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn response_sums(&self, org: OrgId, filter: &ResponseFilter, group_by: GroupBy) -> StorageResult<Vec<GroupSums>> {
            let (sql, vals) = $crate::sql_voc::rollup_sums_sql(filter, group_by)
                .unwrap_or_else(|| $crate::sql_voc::raw_sums_sql(filter, group_by));
            let rows: Vec<$crate::sql_voc::SumsRow> = $crate::sql_voc::bind_filter!(sqlx::query_as(&sql).bind(org.0), &vals).fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(|r| r.into_sums().1).collect())
        }

        async fn nps_with_topics(&self, org: OrgId, filter: &ResponseFilter) -> StorageResult<Vec<(i32, Vec<String>)>> {
            let (cond, vals) = $crate::sql_voc::filter_sql(filter);
            let sql = format!("SELECT nps, topics FROM responses WHERE {cond} AND nps IS NOT NULL AND topics IS NOT NULL");
            let rows: Vec<(i32, String)> = $crate::sql_voc::bind_filter!(sqlx::query_as(&sql).bind(org.0), &vals).fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(|(n, t)| (n, $crate::sql_voc::split_topics(&t))).collect())
        }

        async fn topic_sums(&self, org: OrgId, filter: &ResponseFilter, group_by: GroupBy) -> StorageResult<Vec<TopicSums>> {
            let mut out = match $crate::sql_voc::rollup_topic_sql(filter, group_by) {
                Some((sql, vals)) => {
                    let rows: Vec<$crate::sql_voc::TopicRow> = $crate::sql_voc::bind_filter!(sqlx::query_as(&sql).bind(org.0), &vals).fetch_all(&self.pool).await?;
                    rows.into_iter().map($crate::sql_voc::topic_row).collect()
                }
                None => {
                    let (sql, vals) = $crate::sql_voc::raw_topic_sql(filter, group_by);
                    let rows: Vec<(Option<String>, i32, String)> = $crate::sql_voc::bind_filter!(sqlx::query_as(&sql).bind(org.0), &vals).fetch_all(&self.pool).await?;
                    $crate::sql_voc::topic_sums_of_rows(rows)
                }
            };
            $crate::sql_voc::sort_topic_sums(&mut out);
            Ok(out)
        }

        async fn representative_responses(&self, org: OrgId, filter: &ResponseFilter, touchpoints: &[TouchpointId], recent: i64) -> StorageResult<Vec<(TouchpointId, Vec<Response>)>> {
            if touchpoints.is_empty() {
                return Ok(vec![]);
            }
            // Ids, times and scores of each touchpoint's window, one index range each; the
            // chosen rows are read whole afterwards, in one statement.
            // (SQLite allows at most 500 terms in a compound SELECT.)
            let mut window: Vec<(i64, i64, DateTime<Utc>, Option<f64>)> = vec![];
            for chunk in touchpoints.chunks(100) {
                let (sql, vals) = $crate::sql_voc::verbatim_window_sql(filter, chunk.len());
                let mut q = $crate::sql_voc::bind_filter!(sqlx::query_as::<_, (i64, i64, DateTime<Utc>, Option<f64>)>(&sql).bind(org.0), &vals).bind(recent.max(0));
                for tp in chunk {
                    q = q.bind(tp.0);
                }
                window.extend(q.fetch_all(&self.pool).await?);
            }
            let picks = $crate::sql_voc::verbatim_picks(touchpoints, window);
            let ids: Vec<i64> = picks.iter().flat_map(|(_, ids)| ids.iter().copied()).collect();
            let mut rows: std::collections::HashMap<i64, Response> = std::collections::HashMap::new();
            if !ids.is_empty() {
                let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!("SELECT {} FROM responses WHERE org_id = $1 AND id IN ({})", $crate::sql_voc::RESPONSE_COLS, marks.join(", "));
                let mut q = sqlx::query_as::<_, $crate::sql_voc::ResponseRow>(&sql).bind(org.0);
                for id in &ids {
                    q = q.bind(*id);
                }
                for r in q.fetch_all(&self.pool).await? {
                    let r = r.into_domain()?;
                    rows.insert(r.id.0, r);
                }
            }
            Ok(picks
                .into_iter()
                .map(|(tp, ids)| (tp, ids.iter().filter_map(|id| rows.remove(id)).collect()))
                .collect())
        }

        async fn enqueue_job(&self, org: Option<OrgId>, kind: &str, payload: &serde_json::Value, run_at: DateTime<Utc>) -> StorageResult<i64> {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO jobs (org_id, kind, payload, state, attempts, max_attempts, run_at, created_at) \
                 VALUES ($1, $2, $3, 'queued', 0, 10, $4, $5) RETURNING id",
            )
            .bind(org.map(|o| o.0))
            .bind(kind)
            .bind(payload.to_string())
            .bind(run_at)
            .bind(Utc::now())
            .fetch_one(&self.pool)
            .await?;
            Ok(id)
        }

        async fn claim_job(&self, worker: &str, now: DateTime<Utc>, lease: chrono::Duration) -> StorageResult<Option<$crate::Job>> {
            let sql = format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2, locked_by = $3 \
                 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until < $1) \
                             ORDER BY run_at, id LIMIT 1 {}) \
                 RETURNING id, org_id, kind, payload, attempts, max_attempts",
                Self::SKIP_LOCKED
            );
            let row: Option<(i64, Option<i64>, String, String, i32, i32)> = sqlx::query_as(&sql)
                .bind(now)
                .bind(now + lease)
                .bind(worker)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|(id, org, kind, payload, attempts, max_attempts)| $crate::Job {
                id,
                org_id: org.map(OrgId),
                kind,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                attempts,
                max_attempts,
            }))
        }

        async fn complete_job(&self, id: i64, now: DateTime<Utc>) -> StorageResult<()> {
            sqlx::query("UPDATE jobs SET state = 'done', finished_at = $1, locked_until = NULL WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn fail_job(&self, id: i64, error: &str, retry_at: Option<DateTime<Utc>>) -> StorageResult<()> {
            sqlx::query(
                "UPDATE jobs SET state = CASE WHEN $2 IS NOT NULL AND attempts < max_attempts THEN 'queued' ELSE 'failed' END, \
                 run_at = COALESCE($2, run_at), last_error = $3, locked_until = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(retry_at)
            .bind(error)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn complete_queued_jobs(&self, kind: &str, now: DateTime<Utc>) -> StorageResult<u64> {
            let done = sqlx::query("UPDATE jobs SET state = 'done', finished_at = $1 WHERE kind = $2 AND state = 'queued'")
                .bind(now)
                .bind(kind)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
        }

        async fn job_counts(&self) -> StorageResult<Vec<(String, i64)>> {
            Ok(sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state").fetch_all(&self.pool).await?)
        }

        async fn response_sums_by_period(&self, org: OrgId, filter: &ResponseFilter, group_by: GroupBy, period: GroupBy) -> StorageResult<Vec<(String, GroupSums)>> {
            let (sql, vals) = $crate::sql_voc::rollup_period_sql(filter, group_by, period)
                .unwrap_or_else(|| $crate::sql_voc::raw_period_sql(filter, group_by, period));
            let rows: Vec<$crate::sql_voc::SumsRow> = $crate::sql_voc::bind_filter!(sqlx::query_as(&sql).bind(org.0), &vals).fetch_all(&self.pool).await?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    let (joined, mut sums) = r.into_sums();
                    let (group, period) = joined.rsplit_once('|').unwrap_or(("", joined.as_str()));
                    sums.key = period.to_string();
                    (group.to_string(), sums)
                })
                .collect())
        }

        async fn claim_jobs(&self, worker: &str, now: DateTime<Utc>, lease: chrono::Duration, kind: &str, limit: i64) -> StorageResult<Vec<$crate::Job>> {
            let sql = format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2, locked_by = $3 \
                 WHERE id IN (SELECT id FROM jobs WHERE kind = $4 AND ((state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until < $1)) \
                              ORDER BY run_at, id LIMIT $5 {}) \
                 RETURNING id, org_id, kind, payload, attempts, max_attempts",
                Self::SKIP_LOCKED
            );
            let rows: Vec<(i64, Option<i64>, String, String, i32, i32)> = sqlx::query_as(&sql)
                .bind(now)
                .bind(now + lease)
                .bind(worker)
                .bind(kind)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
            let mut jobs: Vec<$crate::Job> = rows
                .into_iter()
                .map(|(id, org, kind, payload, attempts, max_attempts)| $crate::Job {
                    id,
                    org_id: org.map(OrgId),
                    kind,
                    payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                    attempts,
                    max_attempts,
                })
                .collect();
            jobs.sort_by_key(|j| j.id);
            Ok(jobs)
        }

        async fn complete_jobs(&self, ids: &[i64], now: DateTime<Utc>) -> StorageResult<()> {
            if ids.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin().await?;
            for chunk in ids.chunks(500) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!(
                    "UPDATE jobs SET state = 'done', finished_at = $1, locked_until = NULL WHERE id IN ({})",
                    marks.join(", ")
                );
                let mut q = sqlx::query(&sql).bind(now);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn release_jobs(&self, worker: &str, ids: &[i64], now: DateTime<Utc>) -> StorageResult<()> {
            for chunk in ids.chunks(500) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
                let sql = format!(
                    "UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_at = $1, locked_until = NULL, locked_by = NULL \
                     WHERE state = 'running' AND locked_by = $2 AND id IN ({})",
                    marks.join(", ")
                );
                let mut q = sqlx::query(&sql).bind(now).bind(worker);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&self.pool).await?;
            }
            Ok(())
        }

        async fn renew_jobs(&self, worker: &str, ids: &[i64], until: DateTime<Utc>) -> StorageResult<()> {
            for chunk in ids.chunks(500) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
                let sql = format!(
                    "UPDATE jobs SET locked_until = $1 WHERE state = 'running' AND locked_by = $2 AND id IN ({})",
                    marks.join(", ")
                );
                let mut q = sqlx::query(&sql).bind(until).bind(worker);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&self.pool).await?;
            }
            Ok(())
        }

        async fn get_survey_recent(&self, org: OrgId, id: SurveyId) -> StorageResult<Survey> {
            if let Some(s) = self.group.recent_survey(org, id) {
                return Ok(s);
            }
            let at = std::time::Instant::now();
            let survey = self.get_survey(org, id).await?;
            self.group.remember_survey(org, at, &survey);
            Ok(survey)
        }
        });
    };
}
pub(crate) use with_voc_methods;
