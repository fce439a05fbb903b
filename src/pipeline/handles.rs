//! handles (under construction in its own branch).
