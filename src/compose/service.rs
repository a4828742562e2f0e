//! One service mapping turned into a [`Service`]: every short form expanded to its long form.

use indexmap::IndexMap;

use super::context::{Ctx, index, join};
use super::model::{
    Build, Condition, DependsOn, Healthcheck, Service, ServiceFileRef, ServiceNetwork, Ulimit,
};
use super::yaml::{Node, Value};

/// Service keys that are part of the specification but that dockhand does not act on: each is
/// meaningless for a test run on one engine, or needs what this engine API does not offer (see
/// the README's key table for the reason of each).
pub const IGNORED_SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "cpu_count",
    "cpu_percent",
    "credential_spec",
    "develop",
    "isolation",
    "models",
    "pull_refresh_after",
    "provider",
];

impl Ctx {
    /// Reads the service `name` from its (merged, extended) mapping; whole-service problems
    /// point at `key_pos`, the service's name.
    pub fn service(
        &mut self,
        name: &str,
        key_pos: super::diagnostic::Pos,
        node: &Node,
        project_env: &dyn Fn(&str) -> Option<String>,
    ) -> Service {
        let path = format!("services.{name}");
        let mut s = Service {
            name: name.to_string(),
            ..Service::default()
        };
        let Some(entries) = node.map() else {
            if !node.is_null() {
                self.error(
                    key_pos,
                    &path,
                    format!("a service must be a mapping, found {}", node.kind_name()),
                );
            } else {
                self.error(
                    key_pos,
                    &path,
                    "a service needs at least an image or a build section",
                );
            }
            return s;
        };
        // env_file first: `environment` wins over it whatever the order in the file.
        if let Some(files) = node.get("env_file") {
            let vars = self.env_files(files, &join(&path, "env_file"), project_env);
            for (k, v) in vars {
                s.environment.insert(k, Some(v));
            }
        }
        for (k, v) in entries {
            let p = join(&path, &k.name);
            match k.name.as_str() {
                "image" => s.image = self.string(v, &p),
                "build" => s.build = self.build(v, &p),
                "command" => s.command = self.command(v, &p),
                "entrypoint" => s.entrypoint = self.command(v, &p),
                "environment" => {
                    for (key, val) in self.list_or_dict(v, &p, '=') {
                        let val = match val {
                            Some(val) => Some(val),
                            None => project_env(&key),
                        };
                        s.environment.insert(key, val);
                    }
                }
                "env_file" => {}
                "depends_on" => s.depends_on = self.depends_on(v, &p),
                "healthcheck" => s.healthcheck = self.healthcheck(v, &p),
                "ports" => s.ports = self.ports(v, &p),
                "expose" => s.expose = self.expose(v, &p),
                "volumes" => s.volumes = self.service_volumes(v, &p),
                "networks" => s.networks = self.service_networks(v, &p),
                "network_mode" => s.network_mode = self.string(v, &p),
                "links" => s.links = self.list(v, &p),
                "labels" => {
                    // Over the labels of `label_file`, whatever the order in the file.
                    let mut labels = match node.get("label_file") {
                        Some(files) => self.label_files(files, &join(&path, "label_file")),
                        None => IndexMap::new(),
                    };
                    labels.extend(self.labels(v, &p));
                    s.labels = labels;
                }
                "label_file" if node.get("labels").is_none() => {
                    s.labels = self.label_files(v, &p);
                }
                "label_file" => {}
                "container_name" => s.container_name = self.string(v, &p),
                "hostname" => s.hostname = self.string(v, &p),
                "working_dir" => s.working_dir = self.string(v, &p),
                "user" => s.user = self.string(v, &p),
                "profiles" => s.profiles = self.list(v, &p),
                "extra_hosts" => s.extra_hosts = self.extra_hosts(v, &p),
                "tmpfs" => s.tmpfs = self.string_or_list(v, &p),
                "ulimits" => s.ulimits = self.ulimits(v, &p),
                "secrets" => s.secrets = self.file_refs(v, &p),
                "configs" => s.configs = self.file_refs(v, &p),
                "cap_add" => s.cap_add = self.list(v, &p),
                "cap_drop" => s.cap_drop = self.list(v, &p),
                "dns" => s.dns = self.string_or_list(v, &p),
                "privileged" => s.privileged = self.bool(v, &p).unwrap_or(false),
                "init" => s.init = self.bool(v, &p),
                "read_only" => s.read_only = self.bool(v, &p).unwrap_or(false),
                "tty" => s.tty = self.bool(v, &p).unwrap_or(false),
                "stdin_open" => s.stdin_open = self.bool(v, &p).unwrap_or(false),
                "stop_signal" => s.stop_signal = self.string(v, &p),
                "stop_grace_period" => s.stop_grace_period = self.duration(v, &p),
                "shm_size" => s.shm_size = self.size(v, &p),
                "platform" => s.platform = self.string(v, &p),
                "pull_policy" => {
                    s.pull_policy = self.string(v, &p);
                    if let Some(pp) = &s.pull_policy {
                        let ok = matches!(
                            pp.as_str(),
                            "always"
                                | "never"
                                | "missing"
                                | "if_not_present"
                                | "build"
                                | "daily"
                                | "weekly"
                        ) || pp
                            .strip_prefix("every_")
                            .is_some_and(|d| super::read::parse_duration(d).is_ok());
                        if !ok {
                            self.error(v.pos, &p, format!("invalid pull_policy \"{pp}\": use always, never, missing, build, daily, weekly or every_<duration>"));
                        }
                    }
                }
                "restart" => {
                    s.restart = self.string(v, &p);
                    if let Some(r) = &s.restart {
                        let ok = matches!(
                            r.as_str(),
                            "no" | "always" | "unless-stopped" | "on-failure"
                        ) || r
                            .strip_prefix("on-failure:")
                            .is_some_and(|n| n.parse::<u32>().is_ok());
                        if !ok {
                            self.error(v.pos, &p, format!("invalid restart policy \"{r}\": use no, always, on-failure[:N] or unless-stopped"));
                        }
                    }
                }
                "domainname" => s.domainname = self.string(v, &p),
                "dns_search" => s.dns_search = self.string_or_list(v, &p),
                "dns_opt" => s.dns_opt = self.list(v, &p),
                "group_add" => s.group_add = self.list(v, &p),
                "security_opt" => s.security_opt = self.list(v, &p),
                "sysctls" => s.sysctls = self.labels(v, &p),
                "mem_limit" => s.mem_limit = self.bytes(v, &p),
                "mem_reservation" => s.mem_reservation = self.bytes(v, &p),
                "memswap_limit" => s.memswap_limit = self.bytes(v, &p),
                "mem_swappiness" => s.mem_swappiness = self.int(v, &p),
                "pids_limit" => s.pids_limit = self.int(v, &p),
                "cpus" => s.cpus = self.float(v, &p),
                "cpu_shares" => s.cpu_shares = self.int(v, &p),
                "cpu_quota" => s.cpu_quota = self.int(v, &p),
                "cpu_period" => s.cpu_period = self.int(v, &p),
                "cpu_rt_runtime" => s.cpu_rt_runtime = self.int(v, &p),
                "cpu_rt_period" => s.cpu_rt_period = self.int(v, &p),
                "cpuset" => s.cpuset = self.string(v, &p),
                "oom_score_adj" => s.oom_score_adj = self.int(v, &p),
                "oom_kill_disable" => s.oom_kill_disable = self.bool(v, &p).unwrap_or(false),
                "deploy" => s.deploy = self.deploy(v, &p),
                "scale" => s.scale = self.uint(v, &p),
                "volumes_from" => s.volumes_from = self.list(v, &p),
                "logging" => s.logging = self.logging(v, &p),
                "devices" => s.devices = self.devices(v, &p),
                "device_cgroup_rules" => s.device_cgroup_rules = self.list(v, &p),
                "ipc" => s.ipc = self.string(v, &p),
                "pid" => s.pid = self.string(v, &p),
                "uts" => s.uts = self.string(v, &p),
                "userns_mode" => s.userns_mode = self.string(v, &p),
                "cgroup_parent" => s.cgroup_parent = self.string(v, &p),
                "cgroup" => {
                    s.cgroup = self.string(v, &p);
                    if let Some(c) = &s.cgroup
                        && c != "host"
                        && c != "private"
                    {
                        self.error(
                            v.pos,
                            &p,
                            format!("invalid cgroup \"{c}\": use host or private"),
                        );
                    }
                }
                "mac_address" => s.mac_address = self.string(v, &p),
                "runtime" => s.runtime = self.string(v, &p),
                "storage_opt" => s.storage_opt = self.labels(v, &p),
                "blkio_config" => s.blkio_config = self.blkio_config(v, &p),
                "post_start" => s.post_start = self.hooks(v, &p, project_env),
                "pre_stop" => s.pre_stop = self.hooks(v, &p, project_env),
                "external_links" => s.external_links = self.list(v, &p),
                "gpus" => s.gpus = self.device_requests(v, &p),
                "use_api_socket" => s.use_api_socket = self.bool(v, &p).unwrap_or(false),
                "extends" => {}
                key if key.starts_with("x-") => {
                    s.extensions.insert(key.to_string(), v.to_json());
                }
                key if IGNORED_SERVICE_KEYS.contains(&key) => {
                    self.warn_once(format!(
                        "service key `{key}` is accepted but not acted on by dockhand"
                    ));
                    if let Some(value) = self.unused_key(key, v, &p) {
                        s.unused.insert(key.to_string(), value);
                    }
                }
                // Unknown keys are reported by the schema check.
                _ => {}
            }
        }
        // Not when the service already has an error: a misspelt `image` or a broken `extends`
        // would be said twice.
        let prefix = format!("{path}.");
        let already =
            node.get("extends").is_some() || self.diags.iter().any(|d| d.path.starts_with(&prefix));
        // A service run by a provider plugin (`provider:`) needs no image.
        if s.image.is_none() && s.build.is_none() && !already && node.get("provider").is_none() {
            self.error_hint(
                key_pos,
                &path,
                format!("service \"{name}\" has neither an image nor a build section"),
                "add `image:` or `build:` to the service",
            );
        }
        self.resource_consistency(&mut s, node, &path);
        // Compose starts a service after the services it takes volumes from or shares an IPC
        // or PID namespace with, and writes them into depends_on.
        let shared = [&s.ipc, &s.pid]
            .into_iter()
            .filter_map(|m| m.as_deref()?.strip_prefix("service:"))
            .map(|x| (x.to_string(), true));
        let volumes_from = s.volumes_from.iter().filter_map(|from| {
            let (source, _) = split_volumes_from(from);
            (!source.starts_with("container:")).then(|| (source.to_string(), false))
        });
        let implied: Vec<(String, bool)> = shared.chain(volumes_from).collect();
        for (dep, restart) in implied {
            s.depends_on.entry(dep).or_insert(DependsOn {
                restart,
                ..DependsOn::default()
            });
        }
        if let Some(mode) = &s.network_mode
            && !s.networks.is_empty()
            && let Some(v) = node.get("network_mode")
        {
            let p = join(&path, "network_mode");
            self.error(
                v.pos,
                &p,
                format!("network_mode \"{mode}\" cannot be combined with networks"),
            );
        }
        s
    }

    fn expose(&mut self, node: &Node, path: &str) -> Vec<String> {
        let out = self.list(node, path);
        for (i, e) in out.iter().enumerate() {
            let (ports, proto) = e.split_once('/').unwrap_or((e, "tcp"));
            let message = if !super::ports::protocol_ok(proto) {
                Some(format!(
                    "invalid protocol \"{proto}\" in \"{e}\": use tcp, udp or sctp"
                ))
            } else if ports.contains(':') {
                Some(format!(
                    "invalid exposed port \"{e}\": expose takes container ports only"
                ))
            } else {
                super::ports::parse_short(ports).err().map(|e| e.message)
            };
            if let Some(message) = message {
                let pos = node
                    .seq()
                    .and_then(|s| s.get(i))
                    .map(|n| n.pos)
                    .unwrap_or(node.pos);
                self.error(pos, &index(path, i), message);
            }
        }
        out
    }

    pub(super) fn command(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        match &node.value {
            Value::Null => None,
            Value::Scalar(s) => match super::read::command_words(s) {
                Ok(words) => Some(words),
                Err(_) => {
                    self.error_hint(
                        node.pos,
                        path,
                        format!("cannot split \"{s}\" into words: unbalanced quotes"),
                        "close the quote, or write the command as a list",
                    );
                    None
                }
            },
            Value::Seq(_) => Some(self.list(node, path)),
            Value::Map(_) => {
                self.error(
                    node.pos,
                    path,
                    "must be a string or a list, found a mapping",
                );
                None
            }
        }
    }

    fn build(&mut self, node: &Node, path: &str) -> Option<Build> {
        let context_of = |ctx: &Ctx, n: &Node, s: &str| {
            if s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/") {
                std::path::PathBuf::from(s)
            } else {
                ctx.absolute(&ctx.base_dir(n.pos), s)
            }
        };
        match &node.value {
            Value::Null => None,
            Value::Scalar(s) => Some(Build {
                context: context_of(self, node, s),
                ..Build::default()
            }),
            Value::Map(entries) => {
                let mut b = Build {
                    context: context_of(self, node, "."),
                    ..Build::default()
                };
                for (k, v) in entries {
                    let p = join(path, &k.name);
                    match k.name.as_str() {
                        "context" => {
                            if let Some(s) = self.string(v, &p) {
                                b.context = context_of(self, v, &s);
                            }
                        }
                        "dockerfile" => b.dockerfile = self.string(v, &p),
                        "dockerfile_inline" => b.dockerfile_inline = self.string(v, &p),
                        "args" => b.args = self.list_or_dict(v, &p, '='),
                        "target" => b.target = self.string(v, &p),
                        "labels" => b.labels = self.labels(v, &p),
                        "extra_hosts" => b.extra_hosts = self.extra_hosts(v, &p),
                        "network" => b.network = self.string(v, &p),
                        key if key.starts_with("x-") => {}
                        key => self.warn_once(format!(
                            "build key `{key}` is accepted but not acted on by dockhand"
                        )),
                    }
                }
                if b.dockerfile.is_some()
                    && b.dockerfile_inline.is_some()
                    && let Some(v) = node.get("dockerfile_inline")
                {
                    self.error(
                        v.pos,
                        &join(path, "dockerfile_inline"),
                        "dockerfile and dockerfile_inline cannot both be set",
                    );
                }
                Some(b)
            }
            Value::Seq(_) => {
                self.error(
                    node.pos,
                    path,
                    "must be a string or a mapping, found a sequence",
                );
                None
            }
        }
    }

    fn depends_on(&mut self, node: &Node, path: &str) -> IndexMap<String, DependsOn> {
        let mut out = IndexMap::new();
        match &node.value {
            Value::Null => {}
            Value::Seq(_) => {
                for name in self.list(node, path) {
                    out.insert(name, DependsOn::default());
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    let p = join(path, &k.name);
                    let mut d = DependsOn::default();
                    for (dk, dv) in self.entries(v, &p) {
                        let dp = join(&p, &dk.name);
                        match dk.name.as_str() {
                            "condition" => match self.string(dv, &dp).as_deref() {
                                Some("service_started") => d.condition = Condition::ServiceStarted,
                                Some("service_healthy") => d.condition = Condition::ServiceHealthy,
                                Some("service_completed_successfully") => {
                                    d.condition = Condition::ServiceCompletedSuccessfully
                                }
                                Some(other) => self.error(
                                    dv.pos,
                                    &dp,
                                    format!("invalid condition \"{other}\": use service_started, service_healthy or service_completed_successfully"),
                                ),
                                None => {}
                            },
                            "required" => d.required = self.bool(dv, &dp).unwrap_or(true),
                            "restart" => d.restart = self.bool(dv, &dp).unwrap_or(false),
                            other => self.ignored("depends_on", other),
                        }
                    }
                    out.insert(k.name.clone(), d);
                }
            }
            Value::Scalar(_) => self.error(
                node.pos,
                path,
                "must be a list or a mapping, found a scalar",
            ),
        }
        out
    }

    fn healthcheck(&mut self, node: &Node, path: &str) -> Option<Healthcheck> {
        let entries = self.entries(node, path);
        if node.is_null() {
            return None;
        }
        let mut h = Healthcheck::default();
        for (k, v) in entries {
            let p = join(path, &k.name);
            match k.name.as_str() {
                "test" => {
                    h.test = match &v.value {
                        Value::Null => None,
                        Value::Scalar(s) => Some(vec!["CMD-SHELL".to_string(), s.clone()]),
                        Value::Seq(_) => {
                            let words = self.list(v, &p);
                            match words.first().map(String::as_str) {
                                Some("NONE") | Some("CMD") | Some("CMD-SHELL") => Some(words),
                                Some(other) => {
                                    self.error_hint(
                                        v.pos,
                                        &p,
                                        format!("a healthcheck test list must start with CMD, CMD-SHELL or NONE, not \"{other}\""),
                                        "write [\"CMD\", \"pg_isready\"] or a plain string for a shell command",
                                    );
                                    None
                                }
                                None => {
                                    self.error(
                                        v.pos,
                                        &p,
                                        "a healthcheck test list cannot be empty",
                                    );
                                    None
                                }
                            }
                        }
                        Value::Map(_) => {
                            self.error(v.pos, &p, "must be a string or a list, found a mapping");
                            None
                        }
                    }
                }
                "interval" => h.interval = self.duration(v, &p),
                "timeout" => h.timeout = self.duration(v, &p),
                "start_period" => h.start_period = self.duration(v, &p),
                "start_interval" => h.start_interval = self.duration(v, &p),
                "retries" => h.retries = self.uint(v, &p),
                "disable" => h.disable = self.bool(v, &p).unwrap_or(false),
                other => self.ignored("healthcheck", other),
            }
        }
        if h.disable
            && let Some(t) = &h.test
            && t.first().map(String::as_str) != Some("NONE")
            && let Some(v) = node.get("disable")
        {
            self.error(
                v.pos,
                &join(path, "disable"),
                "healthcheck sets both a test and disable: true",
            );
        }
        Some(h)
    }

    fn service_networks(&mut self, node: &Node, path: &str) -> IndexMap<String, ServiceNetwork> {
        let mut out = IndexMap::new();
        match &node.value {
            Value::Null => {}
            Value::Seq(_) => {
                for name in self.list(node, path) {
                    out.insert(name, ServiceNetwork::default());
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    let p = join(path, &k.name);
                    let mut n = ServiceNetwork::default();
                    for (nk, nv) in self.entries(v, &p) {
                        let np = join(&p, &nk.name);
                        match nk.name.as_str() {
                            "aliases" => n.aliases = self.list(nv, &np),
                            "ipv4_address" => n.ipv4_address = self.string(nv, &np),
                            "ipv6_address" => n.ipv6_address = self.string(nv, &np),
                            "priority" => n.priority = self.int(nv, &np),
                            other => self.ignored("service network", other),
                        }
                    }
                    out.insert(k.name.clone(), n);
                }
            }
            Value::Scalar(_) => self.error(
                node.pos,
                path,
                "must be a list or a mapping, found a scalar",
            ),
        }
        out
    }

    fn extra_hosts(&mut self, node: &Node, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let p = join(path, &k.name);
                    for ip in self.string_or_list(v, &p) {
                        out.push(format!("{}:{}", k.name, ip));
                    }
                }
            }
            _ => {
                let items = self.string_or_list(node, path);
                let nodes = node.seq().cloned().unwrap_or_default();
                for (i, item) in items.into_iter().enumerate() {
                    let split = item.split_once('=').or_else(|| item.split_once(':'));
                    match split {
                        Some((h, ip)) if !h.is_empty() && !ip.is_empty() => {
                            out.push(format!("{h}:{ip}"))
                        }
                        _ => {
                            let pos = nodes.get(i).map(|n| n.pos).unwrap_or(node.pos);
                            self.error(
                                pos,
                                &index(path, i),
                                format!(
                                    "invalid extra host \"{item}\": expected HOST:IP or HOST=IP"
                                ),
                            );
                        }
                    }
                }
            }
        }
        out
    }

    fn ulimits(&mut self, node: &Node, path: &str) -> IndexMap<String, Ulimit> {
        let mut out = IndexMap::new();
        for (k, v) in self.entries(node, path) {
            let p = join(path, &k.name);
            match &v.value {
                Value::Map(_) => {
                    let soft = v.get("soft").and_then(|n| self.int(n, &join(&p, "soft")));
                    let hard = v.get("hard").and_then(|n| self.int(n, &join(&p, "hard")));
                    match (soft, hard) {
                        (Some(soft), Some(hard)) => {
                            if soft > hard {
                                self.error(
                                    v.pos,
                                    &p,
                                    format!("soft limit {soft} is above the hard limit {hard}"),
                                );
                            }
                            out.insert(k.name.clone(), Ulimit { soft, hard });
                        }
                        _ => self.error(v.pos, &p, "a ulimit mapping needs both soft and hard"),
                    }
                }
                _ => {
                    if let Some(n) = self.int(v, &p) {
                        out.insert(k.name.clone(), Ulimit { soft: n, hard: n });
                    }
                }
            }
        }
        out
    }

    fn file_refs(&mut self, node: &Node, path: &str) -> Vec<ServiceFileRef> {
        let mut out = Vec::new();
        let items = self.items(node, path);
        for (i, item) in items.iter().enumerate() {
            let p = index(path, i);
            match &item.value {
                Value::Scalar(s) => out.push(ServiceFileRef {
                    source: s.clone(),
                    ..ServiceFileRef::default()
                }),
                Value::Map(entries) => {
                    let mut r = ServiceFileRef::default();
                    for (k, v) in entries {
                        let kp = join(&p, &k.name);
                        match k.name.as_str() {
                            "source" => r.source = self.string(v, &kp).unwrap_or_default(),
                            "target" => r.target = self.string(v, &kp),
                            "mode" => r.mode = self.mode(v, &kp),
                            other => self.ignored("secret or config reference", other),
                        }
                    }
                    if r.source.is_empty() {
                        self.error(item.pos, &p, "needs a source");
                    } else {
                        out.push(r);
                    }
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

    /// Reads the files named by a service's `label_file`, in order, as compose reads them: env
    /// file syntax, each `${VAR}` resolved from the labels read before it (never from the
    /// environment), a later file over an earlier one.
    fn label_files(&mut self, node: &Node, path: &str) -> IndexMap<String, String> {
        let mut specs: Vec<(String, super::diagnostic::Pos, String)> = Vec::new();
        match &node.value {
            Value::Scalar(s) => specs.push((s.clone(), node.pos, path.to_string())),
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let p = index(path, i);
                    if let Some(file) = self.string(item, &p) {
                        specs.push((file, item.pos, p));
                    }
                }
            }
            Value::Null => {}
            Value::Map(_) => self.error(
                node.pos,
                path,
                "must be a string or a list, found a mapping",
            ),
        }
        let mut out: IndexMap<String, String> = IndexMap::new();
        for (file, pos, p) in specs {
            let full = self.absolute(&self.base_dir(pos), &file);
            match std::fs::read_to_string(&full) {
                Ok(text) => {
                    let earlier = out.clone();
                    let lookup = |k: &str| earlier.get(k).cloned();
                    match super::dotenv::parse(&text, &lookup) {
                        Ok(labels) => out.extend(labels),
                        Err(e) => self.error(
                            pos,
                            &p,
                            format!("{}:{}: {}", full.display(), e.line, e.message),
                        ),
                    }
                }
                Err(e) => self.error_hint(
                    pos,
                    &p,
                    format!("cannot read label file {}: {e}", full.display()),
                    "create the file, or correct the path (relative to the compose file's folder)",
                ),
            }
        }
        out
    }

    /// Reads the files named by a service's `env_file`, in order.
    fn env_files(
        &mut self,
        node: &Node,
        path: &str,
        project_env: &dyn Fn(&str) -> Option<String>,
    ) -> IndexMap<String, String> {
        let mut specs: Vec<(String, bool, super::diagnostic::Pos, String)> = Vec::new();
        match &node.value {
            Value::Scalar(s) => specs.push((s.clone(), true, node.pos, path.to_string())),
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let p = index(path, i);
                    match &item.value {
                        Value::Scalar(s) => specs.push((s.clone(), true, item.pos, p)),
                        Value::Map(_) => {
                            let Some(pn) = item.get("path") else {
                                self.error(item.pos, &p, "an env_file entry needs a path");
                                continue;
                            };
                            let Some(file) = self.string(pn, &join(&p, "path")) else {
                                continue;
                            };
                            let required = item
                                .get("required")
                                .and_then(|r| self.bool(r, &join(&p, "required")))
                                .unwrap_or(true);
                            specs.push((file, required, pn.pos, join(&p, "path")));
                        }
                        _ => self.error(
                            item.pos,
                            &p,
                            format!("must be a string or a mapping, found {}", item.kind_name()),
                        ),
                    }
                }
            }
            Value::Null => {}
            Value::Map(_) => self.error(
                node.pos,
                path,
                "must be a string or a list, found a mapping",
            ),
        }
        let mut out = IndexMap::new();
        for (file, required, pos, p) in specs {
            let full = self.absolute(&self.base_dir(pos), &file);
            match std::fs::read_to_string(&full) {
                Ok(text) => {
                    let lookup = |k: &str| project_env(k);
                    match super::dotenv::parse(&text, &lookup) {
                        Ok(vars) => out.extend(vars),
                        Err(e) => self.error(
                            pos,
                            &p,
                            format!("{}:{}: {}", full.display(), e.line, e.message),
                        ),
                    }
                }
                Err(_) if !required => {}
                Err(e) => self.error_hint(
                    pos,
                    &p,
                    format!("cannot read env file {}: {e}", full.display()),
                    "create the file, or mark it `required: false` in the long syntax",
                ),
            }
        }
        out
    }
}

/// `volumes_from` entry into its source (`service` or `container:name`) and whether it is
/// read-only.
pub fn split_volumes_from(entry: &str) -> (&str, bool) {
    match entry.rsplit_once(':') {
        Some((source, "ro")) => (source, true),
        Some((source, "rw")) => (source, false),
        _ => (entry, false),
    }
}
