//! Offline multilingual text analytics (work in progress).
#![forbid(unsafe_code)]
