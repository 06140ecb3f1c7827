//! Processes as `/proc` shows them: who belongs to a process group, a process's
//! descendants, and their proportional memory (PSS).

use std::path::Path;

/// One line of `/proc/PID/stat`, the fields that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    /// The executable's name, at most 15 bytes (`comm`).
    pub name: String,
    pub parent: u32,
    pub group: u32,
}

/// Every process visible now.
pub fn all() -> Vec<ProcessInfo> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| read_stat(&Path::new("/proc").join(pid.to_string()).join("stat")))
        .collect()
}

fn read_stat(path: &Path) -> Option<ProcessInfo> {
    parse_stat(&std::fs::read_to_string(path).ok()?)
}

/// `1234 (Web Content) S 1000 1234 …`: the name sits in parentheses and may hold spaces.
fn parse_stat(stat: &str) -> Option<ProcessInfo> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let pid = stat[..open].trim().parse().ok()?;
    let name = stat[open + 1..close].to_owned();
    let mut rest = stat[close + 1..].split_whitespace();
    let _state = rest.next()?;
    let parent = rest.next()?.parse().ok()?;
    let group = rest.next()?.parse().ok()?;
    Some(ProcessInfo {
        pid,
        name,
        parent,
        group,
    })
}

/// The processes in process group `group`.
pub fn in_group(group: u32) -> Vec<ProcessInfo> {
    all().into_iter().filter(|p| p.group == group).collect()
}

/// `root` and all its descendants.
pub fn tree(root: u32) -> Vec<ProcessInfo> {
    let processes = all();
    let mut found: Vec<ProcessInfo> = processes
        .iter()
        .filter(|p| p.pid == root)
        .cloned()
        .collect();
    let mut index = 0;
    while index < found.len() {
        let parent = found[index].pid;
        found.extend(processes.iter().filter(|p| p.parent == parent).cloned());
        index += 1;
    }
    found
}

/// A process's proportional set size in KiB (`Pss:` of `/proc/PID/smaps_rollup`).
pub fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_with_spaces_and_parentheses() {
        let info = parse_stat("4242 (Web (Content)) S 4200 4100 4100 0 -1 4194560").unwrap();
        assert_eq!(
            info,
            ProcessInfo {
                pid: 4242,
                name: "Web (Content)".into(),
                parent: 4200,
                group: 4100
            }
        );
    }

    #[test]
    fn this_process_is_in_its_own_tree_with_some_memory() {
        let me = std::process::id();
        assert!(tree(me).iter().any(|p| p.pid == me));
        assert!(pss_kib(me).is_some_and(|kib| kib > 0));
    }
}
