//! The bearer token: read from a file or the environment, checked to fit in a header, and
//! never shown (`Debug` is redacted, there is no `Display`, it never goes into a URL).

use std::path::{Path, PathBuf};

/// The bearer token. Never printed: `Debug` shows `Token(<redacted>)` and there is no `Display`.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token: set X_BEARER_TOKEN or pass --token-file FILE")]
    Missing,
    #[error("cannot read token file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("token file {path} is empty")]
    EmptyFile { path: PathBuf },
    #[error("the bearer token holds characters that cannot go into an HTTP header")]
    NotHeaderSafe,
}

impl Token {
    /// Wraps a token, trimming the whitespace a file or a shell adds.
    pub fn new(raw: &str) -> Result<Token, TokenError> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(TokenError::Missing);
        }
        if !t.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(TokenError::NotHeaderSafe);
        }
        Ok(Token(t.to_string()))
    }

    /// The token file when given, else `X_BEARER_TOKEN`.
    pub(crate) fn from_file_or_env(file: Option<&Path>) -> Result<Token, TokenError> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| TokenError::Unreadable {
                path: path.to_path_buf(),
                source,
            })?;
            return Token::new(&text).map_err(|e| match e {
                TokenError::Missing => TokenError::EmptyFile {
                    path: path.to_path_buf(),
                },
                other => other,
            });
        }
        match std::env::var("X_BEARER_TOKEN") {
            Ok(v) if !v.trim().is_empty() => Token::new(&v),
            _ => Err(TokenError::Missing),
        }
    }

    pub(super) fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }
}
