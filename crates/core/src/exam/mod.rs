//! Exams: what a candidate sits and what a programme must be able to trust — the
//! blueprint and the forms drawn from it, the session with its clock and durable
//! answers, the hash-chained proctor log, and the graded result, signed and sealed.

pub mod blueprint;
pub mod form;
pub mod log;
pub mod pack;
pub mod result;
pub mod session;
