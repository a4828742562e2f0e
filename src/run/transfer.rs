//! Pulls and pushes with progress: the engine's messages tallied per layer into the console's
//! events (a live line on a terminal, a line per finished layer otherwise).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::engine::{Engine, EngineError, TransferUpdate};
use crate::report::{Event, Reporter, Transfer};

/// How often the live line may be redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// What a message did to the tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing a person needs to see.
    Nothing,
    /// Layers were announced or bytes moved.
    Moved,
    /// A layer finished: its id when known, and how.
    LayerDone(Option<String>, String),
}

/// The layers of one pull or push, as the engine's messages tell them.
#[derive(Debug, Default)]
pub struct Tally {
    /// Layers by id: bytes moved, bytes in all, finished.
    layers: HashMap<String, (u64, u64, bool)>,
    /// Layers announced without an id (pushes).
    anonymous: usize,
    /// Finished layers without an id.
    anonymous_done: usize,
}

impl Tally {
    /// Takes one message in.
    pub fn update(&mut self, u: &TransferUpdate<'_>) -> Step {
        let status = u.status;
        let finished = is_finished(status);
        let moving = matches!(status, "Downloading" | "Pushing");
        let announced = matches!(status, "Pulling fs layer" | "Waiting" | "Preparing");
        if !(finished || moving || announced) {
            return Step::Nothing;
        }
        let Some(id) = u.layer else {
            // The engine names no layer in pushes: count them by their messages.
            if status == "Preparing" {
                self.anonymous += 1;
            }
            if finished {
                self.anonymous_done += 1;
                return Step::LayerDone(None, status.to_string());
            }
            return Step::Moved;
        };
        let layer = self.layers.entry(id.to_string()).or_default();
        if moving {
            layer.0 = u.current.unwrap_or(layer.0);
            layer.1 = u.total.unwrap_or(layer.1);
        }
        if finished && !layer.2 {
            layer.2 = true;
            layer.0 = layer.1;
            return Step::LayerDone(Some(id.to_string()), status.to_string());
        }
        Step::Moved
    }

    /// Layers finished, and layers seen.
    pub fn layers(&self) -> (usize, usize) {
        let done = self.layers.values().filter(|l| l.2).count() + self.anonymous_done;
        let seen = self.layers.len() + self.anonymous.max(self.anonymous_done);
        (done, seen)
    }

    /// Bytes moved and bytes to move over the layers whose size is known, if any is.
    pub fn bytes(&self) -> Option<(u64, u64)> {
        let sized = self.layers.values().filter(|l| l.1 > 0);
        let (moved, total) = sized.fold((0, 0), |(m, t), l| (m + l.0, t + l.1));
        (total > 0).then_some((moved, total))
    }
}

/// Whether a status ends a layer: pulled, found already there, pushed, or mounted from
/// another repository of the registry.
fn is_finished(status: &str) -> bool {
    matches!(
        status,
        "Pull complete" | "Already exists" | "Pushed" | "Layer already exists"
    ) || status.starts_with("Mounted from")
}

/// The console's side of one pull or push: the tally, and when the live line was last drawn.
struct Shown<'a> {
    service: &'a str,
    image: &'a str,
    kind: Transfer,
    reporter: &'a dyn Reporter,
    tally: Tally,
    /// When the live line was last drawn, and what it said.
    drawn: Option<(Instant, Progress)>,
}

/// What the live line says: layers done, layers seen, bytes.
type Progress = (usize, usize, Option<(u64, u64)>);

impl Shown<'_> {
    fn update(&mut self, u: TransferUpdate<'_>) {
        let step = self.tally.update(&u);
        let (layers_done, layers) = self.tally.layers();
        if let Step::LayerDone(layer, status) = &step {
            self.reporter.event(Event::LayerDone {
                service: self.service,
                image: self.image,
                kind: self.kind,
                layer: layer.as_deref(),
                status,
                layers_done,
                layers,
            });
        }
        let now: Progress = (layers_done, layers, self.tally.bytes());
        let due = match &self.drawn {
            None => true,
            Some((at, said)) => {
                *said != now
                    && (at.elapsed() >= REDRAW_EVERY || matches!(step, Step::LayerDone(..)))
            }
        };
        if step != Step::Nothing && due {
            self.drawn = Some((Instant::now(), now));
            self.reporter.event(Event::TransferProgress {
                service: self.service,
                image: self.image,
                kind: self.kind,
                layers_done,
                layers,
                bytes: now.2,
            });
        }
    }
}

/// Pulls `image` for `service`, showing its progress.
pub async fn pull(
    engine: &Engine,
    service: &str,
    image: &str,
    reporter: &dyn Reporter,
) -> Result<(), EngineError> {
    transfer(engine, service, image, Transfer::Pull, reporter).await
}

/// Pushes `image` (its own tag only) for `service`, showing its progress.
pub async fn push(
    engine: &Engine,
    service: &str,
    image: &str,
    reporter: &dyn Reporter,
) -> Result<(), EngineError> {
    transfer(engine, service, image, Transfer::Push, reporter).await
}

async fn transfer(
    engine: &Engine,
    service: &str,
    image: &str,
    kind: Transfer,
    reporter: &dyn Reporter,
) -> Result<(), EngineError> {
    let t0 = Instant::now();
    reporter.event(Event::TransferStarted {
        service,
        image,
        kind,
    });
    let mut shown = Shown {
        service,
        image,
        kind,
        reporter,
        tally: Tally::default(),
        drawn: None,
    };
    match kind {
        Transfer::Pull => engine.pull(service, image, |u| shown.update(u)).await?,
        Transfer::Push => engine.push(image, |u| shown.update(u)).await?,
    }
    reporter.event(Event::Transferred {
        service,
        image,
        kind,
        elapsed: t0.elapsed(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg<'a>(
        layer: Option<&'a str>,
        status: &'a str,
        progress: Option<(u64, u64)>,
    ) -> TransferUpdate<'a> {
        TransferUpdate {
            layer,
            status,
            current: progress.map(|p| p.0),
            total: progress.map(|p| p.1),
        }
    }

    #[test]
    fn a_pull_counts_its_layers_and_bytes_and_ends_each_once() {
        let mut t = Tally::default();
        // The tag's own line names no layer worth counting.
        assert_eq!(
            t.update(&msg(Some("abc123"), "Pulling from team/app", None)),
            Step::Nothing
        );
        assert_eq!(
            t.update(&msg(Some("l1"), "Already exists", None)),
            Step::LayerDone(Some("l1".into()), "Already exists".into())
        );
        assert_eq!(
            t.update(&msg(Some("l2"), "Pulling fs layer", None)),
            Step::Moved
        );
        t.update(&msg(Some("l3"), "Pulling fs layer", None));
        assert_eq!(t.layers(), (1, 3));
        t.update(&msg(Some("l2"), "Downloading", Some((500, 2000))));
        t.update(&msg(Some("l3"), "Downloading", Some((1000, 1000))));
        assert_eq!(t.bytes(), Some((1500, 3000)));
        // Extracting reports its own counts; they are not more bytes to download.
        t.update(&msg(Some("l2"), "Extracting", Some((10, 2000))));
        assert_eq!(t.bytes(), Some((1500, 3000)));
        assert_eq!(
            t.update(&msg(Some("l2"), "Pull complete", None)),
            Step::LayerDone(Some("l2".into()), "Pull complete".into())
        );
        assert_eq!(t.bytes(), Some((3000, 3000)));
        assert_eq!(
            t.update(&msg(None, "Digest: sha256:0123", None)),
            Step::Nothing
        );
        assert_eq!(t.layers(), (2, 3));
    }

    /// Keeps what each event would show.
    #[derive(Default)]
    struct Recorded(std::sync::Mutex<Vec<String>>);

    impl Reporter for Recorded {
        fn event(&self, event: Event<'_>) {
            let line = match event {
                Event::LayerDone {
                    layer,
                    layers_done,
                    layers,
                    ..
                } => format!("done {layer:?} {layers_done}/{layers}"),
                Event::TransferProgress {
                    layers_done,
                    layers,
                    bytes,
                    ..
                } => format!("progress {layers_done}/{layers} {bytes:?}"),
                other => format!("{other:?}"),
            };
            self.0.lock().unwrap().push(line);
        }
    }

    #[test]
    fn the_live_line_is_redrawn_only_when_it_changes_and_every_layer_ends_once() {
        let recorded = Recorded::default();
        let mut shown = Shown {
            service: "app",
            image: "r/app:1",
            kind: Transfer::Pull,
            reporter: &recorded,
            tally: Tally::default(),
            drawn: None,
        };
        shown.update(msg(Some("l1"), "Pulling fs layer", None));
        // The same numbers again, and then more bytes too soon after: nothing new to draw.
        shown.update(msg(Some("l1"), "Waiting", None));
        shown.update(msg(Some("l1"), "Downloading", Some((1, 10))));
        shown.update(msg(Some("l1"), "Pull complete", None));
        shown.update(msg(Some("l1"), "Pull complete", None));
        assert_eq!(
            *recorded.0.lock().unwrap(),
            [
                "progress 0/1 None",
                "done Some(\"l1\") 1/1",
                "progress 1/1 Some((10, 10))"
            ]
        );
    }

    #[test]
    fn a_push_counts_layers_by_their_messages() {
        let mut t = Tally::default();
        assert_eq!(
            t.update(&msg(
                None,
                "The push refers to repository [127.0.0.1:5000/team/app]",
                None
            )),
            Step::Nothing
        );
        for _ in 0..3 {
            t.update(&msg(None, "Preparing", None));
        }
        assert_eq!(
            t.update(&msg(None, "Pushing", Some((10, 100)))),
            Step::Moved
        );
        assert_eq!(
            t.update(&msg(None, "Layer already exists", None)),
            Step::LayerDone(None, "Layer already exists".into())
        );
        assert_eq!(
            t.update(&msg(None, "Mounted from team/base", None)),
            Step::LayerDone(None, "Mounted from team/base".into())
        );
        t.update(&msg(None, "Pushed", None));
        assert_eq!(t.layers(), (3, 3));
        assert_eq!(t.bytes(), None);
    }
}
