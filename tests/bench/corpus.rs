//! Synthetic but realistic course text. The vocabulary is every word of the DWCP sample
//! course's lessons, ranked by how often the course uses it, followed by a tail of rarer
//! distributed-systems and general words; words are drawn with a Zipf distribution
//! (frequency ∝ 1/rank), as in real prose. All draws come from the caller's seeded RNG.

use std::collections::{HashMap, HashSet};

use include_dir::{Dir, include_dir};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;

static SAMPLE_LESSONS: Dir<'static> =
    include_dir!("$CARGO_MANIFEST_DIR/../examples/dwcp-fundamentals/lessons");

/// Rarer words appended after the sample course's own, so the tail is a few thousand
/// words long like a real library's.
const EXTRA_WORDS: &str = "
    paxos multipaxos zab viewstamped gossip epidemic hinted handoff merkle sloppy vnode
    tombstone compaction memtable sstable bloom filter skiplist btree lsm wal fsync
    checkpoint snapshotting linearizable serializable snapshot isolation phantom skew
    fencing lease chubby zookeeper etcd consul raftlog heartbeat jitter backoff
    sharding resharding rebalancing hotspot partitioner consistent hashing rendezvous
    vector lamport hybrid logical clock drift ntp ptp monotonic causal happens before
    antientropy readrepair quorum sloppy coordinator proposer acceptor learner ballot
    prepare promise accept nack commit abort twophase threephase saga compensation
    outbox idempotency deduplication exactly once atleast atmost delivery ordering
    broadcast atomic reliable total fifo membership swim phi accrual detector suspicion
    incarnation dissemination piggyback convergence divergence reconciliation crdt
    gcounter pncounter lww orset rga sequence delta mutation operation state based
    replication chain craq primary backup leaderless multileader geo replicated region
    zone availability latency throughput tail percentile slo sla budget error retry
    timeout deadline cancellation backpressure queue stream batch window watermark
    checkpointing exactly transactional producer consumer offset partition broker
    topic log segment retention cleaner index manifest scheduler placement binpacking
    affinity antiaffinity taint toleration preemption eviction drain cordon migration
    precopy postcopy dirty page convergence downtime hypervisor guest host kernel
    cgroup namespace container image registry artifact rollout canary blue green
    rollback feature flag configuration drift reconciliation controller operator
    informer watch cache invalidation coherence stampede thundering herd admission
    ratelimit token bucket leaky circuit breaker bulkhead isolation degradation
    observability tracing span metric histogram exemplar sampling alert runbook
    oncall incident postmortem blameless mitigation remediation chaos fault injection
    partition tolerance brownout grayfailure metastable overload shedding autoscaling
    capacity planning forecast headroom utilisation saturation contention lock mutex
    semaphore barrier latch futex spinlock wait free lockfree obstruction progress
    linearizability sequential consistency eventual session monotonic reads writes
    bounded staleness prefix causal convergent commutative associative idempotent
    archive library museum harbour meadow lantern orchard glacier compass quilt
    saddle thimble walnut basket candle ribbon marble pepper violin hammock tulip
    ";

/// Words too common to be useful search terms.
const STOP_WORDS: &[&str] = &[
    "the", "and", "is", "it", "to", "of", "that", "in", "with", "on", "one", "are", "for", "at",
    "only", "not", "so", "or", "its", "an", "a", "be", "by", "as", "this", "if", "but", "from",
    "than", "then", "can", "has", "have", "was", "were", "what", "when", "which", "who", "why",
    "how", "all", "any", "each", "every", "into", "they", "them", "their", "there", "these",
    "those", "would", "will", "could", "should", "also", "more", "most", "some", "such", "does",
    "do", "did", "been", "being", "same", "other", "no", "yes",
];

#[derive(Debug)]
pub struct Vocabulary {
    /// Most frequent first.
    words: Vec<String>,
    zipf: WeightedIndex<f64>,
    stop: HashSet<&'static str>,
}

impl Vocabulary {
    /// The sample course's words by frequency, then the extra tail.
    pub fn from_sample_course() -> Vocabulary {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for file in SAMPLE_LESSONS.files() {
            let text = file.contents_utf8().unwrap_or_default();
            let body = text.splitn(3, "---\n").nth(2).unwrap_or(text);
            for word in words_of(body) {
                *counts.entry(word).or_default() += 1;
            }
        }
        let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut words: Vec<String> = ranked.into_iter().map(|(w, _)| w).collect();
        let known: HashSet<String> = words.iter().cloned().collect();
        let mut extra: Vec<String> = EXTRA_WORDS
            .split_whitespace()
            .filter(|w| !known.contains(*w))
            .map(str::to_owned)
            .collect();
        extra.sort();
        extra.dedup();
        words.extend(extra);

        let zipf = WeightedIndex::new((1..=words.len()).map(|rank| 1.0 / rank as f64))
            .expect("the vocabulary is not empty and every weight is positive");
        Vocabulary {
            words,
            zipf,
            stop: STOP_WORDS.iter().copied().collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// One word, drawn by frequency.
    pub fn word(&self, rng: &mut impl Rng) -> &str {
        &self.words[self.zipf.sample(rng)]
    }

    /// A word a person might search for or put in a title: no stop word, 4+ letters.
    pub fn is_content_word(&self, word: &str) -> bool {
        word.len() >= 4 && !self.stop.contains(word)
    }

    /// Content words with their rank (0 = most frequent), most frequent first.
    pub fn content_words(&self) -> impl Iterator<Item = (usize, &str)> {
        self.words
            .iter()
            .enumerate()
            .map(|(rank, w)| (rank, w.as_str()))
            .filter(|(_, w)| self.is_content_word(w))
    }

    /// A content word, drawn by frequency.
    pub fn content_word(&self, rng: &mut impl Rng) -> &str {
        loop {
            let word = self.word(rng);
            if self.is_content_word(word) {
                return word;
            }
        }
    }

    /// A title of 2–6 content words, capitalised.
    pub fn title(&self, rng: &mut impl Rng) -> String {
        let n = rng.random_range(2..=6);
        let words: Vec<&str> = (0..n).map(|_| self.content_word(rng)).collect();
        capitalise(&words.join(" "))
    }

    /// A sentence of 6–20 words.
    pub fn sentence(&self, rng: &mut impl Rng) -> String {
        let n = rng.random_range(6..=20);
        let words: Vec<&str> = (0..n).map(|_| self.word(rng)).collect();
        format!("{}.", capitalise(&words.join(" ")))
    }

    /// Markdown prose of about `words` words: paragraphs, now and then a heading, a list
    /// or a bold phrase.
    pub fn markdown(&self, rng: &mut impl Rng, words: usize) -> String {
        let mut out = String::new();
        let mut written = 0;
        while written < words {
            match rng.random_range(0..10) {
                0 if !out.is_empty() => {
                    out.push_str(&format!("## {}\n\n", self.title(rng)));
                }
                1 => {
                    for _ in 0..rng.random_range(2..=4) {
                        let item = self.sentence(rng);
                        written += item.split(' ').count();
                        out.push_str(&format!("- {item}\n"));
                    }
                    out.push('\n');
                }
                _ => {
                    for i in 0..rng.random_range(2..=5) {
                        let mut sentence = self.sentence(rng);
                        written += sentence.split(' ').count();
                        if i == 1 && rng.random_bool(0.3) {
                            sentence = format!("**{}** {sentence}", self.content_word(rng));
                        }
                        out.push_str(&sentence);
                        out.push(' ');
                    }
                    out.pop();
                    out.push_str("\n\n");
                }
            }
        }
        out
    }
}

/// Lowercase alphabetic words of `text`.
fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Quotes `text` as a TOML basic string.
pub fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Quotes `text` as a YAML double-quoted scalar.
pub fn yaml_string(text: &str) -> String {
    toml_string(text)
}
