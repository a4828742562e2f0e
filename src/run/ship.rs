//! After a pass, the images the run built go to the registries their names name (`--push`),
//! each with its exact tag and the tags of `--also-tag`; the report says how each push went.

use std::time::Instant;

use super::error::RunError;
use super::transfer;
use crate::engine::Engine;
use crate::plan::{ImageSource, StackPlan, split_tag};
use crate::report::{Case, Problem, Reporter, RunRecord, Suite};
use crate::signal::Stop;
use crate::verdict::Verdict;

/// The images a run pushes after a pass: each built image's reference, and the further
/// references `--also-tag` gives it, by service. Empty without `--push`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shipment {
    /// `(service, image, further references)`, one entry per built image.
    images: Vec<(String, String, Vec<String>)>,
}

impl Shipment {
    /// What `push` (with `also_tags`) sends from `plan`: every image built for the run. An
    /// image whose tag nobody asked for (`latest`, or none) is refused before anything runs,
    /// so that `latest` is pushed only when it is the tag asked for.
    pub fn plan(push: bool, also_tags: &[String], plan: &StackPlan) -> Result<Shipment, RunError> {
        let mut images: Vec<(String, String, Vec<String>)> = Vec::new();
        if !push {
            return Ok(Shipment { images });
        }
        for sp in plan.services.values() {
            if !matches!(sp.image.source, ImageSource::Build(_)) {
                continue;
            }
            let image = &sp.image.reference;
            if !sp.image.tag_is_explicit {
                return Err(RunError::PushUnasked {
                    service: sp.name.clone(),
                    image: image.clone(),
                });
            }
            if images.iter().any(|(_, i, _)| i == image) {
                continue;
            }
            let (repo, tag) = split_tag(image);
            let mut further: Vec<String> = Vec::new();
            for t in also_tags {
                let reference = format!("{repo}:{t}");
                if tag.as_deref() != Some(t.as_str()) && !further.contains(&reference) {
                    further.push(reference);
                }
            }
            images.push((sp.name.clone(), image.clone(), further));
        }
        Ok(Shipment { images })
    }

    /// Every reference pushed, in order.
    #[cfg(test)]
    fn references(&self) -> Vec<&str> {
        self.images
            .iter()
            .flat_map(|(_, image, further)| std::iter::once(image).chain(further))
            .map(String::as_str)
            .collect()
    }

    /// After a run: when it passed, tags and pushes, recording a `push` suite in `record`. A
    /// failed push ends the shipment and turns the result into [`RunError::Push`]; a failed
    /// test or an error pushes nothing.
    pub async fn after(
        &self,
        result: Result<Verdict, RunError>,
        engine: &Engine,
        reporter: &dyn Reporter,
        stop: &Stop,
        record: &mut RunRecord,
    ) -> Result<Verdict, RunError> {
        let verdict = match result {
            Ok(v) if v.passed && !self.images.is_empty() => v,
            other => return other,
        };
        let t0 = Instant::now();
        let shipped = tokio::select! {
            r = self.ship(engine, reporter, record) => r,
            _ = stop.token().cancelled() => Err(RunError::stopped(stop)),
        };
        record.timings.push(("push".into(), t0.elapsed()));
        shipped.map(|()| verdict)
    }

    async fn ship(
        &self,
        engine: &Engine,
        reporter: &dyn Reporter,
        record: &mut RunRecord,
    ) -> Result<(), RunError> {
        let classname = format!("{}.push", record.project);
        let mut suite = Suite::named(&classname);
        let mut failed: Option<RunError> = None;
        for (service, image, further) in &self.images {
            for reference in std::iter::once(image).chain(further) {
                let mut case = Case::passed(format!("push {reference}"), &classname);
                if let Some(e) = &failed {
                    case.skipped = Some(format!("not pushed: {e}"));
                    suite.cases.push(case);
                    continue;
                }
                let t0 = Instant::now();
                let mut pushed = Ok(());
                if reference != image {
                    pushed = engine.tag(image, reference).await;
                }
                if pushed.is_ok() {
                    pushed = transfer::push(engine, service, reference, reporter).await;
                }
                case.time = Some(t0.elapsed());
                if let Err(e) = pushed {
                    let message = e.to_string();
                    case.problems
                        .push(Problem::failure(message.clone(), message));
                    failed = Some(RunError::Push {
                        image: reference.clone(),
                        source: Box::new(e),
                    });
                }
                suite.cases.push(case);
            }
        }
        record.suites.push(suite);
        failed.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::LoadOptions;
    use crate::plan::{PlanOptions, RunIdentity};

    fn plan(tag: Option<&str>) -> StackPlan {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yml");
        std::fs::write(
            &file,
            "services:\n  app:\n    build: .\n    image: 127.0.0.1:5000/team/app\n    depends_on: [db]\n  db:\n    image: redis:7\n  worker:\n    build: .\n    image: 127.0.0.1:5000/team/app\n",
        )
        .unwrap();
        let project = crate::compose::load(&LoadOptions {
            files: vec![file],
            project_name: Some("shop".into()),
            ..Default::default()
        })
        .unwrap();
        StackPlan::new(
            &project,
            RunIdentity::new(),
            &PlanOptions {
                services: project.services.keys().cloned().collect(),
                keep_host_ports: false,
                publish_all: false,
                tag: tag.map(String::from),
            },
        )
    }

    #[test]
    fn only_built_images_ship_once_each_with_their_further_tags() {
        let tags = [
            "stable".to_string(),
            "abc123".to_string(),
            "stable".to_string(),
        ];
        let shipment = Shipment::plan(true, &tags, &plan(Some("abc123"))).unwrap();
        assert_eq!(
            shipment.references(),
            [
                "127.0.0.1:5000/team/app:abc123",
                "127.0.0.1:5000/team/app:stable"
            ]
        );
        assert_eq!(
            Shipment::plan(false, &tags, &plan(Some("abc123"))).unwrap(),
            Shipment::default()
        );
    }

    #[test]
    fn latest_ships_only_when_asked_for() {
        let err = Shipment::plan(true, &[], &plan(None)).unwrap_err();
        assert_eq!(err.exit_code(), crate::run::exit::BAD_INPUT);
        assert!(
            err.to_string().contains("127.0.0.1:5000/team/app:latest"),
            "{err}"
        );
        let asked = Shipment::plan(true, &[], &plan(Some("latest"))).unwrap();
        assert_eq!(asked.references(), ["127.0.0.1:5000/team/app:latest"]);
    }
}
