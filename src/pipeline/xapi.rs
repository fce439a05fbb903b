//! xapi (under construction in its own branch).
