compile_error!("win-only is for cfg(windows): it must not be built here");
