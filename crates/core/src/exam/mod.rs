//! Exams: what a candidate sits and what a programme must be able to trust. This module
//! grows with the exam issue; today it holds the hash-chained proctor log.

pub mod log;
