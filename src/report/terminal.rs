//! The board drawn with indicatif: a spinner line per row at the bottom of the terminal, and
//! dockhand's messages and the test command's output printed above it, never through it.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use console::{Style, Term};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

use super::board::{Board, Mark, RowView, seconds};
use super::event::Event;

/// How often a busy row's spinner and time move on.
const TICK: Duration = Duration::from_millis(100);

/// The spinner's frames; the last one is shown once a spinner stops.
const FRAMES: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", " "];

/// Standard error as indicatif's drawing surface. Its own (unlike indicatif's `stderr()`, which
/// hides itself away from a terminal) so `--progress tty` draws anywhere; and a failed write (a
/// terminal gone with SIGHUP) is dropped here rather than failing the run.
#[derive(Debug)]
struct Screen(Term);

impl Screen {
    /// The terminal's rows and columns; away from one (`--progress tty` into a file), 24 rows
    /// of `COLUMNS` or 80 columns. indicatif fills each line to this width and lets the
    /// terminal wrap, so it must be right.
    fn size(&self) -> (u16, u16) {
        self.0.size_checked().unwrap_or_else(|| {
            let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
            (24, columns.filter(|c| *c > 0).unwrap_or(80))
        })
    }
}

impl TermLike for Screen {
    fn width(&self) -> u16 {
        self.size().1
    }

    fn height(&self) -> u16 {
        self.size().0
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        let _ = self.0.move_cursor_up(n);
        Ok(())
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        let _ = self.0.move_cursor_down(n);
        Ok(())
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        let _ = self.0.move_cursor_right(n);
        Ok(())
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        let _ = self.0.move_cursor_left(n);
        Ok(())
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        let _ = self.0.write_line(s);
        Ok(())
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        let _ = self.0.write_str(s);
        Ok(())
    }

    fn clear_line(&self) -> io::Result<()> {
        let _ = self.0.clear_line();
        Ok(())
    }

    fn flush(&self) -> io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}

/// The colours of the board, or none at all.
#[derive(Debug, Clone, Copy)]
struct Paint {
    on: bool,
}

impl Paint {
    fn apply(self, style: Style, text: &str) -> String {
        if self.on {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }
}

/// A row's line on the screen.
#[derive(Debug)]
struct Line {
    bar: ProgressBar,
    ticking: bool,
}

/// The board on standard error: the rows' state, and the indicatif lines that show it.
#[derive(Debug)]
pub struct Live {
    board: Board,
    lines: Vec<Line>,
    width: usize,
    multi: MultiProgress,
    paint: Paint,
}

impl Live {
    /// A board drawn on standard error, in colour or without.
    pub fn new(colour: bool) -> Live {
        let screen = Screen(Term::buffered_stderr());
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(screen), 20);
        Live {
            board: Board::default(),
            lines: Vec::new(),
            width: 0,
            multi: MultiProgress::with_draw_target(target),
            paint: Paint { on: colour },
        }
    }

    /// The lines' owner: to print above them.
    pub fn multi(&self) -> &MultiProgress {
        &self.multi
    }

    /// A message above the board: `dockhand: TEXT`.
    pub fn message(&self, text: &str) -> String {
        format!(
            "{} {text}",
            self.paint.apply(Style::new().blue().bold(), "dockhand:")
        )
    }

    /// Moves the board on by one event.
    pub fn event(&mut self, event: &Event<'_>) {
        let now = Instant::now();
        let changed = self.board.apply(event, now);
        self.show(changed, now);
    }

    /// Ends every busy row and leaves the board on the screen as it is, never to be drawn
    /// again (what is printed next goes below it); a later event starts a new board.
    pub fn finish(&mut self) {
        let now = Instant::now();
        let changed = self.board.settle(now);
        self.show(changed, now);
        // Finished and dropped, indicatif keeps a bar's line as it is and draws it no more.
        for line in self.lines.drain(..) {
            line.bar.disable_steady_tick();
            line.bar.finish();
        }
        self.board = Board::default();
        self.width = 0;
    }

    fn show(&mut self, changed: Vec<usize>, now: Instant) {
        // A longer name moves every row's state to the right.
        let width = self.board.name_width();
        let rows: Vec<usize> = if width != self.width {
            self.width = width;
            (0..self.board.len()).collect()
        } else {
            changed
        };
        for i in rows {
            let view = self.board.view(i, now);
            if i >= self.lines.len() {
                let bar = self.multi.add(ProgressBar::new_spinner());
                self.lines.push(Line {
                    bar,
                    ticking: false,
                });
            }
            let line = &mut self.lines[i];
            line.bar.set_style(style(&view, self.paint));
            line.bar.set_message(text(&view, self.paint));
            let busy = view.mark == Mark::Busy;
            if busy && !line.ticking {
                line.bar.enable_steady_tick(TICK);
            } else if !busy && line.ticking {
                line.bar.disable_steady_tick();
            }
            line.ticking = busy;
            line.bar.tick();
        }
    }
}

/// A busy row: the spinner, the row, the time so far counted from the state's start. A finished
/// one: its mark and its whole line, the time frozen.
fn style(view: &RowView, paint: Paint) -> ProgressStyle {
    if view.mark != Mark::Busy {
        return ProgressStyle::with_template("{msg}").expect("a valid template");
    }
    let since = view.since;
    let frames: Vec<String> = FRAMES
        .iter()
        .map(|f| paint.apply(Style::new().cyan(), f))
        .collect();
    let frames: Vec<&str> = frames.iter().map(String::as_str).collect();
    ProgressStyle::with_template("{spinner} {msg} {time}")
        .expect("a valid template")
        .tick_strings(&frames)
        .with_key(
            "time",
            move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&seconds(since.elapsed()));
            },
        )
}

/// The message a row's style shows: a busy row's name and state (the spinner line adds the
/// time), a finished row's mark and whole line.
fn text(view: &RowView, paint: Paint) -> String {
    let (mark, style) = match view.mark {
        Mark::Busy => return view.head(),
        Mark::Done => ("✔", Style::new().green()),
        Mark::Failed => ("✘", Style::new().red()),
        Mark::Ended => ("•", Style::new().dim()),
    };
    let line = match view.mark {
        Mark::Failed => paint.apply(style.clone(), &view.line()),
        _ => view.line(),
    };
    format!("{} {line}", paint.apply(style, mark))
}

/// Writes the test command's output to standard output with the board out of the way.
pub fn write_above(multi: &MultiProgress, bytes: &[u8]) {
    multi.suspend(|| {
        let mut out = io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(mark: Mark, elapsed: Option<Duration>) -> RowView {
        RowView {
            name: "db   ".into(),
            state: "ready (postgres protocol)".into(),
            elapsed,
            since: Instant::now(),
            mark,
        }
    }

    #[test]
    fn finished_rows_carry_their_mark_and_frozen_time() {
        let off = Paint { on: false };
        let done = view(Mark::Done, Some(Duration::from_millis(1300)));
        assert_eq!(text(&done, off), "✔ db     ready (postgres protocol) 1.3s");
        assert_eq!(
            text(&view(Mark::Failed, None), off),
            "✘ db     ready (postgres protocol)"
        );
        // A busy row's time is the spinner line's own, counted while it is drawn.
        assert_eq!(
            text(&view(Mark::Busy, Some(Duration::ZERO)), off),
            "db     ready (postgres protocol)"
        );
    }

    #[test]
    fn colour_only_when_asked_for() {
        let done = view(Mark::Done, Some(Duration::from_millis(1300)));
        assert!(!text(&done, Paint { on: false }).contains('\x1b'));
        let coloured = text(&done, Paint { on: true });
        assert!(coloured.contains("\x1b[32m✔"), "{coloured:?}");
        let message = Live::new(false).message("logs saved in /tmp/x");
        assert_eq!(message, "dockhand: logs saved in /tmp/x");
    }
}
