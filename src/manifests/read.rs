//! Reading `-f FILE|DIR|-` as kubectl does: files in the order given, a directory's `.yaml`,
//! `.yml` and `.json` files sorted by name (its subdirectories too with `-R`), stdin once.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::parse::{Document, HINT, parse};
use crate::error::{Error, Result};

/// Reads every input in order. `stdin` is read only if `-` is given (once).
pub fn read_all(paths: &[PathBuf], recursive: bool, stdin: &mut dyn Read) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    let mut stdin_used = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_used {
                return Err(
                    Error::usage("-f - given more than once").hint("stdin can be read only once")
                );
            }
            stdin_used = true;
            let mut bytes = Vec::new();
            stdin
                .read_to_end(&mut bytes)
                .map_err(|e| Error::usage(format!("cannot read stdin: {e}")).hint(HINT))?;
            docs.extend(parse("-", &text_of("stdin", bytes)?)?);
        } else if path.is_dir() {
            let mut files = Vec::new();
            manifests_in(path, recursive, &mut files)?;
            if files.is_empty() {
                let hint = if recursive {
                    HINT
                } else {
                    "pass -R to read its subdirectories too, or -f with a manifest"
                };
                return Err(Error::usage(format!(
                    "{}: no .yaml, .yml or .json files in this directory",
                    path.display()
                ))
                .hint(hint));
            }
            for file in files {
                docs.extend(read_file(&file)?);
            }
        } else {
            docs.extend(read_file(path)?);
        }
    }
    Ok(docs)
}

fn read_file(path: &Path) -> Result<Vec<Document>> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| Error::usage(format!("cannot read {name}: {e}")).hint(HINT))?;
    parse(&name, &text_of(&name, bytes)?)
}

fn text_of(origin: &str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        Error::usage(format!(
            "{origin}: binary content, not a YAML or JSON manifest (not UTF-8 text)"
        ))
        .hint(HINT)
    })
}

/// Files a directory holds, as `kubectl apply -f DIR [-R]` takes them: sorted by name within
/// each directory, subdirectories (with `recursive`) in the same order.
fn manifests_in(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<()> {
    let unreadable =
        |e: std::io::Error| Error::usage(format!("cannot read directory {}: {e}", dir.display()));
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .map(|e| e.map(|e| e.path()).map_err(unreadable))
        .collect::<Result<_>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if recursive {
                manifests_in(&path, recursive, out)?;
            }
            continue;
        }
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if wanted && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(docs: &[Document]) -> Vec<&str> {
        docs.iter()
            .map(|d| d.value["kind"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn directory_and_stdin_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.yaml"), "apiVersion: v1\nkind: Pod\n").unwrap();
        std::fs::write(
            dir.path().join("a.json"),
            "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\"}",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not yaml: [").unwrap();
        let mut stdin = "apiVersion: v1\nkind: PodTemplate\n".as_bytes();
        let docs = read_all(
            &[dir.path().to_path_buf(), PathBuf::from("-")],
            false,
            &mut stdin,
        )
        .unwrap();
        assert_eq!(kinds(&docs), vec!["Job", "Pod", "PodTemplate"]);
        assert_eq!(docs[2].file, "-");

        let missing = dir.path().join("nope.yaml");
        let err = read_all(&[missing], false, &mut "".as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("cannot read "), "{err}");

        let empty = tempfile::tempdir().unwrap();
        let err = read_all(&[empty.path().to_path_buf()], false, &mut "".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("no .yaml"), "{err}");

        let mut pod = "apiVersion: v1\nkind: Pod\n".as_bytes();
        let err = read_all(&[PathBuf::from("-"), PathBuf::from("-")], false, &mut pod).unwrap_err();
        assert!(err.to_string().contains("more than once"), "{err}");
    }

    #[test]
    fn subdirectories_only_with_recursive() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("b-sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(dir.path().join("a.yaml"), "apiVersion: v1\nkind: Pod\n").unwrap();
        std::fs::write(sub.join("x.yml"), "apiVersion: batch/v1\nkind: Job\n").unwrap();
        std::fs::write(dir.path().join("c.yaml"), "apiVersion: v1\nkind: Service\n").unwrap();
        let flat = read_all(&[dir.path().to_path_buf()], false, &mut "".as_bytes()).unwrap();
        assert_eq!(kinds(&flat), ["Pod", "Service"]);
        let deep = read_all(&[dir.path().to_path_buf()], true, &mut "".as_bytes()).unwrap();
        assert_eq!(kinds(&deep), ["Pod", "Job", "Service"]);
        assert!(deep[1].file.ends_with("b-sub/x.yml"), "{}", deep[1].file);
    }

    #[test]
    fn binary_files_are_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("app.yaml");
        std::fs::write(&bin, [0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0]).unwrap();
        let err = read_all(&[bin], false, &mut "".as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("app.yaml: binary content"),
            "{err}"
        );
    }
}
