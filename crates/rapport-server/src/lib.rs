//! Rapport's HTTP server: the JSON API (`/api/v1`), the server-rendered web UI, health and
//! metrics endpoints. Handlers stay thin: extract (auth and roles are extractors), parse into
//! domain types, call storage, render.
#![forbid(unsafe_code)]

pub mod ambassadorship;
pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod demo;
pub mod error;
pub mod frontline;
pub mod i18n;
pub mod jobs;
pub mod known_examples;
pub mod metrics;
pub mod rate_limit;
pub mod semantic;
pub mod state;
pub mod web;

pub use app::Application;
pub use config::Config;
