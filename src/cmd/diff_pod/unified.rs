//! Line diff in unified format (`@@ -a,b +c,d @@`, three lines of context), from a longest
//! common subsequence. Inputs are one container's YAML: small enough for the quadratic table,
//! with a cap that degrades to "all removed, all added" rather than using unbounded memory.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// Above this many cells the LCS table is not built.
const MAX_CELLS: usize = 4_000_000;
const CONTEXT: usize = 3;

pub fn diff_lines<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Line<'a>> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > MAX_CELLS {
        return a
            .iter()
            .map(|l| Line::Removed(l))
            .chain(b.iter().map(|l| Line::Added(l)))
            .collect();
    }
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n + m);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(Line::Same(a[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(Line::Removed(a[i]));
            i += 1;
        } else {
            out.push(Line::Added(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| Line::Removed(l)));
    out.extend(b[j..].iter().map(|l| Line::Added(l)));
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk<'a> {
    /// `@@ -a,b +c,d @@`
    pub header: String,
    pub lines: Vec<Line<'a>>,
}

/// Groups changed lines with their context into hunks; empty when the texts are equal.
pub fn hunks<'a>(lines: &[Line<'a>]) -> Vec<Hunk<'a>> {
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !matches!(l, Line::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= end + 2 * CONTEXT + 1 {
            k += 1;
            end = changed[k];
        }
        let end = (end + CONTEXT + 1).min(lines.len());
        // Line numbers (1-based) where the hunk starts on each side.
        let (mut a_line, mut b_line) = (1, 1);
        for l in &lines[..start] {
            match l {
                Line::Same(_) => {
                    a_line += 1;
                    b_line += 1;
                }
                Line::Removed(_) => a_line += 1,
                Line::Added(_) => b_line += 1,
            }
        }
        let slice = &lines[start..end];
        let a_len = slice
            .iter()
            .filter(|l| !matches!(l, Line::Added(_)))
            .count();
        let b_len = slice
            .iter()
            .filter(|l| !matches!(l, Line::Removed(_)))
            .count();
        let side = |line: usize, len: usize| {
            if len == 0 {
                format!("{},0", line - 1)
            } else {
                format!("{line},{len}")
            }
        };
        out.push(Hunk {
            header: format!("@@ -{} +{} @@", side(a_line, a_len), side(b_line, b_len)),
            lines: slice.to_vec(),
        });
        k += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn one_removed_line_in_context() {
        let a = split("image: envoy\nname: proxy\nrestartPolicy: Always\n");
        let b = split("image: envoy\nname: proxy\n");
        let lines = diff_lines(&a, &b);
        assert_eq!(
            lines,
            vec![
                Line::Same("image: envoy"),
                Line::Same("name: proxy"),
                Line::Removed("restartPolicy: Always")
            ]
        );
        let h = hunks(&lines);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].header, "@@ -1,3 +1,2 @@");
    }

    #[test]
    fn distant_changes_make_separate_hunks() {
        let a: Vec<String> = (0..30).map(|i| format!("l{i}")).collect();
        let mut b = a.clone();
        b[2] = "x".into();
        b[25] = "y".into();
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let h = hunks(&diff_lines(&a, &b));
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].header, "@@ -1,6 +1,6 @@");
        assert_eq!(h[1].header, "@@ -23,7 +23,7 @@");
    }

    #[test]
    fn additions_to_empty_and_equal_texts() {
        let h = hunks(&diff_lines(&[], &["a", "b"]));
        assert_eq!(h[0].header, "@@ -0,0 +1,2 @@");
        assert!(hunks(&diff_lines(&["a"], &["a"])).is_empty());
    }
}
