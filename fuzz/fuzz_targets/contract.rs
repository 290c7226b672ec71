//! Contracts: arbitrary text never panics the TOML/JSON parser or the
//! validation, and a contract that parses survives a JSON round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prompt_preflight::Contract;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    if let Ok(contract) = Contract::parse(source) {
        let json = serde_json::to_string(&contract).expect("contracts serialise");
        assert_eq!(Contract::parse(&json).expect("a round trip parses"), contract);
    }
});
