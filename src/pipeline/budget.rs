//! budget (under construction in its own branch).
