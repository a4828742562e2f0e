//! The service keys about the container's resources and lifecycle, read into the model:
//! limits and reservations (plain and under `deploy`), block I/O, logging, devices and
//! lifecycle hooks.

use super::context::{Ctx, index, join};
use super::model::{
    BlkioConfig, BlkioRate, BlkioWeight, Deploy, DeployResources, Device, DeviceRequest, Logging,
    ResourceLimits, Service, ServiceHook,
};
use super::yaml::{Node, Value};

impl Ctx {
    /// A byte size, or -1 (unlimited, for swap).
    pub(super) fn bytes(&mut self, node: &Node, path: &str) -> Option<i64> {
        if matches!(&node.value, Value::Scalar(s) if s.trim() == "-1") {
            return Some(-1);
        }
        self.size(node, path).map(|n| n.min(i64::MAX as u64) as i64)
    }

    pub(super) fn float(&mut self, node: &Node, path: &str) -> Option<f64> {
        let s = self.string(node, path)?;
        match s.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => Some(n),
            _ => {
                self.error(node.pos, path, format!("invalid number \"{s}\""));
                None
            }
        }
    }

    /// Where `deploy.resources` and the service keys say the same thing, they must agree (as
    /// compose requires); `scale` is the number of replicas either way.
    pub(super) fn resource_consistency(&mut self, s: &mut Service, node: &Node, path: &str) {
        let Some(deploy) = &mut s.deploy else {
            return;
        };
        let pos = node.get("deploy").map(|n| n.pos).unwrap_or(node.pos);
        let mut clashes = Vec::new();
        if let Some(scale) = s.scale {
            if deploy.replicas.is_some_and(|r| r != scale) {
                clashes.push(("scale", "deploy.replicas"));
            }
            deploy.replicas = Some(scale);
        }
        let limits = deploy.resources.as_ref().and_then(|r| r.limits.as_ref());
        let reservations = deploy
            .resources
            .as_ref()
            .and_then(|r| r.reservations.as_ref());
        if let Some(l) = limits {
            if s.cpus.is_some() && s.cpus != l.cpus {
                clashes.push(("cpus", "deploy.resources.limits.cpus"));
            }
            if s.mem_limit.is_some() && s.mem_limit != l.memory {
                clashes.push(("mem_limit", "deploy.resources.limits.memory"));
            }
            if s.pids_limit.is_some() && s.pids_limit != l.pids {
                clashes.push(("pids_limit", "deploy.resources.limits.pids"));
            }
        }
        if let Some(r) = reservations
            && s.mem_reservation.is_some()
            && s.mem_reservation != r.memory
        {
            clashes.push(("mem_reservation", "deploy.resources.reservations.memory"));
        }
        for (a, b) in clashes {
            self.error_hint(
                pos,
                path,
                format!("can't set distinct values on '{a}' and '{b}'"),
                "set one of the two, or give both the same value",
            );
        }
    }

    pub(super) fn deploy(&mut self, node: &Node, path: &str) -> Option<Deploy> {
        if node.is_null() {
            return None;
        }
        let mut d = Deploy::default();
        for (k, v) in self.entries(node, path) {
            let p = join(path, &k.name);
            match k.name.as_str() {
                "replicas" => d.replicas = self.uint(v, &p),
                "resources" => {
                    let mut r = DeployResources::default();
                    for (rk, rv) in self.entries(v, &p) {
                        let rp = join(&p, &rk.name);
                        match rk.name.as_str() {
                            "limits" => r.limits = Some(self.resource_limits(rv, &rp)),
                            "reservations" => r.reservations = Some(self.resource_limits(rv, &rp)),
                            other => self.ignored("deploy.resources", other),
                        }
                    }
                    d.resources = Some(r);
                }
                key if key.starts_with("x-") => {
                    d.other.insert(key.to_string(), v.to_json());
                }
                key => {
                    self.ignored("deploy", key);
                    d.other.insert(key.to_string(), v.to_json());
                }
            }
        }
        // Compose prints an empty placement whenever there is a deploy section.
        d.other
            .entry("placement".to_string())
            .or_insert_with(|| serde_json::json!({}));
        Some(d)
    }

    pub(super) fn resource_limits(&mut self, node: &Node, path: &str) -> ResourceLimits {
        let mut l = ResourceLimits::default();
        for (k, v) in self.entries(node, path) {
            let p = join(path, &k.name);
            match k.name.as_str() {
                "cpus" => l.cpus = self.float(v, &p),
                "memory" => l.memory = self.bytes(v, &p),
                "pids" => l.pids = self.int(v, &p),
                "devices" => l.devices = self.device_requests(v, &p),
                // Reservations of cpus carry nothing on one engine.
                other => self.ignored("deploy.resources", other),
            }
        }
        l
    }

    pub(super) fn logging(&mut self, node: &Node, path: &str) -> Option<Logging> {
        if node.is_null() {
            return None;
        }
        let mut l = Logging::default();
        for (k, v) in self.entries(node, path) {
            let p = join(path, &k.name);
            match k.name.as_str() {
                "driver" => l.driver = self.string(v, &p),
                "options" => {
                    l.options = self
                        .list_or_dict(v, &p, '=')
                        .into_iter()
                        .filter_map(|(k, v)| Some((k, v?)))
                        .collect()
                }
                other => self.ignored("logging", other),
            }
        }
        Some(l)
    }

    /// `SOURCE[:TARGET[:PERMISSIONS]]` or the long form, into the long form.
    pub(super) fn devices(&mut self, node: &Node, path: &str) -> Vec<Device> {
        let mut out = Vec::new();
        for (i, item) in self.items(node, path).iter().enumerate() {
            let p = index(path, i);
            match &item.value {
                Value::Scalar(s) => {
                    let parts: Vec<&str> = s.split(':').collect();
                    let (source, target, permissions) = match parts.as_slice() {
                        [src] => (*src, *src, "rwm"),
                        [src, dst] if dst.starts_with('/') => (*src, *dst, "rwm"),
                        [src, perm] => (*src, *src, *perm),
                        [src, dst, perm] => (*src, *dst, *perm),
                        _ => {
                            self.error(
                                item.pos,
                                &p,
                                format!(
                                    "invalid device \"{s}\": expected SOURCE[:TARGET[:PERMISSIONS]]"
                                ),
                            );
                            continue;
                        }
                    };
                    out.push(Device {
                        source: source.to_string(),
                        target: target.to_string(),
                        permissions: permissions.to_string(),
                    });
                }
                Value::Map(_) => {
                    let mut d = Device {
                        permissions: "rwm".into(),
                        ..Device::default()
                    };
                    for (k, v) in self.entries(item, &p) {
                        let kp = join(&p, &k.name);
                        match k.name.as_str() {
                            "source" => d.source = self.string(v, &kp).unwrap_or_default(),
                            "target" => d.target = self.string(v, &kp).unwrap_or_default(),
                            "permissions" => {
                                d.permissions = self.string(v, &kp).unwrap_or_default()
                            }
                            other => self.ignored("device", other),
                        }
                    }
                    if d.target.is_empty() {
                        d.target = d.source.clone();
                    }
                    out.push(d);
                }
                _ => self.error(
                    item.pos,
                    &p,
                    format!("must be a string or a mapping, found {}", item.kind_name()),
                ),
            }
        }
        out
    }

    pub(super) fn blkio_config(&mut self, node: &Node, path: &str) -> Option<BlkioConfig> {
        if node.is_null() {
            return None;
        }
        let mut b = BlkioConfig::default();
        for (k, v) in self.entries(node, path) {
            let p = join(path, &k.name);
            match k.name.as_str() {
                "weight" => b.weight = self.weight(v, &p).unwrap_or(0),
                "weight_device" => {
                    for (i, item) in self.items(v, &p).iter().enumerate() {
                        let ip = index(&p, i);
                        let mut w = BlkioWeight::default();
                        for (wk, wv) in self.entries(item, &ip) {
                            let wp = join(&ip, &wk.name);
                            match wk.name.as_str() {
                                "path" => w.path = self.string(wv, &wp).unwrap_or_default(),
                                "weight" => w.weight = self.weight(wv, &wp).unwrap_or(0),
                                other => self.ignored("blkio weight_device", other),
                            }
                        }
                        b.weight_device.push(w);
                    }
                }
                "device_read_bps" => b.device_read_bps = self.blkio_rates(v, &p),
                "device_read_iops" => b.device_read_iops = self.blkio_rates(v, &p),
                "device_write_bps" => b.device_write_bps = self.blkio_rates(v, &p),
                "device_write_iops" => b.device_write_iops = self.blkio_rates(v, &p),
                other => self.ignored("blkio_config", other),
            }
        }
        Some(b)
    }

    /// A block I/O weight: a whole number up to 65535 (the engine takes 10 to 1000, or 0).
    pub(super) fn weight(&mut self, node: &Node, path: &str) -> Option<u16> {
        let n = self.uint(node, path)?;
        match u16::try_from(n) {
            Ok(w) => Some(w),
            Err(_) => {
                self.error(
                    node.pos,
                    path,
                    format!("invalid block I/O weight {n}: use 10 to 1000"),
                );
                None
            }
        }
    }

    /// Device rate limits; a rate is a number or a byte size (`1mb`), as compose reads it.
    pub(super) fn blkio_rates(&mut self, node: &Node, path: &str) -> Vec<BlkioRate> {
        let mut out = Vec::new();
        for (i, item) in self.items(node, path).iter().enumerate() {
            let ip = index(path, i);
            let mut r = BlkioRate::default();
            for (rk, rv) in self.entries(item, &ip) {
                let rp = join(&ip, &rk.name);
                match rk.name.as_str() {
                    "path" => r.path = self.string(rv, &rp).unwrap_or_default(),
                    "rate" => r.rate = self.size(rv, &rp).unwrap_or(0),
                    other => self.ignored("blkio rate", other),
                }
            }
            out.push(r);
        }
        out
    }

    /// `post_start:` or `pre_stop:` hooks; a bare `environment` key takes its value from the
    /// project's variables.
    pub(super) fn hooks(
        &mut self,
        node: &Node,
        path: &str,
        project_env: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<ServiceHook> {
        let which = path.rsplit('.').next().unwrap_or("lifecycle");
        let mut out = Vec::new();
        for (i, item) in self.items(node, path).iter().enumerate() {
            let ip = index(path, i);
            let mut h = ServiceHook::default();
            for (hk, hv) in self.entries(item, &ip) {
                let hp = join(&ip, &hk.name);
                match hk.name.as_str() {
                    "command" => h.command = self.command(hv, &hp).unwrap_or_default(),
                    "user" => h.user = self.string(hv, &hp),
                    "privileged" => h.privileged = self.bool(hv, &hp).unwrap_or(false),
                    "working_dir" => h.working_dir = self.string(hv, &hp),
                    "environment" => {
                        for (key, val) in self.list_or_dict(hv, &hp, '=') {
                            let val = val.or_else(|| project_env(&key));
                            h.environment.insert(key, val);
                        }
                    }
                    other => self.ignored(&format!("{which} hook"), other),
                }
            }
            if h.command.is_empty() && matches!(item.value, Value::Map(_)) {
                self.error(item.pos, &ip, format!("a {which} hook needs a command"));
            }
            out.push(h);
        }
        out
    }

    /// `gpus:` (`all`, or a list of requests) and `deploy.resources.reservations.devices:`.
    pub(super) fn device_requests(&mut self, node: &Node, path: &str) -> Vec<DeviceRequest> {
        if let Value::Scalar(s) = &node.value {
            if s == "all" {
                return vec![DeviceRequest {
                    count: Some(-1),
                    ..DeviceRequest::default()
                }];
            }
            self.error(
                node.pos,
                path,
                format!("invalid value \"{s}\": use all or a list of devices"),
            );
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, item) in self.items(node, path).iter().enumerate() {
            let ip = index(path, i);
            let mut d = DeviceRequest::default();
            for (k, v) in self.entries(item, &ip) {
                let p = join(&ip, &k.name);
                match k.name.as_str() {
                    "capabilities" => d.capabilities = self.list(v, &p),
                    "driver" => d.driver = self.string(v, &p),
                    "count" => {
                        d.count = match self.string(v, &p) {
                            Some(c) if c.trim() == "all" => Some(-1),
                            Some(_) => self.int(v, &p),
                            None => None,
                        }
                    }
                    "device_ids" => d.device_ids = self.list(v, &p),
                    "options" => {
                        d.options = self
                            .list_or_dict(v, &p, '=')
                            .into_iter()
                            .filter_map(|(k, v)| Some((k, v?)))
                            .collect()
                    }
                    other => self.ignored("device request", other),
                }
            }
            out.push(d);
        }
        out
    }

    /// A service key dockhand does not act on, in the shape `docker compose config` prints
    /// it, or `None` where compose prints nothing (`pull_refresh_after`): `annotations` as a
    /// mapping, `models` named in a list as a mapping, `develop.watch` paths made absolute
    /// against the declaring file's folder, `provider.options` values as lists.
    pub(super) fn unused_key(
        &mut self,
        key: &str,
        node: &Node,
        path: &str,
    ) -> Option<serde_json::Value> {
        use serde_json::Value as Json;
        let value = match key {
            "pull_refresh_after" => return None,
            "annotations" => Json::Object(
                self.list_or_dict(node, path, '=')
                    .into_iter()
                    .map(|(k, v)| (k, v.map_or(Json::Null, Json::String)))
                    .collect(),
            ),
            "models" if matches!(node.value, Value::Seq(_)) => Json::Object(
                self.list(node, path)
                    .into_iter()
                    .map(|name| (name, Json::Null))
                    .collect(),
            ),
            "develop" => {
                let mut develop = node.to_json();
                let watches = node.get("watch").and_then(|w| match &w.value {
                    Value::Seq(items) => Some(items),
                    _ => None,
                });
                if let (Some(items), Some(json)) = (
                    watches,
                    develop.get_mut("watch").and_then(Json::as_array_mut),
                ) {
                    for (item, out) in items.iter().zip(json.iter_mut()) {
                        let Some(p) = item.get("path").and_then(|p| match &p.value {
                            Value::Scalar(s) => Some(s),
                            _ => None,
                        }) else {
                            continue;
                        };
                        let full = self.absolute(&self.base_dir(item.pos), p);
                        out["path"] = Json::String(full.display().to_string());
                    }
                }
                develop
            }
            "provider" => {
                let mut provider = node.to_json();
                if let Some(options) = provider.get_mut("options").and_then(Json::as_object_mut) {
                    for value in options.values_mut() {
                        let words = |v: &Json| match v {
                            Json::String(s) => Json::String(s.clone()),
                            other => Json::String(other.to_string()),
                        };
                        let listed = match &*value {
                            Json::Array(items) => Json::Array(items.iter().map(words).collect()),
                            Json::Null => Json::Null,
                            one => Json::Array(vec![words(one)]),
                        };
                        *value = listed;
                    }
                }
                provider
            }
            _ => node.to_json(),
        };
        Some(value)
    }
}
