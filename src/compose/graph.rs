//! The service dependency graph, built once from `depends_on`, `links` and
//! `network_mode: service:x`: what must start before what, cycles, and the parallel start levels.
//!
//! The loader checks it for cycles, the plan takes each service's waits and the start levels
//! from it; nothing else decides what depends on what.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;

use super::model::{Condition, Project};

/// Why one service must start after another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// `depends_on`, with its condition.
    DependsOn(Condition),
    /// `links:` (the linked service is started, as docker compose does).
    Link,
    /// `network_mode: service:x` (x's network stack must exist first).
    NetworkOf,
}

impl EdgeKind {
    /// The condition to wait for: the `depends_on` one, else the dependency having started.
    pub fn condition(self) -> Condition {
        match self {
            EdgeKind::DependsOn(c) => c,
            EdgeKind::Link | EdgeKind::NetworkOf => Condition::ServiceStarted,
        }
    }
}

/// A directed graph of services: an edge `a -> b` means `a` needs `b` started first.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    deps: IndexMap<String, IndexMap<String, EdgeKind>>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Graph::default()
    }

    /// The services of `project` and what each needs started first. References to services
    /// that are not in the project (a `depends_on` with `required: false`, a service left out
    /// by profiles) make no edge. When a service both depends on and links to another, the
    /// `depends_on` condition wins.
    pub fn of_project(project: &Project) -> Graph {
        let mut graph = Graph::new();
        for s in project.services.values() {
            graph.add_node(&s.name);
            let shared = s
                .network_mode
                .as_deref()
                .and_then(|m| m.strip_prefix("service:"));
            let links = s.links.iter().map(|l| l.split(':').next().unwrap_or(l));
            let edges = s
                .depends_on
                .iter()
                .map(|(dep, d)| (dep.as_str(), EdgeKind::DependsOn(d.condition)))
                .chain(links.map(|l| (l, EdgeKind::Link)))
                .chain(shared.map(|x| (x, EdgeKind::NetworkOf)));
            for (dep, kind) in edges {
                if project.services.contains_key(dep) {
                    graph.add_edge(&s.name, dep, kind);
                }
            }
        }
        graph
    }

    /// Adds a service with no dependencies (yet); adding it again changes nothing.
    pub fn add_node(&mut self, name: &str) {
        self.deps.entry(name.to_string()).or_default();
    }

    /// Adds `from -> to`; an edge already there keeps its kind unless the new one is a
    /// `depends_on` (whose condition is stricter than "started").
    pub fn add_edge(&mut self, from: &str, to: &str, kind: EdgeKind) {
        let edges = self.deps.entry(from.to_string()).or_default();
        match edges.get(to) {
            Some(EdgeKind::DependsOn(_)) => {}
            _ => {
                edges.insert(to.to_string(), kind);
            }
        }
        self.add_node(to);
    }

    /// What `name` needs started first, with why, in the order the file gives.
    pub fn edges(&self, name: &str) -> impl Iterator<Item = (&str, EdgeKind)> {
        self.deps
            .get(name)
            .into_iter()
            .flat_map(|e| e.iter().map(|(k, v)| (k.as_str(), *v)))
    }

    /// The services `name` depends on directly, in the order they were added.
    pub fn dependencies(&self, name: &str) -> impl Iterator<Item = &str> {
        self.edges(name).map(|(d, _)| d)
    }

    /// The first cycle found, spelled out as its nodes with the first repeated at the end
    /// (`["a", "b", "a"]`).
    pub fn find_cycle(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Visiting,
            Done,
        }
        fn visit<'a>(
            g: &'a Graph,
            node: &'a str,
            marks: &mut HashMap<&'a str, Mark>,
            stack: &mut Vec<&'a str>,
        ) -> Option<Vec<String>> {
            match marks.get(node) {
                Some(Mark::Done) => return None,
                Some(Mark::Visiting) => {
                    let start = stack.iter().position(|n| *n == node).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        stack[start..].iter().map(|s| s.to_string()).collect();
                    cycle.push(node.to_string());
                    return Some(cycle);
                }
                None => {}
            }
            marks.insert(node, Mark::Visiting);
            stack.push(node);
            for dep in g.dependencies(node) {
                if let Some(c) = visit(g, dep, marks, stack) {
                    return Some(c);
                }
            }
            stack.pop();
            marks.insert(node, Mark::Done);
            None
        }
        let mut marks = HashMap::new();
        let mut stack = Vec::new();
        for node in self.deps.keys() {
            if let Some(c) = visit(self, node, &mut marks, &mut stack) {
                return Some(c);
            }
        }
        None
    }

    /// Every node reachable from `roots` through dependencies, roots excluded unless reached.
    pub fn closure<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = roots
            .into_iter()
            .flat_map(|r| self.dependencies(r))
            .collect();
        while let Some(n) = todo.pop() {
            if seen.insert(n.to_string()) {
                todo.extend(self.dependencies(n));
            }
        }
        seen
    }

    /// The nodes among `nodes` in start levels: level 0 needs nothing among `nodes`, level k
    /// needs something of level k-1 and nothing later. Nodes of one level can start in
    /// parallel. Within a level, nodes keep the order of `nodes`. Nodes on a cycle (which the
    /// loader rejects) come last, in a level of their own.
    pub fn levels(&self, nodes: &[String]) -> Vec<Vec<String>> {
        let wanted: BTreeSet<&str> = nodes.iter().map(String::as_str).collect();
        let mut level_of: HashMap<&str, usize> = HashMap::new();
        let mut remaining: Vec<&str> = nodes.iter().map(String::as_str).collect();
        while !remaining.is_empty() {
            let mut placed = Vec::new();
            for &n in &remaining {
                let deps: Vec<&str> = self
                    .dependencies(n)
                    .filter(|d| wanted.contains(d))
                    .collect();
                if deps.iter().all(|d| level_of.contains_key(d)) {
                    let level = deps.iter().map(|d| level_of[d] + 1).max().unwrap_or(0);
                    placed.push((n, level));
                }
            }
            if placed.is_empty() {
                let last = level_of.values().max().map_or(0, |l| l + 1);
                placed = remaining.iter().map(|&n| (n, last)).collect();
            }
            for (n, level) in placed {
                level_of.insert(n, level);
            }
            remaining.retain(|n| !level_of.contains_key(n));
        }
        let depth = level_of.values().max().map_or(0, |l| l + 1);
        let mut levels = vec![Vec::new(); depth];
        for n in nodes {
            levels[level_of[n.as_str()]].push(n.clone());
        }
        levels
    }
}

/// Renders a cycle as `a -> b -> a`.
pub fn format_cycle(cycle: &[String]) -> String {
    cycle.join(" -> ")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::compose::{LoadOptions, load_from_str};

    fn edge(g: &mut Graph, from: &str, to: &str) {
        g.add_edge(from, to, EdgeKind::DependsOn(Condition::ServiceStarted));
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_cycle_and_spells_it() {
        let mut g = Graph::new();
        edge(&mut g, "a", "b");
        edge(&mut g, "b", "c");
        edge(&mut g, "c", "a");
        let c = g.find_cycle().expect("cycle");
        assert_eq!(format_cycle(&c), "a -> b -> c -> a");
    }

    #[test]
    fn no_cycle_in_a_diamond() {
        let mut g = Graph::new();
        edge(&mut g, "app", "db");
        edge(&mut g, "app", "cache");
        edge(&mut g, "db", "net");
        edge(&mut g, "cache", "net");
        assert!(g.find_cycle().is_none());
        let all = g.closure(["app"]);
        assert_eq!(
            all.into_iter().collect::<Vec<_>>(),
            vec!["cache", "db", "net"]
        );
    }

    #[test]
    fn self_dependency_is_a_cycle() {
        let mut g = Graph::new();
        edge(&mut g, "a", "a");
        assert_eq!(format_cycle(&g.find_cycle().unwrap()), "a -> a");
    }

    #[test]
    fn levels_put_independent_services_together() {
        let mut g = Graph::new();
        edge(&mut g, "app", "db");
        edge(&mut g, "app", "cache");
        edge(&mut g, "db", "net");
        edge(&mut g, "cache", "net");
        edge(&mut g, "migrate", "db");
        let levels = g.levels(&names(&["app", "cache", "db", "migrate", "net", "lone"]));
        assert_eq!(
            levels,
            vec![
                names(&["net", "lone"]),
                names(&["cache", "db"]),
                names(&["app", "migrate"]),
            ]
        );
    }

    #[test]
    fn levels_ignore_what_is_not_asked_for() {
        let mut g = Graph::new();
        edge(&mut g, "app", "db");
        edge(&mut g, "db", "net");
        // net is not started by this run: db has nothing to wait for among these.
        assert_eq!(
            g.levels(&names(&["db", "app"])),
            vec![names(&["db"]), names(&["app"])]
        );
        assert!(g.levels(&[]).is_empty());
    }

    #[test]
    fn levels_of_a_cycle_end_in_a_level_of_their_own() {
        let mut g = Graph::new();
        edge(&mut g, "a", "b");
        edge(&mut g, "b", "a");
        edge(&mut g, "c", "d");
        assert_eq!(
            g.levels(&names(&["a", "b", "c", "d"])),
            vec![names(&["d"]), names(&["c"]), names(&["a", "b"])]
        );
    }

    fn project(yaml: &str) -> Project {
        let opts = LoadOptions {
            working_dir: Some("/work/app".into()),
            environment: Some(HashMap::new()),
            ..Default::default()
        };
        load_from_str("compose.yml", yaml, &opts).expect("valid compose file")
    }

    #[test]
    fn links_and_shared_network_stacks_are_dependencies() {
        let p = project(
            "services:\n  app:\n    image: a\n    links: [cache:redis]\n  cache:\n    image: r\n  side:\n    image: s\n    network_mode: service:app\n  db:\n    image: p\n",
        );
        let g = Graph::of_project(&p);
        assert_eq!(
            g.edges("app").collect::<Vec<_>>(),
            [("cache", EdgeKind::Link)]
        );
        assert_eq!(
            g.edges("side").collect::<Vec<_>>(),
            [("app", EdgeKind::NetworkOf)]
        );
        assert_eq!(
            g.closure(["side"]).into_iter().collect::<Vec<_>>(),
            ["app", "cache"]
        );
    }

    #[test]
    fn depends_on_condition_wins_over_a_link_to_the_same_service() {
        let p = project(
            "services:\n  app:\n    image: a\n    links: [db]\n    depends_on:\n      db: {condition: service_healthy}\n  db:\n    image: p\n    healthcheck: {test: 'true'}\n",
        );
        let g = Graph::of_project(&p);
        assert_eq!(
            g.edges("app").collect::<Vec<_>>(),
            [("db", EdgeKind::DependsOn(Condition::ServiceHealthy))]
        );
        assert_eq!(
            EdgeKind::DependsOn(Condition::ServiceHealthy).condition(),
            Condition::ServiceHealthy
        );
        assert_eq!(EdgeKind::Link.condition(), Condition::ServiceStarted);
    }
}
