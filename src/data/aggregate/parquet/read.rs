//! Reading a row group: its column chunks in one read each, text as dictionary codes, counts as
//! integers.

use super::*;

/// The bytes of one row group's needed columns, read in one piece, or the file to read each
/// column from as it is decoded.
pub(super) struct Chunk<'a> {
    pub(super) group: &'a RowGroupMetadata,
    pub(super) start: u64,
    pub(super) bytes: Buffer<u8>,
    /// Read each column when decoded (`bytes` is then empty).
    pub(super) file: Option<&'a File>,
}

impl<'a> Chunk<'a> {
    /// One column's bytes in memory, read once for decoding it a window at a time.
    pub(super) fn only(&self, name: &str) -> Result<Chunk<'a>, String> {
        let Some(file) = self.file else {
            return Ok(Chunk {
                group: self.group,
                start: self.start,
                bytes: self.bytes.clone(),
                file: None,
            });
        };
        let r = self.column(name)?.byte_range();
        use std::os::unix::fs::FileExt;
        let mut column = vec![0u8; (r.end - r.start) as usize];
        file.read_exact_at(&mut column, r.start)
            .map_err(|e| e.to_string())?;
        Ok(Chunk {
            group: self.group,
            start: r.start,
            bytes: Buffer::from(column),
            file: None,
        })
    }

    /// A column's chunk in the row group.
    fn column(&self, name: &str) -> Result<&'a ColumnChunkMetadata, String> {
        self.group
            .columns_under_root_iter(name)
            .and_then(|mut c| c.next())
            .ok_or_else(|| format!("column `{name}` is missing from a row group"))
    }

    /// Decodes one column as the given arrow type (`categorical` asks for dictionary codes).
    pub(super) fn decode(
        &self,
        name: &str,
        dtype: ArrowDataType,
        categorical: bool,
        rows: Option<std::ops::Range<usize>>,
    ) -> Result<Box<dyn Array>, String> {
        let meta = self.column(name)?;
        let r = meta.byte_range();
        let (s, e) = (
            r.start.saturating_sub(self.start) as usize,
            r.end.saturating_sub(self.start) as usize,
        );
        let bytes = match self.file {
            Some(file) => {
                use std::os::unix::fs::FileExt;
                let mut column = vec![0u8; (r.end - r.start) as usize];
                file.read_exact_at(&mut column, r.start)
                    .map_err(|e| e.to_string())?;
                Buffer::from(column)
            }
            None => self.bytes.clone().sliced(s..e),
        };
        let pages = PageReader::new(Cursor::new(bytes), meta, vec![], usize::MAX);
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
            rows.map(Filter::Range),
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
        });
    }
    let names = l
        .text
        .iter()
        .flatten()
        .copied()
        .chain(l.counts.iter().flatten().map(|(c, _)| *c))
        .chain(l.cost)
        .chain([l.day.column()]);
    let (mut start, mut end) = (u64::MAX, 0u64);
    for name in names {
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
