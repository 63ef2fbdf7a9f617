//! Writing to the terminal without ever panicking. `print!` panics when stdout is a closed pipe
//! (`| head -1`) or a full disk; here a closed pipe ends the output quietly, as grep, rg and
//! kubectl do, and any other write error becomes one line and a non-zero exit.

use std::io::{self, Write};

use crate::error::{Error, Result};

/// Writes the whole report to stdout. A reader that went away is not an error: the run's own
/// exit code stands. Any other failure (ENOSPC, EIO) is.
pub fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) => write_error(e),
    }
}

fn write_error(e: io::Error) -> Result<()> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return Ok(());
    }
    Err(
        Error::usage(format!("cannot write the output to standard output: {e}"))
            .hint("check the disk or the pipe that standard output goes to"),
    )
}

/// Progress and notes on stderr. Their loss must not stop a diagnosis, so errors are ignored.
pub fn note(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_quiet_and_other_errors_are_one_line() {
        assert!(write_error(io::Error::from(io::ErrorKind::BrokenPipe)).is_ok());
        let e = write_error(io::Error::from_raw_os_error(28)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot write the output to standard output")
        );
        assert_eq!(e.code, crate::error::EXIT_USAGE);
    }
}
