//! The loading pipeline: find the files, build the variables, read, interpolate and merge the
//! files, resolve `include` and `extends`, apply profiles, and check the result.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::context::Ctx;
use super::diagnostic::{LoadError, Pos};
use super::file::{bail, read_env_files, read_tree};
use super::merge::merge_root;
use super::model::Project;
use super::validate::valid_service_name;
use super::yaml::{Node, Value};

/// The file names docker compose looks for, in its order.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Override files merged over the default file when no file is named, in docker compose's order.
pub const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// A variable of the process environment (or of the one the options carry).
fn env_var(opts: &LoadOptions, name: &str) -> Option<String> {
    match &opts.environment {
        Some(e) => e.get(name).cloned(),
        None => std::env::var(name).ok(),
    }
}

/// What to load and how: the equivalents of `-f`, `-p`, `--profile`, `--env-file`.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f`, repeatable; empty means `COMPOSE_FILE`, else the first of [`DEFAULT_FILES`] found
    /// in `working_dir` plus the first of [`OVERRIDE_FILES`] there.
    pub files: Vec<PathBuf>,
    /// Defaults to the current directory.
    pub working_dir: Option<PathBuf>,
    /// `-p`; else `COMPOSE_PROJECT_NAME`; else the top-level `name:`; else the folder name.
    pub project_name: Option<String>,
    /// `--profile`; else `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
    /// `--env-file`, repeatable; default `<project dir>/.env` when present.
    pub env_files: Vec<PathBuf>,
    /// `None` reads the process environment.
    pub environment: Option<HashMap<String, String>>,
    /// Services named explicitly: their profiles are turned on.
    pub enable_services: Vec<String>,
}

/// Loads the compose project described by `opts`.
pub fn load(opts: &LoadOptions) -> Result<Project, LoadError> {
    let cwd = working_dir(opts)?;
    let files: Vec<PathBuf> = if !opts.files.is_empty() {
        opts.files
            .iter()
            .map(|f| super::context::normalize(&cwd.join(f)))
            .collect()
    } else if let Some(list) = env_var(opts, "COMPOSE_FILE").filter(|s| !s.is_empty()) {
        let sep = env_var(opts, "COMPOSE_PATH_SEPARATOR").unwrap_or_else(|| ":".into());
        list.split(sep.as_str())
            .filter(|f| !f.is_empty())
            .map(|f| super::context::normalize(&cwd.join(f)))
            .collect()
    } else {
        let Some(found) = DEFAULT_FILES
            .iter()
            .map(|f| cwd.join(f))
            .find(|p| p.is_file())
        else {
            return Err(LoadError::NoComposeFile {
                dir: cwd,
                looked_for: DEFAULT_FILES.iter().map(|s| s.to_string()).collect(),
            });
        };
        // As docker compose does, an override file next to the default file is merged over it.
        let mut files = vec![found];
        if let Some(o) = OVERRIDE_FILES
            .iter()
            .map(|f| cwd.join(f))
            .find(|p| p.is_file())
        {
            files.push(o);
        }
        files
    };
    let mut inputs = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|source| LoadError::Io {
            path: f.clone(),
            source,
        })?;
        inputs.push((f.clone(), text));
    }
    load_inputs(opts, cwd, inputs)
}

/// Loads a single compose file given as text, as if it were the file `name` in the working
/// directory. Nothing is read from disk except what the text itself points at (env files,
/// `extends` and `include` files).
pub fn load_from_str(name: &str, text: &str, opts: &LoadOptions) -> Result<Project, LoadError> {
    let cwd = working_dir(opts)?;
    let path = super::context::normalize(&cwd.join(name));
    load_inputs(opts, cwd, vec![(path, text.to_string())])
}

fn working_dir(opts: &LoadOptions) -> Result<PathBuf, LoadError> {
    match &opts.working_dir {
        Some(d) => Ok(d.clone()),
        None => std::env::current_dir().map_err(|source| LoadError::Io {
            path: PathBuf::from("."),
            source,
        }),
    }
}

fn load_inputs(
    opts: &LoadOptions,
    cwd: PathBuf,
    inputs: Vec<(PathBuf, String)>,
) -> Result<Project, LoadError> {
    let process_env: HashMap<String, String> = match &opts.environment {
        Some(e) => e.clone(),
        None => std::env::vars().collect(),
    };
    let mut ctx = Ctx::new(cwd.clone(), process_env.clone());
    let project_dir = inputs
        .first()
        .and_then(|(p, _)| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| cwd.clone());

    // Variables: env files first, the process environment over them.
    let env_files: Vec<(PathBuf, bool)> = if opts.env_files.is_empty() {
        vec![(project_dir.join(".env"), false)]
    } else {
        opts.env_files
            .iter()
            .map(|f| (super::context::normalize(&cwd.join(f)), true))
            .collect()
    };
    let env = read_env_files(&mut ctx, &env_files, &process_env)?;
    ctx.env = env.clone();

    let mut root = Node::new(Value::Map(Vec::new()), Pos::default());
    let mut unreadable = false;
    for (path, text) in inputs {
        match read_tree(&mut ctx, path, project_dir.clone(), text, &env) {
            Some(tree) => merge_root(&mut root, tree),
            None => unreadable = true,
        }
    }
    // A file that is not even YAML makes every later check noise; other problems are all
    // collected and reported together at the end.
    if unreadable {
        bail(&mut ctx)?;
    }
    super::include::resolve_includes(&mut ctx, &mut root, &env, &mut Vec::new());
    super::extends::resolve_extends(&mut ctx, &mut root, &env);
    assemble(&mut ctx, opts, root, &env, &project_dir)
}

/// Build args written without a value (`args: [VERSION]`) take it from the environment and
/// `.env`, as compose does; those set nowhere are left out.
fn fill_build_args(project: &mut Project, env: &HashMap<String, String>) {
    for build in project
        .services
        .values_mut()
        .filter_map(|s| s.build.as_mut())
    {
        build.args = std::mem::take(&mut build.args)
            .into_iter()
            .filter_map(|(k, v)| match v {
                Some(v) => Some((k, Some(v))),
                None => env.get(&k).map(|v| (k, Some(v.clone()))),
            })
            .collect();
    }
}

/// Leaves out the networks, volumes, secrets and configs that no enabled service uses, as
/// compose does: they are neither printed nor created.
fn drop_unused(project: &mut Project) {
    let services = &project.services;
    project
        .networks
        .retain(|key, _| services.values().any(|s| s.networks.contains_key(key)));
    project.volumes.retain(|key, _| {
        services.values().any(|s| {
            s.volumes.iter().any(|m| {
                m.kind == super::model::VolumeKind::Volume && m.source.as_deref() == Some(key)
            })
        })
    });
    project.secrets.retain(|key, _| {
        services
            .values()
            .any(|s| s.secrets.iter().any(|r| &r.source == key))
    });
    project.configs.retain(|key, _| {
        services
            .values()
            .any(|s| s.configs.iter().any(|r| &r.source == key))
    });
}

/// `myApp 2` -> `myapp2`, as compose normalizes folder names: lowercase letters, digits,
/// dashes and underscores, starting with a letter or digit; `dockhand` when nothing is left.
pub fn normalize_project_name(name: &str) -> String {
    let name = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect::<String>()
        .trim_start_matches(['_', '-'])
        .to_string();
    if name.is_empty() {
        "dockhand".into()
    } else {
        name
    }
}

fn valid_project_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Turns the merged tree into a [`Project`]: profiles, conversion, default network, checks.
fn assemble(
    ctx: &mut Ctx,
    opts: &LoadOptions,
    root: Node,
    env: &HashMap<String, String>,
    project_dir: &Path,
) -> Result<Project, LoadError> {
    let mut project = Project {
        working_dir: project_dir.to_path_buf(),
        files: ctx
            .sources
            .iter()
            .filter(|s| {
                s.path
                    .extension()
                    .is_some_and(|e| e == "yml" || e == "yaml")
            })
            .map(|s| s.path.clone())
            .collect(),
        ..Project::default()
    };
    for (k, v) in root.map().map(Vec::as_slice).unwrap_or(&[]) {
        if k.name.starts_with("x-") {
            project.extensions.insert(k.name.clone(), v.to_json());
        }
    }
    if root.get("version").is_some() {
        ctx.warn_once("the top-level `version` key is obsolete and ignored".into());
    }
    // Project name.
    let explicit = opts.project_name.clone().or_else(|| {
        env.get("COMPOSE_PROJECT_NAME")
            .filter(|s| !s.is_empty())
            .cloned()
    });
    let from_file = root
        .get("name")
        .and_then(|n| n.str().map(|s| (s.to_string(), n.pos)));
    project.name = match (explicit, from_file) {
        (Some(n), _) => {
            if !valid_project_name(&n) {
                return Err(LoadError::Invalid(vec![ctx.diagnostic(
                    Pos::default(),
                    "",
                    format!("invalid project name \"{n}\": use lowercase letters, digits, dashes and underscores, starting with a letter or digit"),
                    None,
                )]));
            }
            n
        }
        (None, Some((n, pos))) => {
            if !valid_project_name(&n) {
                ctx.error_hint(
                    pos,
                    "name",
                    format!("invalid project name \"{n}\""),
                    "use lowercase letters, digits, dashes and underscores, starting with a letter or digit",
                );
            }
            n
        }
        (None, None) => normalize_project_name(
            &project_dir
                .file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default(),
        ),
    };

    // Profiles.
    let mut active: HashSet<String> = if opts.profiles.is_empty() {
        env.get("COMPOSE_PROFILES")
            .map(|s| {
                s.split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        opts.profiles.iter().cloned().collect()
    };
    let empty = Node::new(Value::Map(Vec::new()), Pos::default());
    let raw_services = root.get("services").unwrap_or(&empty);
    let all_names: Vec<String> = raw_services
        .map()
        .map(|m| m.iter().map(|(k, _)| k.name.clone()).collect())
        .unwrap_or_default();
    for wanted in &opts.enable_services {
        if !all_names.contains(wanted) {
            return Err(LoadError::NoSuchService {
                name: wanted.clone(),
                known: all_names.clone(),
            });
        }
    }
    let lookup = |k: &str| env.get(k).cloned();
    let mut services = Vec::new();
    if raw_services.map().is_none() && !raw_services.is_null() {
        ctx.error(
            raw_services.pos,
            "services",
            format!("must be a mapping, found {}", raw_services.kind_name()),
        );
    }
    for (k, v) in raw_services.map().map(Vec::as_slice).unwrap_or(&[]) {
        // The schema check has reported it already.
        if !valid_service_name(&k.name) {
            continue;
        }
        // Whole-service problems point at the service's name.
        let svc = ctx.service(&k.name, k.pos, v, &lookup);
        services.push(svc);
    }
    for svc in &services {
        if opts.enable_services.contains(&svc.name) {
            active.extend(svc.profiles.iter().cloned());
        }
    }
    let all_profiles = active.contains("*");
    let mut disabled = HashSet::new();
    for svc in services {
        let on = svc.profiles.is_empty()
            || all_profiles
            || svc.profiles.iter().any(|p| active.contains(p))
            || opts.enable_services.contains(&svc.name);
        if on {
            project.services.insert(svc.name.clone(), svc);
        } else {
            disabled.insert(svc.name.clone());
        }
    }

    if let Some(n) = root.get("networks") {
        project.networks = ctx.networks(n);
    }
    if let Some(n) = root.get("volumes") {
        project.volumes = ctx.volumes(n);
    }
    if let Some(n) = root.get("secrets") {
        project.secrets = ctx.file_objects(n, "secrets");
    }
    if let Some(n) = root.get("configs") {
        project.configs = ctx.file_objects(n, "configs");
    }
    ctx.read_environment_values(&mut project);
    // Keys of the schema we accept and ignore at the top level.
    if root.get("models").is_some() {
        ctx.warn_once("top-level key `models` is accepted but not acted on by dockhand".into());
    }
    ctx.default_network(&mut project);
    ctx.read_dockhand(&mut project, raw_services);
    ctx.validate(&project, raw_services, &disabled);
    bail(ctx)?;
    fill_build_args(&mut project, env);
    drop_unused(&mut project);
    project.warnings = std::mem::take(&mut ctx.warnings);
    Ok(project)
}
