//! The `folio:` protocol serves rendered pages to the webview as PNG bytes:
//! `folio://localhost/page/{document}/{page}?w={pixels}` (`http://folio.localhost/...` on Windows).
//!
//! A protocol rather than a command because `<img>` can load it directly: no base64 inflation of every
//! page through IPC, the webview decodes and caches images itself, and thumbnails load lazily and in parallel.

use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

pub fn handle<R: Runtime>(ctx: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let library = ctx.app_handle().state::<AppState>().library.clone();
    let uri = request.uri().clone();
    // Rendering takes tens to hundreds of milliseconds: never on the thread that serves the webview.
    tauri::async_runtime::spawn_blocking(move || {
        let response = match parse(uri.path(), uri.query()) {
            Some((document, page, width)) => match library.page_png(document, page, width) {
                Ok(png) => Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "image/png")
                    .header(header::CACHE_CONTROL, "max-age=3600")
                    .body(png.as_ref().clone()),
                Err(error) => text(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
            },
            None => text(StatusCode::NOT_FOUND, format!("no such page resource: {uri}")),
        };
        responder.respond(response.unwrap_or_else(|_| Response::new(Vec::new())));
    });
}

fn text(status: StatusCode, message: String) -> tauri::http::Result<Response<Vec<u8>>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(message.into_bytes())
}

/// `/page/{document}/{page}` with `w={width}` → (document, 0-based page, width in pixels).
fn parse(path: &str, query: Option<&str>) -> Option<(u64, usize, u32)> {
    let mut parts = path.trim_start_matches('/').split('/');
    if parts.next()? != "page" {
        return None;
    }
    let document = parts.next()?.parse().ok()?;
    let page = parts.next()?.parse().ok()?;
    let width = query
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("w="))
        .and_then(|w| w.parse().ok())
        .unwrap_or(1024);
    Some((document, page, width))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn page_urls() {
        assert_eq!(parse("/page/3/0", Some("w=160")), Some((3, 0, 160)));
        assert_eq!(parse("/page/3/12", None), Some((3, 12, 1024)));
        assert_eq!(parse("/page/x/1", Some("w=160")), None);
        assert_eq!(parse("/other/1/1", None), None);
    }
}
