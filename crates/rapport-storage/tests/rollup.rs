//! The response roll-ups (per team and locale, per touchpoint, per topic) answer every eligible
//! metrics query exactly as the raw table does, after inserts (group commit and batch),
//! analysis updates, re-analysis, multi-row updates and cascaded deletes, on both backends; and
//! the journey map's representative verbatims are the ones its newest 200 responses give.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rapport_domain::model::*;
use rapport_domain::survey::{default_definition, RawAnswer};
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor, Storage};

#[tokio::test]
async fn sqlite_rollup_equals_raw_sums() {
    let db = testing::sqlite();
    rollup_equals_raw_sums(&db.url).await;
}

#[tokio::test]
async fn postgres_rollup_equals_raw_sums() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    rollup_equals_raw_sums(&db.url).await;
}

/// A small deterministic generator (64-bit LCG), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

struct World {
    actor: Actor,
    journey: JourneyId,
    stages: Vec<StageId>,
    touchpoints: Vec<TouchpointId>,
    surveys: Vec<Survey>,
    teams: Vec<TeamId>,
    /// Agents in team 0, team 1, and one without a team.
    agents: Vec<UserId>,
    customers: Vec<CustomerId>,
}

async fn world(store: &dyn Storage) -> World {
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("n", "Rollup").unwrap(),
            slug: "rollup".into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let actor = Actor::system(org.id);
    let mut teams = vec![];
    for name in ["A", "B"] {
        let t = store
            .create_team(
                actor,
                &NewTeam {
                    name: Name::parse("n", name).unwrap(),
                    lead_id: None,
                },
            )
            .await
            .unwrap();
        teams.push(t.id);
    }
    let mut agents = vec![];
    for (i, team) in [Some(teams[0]), Some(teams[1]), None]
        .into_iter()
        .enumerate()
    {
        let u = store
            .create_user(
                actor,
                &NewUser {
                    email: Email::parse("e", &format!("agent{i}@rollup.test")).unwrap(),
                    display_name: Name::parse("n", "Agent").unwrap(),
                    role: Role::Agent,
                    team_id: team,
                    locale: Locale::En,
                    password_hash: None,
                },
            )
            .await
            .unwrap();
        agents.push(u.id);
    }
    let j = store
        .create_journey(
            actor,
            &NewJourney {
                name: Name::parse("n", "J").unwrap(),
                description: None,
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let (mut stages, mut touchpoints, mut surveys) = (vec![], vec![], vec![]);
    let channels = [Channel::Phone, Channel::Web, Channel::Email, Channel::Chat];
    // NPS optional, so some responses carry none.
    let mut def = default_definition();
    for q in &mut def.questions {
        q.required = false;
    }
    for (i, channel) in channels.into_iter().enumerate() {
        let stage = j.stages[i % 2].stage.id;
        let tp = store
            .create_touchpoint(
                actor,
                &NewTouchpoint {
                    stage_id: stage,
                    name: Name::parse("n", &format!("tp{i}")).unwrap(),
                    channel,
                    owner_id: None,
                    promise: None,
                    position: None,
                },
            )
            .await
            .unwrap();
        let s = store
            .create_survey(
                actor,
                tp.id,
                &Name::parse("n", &format!("s{i}")).unwrap(),
                &def,
                &format!("pub-rollup-{i}"),
            )
            .await
            .unwrap();
        let s = store
            .set_survey_status(actor, s.id, SurveyStatus::Published)
            .await
            .unwrap();
        stages.push(stage);
        touchpoints.push(tp.id);
        surveys.push(s);
    }
    let mut customers = vec![];
    for i in 0..3 {
        let c = store
            .create_customer(
                actor,
                &NewCustomer {
                    external_id: Name::parse("x", &format!("C{i}")).unwrap(),
                    name: Name::parse("n", "Dana").unwrap(),
                    locale: Locale::He,
                    email: None,
                    phone: None,
                    consent: Consent {
                        email: false,
                        sms: false,
                        research: false,
                    },
                },
            )
            .await
            .unwrap();
        customers.push(c.id);
    }
    World {
        actor,
        journey: j.journey.id,
        stages,
        touchpoints,
        surveys,
        teams,
        agents,
        customers,
    }
}

fn day0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 20, 0, 0, 0).unwrap()
}

/// A random response; times avoid the last second of a day (see `raw_twin`).
fn random_response(rng: &mut Rng, w: &World) -> NewResponse {
    let survey = rng.pick(&w.surveys).clone();
    let mut raw: BTreeMap<String, RawAnswer> = BTreeMap::new();
    let nps = (rng.below(10) > 0).then(|| rng.below(11) as f64);
    if let Some(n) = nps {
        raw.insert("nps".into(), RawAnswer::Number(n));
        if n <= 6.0 && rng.below(2) == 0 {
            raw.insert("why_low".into(), RawAnswer::Text("slow".into()));
        }
    }
    if nps.is_none() || rng.below(3) > 0 {
        raw.insert("csat".into(), RawAnswer::Number((1 + rng.below(5)) as f64));
    }
    if rng.below(3) == 0 {
        raw.insert("ces".into(), RawAnswer::Number((1 + rng.below(7)) as f64));
    }
    if rng.below(4) == 0 {
        raw.insert(
            "promise".into(),
            RawAnswer::Pair {
                expectation: (1 + rng.below(7)) as f64,
                experience: (1 + rng.below(7)) as f64,
            },
        );
    }
    let at =
        day0() + Duration::days(rng.below(20) as i64) + Duration::seconds(rng.below(86_399) as i64);
    NewResponse {
        survey_id: survey.id,
        version: survey.version,
        customer_id: (rng.below(4) > 0).then(|| *rng.pick(&w.customers)),
        agent_id: (rng.below(3) > 0).then(|| *rng.pick(&w.agents)),
        invitation_id: None,
        locale: *rng.pick(&[Locale::En, Locale::He, Locale::El]),
        source: ResponseSource::Api,
        idempotency_key: None,
        external_id: None,
        submitted_at: at,
        answers: survey.definition.parse_answers(&raw).unwrap(),
    }
}

fn random_analysis(rng: &mut Rng) -> ResponseAnalysis {
    let score = (rng.below(2001) as f64 - 1000.0) / 997.0;
    ResponseAnalysis {
        language: "en".into(),
        sentiment_label: match rng.below(4) {
            0 => None,
            1 => Some("negative".into()),
            2 => Some("neutral".into()),
            _ => Some("positive".into()),
        },
        sentiment_score: (rng.below(5) > 0).then_some(score),
        topics: random_topics(rng),
        redacted_comment: None,
        detail: serde_json::Value::Null,
    }
}

/// 0–3 topics, sometimes one twice, some with characters JSON must escape.
fn random_topics(rng: &mut Rng) -> Vec<String> {
    const POOL: [&str; 7] = [
        "wait",
        "price",
        "staff attitude",
        "quote\"back\\slash",
        "tab\there",
        "זמן המתנה",
        "αναμονή",
    ];
    (0..rng.below(4))
        .map(|_| rng.pick(&POOL[..]).to_string())
        .collect()
}

/// The same filter in a form the roll-up cannot answer, so the raw table does: bounds moved
/// one second earlier (no response is stored in a day's last second), a missing lower bound
/// replaced by one long before any response.
fn raw_twin(f: &ResponseFilter) -> ResponseFilter {
    let long_ago = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    ResponseFilter {
        from: Some(f.from.unwrap_or(long_ago) - Duration::seconds(1)),
        to: f.to.map(|t| t - Duration::seconds(1)),
        ..f.clone()
    }
}

fn same(a: &[GroupSums], b: &[GroupSums]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let close =
                (x.sentiment_sum - y.sentiment_sum).abs() <= 1e-9 * x.sentiment_sum.abs().max(1.0);
            close
                && GroupSums {
                    sentiment_sum: 0.0,
                    ..x.clone()
                } == GroupSums {
                    sentiment_sum: 0.0,
                    ..y.clone()
                }
        })
}

fn filters(w: &World) -> Vec<ResponseFilter> {
    let d = |n: i64| Some(day0() + Duration::days(n));
    let mut out = vec![
        ResponseFilter::default(),
        ResponseFilter {
            journey: Some(w.journey),
            ..Default::default()
        },
        ResponseFilter {
            from: d(3),
            to: d(11),
            ..Default::default()
        },
        ResponseFilter {
            journey: Some(w.journey),
            touchpoint: Some(w.touchpoints[0]),
            from: d(5),
            ..Default::default()
        },
        ResponseFilter {
            to: d(7),
            locale: Some(Locale::He),
            ..Default::default()
        },
        ResponseFilter {
            team: Some(w.teams[1]),
            channel: Some(Channel::Phone),
            ..Default::default()
        },
        ResponseFilter {
            survey: Some(w.surveys[2].id),
            ..Default::default()
        },
    ];
    for s in &w.stages[..2] {
        out.push(ResponseFilter {
            stage: Some(*s),
            ..Default::default()
        });
    }
    for t in &w.teams {
        out.push(ResponseFilter {
            team: Some(*t),
            from: d(2),
            to: d(40),
            ..Default::default()
        });
    }
    out
}

async fn compare_everything(store: &dyn Storage, w: &World, stage: &str) {
    let org = w.actor.org_id;
    let groups: Vec<GroupBy> = GroupBy::ALL
        .into_iter()
        .filter(|g| *g != GroupBy::Agent)
        .collect();
    for f in filters(w) {
        let raw_f = raw_twin(&f);
        for g in &groups {
            let got = store.response_sums(org, &f, *g).await.unwrap();
            let want = store.response_sums(org, &raw_f, *g).await.unwrap();
            assert!(
                same(&got, &want),
                "{stage}: response_sums {f:?} by {g:?}\nroll-up {got:?}\nraw {want:?}"
            );
            for p in [GroupBy::Day, GroupBy::Week, GroupBy::Month] {
                let got = store.response_sums_by_period(org, &f, *g, p).await.unwrap();
                let want = store
                    .response_sums_by_period(org, &raw_f, *g, p)
                    .await
                    .unwrap();
                let (gk, gs): (Vec<String>, Vec<GroupSums>) = got.into_iter().unzip();
                let (wk, ws): (Vec<String>, Vec<GroupSums>) = want.into_iter().unzip();
                assert!(
                    gk == wk && same(&gs, &ws),
                    "{stage}: by_period {f:?} by {g:?} per {p:?}\nroll-up {gk:?} {gs:?}\nraw {wk:?} {ws:?}"
                );
            }
        }
        let (_, got) = store.list_responses(org, &f, 1, 0).await.unwrap();
        let (_, want) = store.list_responses(org, &raw_f, 1, 0).await.unwrap();
        assert_eq!(got, want, "{stage}: list_responses total {f:?}");
        for g in &groups {
            let got = store.topic_sums(org, &f, *g).await.unwrap();
            let want = store.topic_sums(org, &raw_twin(&f), *g).await.unwrap();
            assert_eq!(got, want, "{stage}: topic_sums {f:?} by {g:?}");
        }
        // The ungrouped topic sums are the rows driver analysis used to read, summed.
        let rows = store.nps_with_topics(org, &raw_f).await.unwrap();
        let want = TopicSums::from_rows(rows.iter().map(|(n, t)| ("all", *n, t.as_slice())));
        let got = store.topic_sums(org, &f, GroupBy::None).await.unwrap();
        assert_eq!(
            got, want,
            "{stage}: topic_sums {f:?} against nps_with_topics"
        );
        assert!(
            got.is_empty() || got[0].topic.is_none(),
            "{stage}: the all-responses row comes first"
        );
    }
    let mut pairs = 0;
    let journey = ResponseFilter {
        journey: Some(w.journey),
        ..Default::default()
    };
    for recent in [200, 7] {
        let got = store
            .representative_responses(org, &journey, &w.touchpoints, recent)
            .await
            .unwrap();
        assert_eq!(got.len(), w.touchpoints.len());
        for (tp, reps) in got {
            let f = ResponseFilter {
                touchpoint: Some(tp),
                ..journey.clone()
            };
            let (latest, _) = store.list_responses(org, &f, recent, 0).await.unwrap();
            let ids: Vec<ResponseId> = reps.iter().map(|r| r.id).collect();
            pairs += (ids.len() == 2) as usize;
            assert_eq!(
                ids,
                representative_of(&latest),
                "{stage}: verbatims of {tp:?}, newest {recent}"
            );
        }
    }
    assert!(
        pairs > 0 || stage == "after inserts",
        "{stage}: some touchpoint has two verbatims once analysed"
    );
}

/// The journey map's pick over loaded responses, as it was before `representative_responses`:
/// the lowest-scored analysed comment (first of equals), then the highest (last of equals).
fn representative_of(rs: &[Response]) -> Vec<ResponseId> {
    let scored: Vec<(&Response, f64)> = rs
        .iter()
        .filter(|r| r.comment.is_some())
        .filter_map(|r| {
            r.analysis
                .as_ref()
                .and_then(|a| a.sentiment_score)
                .map(|s| (r, s))
        })
        .collect();
    let lo = scored.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let hi = scored.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let mut out: Vec<ResponseId> = lo.map(|(r, _)| r.id).into_iter().collect();
    if let Some((r, _)) = hi {
        if out.first() != Some(&r.id) {
            out.push(r.id);
        }
    }
    out
}

async fn rollup_equals_raw_sums(url: &str) {
    let store: Arc<dyn Storage> = rapport_storage::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let w = world(&*store).await;
    let org = w.actor.org_id;
    let mut rng = Rng(0x5eed_2026);

    // Half through the batch path, half through group commit (concurrently, so groups form).
    let batch: Vec<NewResponse> = (0..150).map(|_| random_response(&mut rng, &w)).collect();
    let mut ids: Vec<ResponseId> = store
        .insert_responses(org, &batch)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let singles: Vec<NewResponse> = (0..150).map(|_| random_response(&mut rng, &w)).collect();
    let mut tasks = vec![];
    for r in singles {
        let store = store.clone();
        tasks.push(tokio::spawn(
            async move { store.insert_response(org, &r).await },
        ));
    }
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().0);
    }
    compare_everything(&*store, &w, "after inserts").await;

    // Analysis arrives for most responses, and is redone (a changed score) for some.
    for id in &ids {
        if rng.below(4) > 0 {
            let a = random_analysis(&mut rng);
            store.set_response_analysis(*id, &a).await.unwrap();
        }
    }
    for id in ids.iter().step_by(7) {
        let a = random_analysis(&mut rng);
        store.set_response_analysis(*id, &a).await.unwrap();
    }
    compare_everything(&*store, &w, "after analysis").await;

    // Any write keeps the roll-ups exact, not only the storage's own: one multi-row UPDATE
    // changes NPS answers (adding, moving between groups, removing) and drops topics.
    raw_update(url, org).await;
    compare_everything(&*store, &w, "after a multi-row update").await;

    // Erasing a customer deletes their responses by ON DELETE CASCADE.
    let before = store
        .response_sums(org, &ResponseFilter::default(), GroupBy::None)
        .await
        .unwrap()[0]
        .responses;
    store
        .delete_customer(w.actor, w.customers[1])
        .await
        .unwrap();
    let after = store
        .response_sums(org, &ResponseFilter::default(), GroupBy::None)
        .await
        .unwrap()[0]
        .responses;
    assert!(after < before, "the customer's responses are gone");
    compare_everything(&*store, &w, "after customer deletion").await;

    // The eligible queries really read the roll-ups: skewing one shows in its answers only.
    let f = ResponseFilter::default();
    let raw = store
        .response_sums(org, &raw_twin(&f), GroupBy::None)
        .await
        .unwrap();
    assert_eq!(raw[0].responses, after);
    let by_team = |s: Vec<GroupSums>| s.iter().map(|g| g.responses).sum::<i64>();
    tamper(url, org, "response_touchpoint_rollup").await;
    let got = store.response_sums(org, &f, GroupBy::None).await.unwrap();
    assert!(
        got[0].responses > after,
        "ungrouped sums come from the touchpoint roll-up"
    );
    let got = store.response_sums(org, &f, GroupBy::Team).await.unwrap();
    assert_eq!(by_team(got), after, "sums by team do not");
    // A team breakdown of one touchpoint needs response_rollup; of everything, the team roll-up.
    let one_tp = ResponseFilter {
        touchpoint: Some(w.touchpoints[0]),
        ..f.clone()
    };
    let tp_raw = by_team(
        store
            .response_sums(org, &raw_twin(&one_tp), GroupBy::Team)
            .await
            .unwrap(),
    );
    tamper(url, org, "response_team_rollup").await;
    let got = store.response_sums(org, &f, GroupBy::Team).await.unwrap();
    assert!(
        by_team(got) > after,
        "sums by team come from response_team_rollup"
    );
    let got = store.response_sums(org, &f, GroupBy::Locale).await.unwrap();
    assert!(
        by_team(got) > after,
        "sums by locale come from response_team_rollup"
    );
    let got = store
        .response_sums(org, &one_tp, GroupBy::Team)
        .await
        .unwrap();
    assert_eq!(by_team(got), tp_raw, "one touchpoint's team sums do not");
    tamper(url, org, "response_rollup").await;
    let got = store
        .response_sums(org, &one_tp, GroupBy::Team)
        .await
        .unwrap();
    assert!(
        by_team(got) > tp_raw,
        "one touchpoint's team sums come from response_rollup"
    );
    let raw_topics = store
        .topic_sums(org, &raw_twin(&f), GroupBy::None)
        .await
        .unwrap();
    tamper(url, org, "response_topic_rollup").await;
    let topics = store.topic_sums(org, &f, GroupBy::None).await.unwrap();
    assert!(
        raw_topics.len() > 5,
        "several topics to compare: {raw_topics:?}"
    );
    assert_eq!(topics.len(), raw_topics.len());
    for (t, r) in topics.iter().zip(&raw_topics) {
        assert!(
            t.responses > r.responses,
            "topic sums come from the topic roll-up"
        );
    }
}

/// A writer other than the storage layer: one statement changing many rows.
async fn raw_update(url: &str, org: OrgId) {
    let sql = "UPDATE responses SET \
               nps = CASE WHEN nps IS NULL THEN 5 WHEN nps >= 9 THEN NULL ELSE nps + 1 END, \
               topics = CASE WHEN id % 3 = 0 THEN NULL ELSE topics END \
               WHERE org_id = $1 AND id % 4 = 1";
    run_sql(url, &[sql], org).await;
}

async fn tamper(url: &str, org: OrgId, table: &str) {
    let sql = format!("UPDATE {table} SET responses = responses + 1000 WHERE org_id = $1");
    run_sql(url, &[&sql], org).await;
}

async fn run_sql(url: &str, sqls: &[&str], org: OrgId) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        for sql in sqls {
            sqlx::query(sql).bind(org.0).execute(&pool).await.unwrap();
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        for sql in sqls {
            sqlx::query(sql).bind(org.0).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
}
