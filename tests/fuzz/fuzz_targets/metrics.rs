#![no_main]

// Each target uses one function of the shared module.
#[allow(dead_code)]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::metrics(data));
