// Keeps a console window from appearing next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // WebKitGTK's accelerated compositing repaints the whole window layer for every change; without a GPU
    // (software rendering, remote desktops, Xvfb) the live memory graph cost 4.5% of a core that way
    // against 1.2% without it. Folio draws no 3D or animated layers, so it is off unless the user says
    // otherwise. Set before GTK starts, while the process has one thread.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    folio_app::run()
}
