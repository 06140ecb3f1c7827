//! Exams: what a candidate sits and what a programme must be able to trust. This module
//! grows with the exam issue; today it holds the blueprint, form assembly and the
//! hash-chained proctor log.

pub mod blueprint;
pub mod form;
pub mod log;
pub mod session;
