//! The operations console.
