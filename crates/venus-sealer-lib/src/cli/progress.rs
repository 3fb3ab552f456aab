//! A progress line for parameter generation: one opaque call that can take
//! 20 minutes, so the display shows elapsed time against the measured estimate.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::params::ParamEvent;

/// Renders [`ParamEvent`]s on stderr, with a ticker while generating.
pub(super) struct ParamDisplay {
    ticker: Mutex<Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>>,
}

fn mmss(d: Duration) -> String {
    format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
}

impl ParamDisplay {
    pub(super) fn new() -> Self {
        Self {
            ticker: Mutex::new(None),
        }
    }

    pub(super) fn event(&self, event: ParamEvent) {
        match event {
            ParamEvent::Ready(c) => eprintln!("{c}: files present, digests match"),
            ParamEvent::Waiting(c) => {
                eprintln!("{c}: another process is generating these; waiting for it")
            }
            ParamEvent::Invalid { circuit, reason } => {
                eprintln!("{circuit}: {reason}; generating")
            }
            ParamEvent::Generating { circuit, estimate } => {
                let label = circuit.to_string();
                self.start(label, estimate)
            }
            ParamEvent::Generated {
                circuit,
                elapsed,
                bytes,
            } => {
                self.stop();
                eprintln!(
                    "{circuit}: generated {:.1} MB in {}",
                    bytes as f64 / 1e6,
                    mmss(elapsed)
                );
            }
        }
    }

    fn start(&self, label: String, estimate: Option<Duration>) {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let tty = std::io::stderr().is_terminal();
        let every = if tty {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(30)
        };
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            let mut last = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if last.elapsed() < every {
                    continue;
                }
                last = Instant::now();
                let of = estimate
                    .map(|e| format!(" of about {} (measured on 2 cores)", mmss(e)))
                    .unwrap_or_default();
                let line = format!("{label}: generating, {}{of}", mmss(started.elapsed()));
                let mut err = std::io::stderr().lock();
                let _ = if tty {
                    write!(err, "\r{line}")
                } else {
                    writeln!(err, "{line}")
                };
                let _ = err.flush();
            }
            if tty {
                let _ = writeln!(std::io::stderr());
            }
        });
        eprintln!("generating Groth parameters locally (random toxic waste, devnet only)");
        if let Ok(mut t) = self.ticker.lock() {
            *t = Some((stop, handle));
        }
    }

    fn stop(&self) {
        let taken = self.ticker.lock().ok().and_then(|mut t| t.take());
        if let Some((stop, handle)) = taken {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}

impl Drop for ParamDisplay {
    fn drop(&mut self) {
        self.stop();
    }
}
