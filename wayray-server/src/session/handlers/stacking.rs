//! A subsurface's place among its siblings (`wl_subsurface.place_above`/`place_below`) takes
//! effect when its parent's state is applied, as the protocol says ("the z-order is
//! double-buffered"), so a client can restack and redraw in one step. smithay 0.7 reorders on
//! the request. Here the requests wait on the parent in the order they came, and the parent's
//! `wl_surface.commit` hands them to smithay before smithay takes in that commit
//! (`wl_surface` is dispatched here for that alone; every request goes on to smithay). A parent
//! that is itself a synchronized subsurface has its state applied with its own parent's
//! commit: its requests move up to wait there. A request naming a surface that is not a
//! sibling or the parent is refused at once, as before; one whose subsurface or sibling went
//! before the commit is dropped. A client that restacks many times without committing has its
//! oldest requests applied early (at most `MAX_WAITING` wait on a surface), so nothing grows
//! without bound; the requests hold their surfaces weakly.

use std::sync::Mutex;

use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::protocol::wl_subsurface::{self, WlSubsurface};
use smithay::reexports::wayland_server::protocol::wl_surface::{self, WlSurface};
use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, Resource, Weak,
};
use smithay::wayland::compositor::{
    CompositorState, SubsurfaceUserData, SurfaceUserData, get_parent, is_sync_subsurface,
    with_states,
};

use crate::session::state::State;

/// How many restacking requests may wait for a parent's commit.
pub const MAX_WAITING: usize = 64;

/// One restacking request: the subsurface, the sibling (or parent) it goes next to, and
/// whether above it.
type Restack = (Weak<WlSubsurface>, Weak<WlSurface>, bool);

/// On a parent: the restacking requests of its subsurfaces, oldest first.
#[derive(Debug, Default)]
struct Waiting(Mutex<Vec<Restack>>);

/// Whether `sibling` is `subsurface`'s parent or another child of that parent.
fn beside(subsurface: &WlSurface, sibling: &WlSurface) -> Option<WlSurface> {
    let parent = get_parent(subsurface)?;
    let ok = sibling != subsurface
        && (*sibling == parent || get_parent(sibling).as_ref() == Some(&parent));
    ok.then_some(parent)
}

/// `place_above` (`above`) or `place_below` of `resource` (whose surface is `subsurface`)
/// next to `sibling`: refused now if `sibling` is not beside it, else kept for the parent's
/// commit.
pub fn requested(
    state: &mut State,
    client: &Client,
    resource: &WlSubsurface,
    subsurface: &WlSurface,
    (sibling, above): (WlSurface, bool),
    dh: &DisplayHandle,
    data_init: &mut DataInit<'_, State>,
) {
    let Some(parent) = beside(subsurface, &sibling) else {
        resource.post_error(
            wl_subsurface::Error::BadSurface,
            "the surface is not a sibling or the parent",
        );
        return;
    };
    let restack = (resource.downgrade(), sibling.downgrade(), above);
    let early = wait_on(&parent, vec![restack]);
    apply(state, client, early, dh, data_init);
}

/// Adds `restacks` to those waiting on `surface`; what no longer fits comes back, oldest
/// first, to be applied now.
fn wait_on(surface: &WlSurface, restacks: Vec<Restack>) -> Vec<Restack> {
    with_states(surface, |states| {
        states
            .data_map
            .insert_if_missing_threadsafe(Waiting::default);
        let mut waiting = states.data_map.get::<Waiting>()?.0.lock().ok()?;
        waiting.extend(restacks);
        let over = waiting.len().saturating_sub(MAX_WAITING);
        Some(waiting.drain(..over).collect::<Vec<_>>())
    })
    .unwrap_or_default()
}

/// The surface whose commit applies `surface`'s state: itself, or for a synchronized
/// subsurface the nearest ancestor that is not one.
fn applied_with(surface: &WlSurface) -> WlSurface {
    let mut at = surface.clone();
    while is_sync_subsurface(&at) {
        match get_parent(&at) {
            Some(parent) => at = parent,
            None => break,
        }
    }
    at
}

/// Hands `restacks` to smithay in order, less those whose subsurface or sibling went.
fn apply(
    state: &mut State,
    client: &Client,
    restacks: Vec<Restack>,
    dh: &DisplayHandle,
    data_init: &mut DataInit<'_, State>,
) {
    for (resource, sibling, above) in restacks {
        let (Ok(resource), Ok(sibling)) = (resource.upgrade(), sibling.upgrade()) else {
            continue;
        };
        let Some(data) = resource.data::<SubsurfaceUserData>() else {
            continue;
        };
        if beside(data.surface(), &sibling).is_none() {
            continue;
        }
        let request = if above {
            wl_subsurface::Request::PlaceAbove { sibling }
        } else {
            wl_subsurface::Request::PlaceBelow { sibling }
        };
        <CompositorState as Dispatch<WlSubsurface, SubsurfaceUserData, State>>::request(
            state, client, &resource, request, data, dh, data_init,
        );
    }
}

impl Dispatch<WlSurface, SurfaceUserData> for State {
    fn request(
        state: &mut State,
        client: &Client,
        resource: &WlSurface,
        request: wl_surface::Request,
        data: &SurfaceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        if let wl_surface::Request::Commit = request {
            let waiting = with_states(resource, |states| {
                let waiting = states.data_map.get::<Waiting>()?;
                Some(std::mem::take(&mut *waiting.0.lock().ok()?))
            });
            if let Some(waiting) = waiting.filter(|w| !w.is_empty()) {
                let target = applied_with(resource);
                let now = if target == *resource {
                    waiting
                } else {
                    wait_on(&target, waiting)
                };
                apply(state, client, now, dh, data_init);
            }
        }
        <CompositorState as Dispatch<WlSurface, SurfaceUserData, State>>::request(
            state, client, resource, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut State,
        client: ClientId,
        resource: &WlSurface,
        data: &SurfaceUserData,
    ) {
        <CompositorState as Dispatch<WlSurface, SurfaceUserData, State>>::destroyed(
            state, client, resource, data,
        );
    }
}
