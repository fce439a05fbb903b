//! journal (under construction in its own branch).
