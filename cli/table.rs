//! Plain-text tables for `list` and `test`: every column as wide as its widest cell, so the
//! columns line up whatever the ids, kinds and messages are.

/// Renders `header` and `rows` with two spaces between columns; columns whose index is in
/// `right` (numbers) are right-aligned. Trailing spaces are trimmed.
pub fn render(header: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = cells
            .zip(widths.iter().enumerate())
            .map(|(c, (i, w))| {
                if right.contains(&i) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ");
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut text = line(&mut header.iter().copied());
    for row in rows {
        text.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_numbers_align_right() {
        let rows = vec![
            vec!["a".to_owned(), "7".to_owned(), "x".to_owned()],
            vec!["longer-id".to_owned(), "1234".to_owned(), String::new()],
        ];
        let text = render(&["ID", "MS", "NOTE"], &rows, &[1]);
        assert_eq!(
            text,
            "ID           MS  NOTE\na             7  x\nlonger-id  1234\n"
        );
    }
}
