//! Forms: the exact items (and option orders) one attempt shows, assembled from the
//! blueprint and the bank with a seed. The seed is stored in the result, so anyone with
//! the same pack can rebuild the form and check the result against it.
//!
//! The random stream is SHA-256 in counter mode over the seed (`SHA-256(seed || label ||
//! counter)`), and shuffles are Fisher–Yates with rejection sampling: fully specified
//! here, identical on every platform and for every future build. A test pins a form.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use studyhall_signing::hash::Sha256;

use super::blueprint::Blueprint;
use crate::content::{Question, QuestionBody};
use crate::error::{Error, Result};

/// 128 random bits, written as 32 hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FormSeed(pub String);

impl FormSeed {
    pub fn random() -> Self {
        FormSeed(uuid::Uuid::new_v4().simple().to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Form {
    pub seed: FormSeed,
    pub sections: Vec<FormSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FormSection {
    pub id: String,
    pub items: Vec<FormItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FormItem {
    pub question_id: String,
    /// The order options are shown in: choice ids (choice items), item ids (ordering),
    /// or answer texts (matching, distractors included). A case study lists its parts'
    /// orders one after the other in authored order, each entry as `part-id/option`
    /// (part ids have no `/`), every part shuffled under its own label. Empty for other
    /// kinds.
    pub option_order: Vec<String>,
}

/// A deterministic stream of random numbers from a seed and a label.
struct Stream {
    seed: Vec<u8>,
    label: String,
    counter: u64,
    buffer: Vec<u8>,
}

impl Stream {
    fn new(seed: &FormSeed, label: String) -> Self {
        Stream {
            seed: seed.0.as_bytes().to_vec(),
            label,
            counter: 0,
            buffer: Vec::new(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        if self.buffer.len() < 8 {
            let mut hasher = Sha256::new();
            hasher.update(&self.seed);
            hasher.update(&[0]);
            hasher.update(self.label.as_bytes());
            hasher.update(&[0]);
            hasher.update(&self.counter.to_be_bytes());
            self.counter += 1;
            self.buffer.extend_from_slice(hasher.finish().as_bytes());
        }
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.buffer[..8]);
        self.buffer.drain(..8);
        u64::from_be_bytes(bytes)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let value = self.next_u64();
            if value < zone {
                return value % n;
            }
        }
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// Assembles the form for `seed`. The bank must have passed [`Blueprint::check`].
pub fn assemble(blueprint: &Blueprint, bank: &[Question], seed: &FormSeed) -> Result<Form> {
    let mut drawn: HashSet<&str> = HashSet::new();
    let mut sections = Vec::with_capacity(blueprint.sections.len());
    for section in &blueprint.sections {
        let mut items: Vec<&Question> = Vec::new();
        for (index, draw) in section.draws.iter().enumerate() {
            let mut pool: Vec<&Question> = bank
                .iter()
                .filter(|q| !drawn.contains(q.id.as_str()))
                .filter(|q| q.topics.contains(&draw.topic))
                .collect();
            pool.sort_by(|a, b| a.id.cmp(&b.id));
            if pool.len() < draw.count as usize {
                return Err(Error::InvalidInput(format!(
                    "the exam's bank has too few items on '{}' for section '{}'; rebuild the pack",
                    draw.topic, section.id
                )));
            }
            Stream::new(seed, format!("draw/{}/{index}", section.id)).shuffle(&mut pool);
            for question in pool.into_iter().take(draw.count as usize) {
                drawn.insert(&question.id);
                items.push(question);
            }
        }
        if blueprint.shuffle_items {
            Stream::new(seed, format!("items/{}", section.id)).shuffle(&mut items);
        }
        let items = items
            .into_iter()
            .map(|question| FormItem {
                question_id: question.id.clone(),
                option_order: option_order(blueprint, question, seed),
            })
            .collect();
        sections.push(FormSection {
            id: section.id.clone(),
            items,
        });
    }
    Ok(Form {
        seed: seed.clone(),
        sections,
    })
}

fn option_order(blueprint: &Blueprint, question: &Question, seed: &FormSeed) -> Vec<String> {
    options_under(
        blueprint,
        question,
        seed,
        format!("options/{}", question.id),
    )
}

/// The option order of `question` (or of a case study's part), shuffled with the stream
/// labelled `label`.
fn options_under(
    blueprint: &Blueprint,
    question: &Question,
    seed: &FormSeed,
    label: String,
) -> Vec<String> {
    let mut stream = Stream::new(seed, label.clone());
    match &question.body {
        QuestionBody::SingleChoice { choices, .. }
        | QuestionBody::MultipleResponse { choices, .. } => {
            let mut ids: Vec<String> = choices.iter().map(|c| c.id.clone()).collect();
            if blueprint.shuffle_options {
                stream.shuffle(&mut ids);
            }
            ids
        }
        QuestionBody::Ordering { items, .. } => {
            let mut ids: Vec<String> = items.iter().map(|c| c.id.clone()).collect();
            // Shown in the key's order, the answer would be given away.
            let key = ids.clone();
            for _ in 0..8 {
                stream.shuffle(&mut ids);
                if ids != key || ids.len() < 2 {
                    break;
                }
            }
            ids
        }
        QuestionBody::Matching {
            pairs, distractors, ..
        } => {
            let mut answers: Vec<String> = pairs
                .iter()
                .map(|p| p.right.clone())
                .chain(distractors.iter().cloned())
                .collect();
            stream.shuffle(&mut answers);
            answers
        }
        QuestionBody::CaseStudy { parts, .. } => parts
            .iter()
            .flat_map(|part| {
                options_under(blueprint, part, seed, format!("{label}/{}", part.id))
                    .into_iter()
                    .map(|option| format!("{}/{option}", part.id))
            })
            .collect(),
        QuestionBody::TrueFalse { .. }
        | QuestionBody::Numeric { .. }
        | QuestionBody::ShortText { .. }
        | QuestionBody::Essay { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Choice;
    use crate::exam::blueprint::{Draw, Section};

    fn choice_question(id: &str, topic: &str) -> Question {
        Question {
            id: id.into(),
            topics: vec![topic.into()],
            prompt: format!("Prompt {id}"),
            explanation: String::new(),
            points: 1,
            body: QuestionBody::SingleChoice {
                choices: ["a", "b", "c", "d"]
                    .iter()
                    .map(|c| Choice {
                        id: (*c).into(),
                        text: c.to_uppercase(),
                    })
                    .collect(),
                correct: "a".into(),
            },
        }
    }

    fn bank() -> Vec<Question> {
        let mut bank = Vec::new();
        for i in 0..6 {
            bank.push(choice_question(&format!("raft-{i}"), "consensus"));
            bank.push(choice_question(&format!("crdt-{i}"), "replication"));
        }
        bank
    }

    fn blueprint() -> Blueprint {
        Blueprint {
            time_limit_minutes: Some(60),
            cut_score_percent: 90,
            attempts_allowed: 2,
            shuffle_items: true,
            shuffle_options: true,
            feedback: Default::default(),
            crash_policy: Default::default(),
            reboot_limit_minutes: 15,
            sections: vec![
                Section {
                    id: "one".into(),
                    title: "One".into(),
                    draws: vec![
                        Draw {
                            topic: "consensus".into(),
                            count: 3,
                        },
                        Draw {
                            topic: "replication".into(),
                            count: 2,
                        },
                    ],
                },
                Section {
                    id: "two".into(),
                    title: "Two".into(),
                    draws: vec![Draw {
                        topic: "consensus".into(),
                        count: 3,
                    }],
                },
            ],
        }
    }

    #[test]
    fn the_same_seed_rebuilds_the_same_form() {
        let seed = FormSeed::random();
        let a = assemble(&blueprint(), &bank(), &seed).unwrap();
        let b = assemble(&blueprint(), &bank(), &seed).unwrap();
        assert_eq!(a, b);
        let ids: Vec<&str> = a
            .sections
            .iter()
            .flat_map(|s| &s.items)
            .map(|i| i.question_id.as_str())
            .collect();
        assert_eq!(ids.len(), 8);
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), 8, "no item twice: {ids:?}");
        assert_eq!(
            a.sections[0]
                .items
                .iter()
                .filter(|i| i.question_id.starts_with("crdt"))
                .count(),
            2
        );
    }

    #[test]
    fn different_seeds_give_different_forms() {
        let forms: HashSet<String> = (0..20)
            .map(|_| {
                let form = assemble(&blueprint(), &bank(), &FormSeed::random()).unwrap();
                serde_json::to_string(&form.sections).unwrap()
            })
            .collect();
        assert!(forms.len() > 15, "{} distinct forms of 20", forms.len());
    }

    /// Pins the algorithm: a change here would make old results unverifiable.
    #[test]
    fn a_known_seed_gives_a_known_form() {
        let seed = FormSeed("00112233445566778899aabbccddeeff".into());
        let form = assemble(&blueprint(), &bank(), &seed).unwrap();
        let summary: Vec<String> = form
            .sections
            .iter()
            .flat_map(|s| &s.items)
            .map(|i| format!("{}:{}", i.question_id, i.option_order.join("")))
            .collect();
        assert_eq!(summary, PINNED_FORM);
    }

    const PINNED_FORM: [&str; 8] = [
        "raft-1:cdab",
        "raft-4:bcda",
        "crdt-1:cdba",
        "crdt-4:bcda",
        "raft-5:cdab",
        "raft-0:dabc",
        "raft-2:badc",
        "raft-3:cbda",
    ];

    #[test]
    fn a_case_study_lists_its_parts_options_in_part_order() {
        let ordering = Question {
            id: "b".into(),
            body: QuestionBody::Ordering {
                items: ["p", "q", "r"]
                    .iter()
                    .map(|c| Choice {
                        id: (*c).into(),
                        text: c.to_uppercase(),
                    })
                    .collect(),
                partial_credit: false,
            },
            ..choice_question("b", "consensus")
        };
        let essay = Question {
            id: "c".into(),
            body: QuestionBody::Essay {
                min_words: None,
                max_words: None,
                rubric: String::new(),
            },
            ..choice_question("c", "consensus")
        };
        let case = Question {
            id: "cs".into(),
            points: 3,
            body: QuestionBody::CaseStudy {
                stimulus: "The incident.".into(),
                parts: vec![choice_question("a", "consensus"), ordering, essay],
            },
            ..choice_question("cs", "consensus")
        };
        let seed = FormSeed("00112233445566778899aabbccddeeff".into());
        let order = option_order(&blueprint(), &case, &seed);
        assert_eq!(order.len(), 4 + 3, "{order:?}");
        let (a, b) = order.split_at(4);
        let sorted = |part: &[String]| {
            let mut part = part.to_vec();
            part.sort();
            part
        };
        assert_eq!(sorted(a), ["a/a", "a/b", "a/c", "a/d"]);
        assert_eq!(sorted(b), ["b/p", "b/q", "b/r"]);
        assert_ne!(b, ["b/p", "b/q", "b/r"], "never in the key's order");
        assert_eq!(order, option_order(&blueprint(), &case, &seed));
    }

    #[test]
    fn the_blueprint_check_guarantees_every_seed_a_form() {
        let text = "[[section]]\nid = \"one\"\n";
        blueprint().check("exam.toml", text, &bank()).unwrap();
        let mut greedy = blueprint();
        greedy.sections[1].draws[0].count = 4;
        let err = greedy.check("exam.toml", text, &bank()).unwrap_err();
        assert!(
            err.message.contains("earlier draws may take 3"),
            "{}",
            err.message
        );
        let mut unknown = blueprint();
        unknown.sections[0].draws[0].topic = "quantum".into();
        let err = unknown.check("exam.toml", text, &bank()).unwrap_err();
        assert!(err.message.contains("has 0 such item"), "{}", err.message);
        let mut twice = blueprint();
        twice.sections[1].id = "one".into();
        let err = twice.check("exam.toml", text, &bank()).unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
