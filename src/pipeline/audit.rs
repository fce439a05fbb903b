//! audit (under construction in its own branch).
