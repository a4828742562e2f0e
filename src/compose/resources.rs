//! Top-level `networks`, `volumes`, `secrets` and `configs`.

use indexmap::IndexMap;

use super::context::{Ctx, join};
use super::model::{FileObject, Network, Volume};
use super::yaml::Node;

impl Ctx {
    pub fn networks(&mut self, node: &Node) -> IndexMap<String, Network> {
        let mut out = IndexMap::new();
        for (k, v) in self.entries(node, "networks") {
            let path = join("networks", &k.name);
            let mut n = Network::default();
            for (nk, nv) in self.entries(v, &path) {
                let p = join(&path, &nk.name);
                match nk.name.as_str() {
                    "name" => n.name = self.string(nv, &p),
                    "driver" => n.driver = self.string(nv, &p),
                    "driver_opts" => n.driver_opts = self.labels(nv, &p),
                    "external" => n.external = self.external(nv, &p, &mut n.name),
                    "internal" => n.internal = self.bool(nv, &p).unwrap_or(false),
                    "attachable" => n.attachable = self.bool(nv, &p).unwrap_or(false),
                    "enable_ipv6" => n.enable_ipv6 = self.bool(nv, &p).unwrap_or(false),
                    "labels" => n.labels = self.labels(nv, &p),
                    "ipam" => {
                        if let Some(configs) = nv.get("config").and_then(Node::seq) {
                            for (i, c) in configs.iter().enumerate() {
                                if let Some(sn) = c.get("subnet") {
                                    let sp = format!("{p}.config[{i}].subnet");
                                    if let Some(s) = self.string(sn, &sp) {
                                        n.subnets.push(s);
                                    }
                                }
                            }
                        }
                    }
                    key if key.starts_with("x-") => {}
                    key => self.warn_once(format!(
                        "network key `{key}` is accepted but not acted on by dockhand"
                    )),
                }
            }
            out.insert(k.name.clone(), n);
        }
        out
    }

    pub fn volumes(&mut self, node: &Node) -> IndexMap<String, Volume> {
        let mut out = IndexMap::new();
        for (k, v) in self.entries(node, "volumes") {
            let path = join("volumes", &k.name);
            let mut vol = Volume::default();
            for (vk, vv) in self.entries(v, &path) {
                let p = join(&path, &vk.name);
                match vk.name.as_str() {
                    "name" => vol.name = self.string(vv, &p),
                    "driver" => vol.driver = self.string(vv, &p),
                    "driver_opts" => vol.driver_opts = self.labels(vv, &p),
                    "external" => vol.external = self.external(vv, &p, &mut vol.name),
                    "labels" => vol.labels = self.labels(vv, &p),
                    key if key.starts_with("x-") => {}
                    key => self.warn_once(format!(
                        "volume key `{key}` is accepted but not acted on by dockhand"
                    )),
                }
            }
            out.insert(k.name.clone(), vol);
        }
        out
    }

    /// `secrets` (`configs == false`) or `configs`.
    pub fn file_objects(&mut self, node: &Node, section: &str) -> IndexMap<String, FileObject> {
        let mut out = IndexMap::new();
        for (k, v) in self.entries(node, section) {
            let path = join(section, &k.name);
            let mut o = FileObject::default();
            let mut name = None;
            for (ok, ov) in self.entries(v, &path) {
                let p = join(&path, &ok.name);
                match ok.name.as_str() {
                    "file" => {
                        if let Some(f) = self.string(ov, &p) {
                            o.file = Some(self.absolute(&self.base_dir(ov.pos), &f));
                        }
                    }
                    "environment" => o.environment = self.string(ov, &p),
                    "content" if section == "configs" => o.content = self.string(ov, &p),
                    "external" => o.external = self.external(ov, &p, &mut name),
                    "name" => name = self.string(ov, &p),
                    key if key.starts_with("x-") => {}
                    key => self.warn_once(format!(
                        "{section} key `{key}` is accepted but not acted on by dockhand"
                    )),
                }
            }
            let sources = [
                o.file.is_some(),
                o.environment.is_some(),
                o.content.is_some(),
                o.external,
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if sources != 1 {
                let what = if section == "configs" {
                    "file, environment, content or external"
                } else {
                    "file, environment or external"
                };
                self.error(k.pos, &path, format!("needs exactly one of {what}"));
            }
            o.name = name;
            out.insert(k.name.clone(), o);
        }
        out
    }

    /// `external: true`, or the legacy `external: {name: x}`.
    fn external(&mut self, node: &Node, path: &str, name: &mut Option<String>) -> bool {
        if let Some(n) = node.get("name") {
            *name = self.string(n, &join(path, "name"));
            return true;
        }
        self.bool(node, path).unwrap_or(false)
    }
}
