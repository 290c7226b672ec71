# Prompt Preflight: `make run` starts the server with the web app on
# embedded defaults; `make test` runs every test. Both install what they
# need on a fresh machine (Rust wasm target, the pinned wasm-bindgen CLI,
# npm packages; `make test` also Debian's Chromium).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

WASM_TARGET := wasm32-unknown-unknown
WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
WASM_RAW := target/$(WASM_TARGET)/wasm/prompt_preflight.wasm
PKG_WASM := pkg/dist/prompt_preflight_bg.wasm
PKG_METER_WASM := pkg/dist/meter/prompt_preflight_bg.wasm
WASM_OPT_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
	--enable-reference-types --enable-multivalue --enable-mutable-globals
PREFLIGHT := target/debug/preflight
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test tools npm pkg build typecheck test-rust test-wasm test-js chromium postgres lint bench bench-tokenizers bench-chunking bench-prepare bench-tokenizers-js bench-page bench-gateway clean-pkg fuzz fuzz-long fuzz-tools fuzz-build

## run: build everything and serve the web app and API on http://127.0.0.1:8080,
## with SQLite under ./data/ and a local demo user whose key it prints
run: pkg build
	$(PREFLIGHT) serve --demo --log-format text

## test: fmt + clippy, then every test: Rust (unit, integration, doc), Wasm under Node, parity and Chromium
test: pkg build chromium postgres
	$(MAKE) lint typecheck fuzz-build test-rust test-wasm test-js

tools:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (takes a few minutes)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# Chart.js for the operator page (www/operator.html), served from /vendor:
# its ES module, its chunks and the colour module it imports.
VENDOR = www/vendor/chart.js/chart.js
$(VENDOR): node_modules/.package-lock.json
	mkdir -p www/vendor/chart.js/chunks www/vendor/@kurkle/color
	cp node_modules/chart.js/dist/chart.js www/vendor/chart.js/
	cp node_modules/chart.js/dist/chunks/*.js www/vendor/chart.js/chunks/
	cp node_modules/@kurkle/color/dist/color.esm.js www/vendor/@kurkle/color/

npm: node_modules/.package-lock.json $(VENDOR)

# One Wasm module into $(1): wasm-bindgen's glue and types (tidied), the
# glue as a factory of fresh instances, then wasm-opt.
define wasm_module
	wasm-bindgen $(WASM_RAW) --out-dir $(1) --target web
	node scripts/dts.mjs $(1)/prompt_preflight.d.ts
	node scripts/glue-factory.mjs $(1)/prompt_preflight.js $(1)/prompt_preflight_factory.js
	node_modules/.bin/wasm-opt -O3 $(WASM_OPT_FEATURES) $(1)/prompt_preflight_bg.wasm -o $(1)/prompt_preflight_bg.wasm
endef

## pkg: the npm package in pkg/dist (generated, not committed): the full
## module (file readers, prepare, chunking) in pkg/dist, the small meter
## module (contract, tokenizer, budget, meter, text check) in pkg/dist/meter
pkg: tools npm
	cargo build -p prompt-preflight --lib --target $(WASM_TARGET) --profile wasm --no-default-features --features wasm,readers,toml-contracts
	$(call wasm_module,pkg/dist)
	cargo build -p prompt-preflight --lib --target $(WASM_TARGET) --profile wasm --no-default-features --features wasm
	$(call wasm_module,pkg/dist/meter)
	cp data/o200k_base.bin data/cl100k_base.bin pkg/dist/
	node scripts/compress.mjs pkg/contracts.js $(PKG_WASM) $(PKG_METER_WASM) pkg/dist/o200k_base.bin pkg/dist/cl100k_base.bin \
		pkg/dist/prompt_preflight_factory.js pkg/dist/meter/prompt_preflight_factory.js \
		pkg/core.js pkg/browser.js pkg/tokenizer.js

## build: the server and CLI (debug build; dependencies are optimised), with the
## local fake provider (`preflight fake-provider`) for demos, as the tests build it
build:
	cargo build -p prompt-preflight-server --features fake

chromium:
	@command -v $(CHROMIUM) >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# Debian's PostgreSQL server binaries: the tests start their own server on
# 127.0.0.1 in a temporary directory (server/tests/support/postgres.rs).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql; }

test-rust:
	cargo test --workspace

test-wasm: tools
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
		cargo test -p prompt-preflight --target $(WASM_TARGET) --features wasm --test wasm

## typecheck: the package's generated .d.ts against a program using its whole API (tsc --strict),
## and the web app's modules and worker against it (`// @ts-check`)
typecheck: npm
	node_modules/.bin/tsc -p tests/ts
	node_modules/.bin/tsc -p www
	node_modules/.bin/tsc -p www/tsconfig.worker.json

test-js: npm
	node --test --test-reporter=spec tests/js/ www/tests/

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

FUZZ_TARGETS ?= any csv sheet json pdf contract prepare
FUZZ_SECONDS ?= 30
FUZZ_LONG_SECONDS ?= 600

## fuzz-build: the fuzz targets compile (part of `make test`; no nightly needed)
fuzz-build:
	cd fuzz && cargo check --bins --target-dir ../target/fuzz-check

## fuzz: a short libFuzzer run of every target (FUZZ_SECONDS each), seeded with
## the fixtures; a crash does not stop it, and it ends with a summary per target
## (stable toolchain through RUSTC_BOOTSTRAP)
fuzz: fuzz-tools
	scripts/fuzz.sh $(FUZZ_SECONDS) quick $(FUZZ_TARGETS)

## fuzz-long: the campaign, FUZZ_LONG_SECONDS (10 minutes) per target, also seeded
## with calamine's test workbooks; figures in target/fuzz-long.md (see BENCHMARKS.md)
fuzz-long: fuzz-tools
	scripts/fuzz.sh $(FUZZ_LONG_SECONDS) long $(FUZZ_TARGETS)

fuzz-tools:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz

## bench: Wasm size, browser timings, ingest throughput native and in Chromium (see BENCHMARKS.md)
bench: pkg build chromium
	node benches/wasm-size.mjs
	node benches/browser.mjs
	python3 -c "import openpyxl" 2>/dev/null || pip install openpyxl
	python3 benches/make_data.py
	cargo bench -p prompt-preflight --bench ingest
	$(MAKE) bench-tokenizers
	$(MAKE) bench-chunking
	$(MAKE) bench-prepare
	$(MAKE) bench-tokenizers-js
	$(MAKE) bench-page
	node benches/ingest-browser.mjs
	node benches/recovery.mjs
	$(MAKE) bench-gateway
	$(MAKE) bench-queue

## bench-tokenizers: our tokenizer against tiktoken-rs and bpe-openai, native
## (its own cargo workspace; the Markdown report is kept in target/bench-tokenizers.md)
bench-tokenizers:
	mkdir -p target
	cargo run --release --manifest-path benches/tokenizers/Cargo.toml \
		--target-dir target/bench-tokenizers | tee target/bench-tokenizers.md

## bench-prepare: prepare (trim, relevant, split) on large and pathological inputs, native,
## then in Chromium and Node (the Wasm build)
bench-prepare: pkg build chromium
	cargo bench -p prompt-preflight --bench prepare
	node benches/prepare-browser.mjs

## bench-chunking: our chunk_text against the text-splitter crate, native
## (its own cargo workspace; the Markdown report is kept in target/bench-chunking.md)
bench-chunking:
	mkdir -p target
	cargo run --release --manifest-path benches/chunking/Cargo.toml \
		--target-dir target/bench-chunking | tee target/bench-chunking.md

## bench-gateway: the server's own overhead on a model call against the fake provider,
## measured from outside with wrk (installed from Debian when missing)
bench-gateway:
	command -v wrk >/dev/null || apt-get install -y wrk
	cargo build --release -p prompt-preflight-server --features fake
	bash benches/gateway.sh

## bench-queue: the durable queue under load: oha sends 10 x the fake provider's rate
## (10 requests a second) for 60 s, then every answer, job and quota counter is checked
## against the usage records; on SQLite, then PostgreSQL (Markdown kept in target/bench-queue.md)
bench-queue: postgres
	command -v oha >/dev/null || cargo install oha --locked
	cargo build --release -p prompt-preflight-server --features fake
	mkdir -p target
	{ node benches/queue-load.mjs --db sqlite && node benches/queue-load.mjs --db postgres \
	  && node benches/queue-load.mjs --db sqlite --rate 2000 --factor 1 --seconds 20 --async \
	  && node benches/queue-load.mjs --db postgres --rate 2000 --factor 1 --seconds 20 --async; } | tee target/bench-queue.md

## bench-tokenizers-js: our Wasm build against npm tiktoken (Wasm), js-tiktoken and
## gpt-tokenizer, under Node and in Chromium (Markdown kept in target/bench-tokenizers-js.md)
bench-tokenizers-js: pkg chromium
	mkdir -p target
	{ node benches/tokenizers-js.mjs && node benches/tokenizers-browser.mjs; } | tee target/bench-tokenizers-js.md

## bench-page: the web app's first screen in Chromium (bytes before the first reading,
## navigation → first estimate and → exact count, a keystroke at 1 MB) and our meter
## module beside gpt-tokenizer, tiktoken and js-tiktoken (Markdown kept in target/bench-page.md)
bench-page: pkg build chromium
	mkdir -p target
	node benches/page-browser.mjs | tee target/bench-page.md

clean-pkg:
	rm -rf pkg/dist
