//! The plan as text, one line an operation in the order they run: what `--dry-run` prints.

use std::fmt;

use super::spec::{Health, ImageSource, PullPolicy, ServicePlan, StackPlan, Until};

impl Until {
    /// The condition as compose spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Until::Started => "service_started",
            Until::Healthy => "service_healthy",
            Until::CompletedSuccessfully => "service_completed_successfully",
        }
    }
}

/// When the service counts as ready, as a phrase.
fn readiness(s: &ServicePlan) -> &'static str {
    match &s.container.health {
        Health::Disabled => "ready once running",
        Health::Set(h) if h.test.is_some() => "ready once healthy",
        _ => "ready once healthy if its image has a healthcheck, else once running",
    }
}

impl StackPlan {
    /// The image lines: what is built, and what must be present or pulled.
    fn fmt_images(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in self.services.values() {
            let image = &s.image.reference;
            match &s.image.source {
                ImageSource::Build(b) => writeln!(
                    f,
                    "build {image} for {} from {}",
                    s.name,
                    b.context.display()
                )?,
                ImageSource::Pull(PullPolicy::Never) => {
                    writeln!(f, "use image {image} for {} (never pulled)", s.name)?
                }
                ImageSource::Pull(PullPolicy::Missing) => {
                    writeln!(f, "use image {image} for {} (pulled if missing)", s.name)?
                }
                ImageSource::Pull(PullPolicy::Always) => {
                    writeln!(f, "pull image {image} for {} (pull_policy: always)", s.name)?
                }
            }
        }
        Ok(())
    }

    /// The start of one service: its container, what it waits for, when it is ready.
    fn fmt_start(&self, f: &mut fmt::Formatter<'_>, s: &ServicePlan) -> fmt::Result {
        write!(f, "  start {} ({})", s.container.name, s.image.reference)?;
        if !s.waits.is_empty() {
            let waits: Vec<String> = s
                .waits
                .iter()
                .map(|w| format!("{} {}", w.service, w.until.as_str()))
                .collect();
            write!(f, " after {}", waits.join(", "))?;
        }
        writeln!(f, "; {}", readiness(s))
    }
}

impl StackPlan {
    /// The plan of a `dockhand test` run: the stack without `service`, then the test command in
    /// a one-off container of `service`, then the teardown (or the stack left up).
    pub fn describe_test(&self, service: &str, command: &str, keep: bool) -> String {
        struct Test<'a>(&'a StackPlan, &'a str);
        impl fmt::Display for Test<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_stack(f, Some(self.1))
            }
        }
        let mut text = Test(self, service).to_string();
        if let Some(s) = self.services.get(service) {
            text.push_str(&format!(
                "run the test command in a one-off container of {service} ({})",
                s.image.reference
            ));
            if !s.waits.is_empty() {
                let waits: Vec<String> = s
                    .waits
                    .iter()
                    .map(|w| format!("{} {}", w.service, w.until.as_str()))
                    .collect();
                text.push_str(&format!(" after {}", waits.join(", ")));
            }
            text.push_str(&format!(": {command}\n"));
        }
        if keep {
            text.push_str(&format!(
                "leave the stack up (remove it with `dockhand down -p {}`)\n",
                self.project
            ));
        } else {
            let hooked: Vec<&str> = self
                .services
                .values()
                .filter(|s| s.name != service && !s.container.pre_stop.is_empty())
                .map(|s| s.name.as_str())
                .collect();
            if !hooked.is_empty() {
                text.push_str(&format!(
                    "run the pre_stop hooks of {}\n",
                    hooked.join(", ")
                ));
            }
            text.push_str(&format!(
                "remove everything labelled {}={}\n",
                crate::labels::RUN,
                self.run.id
            ));
        }
        text
    }

    /// The stack's operations; `without` is left out of the start levels.
    fn fmt_stack(&self, f: &mut fmt::Formatter<'_>, without: Option<&str>) -> fmt::Result {
        writeln!(f, "project {} (run {})", self.project, self.run.id)?;
        self.fmt_images(f)?;
        let resources = self
            .networks
            .iter()
            .map(|n| ("network", n.external, &n.name))
            .chain(self.volumes.iter().map(|v| ("volume", v.external, &v.name)));
        for (kind, external, name) in resources {
            let verb = if external { "use" } else { "create" };
            writeln!(f, "{verb} {kind} {name}")?;
        }
        let levels = self
            .levels
            .iter()
            .map(|l| {
                l.iter()
                    .filter(|s| Some(s.as_str()) != without)
                    .collect::<Vec<_>>()
            })
            .filter(|l| !l.is_empty());
        for (i, level) in levels.enumerate() {
            writeln!(f, "level {} (in parallel):", i + 1)?;
            for name in level {
                self.fmt_start(f, &self.services[name])?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for StackPlan {
    /// The plan as text: one line an operation, in the order they run.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_stack(f, None)
    }
}
