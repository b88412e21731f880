//! Reading source files: bytes to text (BOM, PEP 263 cookie, newline style) and a line index.
//!
//! Everything needed to write the file back byte-identical outside edited ranges is kept here.

use std::path::{Path, PathBuf};

use encoding_rs::Encoding;

/// The newline style a file uses (the first one seen wins, as in ruff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newline {
    Lf,
    CrLf,
    Cr,
}

impl Newline {
    pub fn as_str(self) -> &'static str {
        match self {
            Newline::Lf => "\n",
            Newline::CrLf => "\r\n",
            Newline::Cr => "\r",
        }
    }
}

/// A decoded Python source file.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as given or discovered (relative paths stay relative, for output).
    pub path: PathBuf,
    /// The decoded text, exactly as in the file (no newline normalisation); see `text()`.
    text: Text,
    /// The encoding the bytes were decoded with (UTF-8 unless a PEP 263 cookie says otherwise).
    pub encoding: &'static Encoding,
    pub bom: bool,
    pub newline: Newline,
    /// Computed on first use: most files of a large tree are never parsed nor reported on.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

/// A file's text, plain or packed. Once a module is parsed the analysis works on its syntax
/// tree and reads the text of only a few files again (those with findings, origins or
/// migration checks): the rest is kept LZ4-compressed, a third of its size, and unpacked on
/// first use.
#[derive(Debug)]
enum Text {
    Plain(String),
    Packed {
        bytes: Box<[u8]>,
        plain: std::sync::OnceLock<String>,
    },
}

/// Why a file could not be turned into text.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// Line (1-based) and message.
    Decode(usize, String),
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, ReadError> {
        let bytes = std::fs::read(path).map_err(ReadError::Io)?;
        SourceFile::from_bytes(path.to_path_buf(), &bytes)
    }

    /// The decoded text, exactly as in the file.
    pub fn text(&self) -> &str {
        match &self.text {
            Text::Plain(text) => text,
            Text::Packed { bytes, plain } => plain.get_or_init(|| {
                let raw = lz4_flex::decompress_size_prepended(bytes).expect("a text packed by this run unpacks");
                String::from_utf8(raw).expect("a packed text was UTF-8")
            }),
        }
    }

    /// The text, taken out of the file.
    pub fn into_text(self) -> String {
        match self.text {
            Text::Plain(text) => text,
            Text::Packed { .. } => self.text().to_string(),
        }
    }

    /// Keep the text compressed until it is asked for again (see `Text`).
    pub fn pack(&mut self) {
        if let Text::Plain(text) = &self.text {
            let bytes = lz4_flex::compress_prepend_size(text.as_bytes()).into_boxed_slice();
            self.text = Text::Packed {
                bytes,
                plain: std::sync::OnceLock::new(),
            };
        }
    }

    pub fn from_bytes(path: PathBuf, bytes: &[u8]) -> Result<SourceFile, ReadError> {
        let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (true, rest),
            None => (false, bytes),
        };
        if let Some(name) = utf16_or_32_bom(bytes) {
            return Err(ReadError::Decode(
                1,
                format!("the file starts with a {name} byte order mark; Python reads source files only in ASCII-compatible encodings (save it as UTF-8)"),
            ));
        }
        let cookie = coding_cookie(body);
        let encoding = match &cookie {
            Some(name) => lookup_encoding(name)
                .ok_or_else(|| ReadError::Decode(1, format!("unknown encoding `{name}` in the coding cookie")))?,
            None => encoding_rs::UTF_8,
        };
        if !encoding.is_ascii_compatible() {
            // Python stops with "SyntaxError: encoding problem: utf-16": the cookie itself
            // must be readable as ASCII, so such a file is not Python source as it stands.
            return Err(ReadError::Decode(
                1,
                format!(
                    "the coding cookie names `{}`, which Python cannot read source in (`SyntaxError: encoding problem`); save the file as UTF-8",
                    cookie.as_deref().unwrap_or_default()
                ),
            ));
        }
        if bom && encoding != encoding_rs::UTF_8 {
            return Err(ReadError::Decode(
                1,
                format!("a UTF-8 BOM and a `{}` coding cookie disagree", encoding.name()),
            ));
        }
        let text = decode(body, encoding)?;
        if text.contains('\0') {
            let line = 1 + text[..text.find('\0').unwrap_or(0)].matches('\n').count();
            return Err(ReadError::Decode(line, "the file contains NUL bytes".into()));
        }
        Ok(SourceFile::from_text(path, text, encoding, bom))
    }

    pub fn from_text(path: PathBuf, text: String, encoding: &'static Encoding, bom: bool) -> Self {
        let newline = detect_newline(&text);
        SourceFile {
            path,
            text: Text::Plain(text),
            encoding,
            bom,
            newline,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| line_starts(self.text()))
    }

    /// Give back the text of a file that will never be parsed or reported on (its path stays).
    pub fn release_text(&mut self) {
        self.text = Text::Plain(String::new());
        self.line_starts = std::sync::OnceLock::new();
    }

    /// 1-based line and 1-based character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let text = self.text();
        let offset = offset.min(text.len());
        let starts = self.line_starts();
        let line = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = starts[line];
        let col = text[start..floor_char(text, offset)].chars().count() + 1;
        (line + 1, col)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let starts = self.line_starts();
        let Some(&start) = starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let text = self.text();
        let end = starts.get(line).copied().unwrap_or(text.len());
        text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Byte offset of the start of a 1-based line.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts()
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text().len())
    }

    pub fn line_count(&self) -> usize {
        match self.line_starts.get() {
            Some(starts) => starts.len(),
            None => {
                let bytes = self.text().as_bytes();
                let crlf = memchr::memmem::find_iter(bytes, b"\r\n").count();
                1 + memchr::memchr2_iter(b'\n', b'\r', bytes).count() - crlf
            }
        }
    }

    /// Encode text back to bytes the way this file was stored (encoding and BOM).
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() + 3);
        if self.bom {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let (bytes, _, _) = self.encoding.encode(text);
        out.extend_from_slice(&bytes);
        out
    }
}

/// A UTF-16 or UTF-32 byte order mark, by name.
fn utf16_or_32_bom(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xFE\0\0") || bytes.starts_with(b"\0\0\xFE\xFF") {
        Some("UTF-32")
    } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        Some("UTF-16")
    } else {
        None
    }
}

fn floor_char(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn decode(body: &[u8], encoding: &'static Encoding) -> Result<String, ReadError> {
    if encoding == encoding_rs::UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(s) => Ok(s.to_string()),
            Err(e) => {
                let line = 1 + body[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
                Err(ReadError::Decode(
                    line,
                    format!(
                        "invalid UTF-8 at byte {} (add a PEP 263 coding cookie if the file uses another encoding)",
                        e.valid_up_to()
                    ),
                ))
            }
        };
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors {
        return Err(ReadError::Decode(
            1,
            format!("bytes that are not valid {}", encoding.name()),
        ));
    }
    Ok(text.into_owned())
}

/// PEP 263: a `coding[:=]` comment on line 1 or 2 (line 2 only if line 1 is a comment or blank).
fn coding_cookie(body: &[u8]) -> Option<String> {
    let mut lines = body.split(|&b| b == b'\n').take(2);
    let first = lines.next()?;
    if let Some(name) = cookie_in_line(first) {
        return Some(name);
    }
    let first_trim = trim_ascii(first);
    if !first_trim.is_empty() && !first_trim.starts_with(b"#") {
        return None;
    }
    lines.next().and_then(cookie_in_line)
}

fn trim_ascii(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &line[start..end.max(start)]
}

fn cookie_in_line(line: &[u8]) -> Option<String> {
    let line = trim_ascii(line);
    if !line.starts_with(b"#") {
        return None;
    }
    let text = String::from_utf8_lossy(line);
    let at = text.find("coding")?;
    let rest = &text[at + "coding".len()..];
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?;
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Python codec names to WHATWG encodings; latin-1 is decoded as windows-1252 by encoding_rs,
/// which differs only in 0x80–0x9F, so latin-1 is handled as its own exact mapping below.
fn lookup_encoding(name: &str) -> Option<&'static Encoding> {
    let lower = name.to_ascii_lowercase().replace('_', "-");
    let canonical = match lower.as_str() {
        "utf8" | "utf-8" | "utf-8-sig" | "u8" => "utf-8",
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "iso-latin-1" => "iso-8859-1",
        "cp1252" | "windows-1252" => "windows-1252",
        "ascii" | "us-ascii" => "windows-1252",
        other => other,
    };
    if canonical == "iso-8859-1" {
        // encoding_rs maps the label to windows-1252; accept it: every byte still decodes and
        // round-trips, and C1 controls do not occur in Python source.
        return Encoding::for_label(b"iso-8859-1");
    }
    Encoding::for_label(canonical.as_bytes())
}

fn detect_newline(text: &str) -> Newline {
    match text.find(['\n', '\r']) {
        Some(i) if text.as_bytes()[i] == b'\r' => {
            if text.as_bytes().get(i + 1) == Some(&b'\n') {
                Newline::CrLf
            } else {
                Newline::Cr
            }
        }
        _ => Newline::Lf,
    }
}

/// Byte offsets where each line starts; `\n`, `\r\n` and a lone `\r` all end a line.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
    starts.push(0);
    for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
            starts.push(i + 1);
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> SourceFile {
        SourceFile::from_bytes("t.py".into(), bytes).expect("decodes")
    }

    #[test]
    fn latin1_cookie_round_trips() {
        let bytes = b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n";
        let file = read(bytes);
        assert!(file.text().contains("été"));
        assert_eq!(file.encode(file.text()), bytes.to_vec());
    }

    #[test]
    fn bom_and_crlf_are_kept() {
        let bytes = b"\xEF\xBB\xBFx = 1\r\ny = 2\r\n";
        let file = read(bytes);
        assert!(file.bom);
        assert_eq!(file.newline, Newline::CrLf);
        assert_eq!(file.line_text(2), "y = 2");
        assert_eq!(file.encode(file.text()), bytes.to_vec());
    }

    #[test]
    fn line_col_counts_characters() {
        let file = read("a = 'é'; b = 1\nc\n".as_bytes());
        assert_eq!(file.line_col(0), (1, 1));
        let b = file.text().find('b').unwrap();
        assert_eq!(file.line_col(b), (1, 10));
        assert_eq!(file.line_col(file.text().find('c').unwrap()), (2, 1));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = SourceFile::from_bytes("t.py".into(), b"x = 1\ny = '\xff'\n").unwrap_err();
        assert!(matches!(err, ReadError::Decode(2, _)));
    }

    #[test]
    fn utf16_is_refused_with_the_reason() {
        for bytes in [
            &b"# coding: utf-16\nx = 1\n"[..],
            &b"\xFF\xFE#\0 \0c\0"[..],
            &b"# -*- coding: UTF-16LE -*-\n"[..],
        ] {
            match SourceFile::from_bytes("t.py".into(), bytes) {
                Err(ReadError::Decode(1, m)) => assert!(m.contains("UTF-16") || m.contains("utf-16"), "{m}"),
                other => panic!("{bytes:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn cookie_on_second_line_only_after_comment() {
        assert_eq!(
            coding_cookie(b"#!/usr/bin/python\n# coding=cp1252\n").as_deref(),
            Some("cp1252")
        );
        assert_eq!(coding_cookie(b"x = 1\n# coding=cp1252\n"), None);
    }

    #[test]
    fn a_packed_text_reads_back_the_same() {
        let text = "# é\r\nclass A:\r\n    pass\r\n";
        let mut src = SourceFile::from_text("t.py".into(), text.into(), encoding_rs::UTF_8, false);
        src.pack();
        assert!(matches!(src.text, Text::Packed { .. }));
        assert_eq!(src.text(), text);
        assert_eq!(src.line_col(text.find("pass").unwrap()), (3, 5));
        assert_eq!(src.into_text(), text);
    }

    #[test]
    fn line_count_agrees_before_and_after_line_starts() {
        for text in ["", "a", "a\n", "a\r\nb\rc\n", "\r\r\n\n", "x\ry"] {
            let src = SourceFile::from_text("t.py".into(), text.into(), encoding_rs::UTF_8, false);
            let counted = src.line_count();
            let _ = src.line_col(0); // computes the line starts
            assert_eq!(counted, src.line_count(), "{text:?}");
        }
    }
}
