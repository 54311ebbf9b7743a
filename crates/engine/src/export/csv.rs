//! CSV (`folio export --format csv -o FOLDER`): each recognised table as its own CSV file in a folder,
//! named by page and table (`page-0003-table-1.csv`). A cell that spans several rows or columns holds its
//! text in its first position and leaves the others empty.

use std::path::{Path, PathBuf};

use super::blocks;
use crate::store::{DocumentRecord, Store};
use crate::{Error, Result};

/// Writes one CSV file per stored table into `folder` (created if needed); returns the files written.
pub fn write(store: &Store, document: &DocumentRecord, folder: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(folder).map_err(super::io)?;
    let mut written = Vec::new();
    super::pages(store, document, |page| {
        for (i, table) in page.tables.iter().enumerate() {
            let path = folder.join(format!("page-{:04}-table-{}.csv", page.page, i + 1));
            let mut out = ::csv::WriterBuilder::new().flexible(false).from_path(&path).map_err(csv_error)?;
            for row in blocks::rectangle(&blocks::grid(table)) {
                out.write_record(&row).map_err(csv_error)?;
            }
            out.flush().map_err(super::io)?;
            written.push(path);
        }
        Ok(())
    })?;
    Ok(written)
}

fn csv_error(e: ::csv::Error) -> Error {
    Error::Export { detail: e.to_string() }
}
