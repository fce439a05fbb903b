//! The endpoints the simulator serves and the rate window each one counts against: the four
//! users lookups share one window, each discovery endpoint has its own, so spending one never
//! refuses another. The 24-hour budget, when set, is the app's and spans them all.

use super::config::{EndpointWindow, SimConfig};
use super::window::RateWindow;

/// What a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    /// `/2/users/by`, `/2/users` and the two single-user lookups.
    UsersLookup,
    /// `/2/lists/{id}`.
    List,
    /// `/2/lists/{id}/members`.
    ListMembers,
    /// `/2/users/{id}/following`.
    Following,
}

impl Endpoint {
    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// One window per endpoint.
#[derive(Debug)]
pub(super) struct Windows {
    windows: [RateWindow; 4],
}

impl Windows {
    pub(super) fn new(config: &SimConfig) -> Windows {
        // With the limit off, windows still answer honestly: a limit no client can reach.
        let window = |limit: u32, w: EndpointWindow| {
            let limit = if config.rate_limit { limit } else { u32::MAX };
            RateWindow::new(limit, w.length)
        };
        let lookup = EndpointWindow {
            limit: config.limit,
            length: config.window,
        };
        Windows {
            windows: [
                window(lookup.limit, lookup),
                window(config.list_window.limit, config.list_window),
                window(config.members_window.limit, config.members_window),
                window(config.following_window.limit, config.following_window),
            ],
        }
    }

    pub(super) fn of(&self, endpoint: Endpoint) -> &RateWindow {
        &self.windows[endpoint.index()]
    }
}
