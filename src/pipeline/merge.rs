//! merge (under construction in its own branch).
