//! `GET /api/v1/metrics`: NPS, CSAT, CES and the expectation gap by any dimension and period.
//!
//! The report is built here once and shared with the insight pages, so the JSON and the web
//! show the same figures. Every group carries the drill-down to the responses it counts.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use rapport_domain::insights;
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_storage::Storage;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::auth::{Auth, Members};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_metrics))
}

/// Which figures to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Nps,
    Csat,
    Ces,
    Gap,
    Sentiment,
    All,
}

impl Measure {
    fn parse(s: &str) -> Result<Self, ApiError> {
        Ok(match s {
            "nps" => Measure::Nps,
            "csat" => Measure::Csat,
            "ces" => Measure::Ces,
            "gap" => Measure::Gap,
            "sentiment" => Measure::Sentiment,
            "all" => Measure::All,
            _ => {
                return Err(ApiError::invalid(
                    "measure",
                    "must be one of nps, csat, ces, gap, sentiment, all",
                ))
            }
        })
    }

    fn wants(self, m: Measure) -> bool {
        self == Measure::All || self == m
    }
}

#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    /// nps, csat, ces, gap, sentiment or all (default).
    pub measure: Option<String>,
    /// none (default), journey, stage, touchpoint, channel, team, agent, locale, survey, day, week, month.
    pub group_by: Option<String>,
    /// day, week or month: adds a series per group and a significance flag for the last change.
    pub period: Option<String>,
    /// Inclusive start (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub survey_id: Option<i64>,
    pub journey_id: Option<i64>,
    pub stage_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub team_id: Option<i64>,
    /// Ignored for agents: they always see their own responses.
    pub agent_id: Option<i64>,
    pub locale: Option<String>,
    pub channel: Option<String>,
    pub topic: Option<String>,
}

/// A parsed metrics request.
#[derive(Debug, Clone)]
pub struct MetricsRequest {
    pub measure: Measure,
    pub group_by: GroupBy,
    pub period: Option<GroupBy>,
    pub filter: ResponseFilter,
}

fn positive(field: &str, v: Option<i64>) -> Result<Option<i64>, ApiError> {
    match v {
        Some(i) if i <= 0 => Err(ApiError::invalid(field, "must be a positive id")),
        v => Ok(v),
    }
}

impl MetricsQuery {
    /// Validates every parameter; an agent's request is narrowed to their own responses.
    pub fn parse(&self, caller: &model::User) -> Result<MetricsRequest, ApiError> {
        let measure = Measure::parse(self.measure.as_deref().unwrap_or("all"))?;
        let group_by = GroupBy::parse("group_by", self.group_by.as_deref().unwrap_or("none"))?;
        let period = match self.period.as_deref() {
            None | Some("") => None,
            Some("day") => Some(GroupBy::Day),
            Some("week") => Some(GroupBy::Week),
            Some("month") => Some(GroupBy::Month),
            Some(_) => return Err(ApiError::invalid("period", "must be day, week or month")),
        };
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if t <= f {
                return Err(ApiError::invalid("to", "must be after from"));
            }
        }
        let agent = if caller.role == Role::Agent {
            Some(caller.id)
        } else {
            positive("agent_id", self.agent_id)?.map(UserId)
        };
        let topic = match self.topic.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) if t.chars().count() > 64 || t.contains(',') => {
                return Err(ApiError::invalid(
                    "topic",
                    "must be one topic name of at most 64 characters",
                ))
            }
            Some(t) => Some(t.to_string()),
        };
        Ok(MetricsRequest {
            measure,
            group_by,
            period,
            filter: ResponseFilter {
                survey: positive("survey_id", self.survey_id)?.map(SurveyId),
                journey: positive("journey_id", self.journey_id)?.map(JourneyId),
                stage: positive("stage_id", self.stage_id)?.map(StageId),
                touchpoint: positive("touchpoint_id", self.touchpoint_id)?.map(TouchpointId),
                team: positive("team_id", self.team_id)?.map(TeamId),
                agent,
                customer: None,
                locale: self
                    .locale
                    .as_deref()
                    .filter(|l| !l.is_empty())
                    .map(|l| Locale::parse("locale", l))
                    .transpose()?,
                channel: self
                    .channel
                    .as_deref()
                    .filter(|c| !c.is_empty())
                    .map(|c| Channel::parse("channel", c))
                    .transpose()?,
                topic,
                nps_group: None,
                from: self.from,
                to: self.to,
            },
        })
    }
}

/// NPS of a group; `score` and `margin` are null when nobody answered the NPS question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NpsFigure {
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub score: Option<f64>,
    /// Half-width of the 95% confidence interval, in NPS points.
    pub margin: Option<f64>,
}

/// A mean or percentage over the `n` answers that had it; null when `n` is 0.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figure {
    pub n: i64,
    pub value: Option<f64>,
}

/// The figures of one group (or one period of a group).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figures {
    /// Responses in the group, whichever questions they answered.
    pub n: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<NpsFigure>,
    /// Percent of CSAT answers that were 4 or 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<Figure>,
    /// Mean CES (1–7, higher is easier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces: Option<Figure>,
    /// Mean experience − expectation (−6..6); negative means the promise was not kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<Figure>,
    /// Mean sentiment of analysed comments, −1..1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Figure>,
    /// The responses behind these figures (`GET`); null for groups no filter can express,
    /// such as responses without a team.
    pub responses_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodFigures {
    /// `2026-05-04`, `2026-W19` or `2026-05`.
    pub period: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetricGroup {
    /// The group's id or value as text (`all` when ungrouped; empty for "none", e.g. no team).
    pub key: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// Present with `period`: the group's figures per period, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<Vec<PeriodFigures>>,
    /// Present with `period`: did NPS change between the last two periods by more than the
    /// noise (95%)? Null with fewer than two periods with NPS answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps_change_significant: Option<Option<bool>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetricsReport {
    pub group_by: String,
    pub period: Option<String>,
    pub overall: MetricGroup,
    pub groups: Vec<MetricGroup>,
}

/// The query string that selects exactly the responses a filter covers, in the parameter
/// names `GET /api/v1/responses` and `/responses` accept.
pub fn filter_query(f: &ResponseFilter) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    let ids = [
        ("survey_id", f.survey.map(|v| v.0)),
        ("journey_id", f.journey.map(|v| v.0)),
        ("stage_id", f.stage.map(|v| v.0)),
        ("touchpoint_id", f.touchpoint.map(|v| v.0)),
        ("team_id", f.team.map(|v| v.0)),
        ("agent_id", f.agent.map(|v| v.0)),
        ("customer_id", f.customer.map(|v| v.0)),
    ];
    for (k, v) in ids {
        if let Some(v) = v {
            q.append_pair(k, &v.to_string());
        }
    }
    if let Some(l) = f.locale {
        q.append_pair("locale", l.as_str());
    }
    if let Some(c) = f.channel {
        q.append_pair("channel", c.as_str());
    }
    if let Some(t) = &f.topic {
        q.append_pair("topic", t);
    }
    if let Some(g) = f.nps_group {
        q.append_pair(
            "nps_group",
            match g {
                survey::NpsGroup::Promoter => "promoter",
                survey::NpsGroup::Passive => "passive",
                survey::NpsGroup::Detractor => "detractor",
            },
        );
    }
    for (k, v) in [("from", f.from), ("to", f.to)] {
        if let Some(v) = v {
            q.append_pair(k, &v.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
    }
    q.finish()
}

/// `[start, end)` of a stored period key.
pub fn period_bounds(period: GroupBy, key: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (start, end) = match period {
        GroupBy::Day => {
            let d = NaiveDate::parse_from_str(key, "%Y-%m-%d").ok()?;
            (d, d.succ_opt()?)
        }
        GroupBy::Week => {
            let (y, w) = key.split_once("-W")?;
            let d =
                NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, chrono::Weekday::Mon)?;
            (d, d + Duration::days(7))
        }
        GroupBy::Month => {
            let d = NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok()?;
            (d, d.checked_add_months(chrono::Months::new(1))?)
        }
        _ => return None,
    };
    let utc = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"));
    Some((utc(start), utc(end)))
}

/// Narrows `base` to one group (or period); `None` when the key cannot be expressed as a filter.
pub fn narrow(base: &ResponseFilter, by: GroupBy, key: &str) -> Option<ResponseFilter> {
    let mut f = base.clone();
    let id = || key.parse::<i64>().ok();
    match by {
        GroupBy::None => {}
        GroupBy::Journey => f.journey = Some(JourneyId(id()?)),
        GroupBy::Stage => f.stage = Some(StageId(id()?)),
        GroupBy::Touchpoint => f.touchpoint = Some(TouchpointId(id()?)),
        GroupBy::Team => f.team = Some(TeamId(id()?)),
        GroupBy::Agent => f.agent = Some(UserId(id()?)),
        GroupBy::Survey => f.survey = Some(SurveyId(id()?)),
        GroupBy::Locale => f.locale = Some(Locale::parse("locale", key).ok()?),
        GroupBy::Channel => f.channel = Some(Channel::parse("channel", key).ok()?),
        GroupBy::Day | GroupBy::Week | GroupBy::Month => {
            let (start, end) = period_bounds(by, key)?;
            f.from = Some(base.from.map_or(start, |b| b.max(start)));
            f.to = Some(base.to.map_or(end, |b| b.min(end)));
        }
    }
    Some(f)
}

fn figures(measure: Measure, s: &GroupSums, filter: Option<&ResponseFilter>) -> Figures {
    let m = GroupMetrics::from(s);
    let fig = |n: i64, value: Option<f64>| Figure { n, value };
    Figures {
        n: s.responses,
        nps: measure.wants(Measure::Nps).then(|| {
            let passives = (s.nps_n - s.promoters - s.detractors).max(0) as u64;
            NpsFigure {
                n: s.nps_n as u64,
                promoters: s.promoters as u64,
                passives,
                detractors: s.detractors as u64,
                score: m.nps.map(|n| n.score),
                margin: m.nps.map(|n| n.margin),
            }
        }),
        csat: measure.wants(Measure::Csat).then(|| fig(m.csat_n, m.csat)),
        ces: measure.wants(Measure::Ces).then(|| fig(m.ces_n, m.ces)),
        gap: measure
            .wants(Measure::Gap)
            .then(|| fig(m.gap_n, m.expectation_gap)),
        sentiment: measure
            .wants(Measure::Sentiment)
            .then(|| fig(m.sentiment_n, m.sentiment)),
        responses_url: filter.map(|f| format!("/api/v1/responses?{}", filter_query(f))),
    }
}

/// Computes the whole report with at most three queries, all on indexed columns.
pub async fn report(
    store: &dyn Storage,
    org: OrgId,
    req: &MetricsRequest,
) -> ApiResult<MetricsReport> {
    let overall_sums = store
        .response_sums(org, &req.filter, GroupBy::None)
        .await?
        .into_iter()
        .next()
        .unwrap_or_default();
    let grouped = if req.group_by == GroupBy::None {
        vec![GroupSums {
            key: "all".into(),
            ..overall_sums.clone()
        }]
    } else {
        store.response_sums(org, &req.filter, req.group_by).await?
    };
    let series = match req.period {
        Some(p) => Some(
            store
                .response_sums_by_period(org, &req.filter, req.group_by, p)
                .await?,
        ),
        None => None,
    };
    let build = |sums: &GroupSums, by: GroupBy| {
        let filter = narrow(&req.filter, by, &sums.key);
        let (series, significant) = match (&series, req.period) {
            (Some(all), Some(p)) => {
                let mine: Vec<&GroupSums> = all
                    .iter()
                    .filter(|(g, _)| by == GroupBy::None || *g == sums.key)
                    .map(|(_, s)| s)
                    .collect();
                let merged = merge_periods(&mine);
                let metrics: Vec<GroupMetrics> = merged.iter().map(GroupMetrics::from).collect();
                let points = merged
                    .iter()
                    .map(|s| PeriodFigures {
                        period: s.key.clone(),
                        figures: figures(
                            req.measure,
                            s,
                            filter.as_ref().and_then(|f| narrow(f, p, &s.key)).as_ref(),
                        ),
                    })
                    .collect();
                (
                    Some(points),
                    Some(insights::last_change_significant(&metrics)),
                )
            }
            _ => (None, None),
        };
        MetricGroup {
            key: sums.key.clone(),
            figures: figures(req.measure, sums, filter.as_ref()),
            series,
            nps_change_significant: significant,
        }
    };
    let overall = build(
        &GroupSums {
            key: "all".into(),
            ..overall_sums
        },
        GroupBy::None,
    );
    let groups = if req.group_by == GroupBy::None {
        vec![overall.clone()]
    } else {
        grouped.iter().map(|g| build(g, req.group_by)).collect()
    };
    Ok(MetricsReport {
        group_by: req.group_by.as_str().into(),
        period: req.period.map(|p| p.as_str().into()),
        overall,
        groups,
    })
}

/// For the overall series the per-group rows of one period are added up.
fn merge_periods(rows: &[&GroupSums]) -> Vec<GroupSums> {
    let mut out: Vec<GroupSums> = vec![];
    let mut keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        let parts: Vec<GroupSums> = rows
            .iter()
            .filter(|r| r.key == k)
            .map(|r| (*r).clone())
            .collect();
        out.push(insights::total(&parts, k));
    }
    out
}

/// NPS (with its 95% margin and n), CSAT, CES, expectation gap and sentiment, overall and per
/// group, optionally as a series per period. Agents always get their own figures only.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", security(("bearer" = [])),
    params(MetricsQuery),
    responses((status = 200, body = MetricsReport), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_metrics(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> ApiResult<Json<MetricsReport>> {
    let req = q.parse(&auth.user)?;
    Ok(Json(
        report(s.store.as_ref(), auth.user.org_id, &req).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_bounds_cover_iso_weeks_and_months() {
        let (a, b) = period_bounds(GroupBy::Week, "2026-W53").unwrap();
        assert_eq!(a.to_rfc3339(), "2026-12-28T00:00:00+00:00");
        assert_eq!(b.to_rfc3339(), "2027-01-04T00:00:00+00:00");
        let (a, b) = period_bounds(GroupBy::Month, "2026-12").unwrap();
        assert_eq!(
            (a.format("%F").to_string(), b.format("%F").to_string()),
            ("2026-12-01".into(), "2027-01-01".into())
        );
        assert!(period_bounds(GroupBy::Week, "nonsense").is_none());
    }

    #[test]
    fn filter_query_round_trips_names() {
        let f = ResponseFilter {
            touchpoint: Some(TouchpointId(3)),
            topic: Some("wait time".into()),
            ..Default::default()
        };
        assert_eq!(filter_query(&f), "touchpoint_id=3&topic=wait+time");
    }
}
