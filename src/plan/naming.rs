//! Names on the engine: images, containers, networks and volumes, each with the run's suffix
//! where two runs of one file must not collide.

use crate::compose::Service;

/// The image a service runs: its `image:` (with `tag` replacing the tag of built images), or
/// `<project>-<service>` for a build without `image:`. The flag says whether the tag was chosen
/// on purpose rather than a `latest` another build or pull can move.
pub fn image_reference(base_project: &str, service: &Service, tag: Option<&str>) -> (String, bool) {
    let built = service.build.is_some();
    let (repo, file_tag) = match &service.image {
        Some(image) => split_tag(image),
        None => (format!("{base_project}-{}", service.name), None),
    };
    match (tag.filter(|_| built), file_tag) {
        (Some(t), _) => (format!("{repo}:{t}"), true),
        (None, Some(t)) => (format!("{repo}:{t}"), t != "latest"),
        (None, None) => (format!("{repo}:latest"), false),
    }
}

/// Splits `repo[:tag][@digest]` into repo and tag, minding registry ports (`host:5000/x`).
pub fn split_tag(image: &str) -> (String, Option<String>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_slash = without_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match without_digest[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (
                without_digest[..at].to_string(),
                Some(without_digest[at + 1..].to_string()),
            )
        }
        None => (without_digest.to_string(), None),
    }
}

/// The container of `service` in the run's project `project` (the name with the run suffix).
/// A `container_name` is global on the engine: it gets the run's suffix so runs never collide.
pub fn container_name(project: &str, run_id: &str, service: &Service) -> String {
    match &service.container_name {
        Some(cn) => format!("{cn}-{run_id}"),
        None => format!("{project}-{}-1", service.name),
    }
}

/// A network's engine name: its `name:`, the key for an external one, else `<project>_<key>`.
pub fn network_name(project: &str, key: &str, name: Option<&str>, external: bool) -> String {
    match (name, external) {
        (Some(n), _) => n.to_string(),
        (None, true) => key.to_string(),
        (None, false) => format!("{project}_{key}"),
    }
}

/// A volume's engine name. A `name:` is made unique to the run unless the volume is external:
/// two runs at once must not share state.
pub fn volume_name(
    project: &str,
    run_id: &str,
    key: &str,
    name: Option<&str>,
    external: bool,
) -> String {
    match (name, external) {
        (Some(n), true) => n.to_string(),
        (None, true) => key.to_string(),
        (Some(n), false) => format!("{n}-{run_id}"),
        (None, false) => format!("{project}_{key}"),
    }
}

/// The name of a one-off container of `service`: unique among the run's containers.
pub fn one_off_name(project: &str, service: &str) -> String {
    format!(
        "{project}-{service}-run-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        let built = Service {
            name: "app".into(),
            build: Some(Default::default()),
            ..Default::default()
        };
        let pulled = Service {
            name: "db".into(),
            image: Some("postgres:15".into()),
            ..Default::default()
        };
        assert_eq!(
            image_reference("shop", &built, None),
            ("shop-app:latest".into(), false)
        );
        assert_eq!(
            image_reference("shop", &built, Some("9f1c2e")),
            ("shop-app:9f1c2e".into(), true)
        );
        // --tag applies to built images only; a pulled image keeps its own tag.
        assert_eq!(
            image_reference("shop", &pulled, Some("9f1c2e")),
            ("postgres:15".into(), true)
        );
        assert_eq!(
            split_tag("registry:5000/team/app"),
            ("registry:5000/team/app".into(), None)
        );
        assert_eq!(
            split_tag("registry:5000/app:1.2"),
            ("registry:5000/app".into(), Some("1.2".into()))
        );
        assert_eq!(split_tag("app@sha256:abc"), ("app".into(), None));
    }

    #[test]
    fn names_of_networks_and_volumes() {
        assert_eq!(network_name("p-1", "back", None, false), "p-1_back");
        assert_eq!(network_name("p-1", "back", None, true), "back");
        assert_eq!(network_name("p-1", "back", Some("shared"), false), "shared");
        assert_eq!(volume_name("p-1", "1", "data", Some("pg"), false), "pg-1");
        assert_eq!(volume_name("p-1", "1", "data", Some("pg"), true), "pg");
        assert_eq!(volume_name("p-1", "1", "data", None, true), "data");
        assert_eq!(volume_name("p-1", "1", "data", None, false), "p-1_data");
        assert!(one_off_name("p-1", "app").starts_with("p-1-app-run-"));
    }
}
