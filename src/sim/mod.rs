//! The X API v2 users-lookup simulator: a real HTTP server on loopback.
