//! harvest (under construction in its own branch).
