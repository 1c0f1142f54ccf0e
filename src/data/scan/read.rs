//! Reading a row group: its column chunks in one read each, text as dictionary codes, counts as
//! integers.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};

use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, DTYPE_CATEGORICAL_NEW, Field, IntegerType, Metadata};
use polars_buffer::Buffer;
use polars_parquet::read::{
    BasicDecompressor, ColumnChunkMetadata, Filter, PageReader, RowGroupMetadata,
    column_iter_to_arrays,
};

use crate::error::{Error, Result};

use std::cell::RefCell;
use std::ops::Range;

use super::worker::{FxMap, Layout};
use polars_parquet::parquet::read::PageMetaData;

/// The bytes of one row group's needed columns, read in one piece, or the file to read each
/// column from as it is decoded.
pub(super) struct Chunk<'a> {
    pub(super) group: &'a RowGroupMetadata,
    pub(super) start: u64,
    pub(super) bytes: Buffer<u8>,
    /// Read each column when decoded (`bytes` is then empty).
    pub(super) file: Option<&'a File>,
    /// The rows of the row group this chunk stands for (None: all of them): a large row group
    /// is summed a segment at a time, each column read only as far as the pages asked for.
    pub(super) segment: Option<Range<usize>>,
    /// `bytes` holds one column's pages (see [`Chunk::only`]): their values, and the row of the
    /// row group that the first of them is.
    pub(super) piece: Option<(usize, usize)>,
    /// Each column's pages once walked (by the column chunk's first byte), for every segment
    /// and window read from the file.
    pub(super) walked: RefCell<FxMap<u64, Option<Pages>>>,
}

impl<'a> Chunk<'a> {
    /// One column's bytes in memory (the pages that hold its segment's rows), read once for
    /// decoding it a window at a time; the chunk returned decodes that column only.
    pub(super) fn only(&self, name: &str) -> Result<Chunk<'a>, String> {
        let Some(file) = self.file else {
            return Ok(Chunk {
                group: self.group,
                start: self.start,
                bytes: self.bytes.clone(),
                file: None,
                segment: self.segment.clone(),
                piece: self.piece,
                walked: RefCell::default(),
            });
        };
        let all = 0..self.group.num_rows();
        let want = self.segment.clone().unwrap_or(all);
        let (bytes, values, first) = self.piece(file, self.column(name)?, &want)?;
        Ok(Chunk {
            group: self.group,
            start: 0,
            bytes,
            file: None,
            segment: self.segment.clone(),
            piece: Some((values, first)),
            walked: RefCell::default(),
        })
    }

    /// A column's chunk in the row group.
    fn column(&self, name: &str) -> Result<&'a ColumnChunkMetadata, String> {
        self.group
            .columns_under_root_iter(name)
            .and_then(|mut c| c.next())
            .ok_or_else(|| format!("column `{name}` is missing from a row group"))
    }

    /// Whether a column's chunk starts with a dictionary page (as its metadata says): text
    /// without one is decoded as text straight away.
    pub(super) fn has_dictionary(&self, name: &str) -> bool {
        self.column(name)
            .is_ok_and(|c| c.dictionary_page_offset().is_some())
    }

    /// Reads the pages of a column that hold the rows `want` of the row group (the dictionary
    /// page first, if any): their bytes, their values, and the row the first of them is. The
    /// whole column when all rows are wanted or its pages cannot be walked.
    fn piece(
        &self,
        file: &File,
        meta: &ColumnChunkMetadata,
        want: &Range<usize>,
    ) -> Result<(Buffer<u8>, usize, usize), String> {
        use std::os::unix::fs::FileExt;
        let read = |r: Range<u64>, into: &mut Vec<u8>| {
            let at = into.len();
            into.resize(at + (r.end - r.start) as usize, 0);
            file.read_exact_at(&mut into[at..], r.start)
                .map_err(|e| e.to_string())
        };
        let whole = || -> Result<(Buffer<u8>, usize, usize), String> {
            let mut column = Vec::new();
            read(meta.byte_range(), &mut column)?;
            Ok((Buffer::from(column), meta.num_values() as usize, 0))
        };
        if want.start == 0 && want.end >= self.group.num_rows() {
            return whole();
        }
        // The data pages that hold the rows: their bytes, the first one's row and their values;
        // and the dictionary page's bytes.
        let found = self.walked(file, meta, |pages| {
            let pages = pages?;
            let (mut first, mut values, mut bytes) = (None, 0usize, None::<Range<u64>>);
            let mut row = 0usize;
            for (range, rows) in &pages.data {
                let (from, to) = (row, row + rows);
                row = to;
                if to <= want.start || from >= want.end {
                    continue;
                }
                first.get_or_insert(from);
                values += rows;
                bytes = Some(bytes.map_or(range.clone(), |b| b.start..range.end));
            }
            Some((bytes?, first?, values, pages.dict.clone()))
        });
        let Some((bytes, first, values, dict)) = found else {
            return whole();
        };
        let mut piece = Vec::new();
        if let Some(dict) = dict {
            read(dict, &mut piece)?;
        }
        read(bytes, &mut piece)?;
        Ok((Buffer::from(piece), values, first))
    }

    /// Decodes one column as the given arrow type (`categorical` asks for dictionary codes):
    /// `rows` of the chunk's segment (or of the row group), or all of them.
    pub(super) fn decode(
        &self,
        name: &str,
        dtype: ArrowDataType,
        categorical: bool,
        rows: Option<Range<usize>>,
    ) -> Result<Box<dyn Array>, String> {
        let meta = self.column(name)?;
        // The rows asked for, as rows of the row group.
        let base = self.segment.as_ref().map_or(0, |s| s.start);
        let want = match (rows, &self.segment) {
            (Some(r), _) => base + r.start..base + r.end,
            (None, Some(s)) => s.clone(),
            (None, None) => 0..self.group.num_rows(),
        };
        let (bytes, values, first) = match (self.file, self.piece) {
            (Some(file), _) => self.piece(file, meta, &want)?,
            (None, Some((values, first))) => (self.bytes.clone(), values, first),
            (None, None) => {
                let r = meta.byte_range();
                let (s, e) = (
                    r.start.saturating_sub(self.start) as usize,
                    r.end.saturating_sub(self.start) as usize,
                );
                (
                    self.bytes.clone().sliced(s..e),
                    meta.num_values() as usize,
                    0,
                )
            }
        };
        // The rows asked for, among the values read.
        let from = want
            .start
            .checked_sub(first)
            .ok_or("a page was read past")?;
        let filter = (from > 0 || want.len() != values).then(|| from..from + want.len());
        let page_meta = PageMetaData::new(
            meta.byte_range().start,
            values as i64,
            meta.compression(),
            meta.descriptor().descriptor.clone(),
        );
        let pages =
            PageReader::new_with_page_meta(Cursor::new(bytes), page_meta, vec![], usize::MAX);
        let mut field = Field::new(name.into(), dtype, true);
        if categorical {
            let mut md = Metadata::new();
            md.insert(DTYPE_CATEGORICAL_NEW.into(), "".into());
            field = field.with_metadata(md);
        }
        let (mut arrays, _) = column_iter_to_arrays(
            vec![BasicDecompressor::new(pages, vec![])],
            vec![&meta.descriptor().descriptor.primitive_type],
            field,
            filter.map(Filter::Range),
        )
        .map_err(|e| e.to_string())?;
        match arrays.len() {
            1 => Ok(arrays.pop().expect("one array")),
            _ => {
                let refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
                polars_arrow::compute::concatenate::concatenate(&refs).map_err(|e| e.to_string())
            }
        }
    }
}

/// Where a column chunk's pages are: its dictionary page's bytes, if any, and each data page's
/// bytes (header included) and rows.
#[derive(Debug, PartialEq)]
pub(super) struct Pages {
    pub(super) dict: Option<Range<u64>>,
    pub(super) data: Vec<(Range<u64>, usize)>,
}

/// Walks a column chunk's page headers (a small read each). None when the column is nested, a
/// header does not parse, a page is of another kind or reaches past the chunk, or the pages do
/// not hold the row group's `rows` rows and the chunk's values: then the chunk is read whole.
pub(super) fn pages(file: &File, meta: &ColumnChunkMetadata, rows: usize) -> Option<Pages> {
    use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
    use polars_parquet_format::{PageHeader, PageType};
    use std::os::unix::fs::FileExt;
    if meta.descriptor().descriptor.max_rep_level != 0 {
        return None;
    }
    let range = meta.byte_range();
    let mut at = range.start;
    let mut pages = Pages {
        dict: None,
        data: Vec::new(),
    };
    let mut buf = Vec::new();
    while at < range.end {
        // A header is a few dozen bytes; more with large statistics.
        let mut header = None;
        for size in [1u64 << 12, 1 << 16, 1 << 20] {
            let len = size.min(range.end - at) as usize;
            buf.resize(len, 0);
            file.read_exact_at(&mut buf, at).ok()?;
            let mut cursor = Cursor::new(&buf[..]);
            let mut protocol = TCompactInputProtocol::new(&mut cursor, len);
            if let Ok(h) = PageHeader::read_from_in_protocol(&mut protocol) {
                header = Some((h, cursor.position()));
                break;
            }
            if len as u64 == range.end - at {
                break;
            }
        }
        let (h, header_len) = header?;
        let size = u64::try_from(h.compressed_page_size).ok()?;
        let end = at.checked_add(header_len)?.checked_add(size)?;
        if end > range.end {
            return None;
        }
        let values = match h.type_ {
            PageType::DICTIONARY_PAGE if pages.data.is_empty() && pages.dict.is_none() => {
                pages.dict = Some(at..end);
                None
            }
            PageType::DATA_PAGE => Some(h.data_page_header?.num_values),
            PageType::DATA_PAGE_V2 => Some(h.data_page_header_v2?.num_rows),
            _ => return None,
        };
        if let Some(v) = values {
            pages.data.push((at..end, usize::try_from(v).ok()?));
        }
        at = end;
    }
    let total: usize = pages.data.iter().map(|(_, n)| n).sum();
    (total == rows && total as i64 == meta.num_values()).then_some(pages)
}

/// The columns of a file the fast path reads: text keys, counts, billed cost and day.
fn needed(l: &Layout) -> impl Iterator<Item = &'static str> + '_ {
    l.text
        .iter()
        .flatten()
        .copied()
        .chain(l.counts.iter().flatten().map(|(c, _)| *c))
        .chain(l.cost)
        .chain([l.day.column()])
}

impl Chunk<'_> {
    /// Whether the pages of every column the fast path reads can be walked (see [`pages`]), so
    /// that a segment reads only its own: otherwise each segment would read whole columns, and
    /// the row group is better summed in one piece.
    pub(super) fn walkable(&self, l: &Layout) -> bool {
        let Some(file) = self.file else {
            return false;
        };
        needed(l).all(|name| {
            self.column(name)
                .is_ok_and(|meta| self.walked(file, meta, |p| p.is_some()))
        })
    }

    /// `f` of a column's pages (None: they cannot be walked), walked once for the row group.
    fn walked<T>(
        &self,
        file: &File,
        meta: &ColumnChunkMetadata,
        f: impl FnOnce(Option<&Pages>) -> T,
    ) -> T {
        let mut walked = self.walked.borrow_mut();
        let pages = walked
            .entry(meta.byte_range().start)
            .or_insert_with(|| pages(file, meta, self.group.num_rows()));
        f(pages.as_ref())
    }
}

/// Reads a row group's needed columns in one piece, or (`whole` false: a row group summed a
/// column at a time, see `stream`) opens its file for each column to be read when decoded.
pub(super) fn read_chunk<'a>(
    l: &Layout,
    group: &'a RowGroupMetadata,
    handle: &'a mut Option<File>,
    whole: bool,
) -> Result<Chunk<'a>> {
    if !whole {
        if handle.is_none() {
            *handle = Some(File::open(&l.path).map_err(|e| Error::io(&l.path, "cannot open", e))?);
        }
        return Ok(Chunk {
            group,
            start: 0,
            bytes: Buffer::from(Vec::new()),
            file: handle.as_ref(),
            segment: None,
            piece: None,
            walked: RefCell::default(),
        });
    }
    let (mut start, mut end) = (u64::MAX, 0u64);
    for name in needed(l) {
        for c in group.columns_under_root_iter(name).into_iter().flatten() {
            let r = c.byte_range();
            start = start.min(r.start);
            end = end.max(r.end);
        }
    }
    if start >= end {
        return Ok(Chunk {
            group,
            start: 0,
            bytes: Buffer::from(Vec::new()),
            file: None,
            segment: None,
            piece: None,
            walked: RefCell::default(),
        });
    }
    if handle.is_none() {
        *handle = Some(File::open(&l.path).map_err(|e| Error::io(&l.path, "cannot open", e))?);
    }
    let file = handle.as_mut().expect("opened");
    let mut bytes = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|e| Error::io(&l.path, "cannot read", e))?;
    Ok(Chunk {
        group,
        start,
        bytes: Buffer::from(bytes),
        file: None,
        segment: None,
        piece: None,
        walked: RefCell::default(),
    })
}

/// A text column of a row group: its local codes (`dict.len() - 1` = no value) and dictionary.
pub(super) struct TextCodes<'a> {
    pub(super) codes: Cow<'a, [u32]>,
    pub(super) dict: Vec<Option<&'a str>>,
}

/// Decodes a text column, as dictionary codes when every page is dictionary encoded.
pub(super) fn decode_text(
    chunk: &Chunk,
    name: &str,
    rows: Option<std::ops::Range<usize>>,
) -> Result<Box<dyn Array>, String> {
    let dict_type = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    if !chunk.has_dictionary(name) {
        return chunk.decode(name, ArrowDataType::Utf8View, false, rows);
    }
    match chunk.decode(name, dict_type, true, rows.clone()) {
        Ok(a) if a.as_any().is::<DictionaryArray<u32>>() => Ok(a),
        _ => chunk.decode(name, ArrowDataType::Utf8View, false, rows),
    }
}

pub(super) fn text_codes<'a>(
    a: &'a dyn Array,
    name: &str,
    n: usize,
) -> Result<TextCodes<'a>, String> {
    if a.len() != n {
        return Err(format!(
            "column `{name}` has {} values for {n} rows",
            a.len()
        ));
    }
    if let Some(d) = a.as_any().downcast_ref::<DictionaryArray<u32>>()
        && let Some(values) = d.values().as_any().downcast_ref::<Utf8ViewArray>()
    {
        let none = values.len() as u32;
        let mut dict: Vec<Option<&str>> = (0..values.len())
            .map(|i| values.is_valid(i).then(|| values.value(i)))
            .collect();
        dict.push(None);
        let keys = d.keys();
        let raw = keys.values().as_slice();
        let nulls = keys.validity().is_some_and(|v| v.unset_bits() > 0);
        if !nulls && raw.iter().all(|&c| c < none) {
            return Ok(TextCodes {
                codes: Cow::Borrowed(raw),
                dict,
            });
        }
        // Nulls, or codes beyond the dictionary (a broken file): both count as no value.
        let codes = raw
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if c < none && keys.is_valid(i) {
                    c
                } else {
                    none
                }
            })
            .collect();
        return Ok(TextCodes {
            codes: Cow::Owned(codes),
            dict,
        });
    }
    // Not dictionary encoded throughout: code the text here.
    let s = a
        .as_any()
        .downcast_ref::<Utf8ViewArray>()
        .ok_or_else(|| format!("column `{name}` is not text"))?;
    let mut local: FxMap<&str, u32> = FxMap::default();
    let mut dict: Vec<Option<&str>> = Vec::new();
    let mut codes: Vec<u32> = (0..s.len())
        .map(|i| {
            if !s.is_valid(i) {
                return u32::MAX;
            }
            let v = s.value(i);
            *local.entry(v).or_insert_with(|| {
                dict.push(Some(v));
                dict.len() as u32 - 1
            })
        })
        .collect();
    let none = dict.len() as u32;
    dict.push(None);
    for c in codes.iter_mut().filter(|c| **c == u32::MAX) {
        *c = none;
    }
    Ok(TextCodes {
        codes: Cow::Owned(codes),
        dict,
    })
}

/// A count column's values with nulls as 0, and which rows had a value (1/0; None: all did).
pub(super) type Counts<'a> = (Cow<'a, [i64]>, Option<Vec<i64>>);

/// A count column with nulls as 0, and which rows had a value.
pub(super) fn count_values<'a>(
    a: &'a dyn Array,
    name: &str,
    n: usize,
) -> Result<Counts<'a>, String> {
    if a.len() != n {
        return Err(format!(
            "column `{name}` has {} values for {n} rows",
            a.len()
        ));
    }
    let (values, validity): (Cow<[i64]>, _) =
        if let Some(p) = a.as_any().downcast_ref::<PrimitiveArray<i64>>() {
            (Cow::Borrowed(p.values().as_slice()), p.validity())
        } else if let Some(p) = a.as_any().downcast_ref::<PrimitiveArray<i32>>() {
            let wide = p.values().iter().map(|v| i64::from(*v)).collect();
            (Cow::Owned(wide), p.validity())
        } else {
            return Err(format!("column `{name}` is not an integer column"));
        };
    match validity.filter(|v| v.unset_bits() > 0) {
        None => Ok((values, None)),
        Some(valid) => {
            let known: Vec<i64> = valid.iter().map(i64::from).collect();
            let values = values.iter().zip(&known).map(|(v, k)| v * k).collect();
            Ok((Cow::Owned(values), Some(known)))
        }
    }
}
