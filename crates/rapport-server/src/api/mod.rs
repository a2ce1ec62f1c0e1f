//! The JSON API under `/api/v1`, described by an OpenAPI 3 document generated from the handlers.

pub mod ambassadorship;
mod cases;
mod customers;
pub mod extract;
pub mod frontline;
mod inbound;
mod journeys;
pub(crate) mod metrics;
mod people;
mod search;
pub mod surveys;
mod tokens;
mod webhooks;

use axum::routing::get;
use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rapport API",
        description = "Frontline-first customer experience platform. Authenticate with `Authorization: Bearer <token>` (create tokens in the web UI or with `rapport token create`). Every error is `{\"error\": {\"code\", \"message\", \"field\"?}}`."
    ),
    modifiers(&BearerAuth),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::semantic::SearchScope
    ))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API routes and their OpenAPI description, built from the same handler list so they
/// cannot disagree.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(people::me))
        .routes(routes!(
            people::get_organisation,
            people::update_organisation
        ))
        .routes(routes!(people::list_users, people::create_user))
        .routes(routes!(
            people::get_user,
            people::update_user,
            people::deactivate_user
        ))
        .routes(routes!(people::list_teams, people::create_team))
        .routes(routes!(
            people::get_team,
            people::update_team,
            people::delete_team
        ))
        .routes(routes!(
            customers::list_customers,
            customers::create_customer
        ))
        .routes(routes!(
            customers::get_customer,
            customers::update_customer,
            customers::delete_customer
        ))
        .routes(routes!(cases::list_cases, cases::create_case))
        .routes(routes!(cases::case_metrics_report))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::transition_case))
        .routes(routes!(cases::add_note))
        .routes(routes!(cases::assign_case))
        .routes(routes!(cases::set_root_causes))
        .routes(routes!(cases::list_rules, cases::create_rule))
        .routes(routes!(
            cases::get_rule,
            cases::update_rule,
            cases::delete_rule
        ))
        .routes(routes!(cases::get_sla, cases::set_sla))
        .routes(routes!(cases::list_plans, cases::set_plan))
        .routes(routes!(inbound::list_sources, inbound::create_source))
        .routes(routes!(inbound::delete_source))
        .routes(routes!(cases::get_digest, cases::set_digest))
        .routes(routes!(cases::list_followups))
        .routes(routes!(cases::complete_followup))
        .routes(routes!(journeys::list_journeys, journeys::create_journey))
        .routes(routes!(
            journeys::get_journey,
            journeys::update_journey,
            journeys::delete_journey
        ))
        .routes(routes!(journeys::create_stage))
        .routes(routes!(journeys::update_stage, journeys::delete_stage))
        .routes(routes!(journeys::create_touchpoint))
        .routes(routes!(
            journeys::get_touchpoint,
            journeys::update_touchpoint,
            journeys::delete_touchpoint
        ))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(tokens::list_audit))
        .merge(surveys::routes())
        .merge(metrics::routes())
        .merge(webhooks::routes())
        .merge(frontline::routes())
        .merge(ambassadorship::routes())
        .merge(search::routes())
        .split_for_parts();
    // Signed by the sender rather than authenticated by token, so outside the documented API.
    let router = router.route(
        "/api/v1/inbound/{public_id}",
        axum::routing::post(inbound::receive),
    );
    (router, doc)
}

/// Serves the OpenAPI document.
pub fn openapi_route(doc: utoipa::openapi::OpenApi) -> axum::Router<AppState> {
    let doc = std::sync::Arc::new(doc);
    axum::Router::new().route(
        "/api/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json((*doc).clone()) }
        }),
    )
}

/// Default and maximum page sizes for list endpoints.
pub(crate) const PAGE_DEFAULT: i64 = 50;
pub(crate) const PAGE_MAX: i64 = 500;

#[cfg(test)]
mod tests {
    /// Every `$ref` in the published document must name a schema it defines; a dangling one
    /// makes generated clients and schema-driven testers (schemathesis) skip that parameter.
    #[test]
    fn every_schema_reference_resolves() {
        let (_, doc) = super::router();
        let doc = serde_json::to_value(&doc).unwrap();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected reference {r}"));
            assert!(schemas.contains_key(name), "dangling reference {r}");
        }
    }

    fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| collect_refs(v, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
}
