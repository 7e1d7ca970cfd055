//! The one network driver of every viewer front end (the window and the headless viewer): it
//! runs the connection, hands what changed to the front end, sends the front end's input and
//! sizes, and resumes a dropped session with backoff ([`crate::resume`]). Front ends only
//! decide what to show and what to send.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::{InputMessage, Rect};

use crate::connection::{ConnectError, ConnectOptions, Viewer, ViewerError};
use crate::resume::{Resumer, resumable};

/// What a front end asks of the session.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// An input event. Input while the connection is down is dropped, not replayed later.
    Input(InputMessage),
    /// Another output size (the window's, once it stopped changing).
    Resize(OutputMode),
    /// The desk display's refresh rate in millihertz (the window's monitor).
    Refresh(u32),
}

/// What the driver does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Go on, after sending these input events.
    Continue(Vec<InputMessage>),
    /// Stop and leave the session politely.
    Stop,
}

/// A viewer front end: what it shows and sends.
pub trait Frontend {
    /// The session changed: these rectangles of `viewer.framebuffer` (none: the cursor).
    fn changed(&mut self, viewer: &Viewer, rects: Vec<Rect>) -> Step;
    /// Called every [`Frontend::tick_interval`].
    fn tick(&mut self, viewer: &Viewer) -> Step;
    /// How often [`Frontend::tick`] runs.
    fn tick_interval(&self) -> Duration;
    /// The connection dropped and is being resumed (`true`), or was resumed (`false`).
    fn resuming(&mut self, resuming: bool);
    /// A resumed connection replaces `old` (its counts end here).
    fn replaced(&mut self, old: &Viewer) {
        let _ = old;
    }
}

/// Why the driver stopped for good.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// The connection ended and could not or must not be resumed.
    #[error(transparent)]
    Ended(#[from] ViewerError),
    /// Resuming failed for good.
    #[error(transparent)]
    Resume(#[from] ConnectError),
}

impl DriveError {
    /// What the person can do next.
    pub fn help(&self) -> String {
        match self {
            DriveError::Ended(err) => crate::advice::after_end(err).to_owned(),
            DriveError::Resume(err) => crate::advice::after_connect(err),
        }
    }
}

/// Runs a viewer for a front end.
#[derive(Debug)]
pub struct Driver {
    /// The connection now.
    pub viewer: Viewer,
    resume: Option<(ConnectOptions, Duration)>,
    resumer: Option<Resumer>,
    deadline: Option<Instant>,
    /// Connections resumed so far.
    pub reconnects: u32,
}

impl Driver {
    /// Drives `viewer`, resuming a dropped connection with these options for at most this
    /// long; stops at `deadline` when one is given (resuming included).
    pub fn new(
        viewer: Viewer,
        resume: Option<(ConnectOptions, Duration)>,
        deadline: Option<Instant>,
    ) -> Self {
        let resumer = resume.as_ref().map(|(_, limit)| Resumer::new(*limit));
        Self {
            viewer,
            resume,
            resumer,
            deadline,
            reconnects: 0,
        }
    }

    /// Runs until the front end stops, its requests end, the deadline passes, or the
    /// connection ends for good. Leaves the session politely when it was not lost.
    pub async fn run(
        &mut self,
        requests: &mut mpsc::Receiver<Request>,
        frontend: &mut impl Frontend,
    ) -> Result<(), DriveError> {
        let mut mode = None;
        let mut refresh = None;
        loop {
            let err = match self
                .serve(requests, frontend, &mut mode, &mut refresh)
                .await
            {
                Ok(()) => return Ok(()),
                Err(err) => err,
            };
            let (Some((options, _)), Some(resumer)) = (&self.resume, self.resumer.as_mut()) else {
                return Err(err.into());
            };
            if !resumable(&err) {
                return Err(err.into());
            }
            tracing::warn!(%err, "connection lost; resuming the session");
            frontend.resuming(true);
            let mut options = options.clone();
            // Ask for the size the front end has now.
            options.preferred_mode = mode.or(options.preferred_mode);
            options.refresh_millihertz = refresh.or(options.refresh_millihertz);
            let attempt = resumer.resume(&options, |e| {
                tracing::info!(%e, "resuming failed; trying again");
            });
            tokio::pin!(attempt);
            let next = loop {
                tokio::select! {
                    result = &mut attempt => break result?,
                    request = requests.recv() => match request {
                        Some(Request::Resize(m)) => mode = Some(m),
                        Some(Request::Refresh(r)) => refresh = Some(r),
                        Some(Request::Input(_)) => {}
                        None => return Ok(()),
                    },
                    () = sleep_until(self.deadline) => return Ok(()),
                }
            };
            frontend.replaced(&self.viewer);
            // Latencies measured so far stay in the figures.
            let stats = std::mem::take(&mut self.viewer.stats);
            self.viewer = next;
            self.viewer.stats = stats;
            self.reconnects += 1;
            frontend.resuming(false);
        }
    }

    /// One connection until it ends: `Ok` when the front end or the deadline stopped it.
    async fn serve(
        &mut self,
        requests: &mut mpsc::Receiver<Request>,
        frontend: &mut impl Frontend,
        mode: &mut Option<OutputMode>,
        refresh: &mut Option<u32>,
    ) -> Result<(), ViewerError> {
        let viewer = &mut self.viewer;
        let mut tick = tokio::time::interval(frontend.tick_interval());
        loop {
            let step = tokio::select! {
                update = viewer.next_update() => frontend.changed(viewer, update?),
                request = requests.recv() => match request {
                    Some(Request::Input(event)) => Step::Continue(vec![event]),
                    Some(Request::Resize(m)) => {
                        *mode = Some(m);
                        viewer.resize(m).await?;
                        continue;
                    }
                    Some(Request::Refresh(r)) => {
                        *refresh = Some(r);
                        viewer.report_refresh(r)?;
                        continue;
                    }
                    None => Step::Stop,
                },
                _ = tick.tick() => frontend.tick(viewer),
                () = sleep_until(self.deadline) => Step::Stop,
            };
            match step {
                Step::Continue(events) => {
                    for event in &events {
                        viewer.send_input(event).await?;
                    }
                }
                Step::Stop => return Ok(()),
            }
        }
    }

    /// Leaves the session politely.
    pub async fn disconnect(self) {
        self.viewer.disconnect().await;
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
