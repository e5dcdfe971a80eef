compile_error!("opt-off is optional and not enabled: it must not be built");
