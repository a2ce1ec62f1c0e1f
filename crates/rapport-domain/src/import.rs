//! Survey responses from a CSV export (Qualtrics, SurveyMonkey, a spreadsheet): the header mapped
//! to questions, then each row parsed and checked against the survey definition.
//!
//! Pure, so it can be tested and fuzzed on bytes: the caller resolves the customer and agent
//! references a row names, and stores the rows. Rows are numbered as in a spreadsheet (the header
//! is row 1); a rejection names its row and, when one cell is to blame, that cell's column.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};

use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

use crate::survey::{Answers, RawAnswer, SurveyDefinition};
use crate::Locale;

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    ExternalId,
    Customer,
    Agent,
    Locale,
    SubmittedAt,
    /// An answer, under the key `parse_answers` expects (`nps`, `promise.expectation`).
    Answer(String),
    Ignored,
}

/// Why an import cannot start at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("reading the header row: {0}")]
    Header(#[from] csv::Error),
    #[error("reading the file: {0}")]
    Io(#[from] std::io::Error),
    /// The column mapping or the header does not fit the survey.
    #[error("{0}")]
    Plan(String),
}

/// One rejected row: which row, which column (empty when the row as a whole is wrong), why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub row: u64,
    pub column: String,
    pub reason: String,
}

/// A row whose cells are all valid; the customer and agent references are still to be looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRow {
    /// The row's own id, or a hash of its cells (the same cells always give the same id).
    pub external_id: String,
    /// `customer_external_id` cell and its column index.
    pub customer: Option<(usize, String)>,
    /// `agent_email` cell and its column index.
    pub agent: Option<(usize, String)>,
    pub locale: Option<Locale>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub answers: Answers,
}

/// Maps the header to columns; a mapping that names a missing column or question is an error.
/// Returns the columns and the names of those ignored.
pub fn plan_columns(
    headers: &csv::StringRecord,
    map: &[String],
    def: &SurveyDefinition,
) -> Result<(Vec<Column>, Vec<String>), ImportError> {
    let plan = |msg: String| ImportError::Plan(msg);
    let mut mapped: HashMap<&str, &str> = HashMap::new();
    for m in map.iter().filter(|m| !m.trim().is_empty()) {
        let (col, q) = m
            .split_once('=')
            .ok_or_else(|| plan(format!("--map: {m:?} is not COLUMN=QUESTION")))?;
        mapped.insert(col.trim(), q.trim());
    }
    for col in mapped.keys() {
        if !headers.iter().any(|h| h.trim() == *col) {
            return Err(plan(format!("--map: the file has no column {col:?}")));
        }
    }
    let is_question = |k: &str| {
        let base = k
            .strip_suffix(".expectation")
            .or_else(|| k.strip_suffix(".experience"))
            .unwrap_or(k);
        def.question(base).is_some()
    };
    let special = |name: &str| match name {
        "response_id" | "external_id" => Some(Column::ExternalId),
        "customer_external_id" => Some(Column::Customer),
        "agent_email" => Some(Column::Agent),
        "locale" => Some(Column::Locale),
        "submitted_at" => Some(Column::SubmittedAt),
        _ => None,
    };
    let mut ignored = vec![];
    let mut cols = vec![];
    for h in headers.iter().map(str::trim) {
        let col = if let Some(q) = mapped.get(h) {
            match special(q) {
                Some(c) => c,
                None if is_question(q) => Column::Answer(q.to_string()),
                None => {
                    return Err(plan(format!(
                        "--map: the survey has no question {q:?} (for column {h:?}), and it is not \
                         one of response_id, customer_external_id, agent_email, locale, submitted_at"
                    )))
                }
            }
        } else if let Some(c) = special(h) {
            c
        } else if is_question(h) {
            Column::Answer(h.to_string())
        } else {
            ignored.push(h.to_string());
            Column::Ignored
        };
        cols.push(col);
    }
    if !cols.iter().any(|c| matches!(c, Column::Answer(_))) {
        return Err(plan(format!(
            "no column holds answers: name columns by question key ({}) or use --map",
            def.questions
                .iter()
                .map(|q| q.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok((cols, ignored))
}

/// RFC 3339, or `YYYY-MM-DD HH:MM:SS` taken as UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// A stable id for a row without one: the same cells always give the same id.
pub fn row_hash(record: &csv::StringRecord) -> String {
    let mut h = Sha256::new();
    for f in record.iter() {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("row-{hex}")
}

/// Reads a responses CSV row by row (memory stays flat however long the file is).
pub struct ResponsesCsv<'a, R: Read> {
    reader: csv::Reader<BufReader<R>>,
    headers: csv::StringRecord,
    cols: Vec<Column>,
    ignored: Vec<String>,
    def: &'a SurveyDefinition,
    now: DateTime<Utc>,
    record: csv::StringRecord,
    row: u64,
}

impl<'a, R: Read> ResponsesCsv<'a, R> {
    /// Reads the header (after a UTF-8 byte-order mark, which spreadsheet programs write) and
    /// maps it through `map` (`COLUMN=QUESTION` entries) onto `def`. `now` bounds `submitted_at`.
    pub fn new(
        input: R,
        map: &[String],
        def: &'a SurveyDefinition,
        now: DateTime<Utc>,
    ) -> Result<Self, ImportError> {
        let mut input = BufReader::with_capacity(64 * 1024, input);
        if input.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
            input.consume(3);
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let headers = reader.headers()?.clone();
        let (cols, ignored) = plan_columns(&headers, map, def)?;
        Ok(Self {
            reader,
            headers,
            cols,
            ignored,
            def,
            now,
            record: csv::StringRecord::new(),
            row: 1,
        })
    }

    /// Header names that match nothing and are skipped.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// The header row as read.
    pub fn headers(&self) -> &csv::StringRecord {
        &self.headers
    }

    pub fn columns(&self) -> &[Column] {
        &self.cols
    }

    /// Bytes read so far (for progress).
    pub fn byte_position(&self) -> u64 {
        self.reader.position().byte()
    }

    /// A rejection blaming column `col` of `row`.
    pub fn reject(&self, row: u64, col: usize, reason: impl Into<String>) -> Rejection {
        Rejection {
            row,
            column: self.headers.get(col).unwrap_or("").trim().to_string(),
            reason: reason.into(),
        }
    }

    /// The next row and its number, parsed or rejected; `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<(u64, Result<ResponseRow, Rejection>)> {
        self.row += 1;
        let row = self.row;
        let outcome = match self.reader.read_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) if self.record.len() != self.headers.len() => Err(Rejection {
                row,
                column: String::new(),
                reason: format!(
                    "has {} cells; the header has {}",
                    self.record.len(),
                    self.headers.len()
                ),
            }),
            Ok(true) => self.parse_record(row),
            Err(e) => Err(Rejection {
                row,
                column: String::new(),
                reason: match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_string(),
                    _ => e.to_string(),
                },
            }),
        };
        Some((row, outcome))
    }

    /// The rejection for an answers error: the column the field (`answers.nps`,
    /// `answers.promise.expectation`) came from, or, for a question with no column (a required
    /// one left out of the file), no column and the question named in the reason.
    fn answers_rejection(&self, row: u64, field: &str, reason: String) -> Rejection {
        let key = field.strip_prefix("answers.").unwrap_or(field);
        let base = key.split('.').next().unwrap_or(key);
        for wanted in [key, base] {
            if let Some(i) = self
                .cols
                .iter()
                .position(|c| matches!(c, Column::Answer(k) if k == wanted))
            {
                return self.reject(row, i, reason);
            }
        }
        let reason = match field.strip_prefix("answers.") {
            Some(key) => format!("question {key} (no column in the file): {reason}"),
            None => reason,
        };
        Rejection {
            row,
            column: String::new(),
            reason,
        }
    }

    fn parse_record(&self, row: u64) -> Result<ResponseRow, Rejection> {
        let mut raw = BTreeMap::new();
        let mut external_id = None;
        let mut customer = None;
        let mut agent = None;
        let mut locale = None;
        let mut submitted_at = None;
        for (i, (col, cell)) in self.cols.iter().zip(self.record.iter()).enumerate() {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match col {
                Column::ExternalId => external_id = Some(cell.to_string()),
                Column::Customer => customer = Some((i, cell.to_string())),
                Column::Agent => agent = Some((i, cell.to_string())),
                Column::Locale => match Locale::parse("locale", cell) {
                    Ok(l) => locale = Some(l),
                    Err(_) => return Err(self.reject(row, i, "must be en, he or el")),
                },
                Column::SubmittedAt => match parse_time(cell) {
                    Some(t) if t <= self.now => submitted_at = Some(t),
                    Some(_) => return Err(self.reject(row, i, "is in the future")),
                    None => {
                        return Err(self.reject(row, i, "must be RFC 3339 or YYYY-MM-DD HH:MM:SS"))
                    }
                },
                Column::Answer(key) => {
                    raw.insert(key.clone(), RawAnswer::Text(cell.to_string()));
                }
                Column::Ignored => {}
            }
        }
        let answers = self
            .def
            .parse_answers(&raw)
            .map_err(|e| self.answers_rejection(row, &e.field, e.reason))?;
        Ok(ResponseRow {
            external_id: external_id.unwrap_or_else(|| row_hash(&self.record)),
            customer,
            agent,
            locale,
            submitted_at,
            answers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::default_definition;

    fn now() -> DateTime<Utc> {
        "2030-01-01T00:00:00Z".parse().unwrap()
    }

    fn rows(input: &[u8]) -> Vec<(u64, Result<ResponseRow, Rejection>)> {
        let def = default_definition();
        let mut csv = ResponsesCsv::new(input, &[], &def, now()).unwrap();
        std::iter::from_fn(|| csv.next_row()).collect()
    }

    #[test]
    fn bom_crlf_and_row_numbers() {
        let rows = rows(b"\xEF\xBB\xBFnps,locale\r\n9,he\r\n11,en\r\n3,xx\r\n");
        assert_eq!(rows.len(), 3);
        let (n, ok) = &rows[0];
        assert_eq!(*n, 2);
        assert_eq!(ok.as_ref().unwrap().answers.nps, Some(9));
        assert_eq!(rows[1].1.as_ref().unwrap_err().column, "nps");
        assert_eq!(rows[1].0, 3);
        let bad_locale = rows[2].1.as_ref().unwrap_err();
        assert_eq!((bad_locale.row, bad_locale.column.as_str()), (4, "locale"));
    }

    #[test]
    fn row_hash_is_stable_and_ids_win() {
        let rows = rows(b"nps,response_id\n7,\n7,\n7,R_1\n");
        let ids: Vec<_> = rows
            .iter()
            .map(|(_, r)| r.as_ref().unwrap().external_id.clone())
            .collect();
        assert_eq!(ids[0], ids[1]);
        assert!(
            ids[0].starts_with("row-") && ids[0].len() == 36,
            "{}",
            ids[0]
        );
        assert_eq!(ids[2], "R_1");
    }

    #[test]
    fn short_rows_and_bad_utf8_blame_the_row() {
        let rows = rows(b"nps,locale\n9\n\xFF\xFE,en\n");
        let e = rows[0].1.as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (2, ""));
        assert!(e.reason.contains("1 cells"), "{}", e.reason);
        let e = rows[1].1.as_ref().unwrap_err();
        assert_eq!((e.row, e.reason.as_str()), (3, "is not valid UTF-8"));
    }

    // Found by `cargo fuzz` (csv_import): a required question without a column was reported
    // under a column named `answers.nps`, which the file does not have.
    #[test]
    fn a_required_question_without_a_column_blames_no_column() {
        let missing = rows(b"why_low,locale\nslow,he\n");
        let e = missing[0].1.as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (2, ""));
        assert_eq!(
            e.reason,
            "question nps (no column in the file): this question needs an answer"
        );
        let blank = rows(b"nps,why_low\n,\n");
        let e = blank[0].1.as_ref().unwrap_err();
        assert_eq!(e.column, "nps");
    }

    #[test]
    fn a_header_without_answers_is_refused() {
        let def = default_definition();
        let e = ResponsesCsv::new(&b"foo,bar\n1,2\n"[..], &[], &def, now())
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("no column holds answers"), "{e}");
    }
}
