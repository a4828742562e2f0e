//! Service dependency graph: cycle detection and start order in parallel levels.

use std::collections::{BTreeSet, HashMap};

/// A directed graph of services: an edge `a -> b` means `a` depends on `b`.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    deps: indexmap::IndexMap<String, Vec<String>>,
}

impl Graph {
    pub fn new() -> Self {
        Graph::default()
    }

    /// The services of `project` and what each needs started first: its `depends_on`, and the
    /// service whose network stack it shares (`network_mode: service:x`).
    pub fn of_services(project: &crate::compose::Project) -> Graph {
        let mut graph = Graph::new();
        for s in project.services.values() {
            graph.add_node(&s.name);
            let shared = s
                .network_mode
                .as_deref()
                .and_then(|m| m.strip_prefix("service:"));
            for dep in s.depends_on.keys().map(String::as_str).chain(shared) {
                if project.services.contains_key(dep) {
                    graph.add_edge(&s.name, dep);
                }
            }
        }
        graph
    }

    pub fn add_node(&mut self, name: &str) {
        self.deps.entry(name.to_string()).or_default();
    }

    pub fn add_edge(&mut self, from: &str, to: &str) {
        self.deps
            .entry(from.to_string())
            .or_default()
            .push(to.to_string());
        self.add_node(to);
    }

    pub fn dependencies(&self, name: &str) -> &[String] {
        self.deps.get(name).map(Vec::as_slice).unwrap_or(&[])
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
        let mut todo: Vec<String> = roots
            .into_iter()
            .flat_map(|r| self.dependencies(r).to_vec())
            .collect();
        while let Some(n) = todo.pop() {
            if seen.insert(n.clone()) {
                todo.extend(self.dependencies(&n).iter().cloned());
            }
        }
        seen
    }
}

/// Renders a cycle as `a -> b -> a`.
pub fn format_cycle(cycle: &[String]) -> String {
    cycle.join(" -> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycle_and_spells_it() {
        let mut g = Graph::new();
        g.add_edge("a", "b");
        g.add_edge("b", "c");
        g.add_edge("c", "a");
        let c = g.find_cycle().expect("cycle");
        assert_eq!(format_cycle(&c), "a -> b -> c -> a");
    }

    #[test]
    fn no_cycle_in_a_diamond() {
        let mut g = Graph::new();
        g.add_edge("app", "db");
        g.add_edge("app", "cache");
        g.add_edge("db", "net");
        g.add_edge("cache", "net");
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
        g.add_edge("a", "a");
        assert_eq!(format_cycle(&g.find_cycle().unwrap()), "a -> a");
    }
}
