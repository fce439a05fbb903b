//! The console's specifications that reach inside it: the reducer's state, the key registry,
//! the row order's cache and the overlays' paging, driven without a terminal.

mod reducer;
