//! wl_subsurface positions take effect with the parent's state, as the protocol says ("the
//! new position takes effect on the parent surface's next commit"). smithay keeps a position
//! in the subsurface's own pending state instead, so a desynchronized subsurface jumped at its
//! own commit (a video's subsurface ahead of the window it sits in) and a parent's commit
//! alone did not move it. Here `set_position` is kept aside on the subsurface, and the
//! parent's commit hands it over before smithay takes in that commit: into the subsurface's
//! pending state, which a synchronized subsurface's state (applied with the parent's) carries,
//! and for a desynchronized one into its current state as well. Every other subsurface request
//! goes to smithay, less stacking (`place_above`/`place_below`), which waits for the parent's
//! commit too (`stacking.rs`).

use std::sync::Mutex;

use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::protocol::wl_subsurface::{self, WlSubsurface};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle};
use smithay::utils::{Logical, Point};
use smithay::wayland::compositor::{
    CompositorHandler, CompositorState, SubsurfaceCachedState, SubsurfaceUserData,
    add_pre_commit_hook, get_children, get_parent, is_sync_subsurface, with_states,
};

use super::stacking;
use crate::session::state::State;

/// A position given with `set_position`, waiting for the parent's commit.
#[derive(Debug, Default)]
struct RequestedPosition(Mutex<Option<Point<i32, Logical>>>);

/// On a parent: its commit hook is installed.
#[derive(Debug, Default)]
struct PositionsHooked;

impl Dispatch<WlSubsurface, SubsurfaceUserData> for State {
    fn request(
        state: &mut State,
        client: &Client,
        resource: &WlSubsurface,
        request: wl_subsurface::Request,
        data: &SubsurfaceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        if let wl_subsurface::Request::SetPosition { x, y } = request {
            let scale = state.client_compositor_state(client).client_scale();
            // The client's coordinates (scaled for Xwayland's clients) as smithay takes them.
            let logical = |v: i32| (f64::from(v) / scale).round() as i32;
            requested(data.surface(), Point::from((logical(x), logical(y))));
            return;
        }
        let restack = match request {
            wl_subsurface::Request::PlaceAbove { ref sibling } => Some((sibling.clone(), true)),
            wl_subsurface::Request::PlaceBelow { ref sibling } => Some((sibling.clone(), false)),
            _ => None,
        };
        if let Some(restack) = restack {
            let surface = data.surface();
            stacking::requested(state, client, resource, surface, restack, dh, data_init);
            return;
        }
        <CompositorState as Dispatch<WlSubsurface, SubsurfaceUserData, State>>::request(
            state, client, resource, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut State,
        client: ClientId,
        resource: &WlSubsurface,
        data: &SubsurfaceUserData,
    ) {
        // A position its parent never took dies with the subsurface role.
        with_states(data.surface(), |states| {
            if let Some(mut slot) = states
                .data_map
                .get::<RequestedPosition>()
                .and_then(|r| r.0.lock().ok())
            {
                slot.take();
            }
        });
        <CompositorState as Dispatch<WlSubsurface, SubsurfaceUserData, State>>::destroyed(
            state, client, resource, data,
        );
    }
}

/// Keeps `location` for `subsurface` until its parent commits (the first time, the parent gets
/// the commit hook that hands positions over).
fn requested(subsurface: &WlSurface, location: Point<i32, Logical>) {
    with_states(subsurface, |states| {
        states
            .data_map
            .insert_if_missing_threadsafe(RequestedPosition::default);
        if let Some(mut slot) = states
            .data_map
            .get::<RequestedPosition>()
            .and_then(|r| r.0.lock().ok())
        {
            *slot = Some(location);
        }
    });
    let Some(parent) = get_parent(subsurface) else {
        return;
    };
    let first = with_states(&parent, |states| {
        states
            .data_map
            .insert_if_missing_threadsafe(|| PositionsHooked)
    });
    if first {
        add_pre_commit_hook::<State, _>(&parent, |_, _, parent| hand_over(parent));
    }
}

/// `parent` commits: the positions its subsurfaces were given take effect with this commit.
fn hand_over(parent: &WlSurface) {
    for child in get_children(parent) {
        let location = with_states(&child, |states| {
            states
                .data_map
                .get::<RequestedPosition>()
                .and_then(|r| r.0.lock().ok()?.take())
        });
        let Some(location) = location else {
            continue;
        };
        // A synchronized subsurface's pending state is taken in with the parent's commit; a
        // desynchronized one's is not, so its current position changes here.
        let sync = is_sync_subsurface(&child);
        with_states(&child, |states| {
            let mut cached = states.cached_state.get::<SubsurfaceCachedState>();
            cached.pending().location = location;
            if !sync {
                cached.current().location = location;
            }
        });
    }
}
