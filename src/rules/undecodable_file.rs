//! PF001: A file could not be read or decoded.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Reports Python files that picklefix cannot turn into text and therefore cannot analyse:
    /// bytes that are not valid UTF-8 in a file without a PEP 263 coding cookie, a cookie that
    /// names an unknown encoding or one Python cannot read source in (UTF-16, UTF-32, by cookie
    /// or byte order mark), bytes that are not valid in the encoding the cookie names, a UTF-8
    /// BOM together with a cookie for another encoding, NUL bytes, and files that cannot be read
    /// at all. The finding points at the line of the first bad byte (line 1 for cookie and BOM
    /// problems). The other files are still checked.
    ///
    /// ## Why is this bad?
    /// Nothing in the file is analysed: its classes, attribute assignments and pickling calls are
    /// invisible, so a finding that passes through it (`Job.reader.fh` with `Reader` defined there)
    /// is missed. Python rejects the file as well. Python 3 reads source as UTF-8 unless a cookie
    /// says otherwise and stops with `SyntaxError: Non-UTF-8 code starting with '\xe9' in file
    /// names.py on line 4, but no encoding declared` (2.7: `Non-ASCII character '\xe9' ...`); an
    /// unknown cookie gives `SyntaxError: encoding problem: klingon`, and a BOM with a `cp1252`
    /// cookie `SyntaxError: encoding problem: cp1252 with BOM`. Such files usually come from an
    /// editor that saved Latin-1 or cp1252 text in a code base that is moving to Python 3.
    ///
    /// ## Example
    /// ```python
    /// # names.py, saved as Latin-1 without a coding cookie: "é" is the single byte 0xE9
    /// DEFAULT_NAME = "Café crème"
    /// ```
    ///
    /// ## Use instead
    /// Save the file as UTF-8, or declare its encoding on the first or second line:
    /// ```python
    /// # -*- coding: latin-1 -*-
    /// DEFAULT_NAME = "Café crème"
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix: picklefix would have to guess the encoding, and a wrong guess
    /// silently changes every non-ASCII string in the file. Convert the file or add the cookie by
    /// hand, then check again.
    pub static RULE = {
        code: "PF001",
        name: "undecodable-file",
        summary: "A file could not be read or decoded",
        check: Check::Intake,
    };
}
